/**
 * What the implementations hand back: one `CaseResult` per (workload, implementation), and the `Golden` values
 * (eddy's weights and outputs) that every peer must reproduce before it is timed.
 */
import type { MetricKind, Spec, WorkloadId } from './workloads.ts';
import type { Timing } from './timing.ts';

/** One row of the table. */
export interface CaseResult {
  readonly workload: WorkloadId;
  /** `eddy-js`, `eddy-wasm-simd`, `tfjs-cpu`, `tfjs-wasm`, `torch`. */
  readonly impl: string;
  readonly family: 'eddy' | 'peer';
  readonly metric: MetricKind;
  /** The metric (chars/s, frames/s, or µs per step); NaN when the case did not run. */
  readonly value: number;
  /** Median seconds per step (the metric is derived from it). */
  readonly secondsPerStep: number;
  /** Keyed workloads: 99th percentile of the seconds per tick. */
  readonly p99?: number;
  /** eddy rows: fractions of the run's FLOP limit and weight-streaming limit (NaN where they do not apply). */
  readonly roofline?: { readonly flop: number; readonly weights: number };
  /** Timed steps. */
  readonly n: number;
  /** Warm-up steps before them. */
  readonly warmup: number;
  /** True when the time budget allowed fewer (warm-up or timed) steps than wanted. */
  readonly cut: boolean;
  /** Largest difference from eddy on the reference kernels, e.g. `ref 2.1e-7`; `FAIL ...` if it disagreed. */
  readonly check: string;
  /** Why a case was skipped or anything unusual. */
  readonly note?: string;
}

/** eddy's weights by PyTorch state_dict name (without the `rnn.` prefix), for the peers to load. */
export interface NamedParam {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Golden values a peer reproduces from the same weights and inputs. */
export interface Golden {
  readonly params: Readonly<Record<string, NamedParam>>;
  /** Training: mean loss of window 0 from a zero state, the gradient norm before clipping, the loss of window 1 after one update. */
  readonly loss0?: number;
  readonly gradNorm0?: number;
  readonly loss1?: number;
  /**
   * Streaming: softmax outputs of the first `CHECK_STEPS` steps, `[steps, Y]`; keyed: of the first `CHECK_KEYS`
   * keys over the first `CHECK_TICKS` ticks, `[ticks, keys, Y]`.
   */
  readonly probs?: Float32Array;
}

/** Peer tolerances: outputs and losses agree to 1e-4 absolute, the gradient norm to 1e-3 relative. */
export const TOL = { abs: 1e-4, gradNormRel: 1e-3, loss1: 1e-3 } as const;

/** Turns a median step time into the workload's metric. */
export function metricValue(spec: Spec, t: Timing): number {
  if (spec.kind === 'train') return (spec.B * spec.T) / t.median;
  if (spec.kind === 'keyed') return spec.keys / t.median;
  return spec.metric === 'frames/s' ? 1 / t.median : t.median * 1e6;
}

/** Compares a peer's training check values with eddy's. @returns `ref <diff>` or `FAIL ...` */
export function compareTrain(g: Golden, loss0: number, gradNorm0: number, loss1: number): string {
  const d0 = Math.abs(loss0 - g.loss0!);
  const dn = Math.abs(gradNorm0 - g.gradNorm0!) / Math.max(1e-12, Math.abs(g.gradNorm0!));
  const d1 = Math.abs(loss1 - g.loss1!);
  if (!(d0 < TOL.abs) || !(dn < TOL.gradNormRel) || !(d1 < TOL.loss1)) {
    return `FAIL loss0 ${fmtE(d0)} gnorm ${fmtE(dn)} rel loss1 ${fmtE(d1)}`;
  }
  return `ref ${fmtE(Math.max(d0, d1))}`;
}

/** Compares a peer's streaming probabilities with eddy's. */
export function compareProbs(
  g: Golden,
  probs: Float32Array,
  diff: (a: Float32Array, b: Float32Array) => number,
): string {
  const d = diff(probs, g.probs!);
  return d < TOL.abs ? `ref ${fmtE(d)}` : `FAIL probs ${fmtE(d)}`;
}

/** `1.2e-7`. */
export function fmtE(x: number): string {
  return Number.isFinite(x) ? x.toExponential(1) : String(x);
}
