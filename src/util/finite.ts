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
  // Float32Arrays (every step's dense input, states) through a loop that only ever sees them: this shared loop
  // sees every kind of array and reads each element through a slow generic path (~3.5 ns an element, against
  // ~0.5 for the Float32Array one; W3's 1,024-feature frame was 3.6 µs of a ~50 µs step).
  if (values instanceof Float32Array) return firstNonFiniteF32(values, off, n);
  for (let i = 0; i < n; i++) {
    const v = values[off + i];
    // `v - v` is 0 for finite v and NaN for NaN and +-Infinity.
    if (v - v !== 0) return i;
  }
  return -1;
}

function firstNonFiniteF32(values: Float32Array, off: number, n: number): number {
  // x·0 is ±0 for finite x and NaN for NaN and ±Infinity: four sums of them (independent additions, no branch per
  // element) are 0 exactly when all are finite; only then is the index searched for.
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = off + i;
    a0 += values[o] * 0;
    a1 += values[o + 1] * 0;
    a2 += values[o + 2] * 0;
    a3 += values[o + 3] * 0;
  }
  for (; i < n; i++) a0 += values[off + i] * 0;
  if (a0 + a1 + a2 + a3 === 0) return -1;
  for (i = 0; i < n; i++) {
    const v = values[off + i];
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
