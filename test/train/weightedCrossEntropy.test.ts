/**
 * `weightedCrossEntropy`: equal weights give `manyToOneCrossEntropy`; the gradient matches central differences of
 * the loss; `balancedClassWeights` follows scikit-learn's formula; bad arguments are named.
 */
import { describe, expect, it } from 'vitest';
import { balancedClassWeights, weightedCrossEntropy } from '../../src/train/weightedCrossEntropy.ts';
import { manyToOneCrossEntropy } from '../../src/train/losses.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

const T = 3;
const B = 4;
const V = 5;

function logits(seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: T * B * V }, () => rng.uniform(-2, 2));
}
// [T, B]: five counted steps, labels 2 (t0 b2), 1 and 0 (t1 b0, b3), 4 and 3 (t2 b1, b3)
const targets = Int32Array.of(-1, -1, 2, -1, 1, -1, -1, 0, -1, 4, -1, 3);

describe('weightedCrossEntropy', () => {
  it('with equal weights is the many-to-one cross-entropy, loss and gradient', () => {
    const y = logits(1);
    const d1 = new Float32Array(y.length);
    const d2 = new Float32Array(y.length);
    const a = weightedCrossEntropy([1, 1, 1, 1, 1])(d1, y, targets, { T, B, Y: V });
    const b = manyToOneCrossEntropy(d2, y, targets, { T, B, Y: V });
    expect(a.loss).toBeCloseTo(b.loss, 5);
    expect(a.count).toBe(5);
    for (let i = 0; i < y.length; i++) expect(d1[i]).toBeCloseTo(d2[i], 6);
  });

  it('has the gradient of its loss (central differences) and weights the mean by the target weights', () => {
    const w = [0.5, 2, 1, 3, 0.25];
    const loss = weightedCrossEntropy(w);
    const y = logits(2);
    const dy = new Float32Array(y.length);
    const r = loss(dy, y, targets, { T, B, Y: V });
    const eps = 1e-2;
    for (const i of [10, 11, 20, 27, 33, 59]) {
      const p = Float32Array.from(y);
      p[i] += eps;
      const m = Float32Array.from(y);
      m[i] -= eps;
      const fd =
        (loss(null, p, targets, { T, B, Y: V }).loss - loss(null, m, targets, { T, B, Y: V }).loss) / (2 * eps);
      expect(dy[i]).toBeCloseTo(fd, 3);
    }
    // 'mean' divides the weighted sum by the sum of the counted targets' weights (each class once here)
    expect(r.sum / r.loss).toBeCloseTo(0.5 + 2 + 1 + 3 + 0.25, 4);
  });

  it('balanced weights are N / (K n_c) to a power', () => {
    const w = balancedClassWeights([0, 0, 0, 1], 3);
    expect(w[0]).toBeCloseTo(4 / 9, 6);
    expect(w[1]).toBeCloseTo(4 / 3, 6);
    expect(w[2]).toBe(0);
    expect([...balancedClassWeights([0, 0, 0, 1], 3, 0)]).toEqual([1, 1, 0]);
  });

  it('refuses bad arguments, naming them', () => {
    expectError(() => weightedCrossEntropy([1, -1]), 'ERR_INVALID_ARG', 'weights[1]');
    expectError(() => weightedCrossEntropy([1, 1])(null, logits(1), targets, { T, B, Y: V }), 'ERR_SHAPE', 'weights');
    expectError(() => balancedClassWeights([0, 3], 2), 'ERR_INVALID_ARG', 'labels[1]');
  });
});
