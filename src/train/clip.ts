/**
 * Gradient clipping over one flat gradient buffer: by global norm (`torch.nn.utils.clip_grad_norm_`) and by
 * value (`torch.nn.utils.clip_grad_value_`). Both work in place and allocate nothing.
 */
import { describe, shapeError } from '../util/errors.ts';
import { checkNumber, checkObject } from '../util/validate.ts';

/** Options for `clipGradNorm`. */
export interface ClipGradNormOptions {
  /**
   * Order of the norm: any number > 0, or `Infinity` for the largest absolute value.
   * @default 2
   */
  normType?: number;
}

/**
 * Scales the gradients down so their global norm is at most `maxNorm`, PyTorch's `clip_grad_norm_`:
 * 1. `norm = (sum |g|^p)^(1/p)` over the whole buffer (`max |g|` for `p = Infinity`), summed in float64
 * 2. `coef = maxNorm / (norm + 1e-6)`; when `coef < 1`, every `g = g * coef`
 *
 * A NaN or infinite gradient makes the norm non-finite; as in PyTorch (with `error_if_nonfinite=false`) the
 * gradients are then scaled by the NaN or 0 coefficient: check them with `checkFinite` before clipping.
 *
 * @example
 * const norm = clipGradNorm(grads, 1.0); // grads: [P], clipped in place; norm is the norm before clipping
 *
 * @param grads the flat gradient buffer `[P]`, modified in place.
 * @param maxNorm the largest norm allowed, a finite number > 0.
 * @param options see `ClipGradNormOptions`.
 * @returns the norm of `grads` before clipping.
 * @throws EddyError `ERR_SHAPE` when `grads` is not a Float32Array; `ERR_INVALID_ARG` naming `maxNorm` or
 *   `options.normType`.
 */
export function clipGradNorm(grads: Float32Array, maxNorm: number, options: ClipGradNormOptions = {}): number {
  checkGrads(grads);
  checkNumber('maxNorm', maxNorm, 0, Infinity, { min: true });
  const o = checkObject('options', options);
  const p = o.normType ?? 2;
  if (p !== Infinity) checkNumber('options.normType', p, 0, Infinity, { min: true });
  const n = grads.length;
  let norm = 0;
  if (p === Infinity) {
    for (let i = 0; i < n; i++) {
      const a = Math.abs(grads[i]);
      if (a > norm) norm = a;
      else if (Number.isNaN(a)) {
        norm = NaN; // a NaN gradient gives a NaN norm, as in PyTorch
        break;
      }
    }
  } else if (p === 2) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += grads[i] * grads[i];
    norm = Math.sqrt(sum);
  } else if (p === 1) {
    for (let i = 0; i < n; i++) norm += Math.abs(grads[i]);
  } else {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.abs(grads[i]) ** p;
    norm = sum ** (1 / p);
  }
  const coef = maxNorm / (norm + 1e-6);
  // PyTorch multiplies by min(coef, 1); skipping the multiply by 1 changes nothing. NaN fails `coef >= 1`.
  if (!(coef >= 1)) for (let i = 0; i < n; i++) grads[i] *= coef;
  return norm;
}

/**
 * Clamps every gradient to `[-clipValue, clipValue]` in place, PyTorch's `clip_grad_value_`. NaN stays NaN.
 *
 * @example
 * clipGradValue(grads, 5); // grads: [P]
 *
 * @param grads the flat gradient buffer `[P]`, modified in place.
 * @param clipValue the largest absolute value allowed, a finite number >= 0.
 * @throws EddyError `ERR_SHAPE` when `grads` is not a Float32Array; `ERR_INVALID_ARG` naming `clipValue`.
 */
export function clipGradValue(grads: Float32Array, clipValue: number): void {
  checkGrads(grads);
  const c = checkNumber('clipValue', clipValue, 0);
  const n = grads.length;
  for (let i = 0; i < n; i++) {
    const g = grads[i];
    if (g > c) grads[i] = c;
    else if (g < -c) grads[i] = -c;
  }
}

function checkGrads(grads: unknown): void {
  if (!(grads instanceof Float32Array)) throw shapeError('grads', 'a Float32Array', describe(grads));
}
