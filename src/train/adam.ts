/**
 * Adam and AdamW with bias correction, following `torch.optim.Adam` (L2 weight decay added to the gradient)
 * and `torch.optim.AdamW` (decoupled weight decay applied to the parameters). One shared core; the two
 * public functions differ only in where the weight decay goes and its default.
 */
import type { Backend } from '../tensor/backend.ts';
import { invalidArg } from '../util/errors.ts';
import { checkNumber, checkObject } from '../util/validate.ts';
import type { Optimizer, OptimizerState } from './optimizer.ts';
import { checkLr, checkOptionKeys, checkStepArgs, copyInto, readState, snapshotState } from './optimizer.ts';

/** Options for `adam` and `adamw`. */
export interface AdamOptions {
  /**
   * Learning rate, >= 0.
   * @default 1e-3
   */
  lr?: number;
  /**
   * Decay rate of the first moment (mean of gradients), in [0, 1).
   * @default 0.9
   */
  beta1?: number;
  /**
   * Decay rate of the second moment (mean of squared gradients), in [0, 1).
   * @default 0.999
   */
  beta2?: number;
  /**
   * Added to the denominator for numerical stability, >= 0.
   * @default 1e-8
   */
  eps?: number;
  /**
   * Weight decay, >= 0. Adam adds `weightDecay * p` to the gradient (L2); AdamW multiplies the parameters by
   * `1 - lr * weightDecay` before the update (decoupled).
   * @default 0 for adam, 0.01 for adamw
   */
  weightDecay?: number;
  /**
   * Kernels for the update where they have one (`Backend.adamUpdate`: the native backend, float32 arithmetic
   * within rounding of the TypeScript loop); the Trainer passes its model's.
   * @default undefined (the TypeScript loop)
   */
  backend?: Backend;
}

const KEYS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'backend'] as const;
const BUFFERS = ['m', 'v'] as const;

/**
 * Creates an Adam optimizer. One `step(params, grads)` does, with `t` the 1-based step (PyTorch's formulas):
 * 1. `g = grad + weightDecay * p`
 * 2. `m = beta1 * m + (1 - beta1) * g`, `v = beta2 * v + (1 - beta2) * g * g`
 * 3. `p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`
 *
 * @example
 * const opt = adam({ lr: 1e-3 });
 * opt.step(params, grads); // params: [P], grads: [P]
 *
 * @param options see `AdamOptions`.
 * @returns an optimizer whose state holds the moments `m` and `v`, each `[P]`.
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>` for an invalid or unknown option.
 */
export function adam(options: AdamOptions = {}): Optimizer {
  return adamCore('adam', options, false);
}

/**
 * Creates an AdamW optimizer: Adam with decoupled weight decay. One step first does
 * `p = p * (1 - lr * weightDecay)`, then Adam's steps 2 and 3 with `g = grad` (no L2 term).
 *
 * @example
 * const opt = adamw({ lr: 3e-4, weightDecay: 0.1 });
 * opt.step(params, grads); // params: [P], grads: [P]
 *
 * @param options see `AdamOptions`; `weightDecay` defaults to 0.01.
 * @returns an optimizer whose state holds the moments `m` and `v`, each `[P]`.
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>` for an invalid or unknown option.
 */
export function adamw(options: AdamOptions = {}): Optimizer {
  return adamCore('adamw', options, true);
}

function adamCore(name: 'adam' | 'adamw', options: AdamOptions, decoupled: boolean): Optimizer {
  const o = checkObject('options', options);
  checkOptionKeys(o, KEYS, name);
  let lr = checkNumber('options.lr', o.lr ?? 1e-3, 0);
  const beta1 = checkNumber('options.beta1', o.beta1 ?? 0.9, 0, 1, { max: true });
  const beta2 = checkNumber('options.beta2', o.beta2 ?? 0.999, 0, 1, { max: true });
  const eps = checkNumber('options.eps', o.eps ?? 1e-8, 0);
  const weightDecay = checkNumber('options.weightDecay', o.weightDecay ?? (decoupled ? 0.01 : 0), 0);
  const l2 = decoupled ? 0 : weightDecay;
  const be: unknown = o.backend;
  if (be !== undefined && (be === null || typeof be !== 'object' || typeof (be as Backend).gemmNN !== 'function'))
    throw invalidArg('options.backend', 'a Backend (or undefined)', be);
  const kernel = (be as Backend | undefined)?.adamUpdate?.bind(be) ?? null;
  const coefs = new Float64Array(9);

  let t = 0; // updates done
  let m: Float32Array | null = null; // [P] first moment
  let v: Float32Array | null = null; // [P] second moment

  return {
    name,
    get lr() {
      return lr;
    },
    set lr(value: number) {
      lr = checkLr(value);
    },

    step(params: Float32Array, grads: Float32Array): void {
      const n = checkStepArgs(params, grads, m === null ? -1 : m.length);
      if (m === null || v === null) {
        m = new Float32Array(n);
        v = new Float32Array(n);
      }
      const mb = m;
      const vb = v;
      t++;
      const stepSize = lr / (1 - beta1 ** t);
      const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
      const decay = decoupled ? 1 - lr * weightDecay : 1;
      const c1 = 1 - beta1;
      const c2 = 1 - beta2;
      if (kernel && params instanceof Float32Array && grads instanceof Float32Array) {
        coefs.set([beta1, beta2, c1, c2, stepSize, bc2Sqrt, eps, decay, l2]);
        kernel(params, grads, mb, vb, coefs);
        return;
      }
      for (let i = 0; i < n; i++) {
        const g = grads[i] + l2 * params[i];
        mb[i] = beta1 * mb[i] + c1 * g;
        vb[i] = beta2 * vb[i] + c2 * g * g;
        // Read back the stored float32 moments, as PyTorch does, so the update uses what a checkpoint holds.
        const denom = Math.sqrt(vb[i]) / bc2Sqrt + eps;
        params[i] = params[i] * decay - (stepSize * mb[i]) / denom;
      }
    },

    getState(): OptimizerState {
      return snapshotState(name, t, lr, { m, v });
    },

    setState(state: OptimizerState): void {
      const s = readState(state, name, BUFFERS);
      if (s.lr !== undefined) lr = s.lr;
      t = s.step;
      if (s.buffers === null) {
        m = null;
        v = null;
      } else {
        m = copyInto(m, s.buffers.m!);
        v = copyInto(v, s.buffers.v!);
      }
    },
  };
}
