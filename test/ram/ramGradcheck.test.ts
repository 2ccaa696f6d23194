/**
 * Finite-difference checks of the hybrid loss's gradient (float64): with the locations replayed (so the sampled
 * locations are data), each term of the loss `CE + Σ −(R − b)·log π + Σ (R − b)²` is a smooth function of the
 * parameters it trains, and `ramBackward` must match central differences for the relu RNN and the LSTM core, 1 and 2
 * scales.
 */
import { describe, expect, it } from 'vitest';
import { RamModel } from '../../src/ram/ramModel.ts';
import { ramBackward, ramForward } from '../../src/ram/ramEpisode.ts';
import { createRamWorkspace, type RamWorkspace } from '../../src/ram/ramWorkspace.ts';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { Rng } from '../../src/util/rng.ts';
import type { RamOptions } from '../../src/ram/ramConfig.ts';
import type { RamLoss } from '../../src/ram/ramEpisode.ts';

/**
 * The term of the loss a tensor's gradient comes from: the location network's from the REINFORCE term, the
 * baseline's from its squared error, every other from the cross-entropy (the detached reads of h mean that the
 * other terms send it nothing, and with the locations replayed no parameter of the location or baseline network
 * changes h).
 */
function termOf(name: string, l: RamLoss): number {
  if (name.startsWith('location.')) return l.reinforce;
  if (name.startsWith('baseline.')) return l.baseline;
  return l.ce;
}

const B = 3;
const S = 12;

function setup(options: RamOptions) {
  const model = RamModel.create(options, { seed: 5, backend: float64CheckBackend });
  // biases away from 0 so that few relu units sit at their kink
  const rng = new Rng(9);
  for (let i = 0; i < model.params.length; i++) model.params[i] += rng.uniform(-0.05, 0.05);
  const ws: RamWorkspace = createRamWorkspace(model, B);
  const images = Float64Array.from({ length: B * S * S }, () => rng.next()) as unknown as Float32Array;
  const labels = Int32Array.from({ length: B }, () => rng.int(model.config.classes));
  // sample once to get locations, then replay them in every evaluation
  ramForward(model, ws, images, S, S, 'sample', new Rng(4));
  const locs = ws.loc.slice();
  const lossOf = (withGrad: boolean): RamLoss => {
    ws.loc.set(locs);
    ramForward(model, ws, images, S, S, 'replay', null);
    if (withGrad) model.zeroGrads();
    const g = model.grads.slice();
    const l = ramBackward(model, ws, labels);
    if (!withGrad) model.grads.set(g);
    return l;
  };
  return { model, lossOf };
}

const cases: [string, RamOptions][] = [
  [
    'relu RNN, 1 scale',
    { glimpseSize: 3, scales: 1, glimpses: 3, glimpseHidden: 4, glimpseOutput: 5, hiddenSize: 4, classes: 3 },
  ],
  [
    'relu RNN, 2 scales',
    { glimpseSize: 2, scales: 2, glimpses: 4, glimpseHidden: 3, glimpseOutput: 4, hiddenSize: 5, classes: 2 },
  ],
  [
    'LSTM, 1 scale',
    {
      glimpseSize: 3,
      scales: 1,
      glimpses: 3,
      glimpseHidden: 4,
      glimpseOutput: 5,
      hiddenSize: 4,
      classes: 3,
      cell: 'lstm',
    },
  ],
];

describe('RAM hybrid loss: gradients against central finite differences (float64)', () => {
  for (const [name, options] of cases) {
    it(name, () => {
      const { model, lossOf } = setup({ ...options, locationStd: 0.3 });
      lossOf(true);
      const analytic = Float64Array.from(model.grads);
      const eps = 1e-6;
      let worst = 0;
      const seen = new Set<string>();
      for (const e of model.layout) {
        for (let i = 0; i < e.size; i++) {
          const k = e.offset + i;
          const old = model.params[k];
          model.params[k] = old + eps;
          const lp = termOf(e.name, lossOf(false));
          model.params[k] = old - eps;
          const lm = termOf(e.name, lossOf(false));
          model.params[k] = old;
          const numeric = (lp - lm) / (2 * eps);
          const err = Math.abs(numeric - analytic[k]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(analytic[k]));
          if (err > worst) worst = err;
          if (analytic[k] !== 0) seen.add(e.name);
        }
      }
      expect(worst).toBeLessThan(1e-5);
      // every tensor got some gradient: the check covers each part of the model
      expect([...seen].sort()).toEqual(model.layout.map((e) => e.name).sort());
    });
  }
});
