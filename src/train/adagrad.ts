/**
 * Adagrad: per-parameter learning rates scaled by the running sum of squared gradients, following
 * `torch.optim.Adagrad` (without `lr_decay`; use a schedule for that).
 */
import { checkNumber, checkObject } from '../util/validate.ts';
import type { Optimizer, OptimizerState } from './optimizer.ts';
import { checkLr, checkOptionKeys, checkStepArgs, copyInto, readState, snapshotState } from './optimizer.ts';

/** Options for `adagrad`. */
export interface AdagradOptions {
  /**
   * Learning rate, >= 0.
   * @default 1e-2
   */
  lr?: number;
  /**
   * Added to the denominator for numerical stability, >= 0.
   * @default 1e-10
   */
  eps?: number;
  /**
   * L2 penalty, >= 0, added to the gradient: `g + weightDecay * p`.
   * @default 0
   */
  weightDecay?: number;
  /**
   * Starting value of every element of the squared-gradient sum, >= 0.
   * @default 0
   */
  initialAccumulator?: number;
}

const KEYS = ['lr', 'eps', 'weightDecay', 'initialAccumulator'] as const;
const BUFFERS = ['sum'] as const;

/**
 * Creates an Adagrad optimizer. One `step(params, grads)` does, for every element (PyTorch's formulas):
 * 1. `g = grad + weightDecay * p`
 * 2. `sum = sum + g * g` (`sum` starts at `initialAccumulator`)
 * 3. `p = p - lr * g / (sqrt(sum) + eps)`
 *
 * @example
 * const opt = adagrad({ lr: 0.05 });
 * opt.step(params, grads); // params: [P], grads: [P]
 *
 * @param options see `AdagradOptions`.
 * @returns an optimizer whose state holds the squared-gradient sum `sum` `[P]`.
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>` for an invalid or unknown option.
 */
export function adagrad(options: AdagradOptions = {}): Optimizer {
  const o = checkObject('options', options);
  checkOptionKeys(o, KEYS, 'adagrad');
  let lr = checkNumber('options.lr', o.lr ?? 1e-2, 0);
  const eps = checkNumber('options.eps', o.eps ?? 1e-10, 0);
  const weightDecay = checkNumber('options.weightDecay', o.weightDecay ?? 0, 0);
  const initialAccumulator = checkNumber('options.initialAccumulator', o.initialAccumulator ?? 0, 0);

  let t = 0; // updates done
  let sum: Float32Array | null = null; // [P] running sum of squared gradients

  return {
    name: 'adagrad',
    get lr() {
      return lr;
    },
    set lr(value: number) {
      lr = checkLr(value);
    },

    step(params: Float32Array, grads: Float32Array): void {
      const n = checkStepArgs(params, grads, sum === null ? -1 : sum.length);
      if (sum === null) sum = new Float32Array(n).fill(initialAccumulator);
      const s = sum;
      for (let i = 0; i < n; i++) {
        const g = grads[i] + weightDecay * params[i];
        s[i] = s[i] + g * g;
        params[i] = params[i] - (lr * g) / (Math.sqrt(s[i]) + eps);
      }
      t++;
    },

    getState(): OptimizerState {
      return snapshotState('adagrad', t, lr, { sum });
    },

    setState(state: OptimizerState): void {
      const s = readState(state, 'adagrad', BUFFERS);
      if (s.lr !== undefined) lr = s.lr;
      t = s.step;
      sum = s.buffers === null ? null : copyInto(sum, s.buffers.sum!);
    },
  };
}
