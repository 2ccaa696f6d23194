/**
 * The roofline of the bench (issue 17): the machine's limits measured in the same run, and each eddy row as a
 * fraction of them.
 *
 * 1. FLOP limit: the best of a few large square products (`gemmNN`, 1024³, 2.1 GFLOP) on the fastest eddy backend
 *    (native where built, on its threads).
 * 2. Weight-streaming limit: the rate at which the addon's probe reads (sums) a buffer as large as a workload's
 *    weights, on the same threads as the kernels (each its half: a step's weight reads, where they fit in L2, come
 *    from both cores' L2; larger ones from L3 or memory). Without the addon this column is empty.
 * 3. Per row: the FLOP fraction is the row's FLOP/s over the limit; the weight fraction is the time the step's
 *    weight reads need at that rate over the step's time. Training (W1) and the keyed ticks (W4) are bound by
 *    FLOPs, single-row streaming (W2, W3) by weight reads.
 */
import { nativeReadBandwidth, type Backend } from '../../src/index.ts';
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

/** Measures the limits on `backend` (the fastest eddy backend) for the workloads' weight sizes. */
export function measureRoofline(backend: Backend, specs: readonly Spec[]): Roofline {
  const n = 1024;
  const A = backend.alloc(n * n),
    B = backend.alloc(n * n),
    C = backend.alloc(n * n);
  for (let i = 0; i < A.length; i++) {
    A[i] = ((i * 7) % 13) / 13 - 0.5;
    B[i] = ((i * 5) % 11) / 11 - 0.5;
  }
  let best = Infinity;
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    backend.gemmNN(n, n, n, A, 0, B, 0, C, 0, false);
    const t = (performance.now() - t0) / 1000;
    if (r > 0) best = Math.min(best, t); // the first warms the caches and the helper thread
  }
  const peakFlops = (2 * n * n * n) / best;
  const notes = [
    `roofline: FLOP limit ${(peakFlops / 1e9).toFixed(1)} GFLOP/s (${backend.name}, ${n}x${n}x${n} gemmNN, best of 3 in this run)`,
  ];
  const bandwidth = new Map<number, number>();
  if (backend.name.startsWith('native') && nativeReadBandwidth(4096, 1) !== undefined) {
    const sizes = [...new Set(specs.filter((s) => s.kind === 'stream').map((s) => workOf(s).weightBytes))];
    const parts: string[] = [];
    for (const bytes of sizes.sort((a, b) => a - b)) {
      const reps = Math.max(2, Math.round(64e6 / bytes)); // about 64 MB read a measurement
      let rate = 0;
      for (let r = 0; r < 3; r++) rate = Math.max(rate, nativeReadBandwidth(Math.max(4096, bytes), reps) ?? 0);
      bandwidth.set(bytes, rate);
      parts.push(`${(bytes / 2 ** 20).toFixed(2)} MiB at ${(rate / 1e9).toFixed(0)} GB/s`);
    }
    notes.push(
      `roofline: weight reads (the addon's probe on its threads, best of 3): ${parts.join(', ')}; FLOP % = FLOP/s over the limit, weights % = the step's weight reads at that rate over its time`,
    );
  } else notes.push('roofline: no weight-read probe without the native addon (weights % left empty)');
  return { peakFlops, bandwidth, notes };
}

/** A row's fractions of the limits (NaN where they do not apply or were not measured). */
export function rooflineOf(row: CaseResult, spec: Spec, roof: Roofline): { flop: number; weights: number } {
  if (!Number.isFinite(row.secondsPerStep)) return { flop: NaN, weights: NaN };
  const { flops, weightBytes } = workOf(spec);
  const flop = flops / row.secondsPerStep / roof.peakFlops;
  const rate = roof.bandwidth.get(weightBytes);
  // training and keyed ticks read each weight once per batch of many rows: bound by FLOPs, not weight reads
  const weights = spec.kind !== 'stream' || rate === undefined ? NaN : weightBytes / rate / row.secondsPerStep;
  return { flop, weights };
}
