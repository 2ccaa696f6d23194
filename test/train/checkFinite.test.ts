import { describe, it, expect } from 'vitest';
import { checkFinite, checkFiniteLoss } from '../../src/train/checkFinite.ts';
import { EddyError } from '../../src/util/errors.ts';

function thrown(fn: () => unknown): EddyError {
  try {
    fn();
  } catch (e) {
    return e as EddyError;
  }
  throw new Error('expected a throw');
}

describe('checkFinite', () => {
  it('passes finite values, including extremes and an empty array', () => {
    expect(() => checkFinite('grads', new Float32Array([0, -0, 3.4e38, -3.4e38, 1e-45]), 0)).not.toThrow();
    expect(() => checkFinite('grads', new Float32Array(0), 0)).not.toThrow();
  });

  it('names the tensor, the step and the first bad index', () => {
    const e = thrown(() => checkFinite('weight_hh_l0', new Float32Array([1, 2, NaN, 4, Infinity]), 12));
    expect(e).toBeInstanceOf(EddyError);
    expect(e.code).toBe('ERR_NON_FINITE');
    expect(e.message).toBe(
      'Non-finite value in weight_hh_l0 at step 12: weight_hh_l0[2] is NaN (2 of 5 values are non-finite)',
    );
  });

  it('catches infinities of both signs', () => {
    expect(thrown(() => checkFinite('grads', new Float32Array([-Infinity]), 3)).message).toBe(
      'Non-finite value in grads at step 3: grads[0] is -Infinity (1 of 1 values are non-finite)',
    );
    expect(thrown(() => checkFinite('grads', new Float32Array([0, 1e39]), 0)).message).toMatch(
      /grads\[1\] is Infinity/,
    ); // overflows float32
  });
});

describe('checkFiniteLoss', () => {
  it('returns a finite loss', () => {
    expect(checkFiniteLoss(2.5, 1)).toBe(2.5);
  });

  it('names the loss and the step', () => {
    const e = thrown(() => checkFiniteLoss(NaN, 40));
    expect(e.code).toBe('ERR_NON_FINITE');
    expect(e.message).toBe('Non-finite loss at step 40: NaN');
    expect(thrown(() => checkFiniteLoss(Infinity, 7, 'validation loss')).message).toBe(
      'Non-finite validation loss at step 7: Infinity',
    );
  });
});
