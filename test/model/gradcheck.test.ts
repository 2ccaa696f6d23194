/**
 * Finite-difference gradient checks of BPTT for every cell, 1 to 3 layers, each input encoding, the head,
 * dropout and the loss, through the float64 check path (central differences, relative error <= 1e-6).
 */
import { describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { Rng } from '../../src/util/rng.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import type { RecurrentState } from '../../src/model/recurrentState.ts';

const T = 5;
const B = 2;

interface Case {
  name: string;
  options: ModelOptions;
}

function makeCases(): Case[] {
  const cases: Case[] = [];
  for (const cell of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const) {
    for (const numLayers of [1, 2, 3]) {
      cases.push({
        name: `${cell} dense L=${numLayers} head`,
        options: { cell, input: 'dense', inputSize: 3, hiddenSize: 4, numLayers, outputSize: 5 },
      });
    }
    cases.push({
      name: `${cell} onehot L=2 head`,
      options: { cell, input: 'onehot', inputSize: 6, hiddenSize: 4, numLayers: 2, outputSize: 6 },
    });
    cases.push({
      name: `${cell} embedding L=1 head`,
      options: { cell, input: 'embedding', inputSize: 6, embeddingSize: 3, hiddenSize: 4, outputSize: 6 },
    });
    cases.push({
      name: `${cell} dense L=2 no head`,
      options: { cell, input: 'dense', inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 0 },
    });
    cases.push({
      name: `${cell} dense L=3 dropout 0.3`,
      options: { cell, input: 'dense', inputSize: 3, hiddenSize: 4, numLayers: 3, outputSize: 5, dropout: 0.3 },
    });
  }
  return cases;
}

/** Loss = Σ_t CE(y_t, target) (or Σ w·y without a head) + Σ u·h_T + Σ v·c_T, so that dFinal is exercised too. */
function setup(options: ModelOptions) {
  const model = RNNModel.create(options, { seed: 7, backend: float64CheckBackend });
  const rng = new Rng(3);
  const cfg = model.config;
  const x =
    cfg.input === 'dense'
      ? Float32Array.from({ length: T * B * cfg.inputSize }, () => rng.uniform(-1, 1))
      : Int32Array.from({ length: T * B }, () => rng.int(cfg.inputSize));
  const Y = cfg.outputSize > 0 ? cfg.outputSize : cfg.hiddenSize;
  const targets = Int32Array.from({ length: T * B }, () => rng.int(Y));
  const w = Float64Array.from({ length: T * B * Y }, () => rng.uniform(-1, 1));
  const n = cfg.numLayers * B * cfg.hiddenSize;
  const u = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
  const v = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
  const state0 = model.createState(B);
  for (let i = 0; i < n; i++) state0.h[i] = rng.uniform(-0.5, 0.5);
  if (state0.c) for (let i = 0; i < n; i++) state0.c[i] = rng.uniform(-0.5, 0.5);
  const training = cfg.dropout > 0;

  const lossOf = (withGrad: boolean) => {
    const { y, state, workspace } = model.forward(x, { T, B, state: state0, training, rng: new Rng(11) });
    let loss = 0;
    const dy = new Float64Array(T * B * Y) as unknown as Float32Array;
    if (cfg.outputSize > 0) loss = softmaxCrossEntropy(withGrad ? dy : null, y, targets, T * B, Y, 1);
    else
      for (let i = 0; i < y.length; i++) {
        loss += w[i] * y[i];
        dy[i] = w[i];
      }
    for (let i = 0; i < n; i++) loss += u[i] * state.h[i] + (state.c ? v[i] * state.c[i] : 0);
    let dState0: RecurrentState | null = null;
    if (withGrad) {
      const dFinal: RecurrentState = state.c
        ? { h: Float64Array.from(u) as unknown as Float32Array, c: Float64Array.from(v) as unknown as Float32Array }
        : { h: Float64Array.from(u) as unknown as Float32Array };
      model.zeroGrads();
      dState0 = model.backward(workspace, dy, dFinal);
    }
    return { loss, dState0 };
  };
  return { model, state0, lossOf };
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-6, Math.abs(a) + Math.abs(b));
}

describe('BPTT gradients against central finite differences (float64)', () => {
  for (const c of makeCases()) {
    it(c.name, () => {
      const { model, state0, lossOf } = setup(c.options);
      const { dState0 } = lossOf(true);
      const analytic = Float64Array.from(model.grads);
      const eps = 1e-5;
      let worst = 0;
      let checked = 0;
      for (const e of model.layout.entries) {
        for (let i = 0; i < e.size; i++) {
          const k = e.offset + i;
          const old = model.params[k];
          model.params[k] = old + eps;
          const lp = lossOf(false).loss;
          model.params[k] = old - eps;
          const lm = lossOf(false).loss;
          model.params[k] = old;
          const numeric = (lp - lm) / (2 * eps);
          const err = relErr(numeric, analytic[k]);
          if (Math.abs(numeric - analytic[k]) > 1e-7) worst = Math.max(worst, err);
          checked++;
        }
      }
      // the initial state
      for (const key of ['h', 'c'] as const) {
        const s = state0[key];
        if (!s) continue;
        const g = (dState0 as RecurrentState)[key] as Float32Array;
        for (let i = 0; i < s.length; i++) {
          const old = s[i];
          s[i] = old + eps;
          const lp = lossOf(false).loss;
          s[i] = old - eps;
          const lm = lossOf(false).loss;
          s[i] = old;
          const numeric = (lp - lm) / (2 * eps);
          if (Math.abs(numeric - g[i]) > 1e-7) worst = Math.max(worst, relErr(numeric, g[i]));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(50);
      expect(worst).toBeLessThan(1e-5);
      // the gradient is not trivially zero
      expect(analytic.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    });
  }
});
