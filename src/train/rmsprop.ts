/**
 * RMSProp: gradients divided by a running root-mean-square, optionally centered and with momentum,
 * following `torch.optim.RMSprop`.
 */
import { checkBool, checkNumber, checkObject } from '../util/validate.ts';
import type { Optimizer, OptimizerState } from './optimizer.ts';
import { checkLr, checkOptionKeys, checkStepArgs, copyInto, readState, snapshotState } from './optimizer.ts';

/** Options for `rmsprop`. */
export interface RmspropOptions {
  /**
   * Learning rate, >= 0.
   * @default 1e-2
   */
  lr?: number;
  /**
   * Smoothing constant of the running mean of squared gradients, in [0, 1].
   * @default 0.99
   */
  alpha?: number;
  /**
   * Added to the denominator for numerical stability, >= 0.
   * @default 1e-8
   */
  eps?: number;
  /**
   * Momentum factor, >= 0; 0 turns momentum off (and keeps no buffer).
   * @default 0
   */
  momentum?: number;
  /**
   * Centered RMSProp: normalize by an estimate of the variance (mean square minus squared mean).
   * @default false
   */
  centered?: boolean;
  /**
   * L2 penalty, >= 0, added to the gradient: `g + weightDecay * p`.
   * @default 0
   */
  weightDecay?: number;
}

const KEYS = ['lr', 'alpha', 'eps', 'momentum', 'centered', 'weightDecay'] as const;

/**
 * Creates an RMSProp optimizer. One `step(params, grads)` does, for every element (PyTorch's formulas):
 * 1. `g = grad + weightDecay * p`
 * 2. `sq = alpha * sq + (1 - alpha) * g * g`
 * 3. `avg = sqrt(sq) + eps`, or when centered `ga = alpha * ga + (1 - alpha) * g` and
 *    `avg = sqrt(sq - ga * ga) + eps` (a difference that rounding makes negative counts as 0, where
 *    PyTorch would produce NaN)
 * 4. with momentum: `buf = momentum * buf + g / avg`, `p = p - lr * buf`; else `p = p - lr * g / avg`
 *
 * @example
 * const opt = rmsprop({ lr: 1e-3, centered: true });
 * opt.step(params, grads); // params: [P], grads: [P]
 *
 * @param options see `RmspropOptions`.
 * @returns an optimizer whose state holds `squareAvg` `[P]`, plus `momentumBuffer` `[P]` with momentum and
 *   `gradAvg` `[P]` when centered.
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>` for an invalid or unknown option.
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  const o = checkObject('options', options);
  checkOptionKeys(o, KEYS, 'rmsprop');
  let lr = checkNumber('options.lr', o.lr ?? 1e-2, 0);
  const alpha = checkNumber('options.alpha', o.alpha ?? 0.99, 0, 1);
  const eps = checkNumber('options.eps', o.eps ?? 1e-8, 0);
  const momentum = checkNumber('options.momentum', o.momentum ?? 0, 0);
  const centered = checkBool('options.centered', o.centered ?? false);
  const weightDecay = checkNumber('options.weightDecay', o.weightDecay ?? 0, 0);
  const bufferNames = ['squareAvg'];
  if (momentum > 0) bufferNames.push('momentumBuffer');
  if (centered) bufferNames.push('gradAvg');

  let t = 0; // updates done
  let sq: Float32Array | null = null; // [P] running mean of squared gradients
  let mom: Float32Array | null = null; // [P] momentum buffer (momentum > 0 only)
  let ga: Float32Array | null = null; // [P] running mean of gradients (centered only)

  return {
    name: 'rmsprop',
    get lr() {
      return lr;
    },
    set lr(value: number) {
      lr = checkLr(value);
    },

    step(params: Float32Array, grads: Float32Array): void {
      const n = checkStepArgs(params, grads, sq === null ? -1 : sq.length);
      if (sq === null) {
        sq = new Float32Array(n);
        if (momentum > 0) mom = new Float32Array(n);
        if (centered) ga = new Float32Array(n);
      }
      const s = sq;
      const gAvg = ga;
      const buf = mom;
      const c = 1 - alpha;
      for (let i = 0; i < n; i++) {
        const g = grads[i] + weightDecay * params[i];
        s[i] = alpha * s[i] + c * g * g;
        let avg: number;
        if (gAvg !== null) {
          gAvg[i] = alpha * gAvg[i] + c * g;
          avg = Math.sqrt(Math.max(0, s[i] - gAvg[i] * gAvg[i])) + eps;
        } else {
          avg = Math.sqrt(s[i]) + eps;
        }
        if (buf !== null) {
          buf[i] = momentum * buf[i] + g / avg;
          params[i] = params[i] - lr * buf[i];
        } else {
          params[i] = params[i] - (lr * g) / avg;
        }
      }
      t++;
    },

    getState(): OptimizerState {
      const buffers: Record<string, Float32Array | null> = { squareAvg: sq };
      if (momentum > 0) buffers.momentumBuffer = mom;
      if (centered) buffers.gradAvg = ga;
      return snapshotState('rmsprop', t, lr, buffers);
    },

    setState(state: OptimizerState): void {
      const s = readState(state, 'rmsprop', bufferNames);
      if (s.lr !== undefined) lr = s.lr;
      t = s.step;
      if (s.buffers === null) {
        sq = mom = ga = null;
      } else {
        sq = copyInto(sq, s.buffers.squareAvg!);
        if (momentum > 0) mom = copyInto(mom, s.buffers.momentumBuffer!);
        if (centered) ga = copyInto(ga, s.buffers.gradAvg!);
      }
    },
  };
}
