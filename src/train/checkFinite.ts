/**
 * Guards against NaN and Infinity in a training loop: a non-finite loss, gradient or parameter becomes an
 * `EddyError` with code `ERR_NON_FINITE` that names the tensor, the step and the first bad index, instead of
 * silently poisoning every later update.
 */
import { EddyError } from '../util/errors.ts';
import { firstNonFinite } from '../util/finite.ts';

/**
 * Throws when `values` holds a NaN or an infinity. The scan allocates nothing and stops at the first bad
 * value; only the error path counts the rest.
 *
 * @example
 * checkFinite('grads', grads, t); // grads: [P]
 * // EddyError ERR_NON_FINITE: Non-finite value in grads at step 12: grads[3] is NaN (2 of 100 values are non-finite)
 *
 * @param name the tensor's name, for the message (`'grads'`, `'weight_hh_l0'`).
 * @param values the values to check.
 * @param step the training step, for the message.
 * @throws EddyError `ERR_NON_FINITE` naming the tensor, the step and the index and value of the first bad
 *   element.
 */
export function checkFinite(name: string, values: Float32Array, step: number): void {
  const i = firstNonFinite(values);
  if (i >= 0) throw nonFinite(name, values, step, i);
}

/**
 * Throws when a scalar loss is NaN or infinite; returns it otherwise, so it can wrap an expression.
 *
 * @example
 * const loss = checkFiniteLoss(crossEntropy(...), t);
 *
 * @param loss the loss value.
 * @param step the training step, for the message.
 * @param name what the scalar is, for the message.
 * @returns `loss`.
 * @throws EddyError `ERR_NON_FINITE`: `Non-finite loss at step 12: NaN`.
 */
export function checkFiniteLoss(loss: number, step: number, name = 'loss'): number {
  if (typeof loss !== 'number' || !Number.isFinite(loss)) {
    throw new EddyError('ERR_NON_FINITE', `Non-finite ${name} at step ${step}: ${String(loss)}`);
  }
  return loss;
}

function nonFinite(name: string, values: Float32Array, step: number, first: number): EddyError {
  let count = 0;
  for (let i = first; i < values.length; i++) if (!Number.isFinite(values[i])) count++;
  return new EddyError(
    'ERR_NON_FINITE',
    `Non-finite value in ${name} at step ${step}: ${name}[${first}] is ${String(values[first])} (${count} of ${values.length} values are non-finite)`,
  );
}
