/**
 * Learning-rate schedules as pure functions of the step: constant, step decay, and cosine decay with a linear
 * warm-up. A schedule holds no state, so resuming from a checkpoint needs only the step count.
 */
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkNumber, checkObject, checkOneOf } from '../util/validate.ts';

/** A constant learning rate. */
export interface ConstantScheduleOptions {
  kind: 'constant';
  /** The learning rate, >= 0. */
  lr: number;
}

/** Step decay, PyTorch's `StepLR`: `lr * gamma^floor(step / stepSize)`. */
export interface StepScheduleOptions {
  kind: 'step';
  /** The initial learning rate, >= 0. */
  lr: number;
  /** Steps between two decays, an integer >= 1. */
  stepSize: number;
  /**
   * Factor applied at each decay, > 0.
   * @default 0.1
   */
  gamma?: number;
}

/** Linear warm-up to `lr`, then a half cosine down to `minLr` at `totalSteps`. */
export interface CosineScheduleOptions {
  kind: 'cosine';
  /** The peak learning rate, >= 0. */
  lr: number;
  /** The step at which the decay reaches `minLr`, an integer >= 1. */
  totalSteps: number;
  /**
   * Warm-up steps, an integer in [0, totalSteps].
   * @default 0
   */
  warmupSteps?: number;
  /**
   * The learning rate at and after `totalSteps`, in [0, lr].
   * @default 0
   */
  minLr?: number;
}

/** Options for `createSchedule`; `kind` picks the schedule. */
export type ScheduleOptions = ConstantScheduleOptions | StepScheduleOptions | CosineScheduleOptions;

/** A learning-rate schedule. */
export interface Schedule {
  readonly kind: 'constant' | 'step' | 'cosine';
  /**
   * The learning rate for an update, a pure function of `step`, the number of updates done before it
   * (0 for the first).
   * @throws EddyError `ERR_INVALID_ARG` when `step` is not an integer >= 0.
   */
  lrAt(step: number): number;
}

/**
 * Creates a learning-rate schedule. With `W = warmupSteps`, `T = totalSteps`, the cosine schedule is:
 * 1. `step < W`: `lr * (step + 1) / W` (the first update already moves; step `W - 1` reaches `lr`)
 * 2. `W <= step < T`: `minLr + (lr - minLr) * (1 + cos(pi * (step - W) / (T - W))) / 2`
 *    (`lr` at `W`, the mean of `lr` and `minLr` half way)
 * 3. `step >= T`: `minLr`
 *
 * @example
 * const sched = createSchedule({ kind: 'cosine', lr: 1e-3, warmupSteps: 100, totalSteps: 10_000 });
 * for (let t = 0; t < 10_000; t++) { opt.lr = sched.lrAt(t); opt.step(params, grads); }
 *
 * @param options see `ConstantScheduleOptions`, `StepScheduleOptions`, `CosineScheduleOptions`.
 * @returns a stateless schedule.
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>` for an invalid option.
 */
export function createSchedule(options: ScheduleOptions): Schedule {
  const o = checkObject('options', options);
  const kind = checkOneOf('options.kind', o.kind, ['constant', 'step', 'cosine'] as const);
  const lr = checkNumber('options.lr', o.lr, 0);
  if (kind === 'constant') {
    return {
      kind,
      lrAt: (step) => {
        checkStep(step);
        return lr;
      },
    };
  }
  if (kind === 'step') {
    const s = o as StepScheduleOptions;
    const stepSize = checkInt('options.stepSize', s.stepSize, 1);
    const gamma = checkNumber('options.gamma', s.gamma ?? 0.1, 0, Infinity, { min: true });
    return { kind, lrAt: (step) => lr * gamma ** Math.floor(checkStep(step) / stepSize) };
  }
  const c = o as CosineScheduleOptions;
  const totalSteps = checkInt('options.totalSteps', c.totalSteps, 1);
  const warmupSteps = checkInt('options.warmupSteps', c.warmupSteps ?? 0, 0);
  if (warmupSteps > totalSteps)
    throw invalidArg('options.warmupSteps', `integer in [0, ${totalSteps}] (at most options.totalSteps)`, warmupSteps);
  const minLr = checkNumber('options.minLr', c.minLr ?? 0, 0, lr);
  return {
    kind,
    lrAt(step: number): number {
      checkStep(step);
      if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
      if (step >= totalSteps) return minLr;
      const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
      return minLr + ((lr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
    },
  };
}

function checkStep(step: number): number {
  return checkInt('step', step, 0);
}
