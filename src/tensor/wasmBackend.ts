/**
 * A WebAssembly SIMD backend: the three multiplies as f32x4 kernels generated from TypeScript at load time
 * (`wasm/gemmKernels.ts`, no build step), over one `WebAssembly.Memory` that `alloc` carves into views.
 *
 * 1. `alloc(n)` returns a zeroed view of the backend's memory (16-byte aligned). The model allocates its parameters,
 *    gradients and workspaces this way, so its multiplies run in place. `release(x)` gives a view back for reuse.
 * 2. A gemm argument that is not a view of this memory (a user's `x`, `dy` or state) is copied into a staging
 *    region first, and C copied back after: O(size) `TypedArray.set` copies, small next to the O(M·N·K) multiply
 *    except when a large operand meets a small M (a staged 1024×256 weight at M = 1 runs at ~10 instead of ~25
 *    GFLOP/s). Allocate weights and workspaces with `alloc`; small per-call inputs cost little.
 * 3. `gemmNN` and `gemmTN` run the blocked algorithm: a panel of A (MC×KC) is packed into 4-row slivers, a panel
 *    of B (KC×NC) into 8-column slivers, and a 4×8 register tile of C (eight v128 accumulators) runs over each
 *    pair. For M <= 256 B is read in place instead (packing it would not pay off), unless its rows are a multiple
 *    of 4 KiB apart, where they alias in the caches. `gemmNT` needs no packing: both operands are read along
 *    contiguous rows as 2×4 tiles of dot products, over blocks of B's rows that stay in L2 (as fast as the packed
 *    path at M = 2048, faster below).
 * 4. The memory is reserved at full capacity up front (virtual until touched) and never grows, because growing
 *    detaches every view. Code that allocates per call without `release` fills it: when it is full `alloc` throws
 *    a clear EddyError (or, with `whenFull: 'heap'`, returns ordinary arrays, which gemms then stage).
 * 5. It also has the optional pointwise methods of `Backend` (`wasm/wasmPointwise.ts`): each cell's step forward and
 *    backward with sigmoid and tanh in f32x4 (`wasm/simdMath.ts`, float32-accurate), bias rows, bias gradients and
 *    the one-hot gather and its gradient, in a second module on the same memory. Arguments outside the memory
 *    (a caller's state) are staged as for the gemms. `pointwise: false` leaves that work to the TypeScript loops.
 * 6. `threads: 2` makes the memory shared and starts a helper Worker with its own instance of the gemm module
 *    (`wasm/wasmHelper.ts`): products of at least 2^20 multiply-adds (2^17 for a streaming step's few rows) are
 *    computed as two bands of C, one per thread, bit-identical to one thread. Measured on the 2-core machines:
 *    1.75-1.95x per product when the other core is free (as little as 1.1x when it is not), 1.5x on the bench's
 *    W1 (batched training) and W3 (1024-wide frames), W2's LSTM step 21.9 -> 16.3 µs. Opt-in: it costs a Worker
 *    (about 45 ms to start) and the second core; the char-LM trainer turns it on where there are two cores.
 *
 * @example
 * import { createWasmBackend } from './wasmBackend.ts';
 * const backend = createWasmBackend({ capacity: 256 * 2 ** 20 });
 * const model = RNNModel.create({ cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 256, outputSize: 65 }, { backend });
 */
import type { Backend } from './backend.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkBool, checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { KC, MC, MR, NC, NR, gemmModuleBytes, probeBytes } from './wasm/gemmKernels.ts';
import { wasmApi, type WasmApi, type WasmMemory } from './wasm/wasmApi.ts';
import { WasmArena, align16, pageAlign, type WhenFull } from './wasm/wasmArena.ts';
import { emitModule } from './wasm/wasmEmitter.ts';
import { cellFunctions } from './wasm/cellKernels.ts';
import { rowFunctions } from './wasm/rowKernels.ts';
import { ArgStaging } from './wasm/argStaging.ts';
import { wasmPointwise } from './wasm/wasmPointwise.ts';
import { CONTROL_BYTES, WasmHelper, inPlace } from './wasm/wasmHelper.ts';
import { GemmStaging } from './wasm/gemmStaging.ts';
import { streamStepper } from './wasm/streamStepper.ts';

/** Options for `createWasmBackend`. */
export interface WasmBackendOptions {
  /**
   * Bytes of WebAssembly memory to reserve, rounded up to 64 KiB pages; between 4 MiB and 2 GiB. The reservation
   * is virtual: only pages that are written cost physical memory. About 1.1 MiB of it holds pack buffers.
   * @default 1073741824 (1 GiB)
   */
  capacity?: number;
  /** When `alloc` does not fit: `'error'` throws an EddyError; `'heap'` returns an ordinary (staged) array. @default 'error' */
  whenFull?: WhenFull;
  /**
   * Relaxed-SIMD fused multiply-add in the multiplies: `true` requires it (Node 20 needs
   * `--experimental-wasm-relaxed-simd`; throws where the runtime lacks it), `false` never uses it, `'auto'` uses it
   * where the runtime has it (the backend is then named `wasm-relaxed-simd`) and plain SIMD otherwise.
   * @default 'auto'
   */
  relaxedSimd?: boolean | 'auto';
  /**
   * Also run the pointwise work in WebAssembly SIMD (`cellForward`, `cellBackward`, `addBiasRows`, `sumRows`,
   * `gatherColumns`, `scatterAddColumns`); false leaves it to the TypeScript reference loops (to compare; the
   * backend is then named `wasm-simd-gemm`).
   * @default true
   */
  pointwise?: boolean;
  /**
   * Threads for the multiplies: 2 adds a helper Worker on a shared memory that computes half of each product of
   * at least 2^20 multiply-adds, or 2^17 with at most 4 rows (a band of C's rows or columns; results do not depend
   * on the thread count). The backend is then named `wasm-simd-2t`; `close()` ends the helper.
   * @default 1
   */
  threads?: number;
}

/** A `Backend` over one WebAssembly memory. */
export interface WasmBackend extends Backend {
  /** The memory every `alloc`'d view belongs to (never grown, so views stay attached). */
  readonly memory: WasmMemory;
  /** Reserved bytes. */
  readonly capacity: number;
  /** Bytes from the bottom of the memory to its allocation mark (live views, and released ones waiting below it). */
  readonly used: number;
  /** True if `x` is a view of this backend's memory (a gemm argument that needs no copy). */
  owns(x: Float32Array): boolean;
  /**
   * Gives back a whole view from `alloc` for reuse by a later `alloc` (arrays outside the memory are ignored).
   * @throws EddyError ERR_INVALID_ARG for part of a view or a view released already
   */
  release(x: Float32Array): void;
  /** Ends the helper thread of `threads: 2` (the backend then computes on one thread); nothing otherwise. */
  close(): void;
}

/** Rows of B per `dotNT` call, so the block (rows·K floats) stays in L2. */
const DOT_BLOCK_BYTES = 256 * 1024;
/** From this many multiply-adds a product is split between the two threads of `threads: 2`. */
const PARALLEL_MACS = 2 ** 20;
/** The same for a streaming step (few rows): each thread then keeps half of the weight in its own cache. */
const PARALLEL_DOT_MACS = 2 ** 17;

type Kernel16 = (
  ...args: [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ]
) => void;
type Kernel10 = (
  a: number,
  b: number,
  c: number,
  d: number,
  e: number,
  f: number,
  g: number,
  h: number,
  i: number,
  j: number,
) => void;

/** True if this runtime validates WebAssembly SIMD (and relaxed SIMD, when asked). */
export function wasmSimdSupported(relaxed = false): boolean {
  const api = wasmApi();
  if (!api) return false;
  try {
    return api.validate(probeBytes(false)) && (!relaxed || api.validate(probeBytes(true)));
  } catch {
    return false;
  }
}

/**
 * Kernels that replace wasm ones over the same memory (the native addon, `nativeBackend.ts`): `bind` is given the
 * memory's buffer once and returns a slot; the others take it and byte addresses in that buffer. `gemm` (op 0 NN,
 * 1 NT, 2 TN, 3 NT by rows for `gemmNTRows`) replaces the multiplies; `cells`, the wasm cell kernels of those
 * names (same arguments after the slot), behind the same guards and staging.
 */
export interface Accelerator {
  /** The backend's name, e.g. `"native-avx512"`. */
  readonly name: string;
  bind(buffer: ArrayBuffer): number;
  gemm(
    slot: number,
    op: 0 | 1 | 2 | 3,
    M: number,
    N: number,
    K: number,
    a: number,
    b: number,
    c: number,
    accumulate: boolean,
  ): void;
  /**
   * Cell step kernels that replace the wasm ones of the same names (`lstmForward`, `lstmBackward`, `gruForward`,
   * `gruBackward`, `rnnTanhForward`, `rnnReluForward`, `rnnTanhBackward`, `rnnReluBackward`): the same arguments
   * (byte addresses, then B and H) after the slot.
   */
  readonly cells?: Partial<Record<CellKernelName, (slot: number, ...args: number[]) => void>>;
  /**
   * The one-hot gather replacing the wasm `gatherColumns` (same arguments after the slot): with it the gather
   * reads W's columns directly instead of building the transposed table `transposeBias` first.
   */
  readonly gatherColumns?: (slot: number, ...args: number[]) => void;
  /** The gather's gradient replacing the wasm `scatterAddColumns` (same arguments after the slot). */
  readonly scatterAddColumns?: (slot: number, ...args: number[]) => void;
  /** A fused one-row streaming step (`Backend.streamStep`; the layout of `args` is `streamStepper`'s). */
  readonly streamStep?: (slot: number, args: Int32Array) => void;
}

/** The wasm cell kernels an `Accelerator` may replace. */
export const CELL_KERNEL_NAMES = [
  'lstmForward',
  'lstmBackward',
  'gruForward',
  'gruBackward',
  'rnnTanhForward',
  'rnnReluForward',
  'rnnTanhBackward',
  'rnnReluBackward',
] as const;
export type CellKernelName = (typeof CELL_KERNEL_NAMES)[number];

/**
 * Creates a WebAssembly SIMD backend with its own memory.
 * @throws EddyError ERR_INVALID_ARG naming the option; or when the runtime lacks WebAssembly SIMD (fall back to `jsBackend`)
 */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  return createWasmBackendWith(options);
}

/**
 * `createWasmBackend`, with its three multiplies run by `accel` when one is given (staging, guards and the
 * pointwise methods stay the wasm backend's).
 */
/** `WasmBackendOptions` after validation, plus what follows from them. */
interface ResolvedWasmOptions {
  capacity: number;
  whenFull: WhenFull;
  relaxed: boolean;
  pointwise: boolean;
  threads: number;
  /** Two threads: the memory is shared with the helper Worker. */
  shared: boolean;
}

/** Validates the options against this runtime (SIMD, relaxed SIMD) and the kernels (`accel` has its own threads). */
function resolveWasmOptions(options: WasmBackendOptions, accel: Accelerator | undefined): ResolvedWasmOptions {
  checkObject('options', options);
  const capacity = pageAlign(checkInt('options.capacity', options.capacity ?? 2 ** 30, 4 * 2 ** 20, 2 ** 31));
  const whenFull = checkOneOf('options.whenFull', options.whenFull ?? 'error', ['error', 'heap'] as const);
  const relaxedOption: unknown = options.relaxedSimd ?? 'auto';
  if (relaxedOption !== 'auto' && typeof relaxedOption !== 'boolean')
    throw invalidArg('options.relaxedSimd', 'boolean or "auto"', relaxedOption);
  const relaxed = relaxedOption === 'auto' ? wasmSimdSupported(true) : relaxedOption;
  const pointwise = checkBool('options.pointwise', options.pointwise ?? true);
  const threads = checkInt('options.threads', options.threads ?? 1, 1, 2);
  if (threads > 1 && accel)
    throw new EddyError(
      'ERR_INVALID_ARG',
      'options.threads must be 1 with native kernels (they have threads of their own)',
    );
  if (!wasmApi() || !wasmSimdSupported(relaxed)) {
    throw new EddyError(
      'ERR_INVALID_ARG',
      relaxed
        ? 'WebAssembly relaxed SIMD is not available in this runtime (Node 20 needs --experimental-wasm-relaxed-simd); create the backend without options.relaxedSimd'
        : 'WebAssembly SIMD is not available in this runtime; use jsBackend instead of the wasm backend',
    );
  }
  return { capacity, whenFull, relaxed, pointwise, threads, shared: threads > 1 };
}

export function createWasmBackendWith(options: WasmBackendOptions, accel?: Accelerator): WasmBackend {
  const { capacity, whenFull, relaxed, pointwise, threads, shared } = resolveWasmOptions(options, accel);
  const api = wasmApi() as WasmApi;
  const apBytes = align16(MC * KC * 4);
  const bpBytes = align16(KC * NC * 4);
  const packSet = apBytes + bpBytes + align16(MR * NR * 4);
  const arena = new WasmArena(api, capacity, threads * packSet + (shared ? CONTROL_BYTES : 0), whenFull, shared);
  const ap = arena.packBase;
  const bp = ap + apBytes;
  const tmp = bp + bpBytes;
  const module = new api.Module(gemmModuleBytes({ relaxed, shared }));
  const exports = new api.Instance(module, { env: { memory: arena.memory } }).exports;
  const helper = shared
    ? new WasmHelper(module, arena.memory, ap + 2 * packSet, [ap + packSet, bp + packSet, tmp + packSet], {
        blocked: exports.blocked as Kernel16,
        dotNT: exports.dotNT as Kernel10,
        pack: [ap, bp, tmp],
      })
    : null;
  const dotNT = exports.dotNT as Kernel10;
  const blockedKernel = exports.blocked as Kernel16;
  const slot = accel ? accel.bind(arena.buffer) : -1;
  const st = new GemmStaging(arena);

  /**
   * C(i, j) (+)= Σp A(i, p)·B(p, j) with A(i, p) at `a + i·rsA + p·csA`, B(p, j) at `b + p·rsB + j·csB` (bytes).
   * B is read in place when its rows are contiguous and few rows of A reuse it (packing would not pay for itself),
   * unless its row stride is a multiple of 4 KiB: then the rows of one sliver alias in L1 and L2 (measured 40%
   * slower at N = 1024) and packing wins at any M. An edge sliver read in place reads up to 28 bytes past B's
   * last row; that stays inside the memory because the pack buffers lie above every view and staged copy.
   */
  function blocked(
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
    accumulate: boolean,
  ): void {
    const acc = accumulate ? 1 : 0;
    if (helper && M * N * K >= PARALLEL_MACS && (M >= 2 * MR || N >= 2 * NR)) {
      helper.blocked(M, N, K, a, rsA, csA, b, rsB, csB, c, ldc, acc);
      return;
    }
    blockedKernel(M, N, K, a, rsA, csA, b, rsB, csB, c, ldc, acc, ap, bp, tmp, inPlace(M, rsB, csB));
  }

  /** Rows of B per `dotNT` call, so the block (rows·K floats) stays in L2. */
  function dotRows(K: number): number {
    return Math.max(8, Math.floor(DOT_BLOCK_BYTES / (4 * K)) & ~7);
  }

  const backend: WasmBackend = {
    ...(pointwise ? pointwiseMethods(api, arena, accel, slot, shared) : {}),
    name: accel
      ? accel.name
      : (relaxed ? 'wasm-relaxed-simd' : 'wasm-simd') + (pointwise ? '' : '-gemm') + (shared ? '-2t' : ''),
    memory: arena.memory,
    capacity,
    get used() {
      return arena.used;
    },
    owns: (x) => arena.owns(x),
    close: () => helper?.close(),
    alloc(length) {
      checkInt('alloc length', length, 0);
      return arena.alloc(length);
    },
    release(x) {
      if (!(x instanceof Float32Array)) throw invalidArg('release x', 'a Float32Array from alloc', x);
      arena.release(x);
    },
    gemmNN(M, N, K, A, aOff, B, bOff, C, cOff, accumulate) {
      if (!st.enter('gemmNN', M, N, K, A, aOff, B, bOff, C, cOff, accumulate)) return;
      if (accel) accel.gemm(slot, 0, M, N, K, st.a, st.b, st.c, accumulate);
      else blocked(M, N, K, st.a, 4 * K, 4, st.b, 4 * N, 4, st.c, 4 * N, accumulate);
      st.leave(C, cOff, M * N);
    },
    gemmNT(M, N, K, A, aOff, B, bOff, C, cOff, accumulate) {
      if (!st.enter('gemmNT', M, N, K, A, aOff, B, bOff, C, cOff, accumulate)) return;
      if (accel) {
        accel.gemm(slot, 1, M, N, K, st.a, st.b, st.c, accumulate);
        st.leave(C, cOff, M * N);
        return;
      }
      const rows = dotRows(K),
        acc = accumulate ? 1 : 0;
      if (helper && M * N * K >= (M <= 4 ? PARALLEL_DOT_MACS : PARALLEL_MACS) && N >= 16) {
        helper.dot(M, N, K, st.a, st.b, st.c, acc, rows);
      } else {
        for (let j = 0; j < N; j += rows)
          dotNT(M, Math.min(rows, N - j), K, st.a, 4 * K, st.b + 4 * K * j, 4 * K, st.c + 4 * j, 4 * N, acc);
      }
      st.leave(C, cOff, M * N);
    },
    ...(accel?.streamStep ? { streamStep: streamStepper(arena, slot, accel.streamStep) } : {}),
    // the wasm gemmNT is already row-independent (dot products for every M); native kernels need their own
    ...(accel
      ? {
          gemmNTRows(M, N, K, A, aOff, B, bOff, C, cOff, accumulate) {
            if (!st.enter('gemmNT', M, N, K, A, aOff, B, bOff, C, cOff, accumulate)) return;
            accel.gemm(slot, 3, M, N, K, st.a, st.b, st.c, accumulate);
            st.leave(C, cOff, M * N);
          },
        }
      : {}),
    gemmTN(M, N, K, A, aOff, B, bOff, C, cOff, accumulate) {
      if (!st.enter('gemmTN', M, N, K, A, aOff, B, bOff, C, cOff, accumulate)) return;
      if (accel) accel.gemm(slot, 2, M, N, K, st.a, st.b, st.c, accumulate);
      else blocked(M, N, K, st.a, 4, 4 * M, st.b, 4 * N, 4, st.c, 4 * N, accumulate);
      st.leave(C, cOff, M * N);
    },
  };
  return backend;
}

/** The optional pointwise methods, over their own module instance on the same memory (cell steps from `accel` where it has them). */
function pointwiseMethods(
  api: WasmApi,
  arena: WasmArena,
  accel: Accelerator | undefined,
  slot: number,
  shared: boolean,
): ReturnType<typeof wasmPointwise> {
  const module = new api.Module(emitModule([...cellFunctions(), ...rowFunctions()], { shared }));
  const exports: Record<string, unknown> = { ...new api.Instance(module, { env: { memory: arena.memory } }).exports };
  for (const name of CELL_KERNEL_NAMES) {
    const kernel = accel?.cells?.[name];
    if (kernel) exports[name] = (...args: number[]) => kernel(slot, ...args);
  }
  const gather = accel?.gatherColumns;
  if (gather) exports.gatherColumns = (...args: number[]) => gather(slot, ...args);
  const scatter = accel?.scatterAddColumns;
  if (scatter) exports.scatterAddColumns = (...args: number[]) => scatter(slot, ...args);
  return wasmPointwise(exports, new ArgStaging(arena), gather !== undefined);
}

let shared: WasmBackend | null = null;

/** The process-wide default instance, created (1 GiB reserved) on first use. */
function sharedBackend(): WasmBackend {
  shared ??= createWasmBackend();
  return shared;
}

/**
 * The default wasm SIMD backend: one instance with default options, created lazily on its first call (so
 * importing this module has no side effects and a runtime without SIMD fails only when it is used). Every model
 * that uses it shares its memory; call `createWasmBackend` for a private one with its own capacity.
 * @throws EddyError from the first call when the runtime lacks WebAssembly SIMD
 */
export const wasmBackend: Backend = {
  name: 'wasm-simd',
  alloc: (length) => sharedBackend().alloc(length),
  release: (x) => sharedBackend().release(x),
  gemmNN: (M, N, K, A, aOff, B, bOff, C, cOff, accumulate) =>
    sharedBackend().gemmNN(M, N, K, A, aOff, B, bOff, C, cOff, accumulate),
  gemmNT: (M, N, K, A, aOff, B, bOff, C, cOff, accumulate) =>
    sharedBackend().gemmNT(M, N, K, A, aOff, B, bOff, C, cOff, accumulate),
  gemmTN: (M, N, K, A, aOff, B, bOff, C, cOff, accumulate) =>
    sharedBackend().gemmTN(M, N, K, A, aOff, B, bOff, C, cOff, accumulate),
  cellForward: (
    kind,
    h,
    hOff,
    c,
    cOff,
    act,
    actOff,
    aux,
    auxOff,
    gx,
    gxOff,
    gh,
    ghOff,
    hPrev,
    hpOff,
    cPrev,
    cpOff,
    bhh,
    bOff,
    B,
    H,
  ) =>
    sharedBackend().cellForward!(
      kind,
      h,
      hOff,
      c,
      cOff,
      act,
      actOff,
      aux,
      auxOff,
      gx,
      gxOff,
      gh,
      ghOff,
      hPrev,
      hpOff,
      cPrev,
      cpOff,
      bhh,
      bOff,
      B,
      H,
    ),
  cellBackward: (
    kind,
    dgx,
    dgxOff,
    dgh,
    dghOff,
    dhPrev,
    dhpOff,
    dcPrev,
    dcpOff,
    dh,
    dhOff,
    dc,
    dcOff,
    act,
    actOff,
    aux,
    auxOff,
    hPrev,
    hpOff,
    cPrev,
    cpOff,
    B,
    H,
  ) =>
    sharedBackend().cellBackward!(
      kind,
      dgx,
      dgxOff,
      dgh,
      dghOff,
      dhPrev,
      dhpOff,
      dcPrev,
      dcpOff,
      dh,
      dhOff,
      dc,
      dcOff,
      act,
      actOff,
      aux,
      auxOff,
      hPrev,
      hpOff,
      cPrev,
      cpOff,
      B,
      H,
    ),
  addBiasRows: (C, cOff, bias, bOff, M, N) => sharedBackend().addBiasRows!(C, cOff, bias, bOff, M, N),
  sumRows: (out, oOff, A, aOff, M, N) => sharedBackend().sumRows!(out, oOff, A, aOff, M, N),
  gatherColumns: (out, oOff, W, wOff, bias, bOff, ids, idOff, M, N, V) =>
    sharedBackend().gatherColumns!(out, oOff, W, wOff, bias, bOff, ids, idOff, M, N, V),
  scatterAddColumns: (W, wOff, A, aOff, ids, idOff, M, N, V) =>
    sharedBackend().scatterAddColumns!(W, wOff, A, aOff, ids, idOff, M, N, V),
};
