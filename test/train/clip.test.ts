import { describe, it, expect } from 'vitest';
import { clipGradNorm, clipGradValue } from '../../src/train/clip.ts';
import { EddyError } from '../../src/util/errors.ts';

describe('clipGradNorm', () => {
  it('scales to maxNorm / (norm + 1e-6) and returns the norm before clipping', () => {
    const g = new Float32Array([3, 4]); // norm 5
    expect(clipGradNorm(g, 1)).toBe(5);
    const coef = 1 / (5 + 1e-6);
    expect(g[0]).toBeCloseTo(3 * coef, 7);
    expect(g[1]).toBeCloseTo(4 * coef, 7);
    expect(Math.hypot(g[0]!, g[1]!)).toBeLessThan(1);
    expect(Math.hypot(g[0]!, g[1]!)).toBeCloseTo(1, 5);
  });

  it('leaves gradients under the limit untouched', () => {
    const g = new Float32Array([0.3, -0.4]);
    expect(clipGradNorm(g, 1)).toBeCloseTo(0.5, 7);
    expect([...g]).toEqual([Math.fround(0.3), Math.fround(-0.4)]);
  });

  it('supports the 1-norm, the infinity norm and other orders', () => {
    expect(clipGradNorm(new Float32Array([1, -2, 3]), 100, { normType: 1 })).toBe(6);
    const g = new Float32Array([1, -8, 3]);
    expect(clipGradNorm(g, 2, { normType: Infinity })).toBe(8);
    expect(g[1]).toBeCloseTo(-8 * (2 / (8 + 1e-6)), 6);
    expect(clipGradNorm(new Float32Array([3, 4]), 100, { normType: 3 })).toBeCloseTo(Math.cbrt(27 + 64), 6);
  });

  it('propagates NaN as PyTorch does', () => {
    const g = new Float32Array([1, NaN]);
    expect(clipGradNorm(g, 1)).toBeNaN();
    expect(g[0]).toBeNaN();
    expect(clipGradNorm(new Float32Array([NaN, 1]), 1, { normType: Infinity })).toBeNaN();
  });

  it('validates its arguments', () => {
    expect(() => clipGradNorm(new Float32Array(2), 0)).toThrow(
      /^Expected finite number > 0 for maxNorm but received 0 of type number$/,
    );
    expect(() => clipGradNorm(new Float32Array(2), 1, { normType: -2 })).toThrow(
      /^Expected finite number > 0 for options\.normType but received -2 of type number$/,
    );
    expect(() => clipGradNorm([1, 2] as never, 1)).toThrow(
      /^Expected grads a Float32Array but received array of length 2$/,
    );
    expect(() => clipGradNorm(new Float32Array(2), NaN)).toThrow(EddyError);
  });
});

describe('clipGradValue', () => {
  it('clamps to [-clipValue, clipValue] in place, NaN stays NaN', () => {
    const g = new Float32Array([0.5, -3, 2, -0.25, NaN]);
    clipGradValue(g, 1);
    expect([...g]).toEqual([0.5, -1, 1, -0.25, NaN]);
  });

  it('validates its arguments', () => {
    expect(() => clipGradValue(new Float32Array(2), -1)).toThrow(
      /^Expected finite number >= 0 for clipValue but received -1 of type number$/,
    );
    expect(() => clipGradValue(new Float64Array(2) as never, 1)).toThrow(
      /^Expected grads a Float32Array but received Float64Array of length 2$/,
    );
  });
});
