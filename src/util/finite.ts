/**
 * The one scan for NaN and infinities, shared by every door that refuses them (model inputs and states, weights at
 * load, logits before sampling, decoded frames) and by the training loop's `checkFinite`.
 */
import { EddyError } from './errors.ts';

/**
 * The index of the first NaN or infinity in `values[off, off + n)`, relative to `off`, or -1 when all are finite.
 * One pass that allocates nothing and stops at the first bad value.
 */
export function firstNonFinite(values: ArrayLike<number>, off = 0, n = values.length - off): number {
  for (let i = 0; i < n; i++) {
    const v = values[off + i];
    // `v - v` is 0 for finite v and NaN for NaN and +-Infinity.
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * The `ERR_NON_FINITE` error of a door check: `Non-finite input at step 12: x[3] is NaN (row 0, feature 3)`.
 * @param what what was refused and where (`input at step 12`, `options.initialState`)
 * @param element the bad element's name (`x[3]`)
 * @param value the bad value
 * @param detail optional words after it (`(row 0, feature 3)`)
 */
export function nonFiniteError(what: string, element: string, value: number, detail = ''): EddyError {
  return new EddyError(
    'ERR_NON_FINITE',
    `Non-finite ${what}: ${element} is ${String(value)}${detail ? ` ${detail}` : ''}`,
  );
}
