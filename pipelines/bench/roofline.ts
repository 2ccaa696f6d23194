/**
 * The roofline of the bench (issue 17): the machine's limits measured in the same run, and each eddy row as a
 * fraction of them.
 *
 * 1. FLOP limit: the best of a few large square products (`gemmNN`, 1024³, 2.1 GFLOP) on the fastest eddy backend
 *    (native where built, on its threads), timed by the CPU time over the threads (or the wall time where shorter):
 *    on a machine shared with other work, wall time would measure the others too and give fractions above 100%.
 * 2. Weight-streaming limit: the rate at which the addon's probe reads (sums) a buffer as large as a workload's
 *    weights, on the same threads as the kernels (each its half: a step's weight reads, where they fit in L2, come
 *    from both cores' L2; larger ones from L3 or memory). Without the addon this column is empty.
 * 3. Per row: the FLOP fraction is the row's FLOP/s over the limit; the weight fraction is the time the step's
 *    weight reads need at that rate over the step's time. Training (W1) and the keyed ticks (W4) are bound by
 *    FLOPs, single-row streaming (W2, W3) by weight reads.
 */
import { nativeInfo, nativeReadBandwidth, type Backend } from '../../src/index.ts';

/** CPU seconds this process has used (all its threads). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
import type { CaseResult } from './results.ts';
import type { Spec } from './workloads.ts';

/** The limits measured in this run. */
export interface Roofline {
  /** FLOP/s of the best large product. */
  readonly peakFlops: number;
  /** Bytes per second read from a buffer of each size (bytes -> rate); empty without the addon. */
  readonly bandwidth: ReadonlyMap<number, number>;
  /** Footer lines: how they were measured. */
  readonly notes: string[];
}

/** Work of one timed step of a workload: floating-point operations, and bytes of weights read. */
export function workOf(spec: Spec): { flops: number; weightBytes: number } {
  if (spec.kind === 'train') {
    // forward: recurrent product and head; backward: dh and dW_hh, head dX and dW (one-hot input: a gather, no FLOPs)
    const { T, B, H, V } = spec;
    const macs = 3 * T * B * 4 * H * H + 3 * T * B * V * H;
    return { flops: 2 * macs, weightBytes: 4 * (4 * H * H + V * H + 4 * H * V) };
  }
  const G = spec.cell === 'lstm' ? 4 : spec.cell === 'gru' ? 3 : 1;
  const { H, X, Y } = spec;
  const inMacs = spec.input === 'dense' ? G * H * X : 0; // one-hot: one column of W_ih gathered
  const stepMacs = G * H * H + Y * H + inMacs;
  const weightBytes = 4 * (G * H * H + Y * H + (spec.input === 'dense' ? G * H * X : G * H) + 2 * G * H + Y);
  if (spec.kind === 'keyed') return { flops: 2 * stepMacs * spec.keys, weightBytes };
  return { flops: 2 * stepMacs, weightBytes };
}

/**
 * Measures the limits on `backend` (the fastest eddy backend) for the workloads' weight sizes. `sample()` runs
 * once before the workloads and again after each workload's eddy rows: on a shared machine one measurement can
 * land on a busy moment, so the limits are the best seen over the run.
 */
export class RooflineProbe {
  readonly #backend: Backend;
  readonly #n = 1024;
  readonly #a: Float32Array;
  readonly #b: Float32Array;
  readonly #c: Float32Array;
  readonly #sizes: number[];
  readonly #native: boolean;
  #bestProduct = Infinity;
  readonly #bandwidth = new Map<number, number>();
  #samples = 0;
  /** Threads the backend computes large products on (the native addon's, else 1 or 2 for wasm-simd-2t). */
  readonly #threads: number;

  constructor(backend: Backend, specs: readonly Spec[]) {
    this.#backend = backend;
    const n = this.#n;
    this.#a = backend.alloc(n * n);
    this.#b = backend.alloc(n * n);
    this.#c = backend.alloc(n * n);
    for (let i = 0; i < n * n; i++) {
      this.#a[i] = ((i * 7) % 13) / 13 - 0.5;
      this.#b[i] = ((i * 5) % 11) / 11 - 0.5;
    }
    this.#sizes = [...new Set(specs.filter((s) => s.kind === 'stream').map((s) => workOf(s).weightBytes))];
    this.#native = backend.name.startsWith('native') && nativeReadBandwidth(4096, 1) !== undefined;
    this.#threads = this.#native ? (nativeInfo()?.threads ?? 1) : backend.name.endsWith('-2t') ? 2 : 1;
  }

  /** One more measurement of each limit (about 0.1 s unloaded): two 1024³ products, three reads of each size. */
  sample(): void {
    const n = this.#n;
    for (let r = 0; r < 3; r++) {
      const c0 = cpuSeconds();
      const t0 = performance.now();
      this.#backend.gemmNN(n, n, n, this.#a, 0, this.#b, 0, this.#c, 0, false);
      const wall = (performance.now() - t0) / 1000;
      // CPU time over the threads that ran: the machine's rate when it is not shared (wall time on a loaded
      // machine measures the other users too); the wall time where it is shorter (a descheduled helper)
      const t = Math.min(wall, (cpuSeconds() - c0) / this.#threads);
      if (r > 0 || this.#samples > 0) this.#bestProduct = Math.min(this.#bestProduct, t); // the first run warms up
    }
    if (this.#native)
      for (const bytes of this.#sizes) {
        const reps = Math.max(2, Math.round(64e6 / bytes)); // about 64 MB read a measurement
        for (let r = 0; r < 3; r++) {
          const c0 = cpuSeconds();
          const wallRate = nativeReadBandwidth(Math.max(4096, bytes), reps) ?? 0;
          const cpu = (cpuSeconds() - c0) / this.#threads;
          const rate = Math.max(wallRate, cpu > 0 ? (Math.max(4096, bytes) * reps) / cpu : 0);
          this.#bandwidth.set(bytes, Math.max(this.#bandwidth.get(bytes) ?? 0, rate));
        }
      }
    this.#samples++;
  }

  /** The best limits so far, with footer lines saying how they were measured. */
  limits(): Roofline {
    const n = this.#n;
    const peakFlops = (2 * n * n * n) / this.#bestProduct;
    const notes = [
      `roofline: FLOP limit ${(peakFlops / 1e9).toFixed(1)} GFLOP/s (${this.#backend.name}, ${n}x${n}x${n} gemmNN, best of ${2 * this.#samples} spread over the run, CPU time over ${this.#threads} thread(s))`,
    ];
    if (this.#native) {
      const parts = [...this.#bandwidth]
        .sort((a, b) => a[0] - b[0])
        .map(([bytes, rate]) => `${(bytes / 2 ** 20).toFixed(2)} MiB at ${(rate / 1e9).toFixed(0)} GB/s`);
      notes.push(
        `roofline: weight reads (nativeReadBandwidth on the addon's threads, best of ${3 * this.#samples}): ${parts.join(', ')}; FLOP % = FLOP/s over the limit, weights % = the step's weight reads at that rate over its time`,
      );
    } else notes.push('roofline: no weight-read probe without the native addon (weights % left empty)');
    return { peakFlops, bandwidth: new Map(this.#bandwidth), notes };
  }
}

/** A row's fractions of the limits (NaN where they do not apply or were not measured). */
export function rooflineOf(row: CaseResult, spec: Spec, roof: Roofline): { flop: number; weights: number } {
  if (!Number.isFinite(row.secondsPerStep)) return { flop: NaN, weights: NaN };
  const { flops, weightBytes } = workOf(spec);
  const flop = flops / row.secondsPerStep / roof.peakFlops;
  const rate = roof.bandwidth.get(weightBytes);
  // training and keyed ticks read each weight once per batch of many rows: bound by FLOPs, not weight reads
  // (packed bf16 rows read half the bytes, at a rate not probed: no weight-read fraction)
  const weights =
    spec.kind !== 'stream' || rate === undefined || row.impl.endsWith('-bf16')
      ? NaN
      : weightBytes / rate / row.secondsPerStep;
  return { flop, weights };
}
