/**
 * The one timing loop every JavaScript implementation goes through: warm-up steps, then timed steps until the
 * wanted count or the time budget is reached (never fewer than `minSteps`), median of the per-step times.
 */
import type { Budget } from './workloads.ts';

/** What one case measured. */
export interface Timing {
  /** Median seconds per step. */
  readonly median: number;
  /** Timed steps. */
  readonly n: number;
  /** Warm-up steps run before them. */
  readonly warmup: number;
  /** True if the budget allowed fewer warm-up or timed steps than wanted. */
  readonly cut: boolean;
  /** 99th percentile of the per-step seconds (keyed workloads: latency of a tick). */
  readonly p99?: number;
}

/**
 * Times `step(i)` (i counts from 0 through warm-up and timed steps, to cycle through data):
 * 1. warm-up: at least one step, up to `budget.warmup` while warm-up stays within a third of `budget.seconds`;
 * 2. timed steps until `budget.steps`, or until the next step (estimated by the mean so far) would end past the
 *    budget, but never fewer than `budget.minSteps`;
 * 3. the median of the per-step times.
 * @param onProgress called about once a second with the timed steps done so far
 */
export function timeSteps(
  step: (i: number) => void,
  budget: Budget,
  onProgress?: (done: number, wanted: number) => void,
): Timing {
  const start = performance.now();
  const deadline = start + budget.seconds * 1000;
  let i = 0;
  let last = 0;
  do {
    const t0 = performance.now();
    step(i++);
    last = performance.now() - t0;
  } while (i < budget.warmup && performance.now() + last - start <= (budget.seconds * 1000) / 3);
  const warmup = i;
  const samples: number[] = [];
  let lastReport = performance.now();
  let sum = 0; // ms, for the estimate of the next step (a mean: cheap, and outside the timed region)
  while (samples.length < budget.steps) {
    if (samples.length >= budget.minSteps && performance.now() + sum / samples.length > deadline) break;
    const t0 = performance.now();
    step(i++);
    const t1 = performance.now();
    sum += t1 - t0;
    samples.push((t1 - t0) / 1000);
    if (onProgress && t1 - lastReport > 2000) {
      onProgress(samples.length, budget.steps);
      lastReport = t1;
    }
  }
  return {
    median: median(samples),
    n: samples.length,
    warmup,
    cut: samples.length < budget.steps || warmup < budget.warmup,
  };
}

/**
 * `timeSteps` for a step that completes asynchronously (a tick of the keyed workload: its outputs arrive after
 * the operator's micro-batch flush); also returns the 99th percentile of the per-step times.
 */
export async function timeStepsAsync(
  step: (i: number) => Promise<void>,
  budget: Budget,
  onProgress?: (done: number, wanted: number) => void,
): Promise<Timing> {
  const start = performance.now();
  const deadline = start + budget.seconds * 1000;
  let i = 0;
  let last = 0;
  do {
    const t0 = performance.now();
    await step(i++);
    last = performance.now() - t0;
  } while (i < budget.warmup && performance.now() + last - start <= (budget.seconds * 1000) / 3);
  const warmup = i;
  const samples: number[] = [];
  let lastReport = performance.now();
  let sum = 0;
  while (samples.length < budget.steps) {
    if (samples.length >= budget.minSteps && performance.now() + sum / samples.length > deadline) break;
    const t0 = performance.now();
    await step(i++);
    const t1 = performance.now();
    sum += t1 - t0;
    samples.push((t1 - t0) / 1000);
    if (onProgress && t1 - lastReport > 2000) {
      onProgress(samples.length, budget.steps);
      lastReport = t1;
    }
  }
  return {
    median: median(samples),
    p99: percentile(samples, 0.99),
    n: samples.length,
    warmup,
    cut: samples.length < budget.steps || warmup < budget.warmup,
  };
}

/** The q-quantile of a non-empty list (nearest rank: the smallest sample with at least q of them at or below it). */
export function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Largest absolute difference of two equally long arrays (Infinity if the lengths differ or a NaN appears). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return Infinity; // a NaN never passes a tolerance
    if (d > m) m = d;
  }
  return m;
}
