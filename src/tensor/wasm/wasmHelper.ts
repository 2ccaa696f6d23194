/**
 * A second thread for the wasm backend's multiplies: a `worker_threads` Worker with its own instance of the gemm
 * module on the same shared `WebAssembly.Memory`, driven through a control block in that memory with `Atomics`.
 *
 * 1. A job is a list of parts (at most `MAX_PARTS`), each the arguments of one kernel call on a disjoint part of C
 *    (`blocked` on a band of rows or columns, or `dotNT` on a band of B's rows). Both threads claim parts from one
 *    ticket word (`seq << 8 | next`) with compare-and-swap, so the calling thread never waits for a part that
 *    nobody has started: a helper that is slow to wake, still starting, or gone costs nothing but its own part.
 * 2. The caller then waits only for the parts the helper claimed (`done`), spinning briefly before `Atomics.wait`.
 * 3. The helper spins on the ticket for a while after each job (the steps of a training window come back to back)
 *    and then sleeps in `Atomics.wait`. The Worker is unref'd: it never keeps the process alive; `close()` ends it.
 *
 * Control block (int32 slots from `base`): 0 ticket, 1 part count, 2 parts done by the helper, 3 stop flag, then
 * `PART_INTS` arguments per part (the first is the kernel: 1 `blocked`, 2 `dotNT` over blocks of B's rows).
 */
import { Worker } from 'node:worker_threads';
import type { WasmMemory } from './wasmApi.ts';

/** Parts per job. */
export const MAX_PARTS = 4;
/** Int32 slots per part: the kernel id and up to 16 arguments (and the block rows of `dotNT`). */
export const PART_INTS = 20;
/** Bytes of the control block. */
export const CONTROL_BYTES = 4 * (4 + MAX_PARTS * PART_INTS);

const TICKET = 0,
  COUNT = 1,
  DONE = 2,
  STOP = 3,
  PARTS = 4;

/** The helper's loop (plain JavaScript, run by the Worker from source: no loader or build needed). */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, base, pack } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const I = new Int32Array(memory.buffer);
const [ap, bp, tmp] = pack;
function run(o) {
  const k = I[o];
  if (k === 1) {
    ex.blocked(I[o + 1], I[o + 2], I[o + 3], I[o + 4], I[o + 5], I[o + 6], I[o + 7], I[o + 8], I[o + 9], I[o + 10], I[o + 11], I[o + 12], ap, bp, tmp, I[o + 16]);
  } else {
    const m = I[o + 1], n = I[o + 2], kk = I[o + 3], a = I[o + 4], b = I[o + 5], c = I[o + 6], ldc = I[o + 7], acc = I[o + 8], rows = I[o + 9];
    for (let j = 0; j < n; j += rows) ex.dotNT(m, Math.min(rows, n - j), kk, a, 4 * kk, b + 4 * kk * j, 4 * kk, c + 4 * j, ldc, acc);
  }
}
let seen = Atomics.load(I, base) >>> 8;
for (;;) {
  let t = Atomics.load(I, base);
  for (let spin = 0; (t >>> 8) === seen && spin < 200000; spin++) t = Atomics.load(I, base);
  if ((t >>> 8) === seen) { Atomics.wait(I, base, t); continue; }
  if (Atomics.load(I, base + ${STOP}) !== 0) break;
  seen = t >>> 8;
  for (;;) {
    t = Atomics.load(I, base);
    if ((t >>> 8) !== seen || (t & 255) >= Atomics.load(I, base + ${COUNT})) break;
    if (Atomics.compareExchange(I, base, t, t + 1) !== t) continue;
    run(base + ${PARTS} + (t & 255) * ${PART_INTS});
    Atomics.add(I, base + ${DONE}, 1);
    Atomics.notify(I, base + ${DONE});
  }
}
`;

/** B is read in place when its rows are contiguous and few rows of A reuse it, unless rows alias (see `blocked`). */
export function inPlace(M: number, rsB: number, csB: number): number {
  return csB === 4 && M <= 256 && rsB % 4096 !== 0 ? 1 : 0;
}

type Fn = (...args: number[]) => void;

/** The calling thread's own kernels (its instance of the gemm module) and pack buffers `[ap, bp, tmp]`. */
export interface HereKernels {
  blocked: Fn;
  dotNT: Fn;
  pack: readonly [number, number, number];
}

/** Rows and columns of C per register tile of `gebp` (bands of C start on their multiples). */
const MR = 4,
  NR = 8;

/** The calling thread's side. */
export class WasmHelper {
  private readonly I: Int32Array;
  private readonly here: HereKernels;
  private readonly base: number;
  private readonly worker: Worker;
  private seq = 0;
  private alive = true;

  /**
   * @param module the compiled gemm module (imports a shared memory)
   * @param memory the shared memory
   * @param control byte address of `CONTROL_BYTES` reserved for the control block
   * @param pack byte addresses of the helper's own pack buffers `[ap, bp, tmp]`
   */
  constructor(
    module: object,
    memory: WasmMemory,
    control: number,
    pack: readonly [number, number, number],
    here: HereKernels,
  ) {
    this.here = here;
    this.I = new Int32Array(memory.buffer);
    this.base = control >> 2;
    this.worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, base: this.base, pack } });
    this.worker.on('error', () => {
      this.alive = false;
    });
    this.worker.on('exit', () => {
      this.alive = false;
    });
    this.worker.unref();
  }

  /** `blocked` (the module's, same arguments less the pack buffers) as two bands of C: rows when M >= N, else columns. */
  blocked(
    M: number,
    N: number,
    K: number,
    a: number,
    rsA: number,
    csA: number,
    b: number,
    rsB: number,
    csB: number,
    c: number,
    ldc: number,
    acc: number,
  ): void {
    const byRows = M >= N;
    const total = byRows ? M : N,
      unit = byRows ? MR : NR;
    const half = Math.min(total, Math.ceil(total / 2 / unit) * unit);
    for (let k = 0; k < 2; k++) {
      const lo = k === 0 ? 0 : half,
        len = k === 0 ? half : total - half;
      const m = byRows ? len : M,
        n = byRows ? N : len;
      const aa = byRows ? a + lo * rsA : a,
        bb = byRows ? b : b + lo * csB,
        cc = byRows ? c + lo * ldc : c + 4 * lo;
      const I = this.I,
        o = this.part(k);
      I[o] = 1;
      I[o + 1] = m;
      I[o + 2] = n;
      I[o + 3] = K;
      I[o + 4] = aa;
      I[o + 5] = rsA;
      I[o + 6] = csA;
      I[o + 7] = bb;
      I[o + 8] = rsB;
      I[o + 9] = csB;
      I[o + 10] = cc;
      I[o + 11] = ldc;
      I[o + 12] = acc;
      I[o + 16] = inPlace(m, rsB, csB);
    }
    this.run(2);
  }

  /** C[M, N] (+)= A[M, K] · B[N, K]ᵀ (byte addresses, C rows N apart) by `dotNT` over blocks of `rows` rows of B, as two bands of B's rows. */
  dot(M: number, N: number, K: number, a: number, b: number, c: number, acc: number, rows: number): void {
    const half = Math.min(N, Math.ceil(N / 2 / NR) * NR);
    this.putDot(0, M, half, K, a, b, c, 4 * N, acc, rows);
    this.putDot(1, M, N - half, K, a, b + 4 * K * half, c + 4 * half, 4 * N, acc, rows);
    this.run(2);
  }

  /** Writes a `dotNT` part (no array literal: this runs every time step). */
  private putDot(
    k: number,
    m: number,
    n: number,
    K: number,
    a: number,
    b: number,
    c: number,
    ldc: number,
    acc: number,
    rows: number,
  ): void {
    const I = this.I,
      o = this.part(k);
    I[o] = 2;
    I[o + 1] = m;
    I[o + 2] = n;
    I[o + 3] = K;
    I[o + 4] = a;
    I[o + 5] = b;
    I[o + 6] = c;
    I[o + 7] = ldc;
    I[o + 8] = acc;
    I[o + 9] = rows;
  }

  private part(k: number): number {
    return this.base + PARTS + k * PART_INTS;
  }

  /** Part k on this thread, with this thread's kernels and pack buffers (as the helper's loop runs it). */
  private runHere(k: number): void {
    const I = this.I,
      o = this.part(k),
      [ap, bp, tmp] = this.here.pack;
    if (I[o] === 1) {
      this.here.blocked(
        I[o + 1],
        I[o + 2],
        I[o + 3],
        I[o + 4],
        I[o + 5],
        I[o + 6],
        I[o + 7],
        I[o + 8],
        I[o + 9],
        I[o + 10],
        I[o + 11],
        I[o + 12],
        ap,
        bp,
        tmp,
        I[o + 16],
      );
      return;
    }
    const m = I[o + 1],
      n = I[o + 2],
      K = I[o + 3],
      a = I[o + 4],
      b = I[o + 5],
      c = I[o + 6],
      ldc = I[o + 7],
      acc = I[o + 8],
      rows = I[o + 9];
    for (let j = 0; j < n; j += rows)
      this.here.dotNT(m, Math.min(rows, n - j), K, a, 4 * K, b + 4 * K * j, 4 * K, c + 4 * j, ldc, acc);
  }

  /** Publishes `count` parts, runs on this thread every part the helper has not claimed, then waits for the helper's. */
  private run(count: number): void {
    const I = this.I,
      b = this.base;
    this.seq = (this.seq + 1) & 0x7fffff;
    Atomics.store(I, b + DONE, 0);
    Atomics.store(I, b + COUNT, count);
    Atomics.store(I, b + TICKET, this.seq << 8);
    Atomics.notify(I, b + TICKET, 1);
    let mine = 0;
    for (;;) {
      const t = Atomics.load(I, b + TICKET);
      const next = t & 255;
      if (next >= count) break;
      if (Atomics.compareExchange(I, b + TICKET, t, t + 1) !== t) continue;
      this.runHere(next);
      mine++;
    }
    const theirs = count - mine;
    for (let spin = 0; ; spin++) {
      const done = Atomics.load(I, b + DONE);
      if (done >= theirs) return;
      if (!this.alive) throw new Error('the wasm helper thread stopped in the middle of a multiply');
      if (spin > 20000) Atomics.wait(I, b + DONE, done, 50);
    }
  }

  /** Ends the helper thread. */
  close(): void {
    if (!this.alive) return;
    Atomics.store(this.I, this.base + STOP, 1);
    this.seq = (this.seq + 1) & 0x7fffff;
    Atomics.store(this.I, this.base + COUNT, 0);
    Atomics.store(this.I, this.base + TICKET, this.seq << 8);
    Atomics.notify(this.I, this.base + TICKET, 1);
    this.alive = false;
  }
}
