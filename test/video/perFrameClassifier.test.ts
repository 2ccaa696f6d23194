/**
 * The per-frame baseline: its backward agrees with finite differences (float64 check of the float32 model),
 * with and without the hidden layer, and bad shapes are named.
 */
import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { Rng } from '../../src/util/rng.ts';
import { PerFrameClassifier } from '../../src/video/perFrameClassifier.ts';

function lossOf(m: PerFrameClassifier, x: Float32Array, t: Int32Array, N: number, dy: Float32Array | null): number {
  const y = m.forward(x, N);
  return softmaxCrossEntropy(dy, y, t, N, m.outputSize, 1 / N) / N;
}

describe('PerFrameClassifier', () => {
  for (const hiddenSize of [5, 0]) {
    it(`backward matches central differences (hiddenSize ${hiddenSize})`, () => {
      const X = 7,
        Y = 3,
        N = 4;
      const m = PerFrameClassifier.create({ inputSize: X, hiddenSize, outputSize: Y }, { seed: 3 });
      const rng = new Rng(9);
      const x = Float32Array.from({ length: N * X }, () => rng.uniform(-1, 1));
      const t = Int32Array.from({ length: N }, () => rng.int(Y));
      const dy = new Float32Array(N * Y);
      lossOf(m, x, t, N, dy);
      m.zeroGrads();
      m.backward(dy);
      const analytic = m.grads.slice();
      const eps = 1e-2;
      let worst = 0;
      for (let i = 0; i < m.params.length; i++) {
        const p0 = m.params[i];
        m.params[i] = p0 + eps;
        const up = lossOf(m, x, t, N, null);
        m.params[i] = p0 - eps;
        const down = lossOf(m, x, t, N, null);
        m.params[i] = p0;
        const numeric = (up - down) / (2 * eps);
        worst = Math.max(
          worst,
          Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i])),
        );
      }
      expect(worst).toBeLessThan(2e-2);
    });
  }

  it('names bad shapes and options', () => {
    const m = PerFrameClassifier.create({ inputSize: 4, outputSize: 2 });
    expect(m.hiddenSize).toBe(64);
    expect(() => m.forward(new Float32Array(7), 2)).toThrow(/Expected x Float32Array of length 8 \(\[N=2, X=4\]\)/);
    m.forward(new Float32Array(8), 2);
    expect(() => m.backward(new Float32Array(3))).toThrow(/Expected dy Float32Array of length 4/);
    expect(() => PerFrameClassifier.create({ inputSize: 0, outputSize: 2 })).toThrow(/options\.inputSize/);
    expect(() => PerFrameClassifier.create({ inputSize: 3, outputSize: 2, hiddenSize: -1 })).toThrow(
      /options\.hiddenSize/,
    );
  });
});
