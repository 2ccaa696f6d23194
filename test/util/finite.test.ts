/**
 * `firstNonFinite`, the one scan behind every door that refuses NaN and infinities: its Float32Array path (four
 * sums of x·0, then the search) against the plain element loop, on every position, offsets and lengths.
 */
import { describe, expect, it } from 'vitest';
import { firstNonFinite } from '../../src/util/finite.ts';
import { Rng } from '../../src/util/rng.ts';

/** The definition: the first i in [0, n) with values[off + i] NaN or infinite, else -1. */
function plain(values: ArrayLike<number>, off: number, n: number): number {
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[off + i])) return i;
  return -1;
}

describe('firstNonFinite', () => {
  it('Float32Array: every bad value at every position of lengths 0..21, with offsets; finite extremes pass', () => {
    const rng = new Rng(5);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (let len = 0; len <= 21; len++) {
        for (const off of [0, 1, 3]) {
          const x = new Float32Array(off + len + 2).map(() => rng.uniform(-1, 1));
          x[rng.int(x.length)] = -0;
          x[rng.int(x.length)] = 3.4e38; // the largest float32s and the smallest subnormal are finite
          x[rng.int(x.length)] = -3.4e38;
          x[rng.int(x.length)] = 1e-45;
          expect(firstNonFinite(x, off, len), `len ${len} off ${off} all finite`).toBe(-1);
          for (let p = 0; p < len; p++) {
            const y = x.slice();
            y[off + p] = bad;
            if (p + 2 < len) y[off + p + 2] = bad; // a second one after it: the first is reported
            expect(firstNonFinite(y, off, len), `${bad} at ${p}, len ${len}, off ${off}`).toBe(p);
          }
          // bad values outside [off, off + len) are not looked at
          const z = x.slice();
          if (off > 0) z[off - 1] = bad;
          z[off + len] = bad;
          expect(firstNonFinite(z, off, len)).toBe(-1);
        }
      }
    }
  });

  it('other arrays through the same definition, and the default range is the whole array', () => {
    const rng = new Rng(6);
    for (let t = 0; t < 200; t++) {
      const len = rng.int(40);
      const values = Array.from({ length: len }, () => (rng.next() < 0.05 ? Number.NaN : rng.uniform(-5, 5)));
      for (const arr of [values, Float64Array.from(values), Float32Array.from(values)]) {
        const off = rng.int(len + 1);
        expect(firstNonFinite(arr, off, len - off)).toBe(plain(arr, off, len - off));
        expect(firstNonFinite(arr)).toBe(plain(arr, 0, len));
      }
    }
  });
});
