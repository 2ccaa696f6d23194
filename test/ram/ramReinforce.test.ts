/**
 * The location network's REINFORCE gradient on a bandit with a known answer, and the hybrid model learning where to
 * look on a 2-class toy.
 *
 * 1. Bandit: one decision from `h = 0` (so `mu = tanh(b_l)`), reward 1 when the sampled x > 0, baseline 0.5. Then
 *    `E[R] = Φ(mu_x / σ)`, and the expected gradient of the loss on `b_l[0]` is `−φ(mu_x / σ) / σ · (1 − mu_x²)`;
 *    on `b_l[1]` (y does not matter) it is 0. The mean over 20,000 episodes must agree to Monte-Carlo error.
 * 2. Toy: the class (a bright or a dim 4x4 square) sits near the top-left corner of a 16x16 image, and the model takes
 *    one 4x4 glimpse, placed by its policy. Trained with the hybrid loss it must learn to look there (the optimum,
 *    x = y = −0.5) and be right on nearly every image; random glimpses through the same code stay far below.
 */
import { describe, expect, it } from 'vitest';
import { RamModel } from '../../src/ram/ramModel.ts';
import { ramBackward, ramForward } from '../../src/ram/ramEpisode.ts';
import { createRamWorkspace } from '../../src/ram/ramWorkspace.ts';
import { ramTrainStep } from '../../src/ram/ramTraining.ts';
import { adam } from '../../src/train/adam.ts';
import { Rng } from '../../src/util/rng.ts';

describe('REINFORCE on a one-step bandit', () => {
  it('the mean gradient matches −φ(mu/σ)/σ·(1 − mu²) on x and 0 on y', () => {
    const sigma = 0.1;
    const B = 20000;
    const model = RamModel.create(
      {
        glimpses: 1,
        glimpseSize: 2,
        glimpseHidden: 2,
        glimpseOutput: 2,
        hiddenSize: 2,
        classes: 2,
        locationStd: sigma,
      },
      { seed: 1 },
    );
    const o = model.offsets;
    const mu = 0.05;
    model.params[o.bL] = Math.atanh(mu);
    model.params[o.bL + 1] = 0;
    model.params[o.bB] = 0.5; // the baseline reads h = 0: b = 0.5 for every episode
    const ws = createRamWorkspace(model, B);
    ramForward(model, ws, new Float32Array(B * 4 * 4), 4, 4, 'sample', new Rng(7));
    // the reward is set through the answer: right (label 1) exactly when the sampled x is > 0
    const labels = new Int32Array(B).fill(1);
    for (let b = 0; b < B; b++) {
      const right = ws.loc[2 * b] > 0;
      ws.logits[2 * b] = right ? 0 : 1;
      ws.logits[2 * b + 1] = right ? 1 : 0;
    }
    model.zeroGrads();
    const loss = ramBackward(model, ws, labels);
    const z = mu / sigma;
    const phi = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
    const expected = (-phi / sigma) * (1 - mu * mu);
    const mcError = 0.5 / sigma / Math.sqrt(B); // |(R − b)(l − mu)/σ²| ~ 0.5/σ per episode
    expect(loss.correct / B).toBeCloseTo(0.5 + 0.5 * (1 - 2 * (1 - 0.6915)), 1); // Φ(0.5) = 0.6915
    expect(Math.abs(model.grads[o.bL] - expected)).toBeLessThan(4 * mcError);
    expect(Math.abs(model.grads[o.bL + 1])).toBeLessThan(4 * mcError);
    expect(Math.abs(expected)).toBeGreaterThan(40 * mcError); // the check can tell a right gradient from 0
  });
});

/** 16x16 images, 0 everywhere but a 4x4 square at rows/cols 2..5: 1.0 for class 1, 0.3 for class 0. */
function toyBatch(B: number, rng: Rng): { images: Float32Array; labels: Int32Array } {
  const images = new Float32Array(B * 256);
  const labels = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    labels[b] = rng.int(2);
    for (let r = 2; r < 6; r++) for (let c = 2; c < 6; c++) images[b * 256 + r * 16 + c] = labels[b] ? 1 : 0.3;
  }
  return { images, labels };
}

function trainToy(policy: 'sample' | 'random'): { model: RamModel; accuracy: number } {
  const model = RamModel.create(
    { glimpses: 1, glimpseSize: 4, glimpseHidden: 16, glimpseOutput: 16, hiddenSize: 16, classes: 2, locationStd: 0.3 },
    { seed: 3 },
  );
  const B = 32;
  const ws = createRamWorkspace(model, B);
  const opt = adam({ lr: 0.01 });
  const rng = new Rng(5);
  for (let i = 0; i < 600; i++) {
    const { images, labels } = toyBatch(B, rng);
    ramTrainStep(model, ws, images, labels, 16, opt, policy, rng);
  }
  const test = toyBatch(B, new Rng(99));
  let right = 0;
  let n = 0;
  for (let rep = 0; rep < 10; rep++) {
    const logits = ramForward(model, ws, test.images, 16, 16, policy === 'random' ? 'random' : 'mean', new Rng(rep));
    for (let b = 0; b < B; b++) {
      right += (logits[2 * b + 1] > logits[2 * b] ? 1 : 0) === test.labels[b] ? 1 : 0;
      n++;
    }
  }
  return { model, accuracy: right / n };
}

describe('the hybrid model on a 2-class toy', () => {
  it('learns to look at the corner and classifies nearly every image; random glimpses do not', () => {
    const learned = trainToy('sample');
    const mu = [0, 1].map((d) => Math.tanh(learned.model.params[learned.model.offsets.bL + d]));
    // the first glimpse comes from h = 0: its mean is tanh(b_l); the square's centre is at -0.5, and a glimpse at
    // the start (0, 0) sees none of it
    expect(mu[0]).toBeLessThan(-0.3);
    expect(mu[1]).toBeLessThan(-0.3);
    expect(learned.accuracy).toBeGreaterThan(0.95);
    const random = trainToy('random');
    expect(random.accuracy).toBeLessThan(0.8);
  });
});
