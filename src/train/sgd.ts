/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay,
 * following `torch.optim.SGD`.
 */
import { invalidArg } from '../util/errors.ts';
import { checkBool, checkNumber, checkObject } from '../util/validate.ts';
import type { Optimizer, OptimizerState } from './optimizer.ts';
import { checkLr, checkOptionKeys, checkStepArgs, copyInto, readState, snapshotState } from './optimizer.ts';

/** Options for `sgd`. */
export interface SgdOptions {
  /** Learning rate, >= 0 (required, as in PyTorch). */
  lr: number;
  /**
   * Momentum factor, >= 0; 0 turns momentum off (and keeps no buffer).
   * @default 0
   */
  momentum?: number;
  /**
   * Dampening for momentum, in [0, 1]: the new gradient enters the buffer with weight `1 - dampening`.
   * @default 0
   */
  dampening?: number;
  /**
   * Nesterov momentum; needs `momentum > 0` and `dampening = 0`.
   * @default false
   */
  nesterov?: boolean;
  /**
   * L2 penalty, >= 0, added to the gradient: `g + weightDecay * p`.
   * @default 0
   */
  weightDecay?: number;
}

const KEYS = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay'] as const;

/**
 * Creates an SGD optimizer. One `step(params, grads)` does, for every element (PyTorch's formulas):
 * 1. `g = grad + weightDecay * p`
 * 2. with momentum: `buf = g` on the first step, else `buf = momentum * buf + (1 - dampening) * g`;
 *    then `g = g + momentum * buf` (Nesterov) or `g = buf`
 * 3. `p = p - lr * g`
 *
 * @example
 * const opt = sgd({ lr: 0.1, momentum: 0.9 });
 * opt.step(params, grads); // params: [P], grads: [P]
 *
 * @param options see `SgdOptions`; `lr` is required.
 * @returns an optimizer whose state holds `momentumBuffer` `[P]` when momentum is on.
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>` for an invalid or unknown option.
 */
export function sgd(options: SgdOptions): Optimizer {
  const o = checkObject('options', options);
  checkOptionKeys(o, KEYS, 'sgd');
  let lr = checkNumber('options.lr', o.lr, 0);
  const momentum = checkNumber('options.momentum', o.momentum ?? 0, 0);
  const dampening = checkNumber('options.dampening', o.dampening ?? 0, 0, 1);
  const nesterov = checkBool('options.nesterov', o.nesterov ?? false);
  const weightDecay = checkNumber('options.weightDecay', o.weightDecay ?? 0, 0);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw invalidArg('options.nesterov', 'false unless momentum > 0 and dampening = 0', nesterov);
  }
  const bufferNames = momentum !== 0 ? ['momentumBuffer'] : [];

  let t = 0; // updates done
  let buf: Float32Array | null = null; // [P] momentum buffer

  return {
    name: 'sgd',
    get lr() {
      return lr;
    },
    set lr(value: number) {
      lr = checkLr(value);
    },

    step(params: Float32Array, grads: Float32Array): void {
      const n = checkStepArgs(params, grads, buf === null ? -1 : buf.length);
      if (momentum === 0) {
        for (let i = 0; i < n; i++) params[i] = params[i] - lr * (grads[i] + weightDecay * params[i]);
      } else {
        const first = buf === null;
        if (buf === null) buf = new Float32Array(n);
        const b = buf;
        const keep = 1 - dampening;
        for (let i = 0; i < n; i++) {
          const g = grads[i] + weightDecay * params[i];
          b[i] = first ? g : momentum * b[i] + keep * g;
          const d = nesterov ? g + momentum * b[i] : b[i];
          params[i] = params[i] - lr * d;
        }
      }
      t++;
    },

    getState(): OptimizerState {
      return snapshotState('sgd', t, lr, momentum !== 0 ? { momentumBuffer: buf } : {});
    },

    setState(state: OptimizerState): void {
      const s = readState(state, 'sgd', bufferNames);
      if (s.lr !== undefined) lr = s.lr;
      t = s.step;
      buf = s.buffers === null ? null : copyInto(buf, s.buffers.momentumBuffer!);
    },
  };
}
