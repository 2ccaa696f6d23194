import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { expectError } from '../helpers/expectError.ts';

describe('softmaxCrossEntropy', () => {
  const V = 4;
  const logits = Float32Array.from([0.1, 0.2, 0.3, 0.4, 1, 0, -1, 2]); // [2, 4]

  it('sums the loss over rows and ignores negative targets (padding)', () => {
    const dy = new Float32Array(8);
    const one = softmaxCrossEntropy(dy, logits, Int32Array.of(2, -1), 2, V, 1);
    const z = Math.log(Math.exp(0.1) + Math.exp(0.2) + Math.exp(0.3) + Math.exp(0.4));
    expect(one).toBeCloseTo(z - 0.3, 6);
    expect(Array.from(dy.subarray(4))).toEqual([0, 0, 0, 0]);
  });

  it('refuses a target >= V, naming the row, and writes nothing', () => {
    const dy = new Float32Array(8).fill(7);
    expectError(
      () => softmaxCrossEntropy(dy, logits, Int32Array.of(1, 4), 2, V, 1),
      'ERR_INVALID_ARG',
      'targets[1]',
      '[0, 4)',
      '4 of type number',
    );
    expect(dy.every((v) => v === 7)).toBe(true);
  });

  it('refuses a non-integer target (from a plain array or a Float32Array)', () => {
    const targets = Float32Array.of(1.5, 0) as unknown as Int32Array;
    expectError(() => softmaxCrossEntropy(null, logits, targets, 2, V, 1), 'ERR_INVALID_ARG', 'targets[0]', '1.5');
    const nan = Float32Array.of(0, Number.NaN) as unknown as Int32Array;
    expectError(() => softmaxCrossEntropy(null, logits, nan, 2, V, 1), 'ERR_INVALID_ARG', 'targets[1]', 'NaN');
  });
});
