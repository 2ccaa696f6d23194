/**
 * `ramEvaluate` with several episodes per image (`samples`): the class probabilities of `samples` sampled episodes
 * are averaged before the arg max (recomputed here from `ramForward` with the same seeded streams), the shorter last
 * batch included, and bad `samples` values are refused by name.
 */
import { describe, expect, it } from 'vitest';
import type { MnistSet } from '../../src/sources/mnist.ts';
import { RamModel } from '../../src/ram/ramModel.ts';
import { ramEvaluate } from '../../src/ram/ramEvaluate.ts';
import { ramForward } from '../../src/ram/ramEpisode.ts';
import { drawRamBatch, ramTask } from '../../src/ram/ramTraining.ts';
import { createRamWorkspace } from '../../src/ram/ramWorkspace.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

/** A fake split: `count` digits of 28x28, digit i of class `i % 10`, pixels varying with i and position. */
function fakeSet(count: number): MnistSet {
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    for (let p = 0; p < 784; p++) images[i * 784 + p] = (i * 37 + p * (1 + (i % 10))) % 256;
  }
  return { images, labels, count, rows: 28, cols: 28 };
}

// a wide policy (std 0.5), so that sampled episodes differ
const small = {
  glimpseSize: 4,
  scales: 2,
  glimpseHidden: 6,
  glimpseOutput: 8,
  hiddenSize: 8,
  glimpses: 3,
  locationStd: 0.5,
};

/** The documented procedure written out: per batch, `samples` episodes, probabilities summed, arg max. */
function byHand(
  model: RamModel,
  set: MnistSet,
  count: number,
  seed: number,
  samples: number,
  policy: 'sample' | 'random',
): number {
  const task = ramTask('mnist');
  const S = task.canvasSize;
  const Y = model.config.classes;
  const data = new Rng(seed);
  const looks = new Rng(seed ^ 0x5bd1e995);
  let correct = 0;
  for (let done = 0; done < count; ) {
    const B = Math.min(100, count - done);
    const ws = createRamWorkspace(model, B);
    const images = new Float32Array(B * S * S);
    const labels = new Int32Array(B);
    drawRamBatch(images, labels, set, data, task);
    const sum = new Float64Array(B * Y);
    for (let m = 0; m < samples; m++) {
      const logits = ramForward(model, ws, images, S, S, policy, looks);
      for (let b = 0; b < B; b++) {
        const row = Array.from(logits.subarray(b * Y, (b + 1) * Y));
        const max = Math.max(...row);
        const e = row.map((x) => Math.exp(x - max));
        const z = e.reduce((a, x) => a + x, 0);
        for (let k = 0; k < Y; k++) sum[b * Y + k] += e[k] / z;
      }
    }
    for (let b = 0; b < B; b++) {
      const row = Array.from(sum.subarray(b * Y, (b + 1) * Y));
      if (row.indexOf(Math.max(...row)) === labels[b]) correct++;
    }
    done += B;
  }
  return correct;
}

describe('ramEvaluate with samples', () => {
  const set = fakeSet(50);
  // weights 8x their initial scale, so that the class a model picks depends on where it looks
  const init = RamModel.create(small, { seed: 7 }); // (seed 5 picks one class whatever it sees)
  const model = RamModel.fromParams(
    small,
    init.params.map((x) => 8 * x),
  );

  it('averages the class probabilities of the sampled episodes (learned policy and random glimpses)', () => {
    for (const policy of ['sample', 'random'] as const) {
      const r = ramEvaluate(model, set, ramTask('mnist'), { count: 150, seed: 9, policy, samples: 4 });
      expect(r.count).toBe(150);
      expect(r.correct).toBe(byHand(model, set, 150, 9, 4, policy));
      expect(r.error).toBeCloseTo(1 - r.correct / 150, 12);
    }
  });

  it('reads each image once by default, and differently from averaging several reads', () => {
    const one = ramEvaluate(model, set, ramTask('mnist'), { count: 300, seed: 9, policy: 'sample' });
    expect(one.correct).toBe(byHand(model, set, 300, 9, 1, 'sample'));
    const sums = [2, 3, 8].map(
      (samples) =>
        ramEvaluate(model, set, ramTask('mnist'), { count: 300, seed: 9, policy: 'sample', samples }).correct,
    );
    expect(new Set([one.correct, ...sums]).size).toBeGreaterThan(1); // the samples are used
  });

  it('refuses a samples count that is not a positive integer, or several samples of the deterministic mean', () => {
    const task = ramTask('mnist');
    expectError(
      () => ramEvaluate(model, set, task, { count: 10, policy: 'sample', samples: 0 }),
      'ERR_INVALID_ARG',
      'options.samples',
    );
    expectError(
      () => ramEvaluate(model, set, task, { count: 10, policy: 'sample', samples: 1.5 }),
      'ERR_INVALID_ARG',
      'options.samples',
    );
    expectError(() => ramEvaluate(model, set, task, { count: 10, samples: 2 }), 'ERR_INVALID_ARG', 'options.samples');
  });
});
