/**
 * `RNNModel.backward(ws, dy, dFinal, dx)`: the gradient with respect to a dense input `x` `[T, B, X]` (what a
 * stacked bidirectional classifier carries into the layer below), against central differences over every element
 * of x (float64), for each cell, one and two layers, with and without a head and dropout; and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';
import { numericGradients, worstRelativeError } from '../helpers/numericGradients.ts';

const T = 4;
const B = 3;
const X = 5;

describe('RNNModel.backward: the gradient of a dense input', () => {
  const cases: [string, ModelOptions][] = [
    ['gru, no head', { cell: 'gru', input: 'dense', inputSize: X, hiddenSize: 4 }],
    [
      'lstm, 2 layers, dropout 0.3, head',
      { cell: 'lstm', input: 'dense', inputSize: X, hiddenSize: 3, numLayers: 2, dropout: 0.3, outputSize: 2 },
    ],
    [
      'rnn_tanh, head with output dropout 0.4',
      { cell: 'rnn_tanh', input: 'dense', inputSize: X, hiddenSize: 4, outputSize: 3, outputDropout: 0.4 },
    ],
  ];
  for (const [name, options] of cases)
    it(`${name}: every element of x`, () => {
      const model = RNNModel.create(options, { seed: 2, backend: float64CheckBackend });
      const Y = model.config.outputSize > 0 ? model.config.outputSize : model.config.hiddenSize;
      const rng = new Rng(3);
      const f64 = (n: number): Float32Array => new Float64Array(n) as unknown as Float32Array;
      const x = f64(T * B * X);
      for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
      const w = f64(T * B * Y); // loss = Σ w·y: dy = w
      for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-1, 1);
      const training = model.config.dropout > 0 || (model.config.outputDropout ?? 0) > 0;
      const lossOf = (): number => {
        const { y } = model.forward(x, { T, B, training, rng: new Rng(9) });
        let s = 0;
        for (let i = 0; i < w.length; i++) s += w[i] * y[i];
        return s;
      };
      lossOf();
      const dx = f64(T * B * X).fill(7); // overwritten, not added to
      model.backward(model.forward(x, { T, B, training, rng: new Rng(9) }).workspace, w, undefined, dx);
      const numeric = numericGradients(x, lossOf);
      expect(worstRelativeError(numeric, dx)).toBeLessThan(1e-6);
      expect(numeric.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    });

  it('refuses dx for a model over ids, and a dx of the wrong length, by name', () => {
    const ids = RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: X, hiddenSize: 4 });
    const r = ids.forward(Int32Array.of(0, 1, 2, 3), { T: 4, B: 1 });
    expectError(
      () => ids.backward(r.workspace, new Float32Array(16), undefined, new Float32Array(20)),
      'ERR_INVALID_ARG',
      /dx/,
      /dense/,
    );
    const dense = RNNModel.create({ cell: 'gru', input: 'dense', inputSize: X, hiddenSize: 4 });
    const d = dense.forward(new Float32Array(T * B * X), { T, B });
    expectError(
      () => dense.backward(d.workspace, new Float32Array(T * B * 4), undefined, new Float32Array(3)),
      'ERR_SHAPE',
      /dx/,
      /\[T=4, B=3, X=5\]/,
    );
  });
});
