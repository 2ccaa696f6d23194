/**
 * Several objects read as a sequence (`ramSequence.ts`, `ramSequenceTraining.ts`, `multiMnist.ts`): the seeded
 * generator (digits from the given split, labels matching the pixels), the sequence loss's gradient against central
 * finite differences, the raster and the learned policy through the same code, a tiny two-digit toy learned in
 * seconds, and bad arguments.
 */
import { describe, expect, it } from 'vitest';
import type { MnistSet } from '../../src/sources/mnist.ts';
import { drawMultiMnist } from '../../src/sources/multiMnist.ts';
import { RamModel } from '../../src/ram/ramModel.ts';
import type { RamOptions } from '../../src/ram/ramConfig.ts';
import {
  RAM_SEQUENCE_CLASSES,
  RAM_STOP,
  createRamSequenceWorkspace,
  ramDecodeSequences,
  ramRasterLocations,
  ramSequenceBackward,
  ramSequenceForward,
  ramSequenceTask,
  type RamSequenceLoss,
} from '../../src/ram/ramSequence.ts';
import { drawRamSequenceBatch, ramSequenceEvaluate, ramSequenceTrainStep } from '../../src/ram/ramSequenceTraining.ts';
import { ramEvaluate } from '../../src/ram/ramEvaluate.ts';
import { ramTask } from '../../src/ram/ramTraining.ts';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { adam } from '../../src/train/adam.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

/** A fake split: `count` digits of `side x side`, digit i of class `i % classes` with pixel value `base + i`. */
function fakeSet(count: number, side: number, base: number): MnistSet {
  const images = new Uint8Array(count * side * side);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    images.fill(base + i, i * side * side, (i + 1) * side * side);
  }
  return { images, labels, count, rows: side, cols: side };
}

describe('drawMultiMnist and drawRamSequenceBatch', () => {
  it('places digits of the given set left to right, labels matching their pixels, the same for the same seed', () => {
    const train = fakeSet(40, 28, 100);
    const test = fakeSet(40, 28, 10); // pixel values 10..49: never in the train split's 100..139
    const task = ramSequenceTask({ minDigits: 2, maxDigits: 3 });
    expect([task.height, task.width, task.labels, task.glimpses]).toEqual([36, 92, 4, 12]);
    const B = 50;
    const images = new Float32Array(B * task.height * task.width);
    const labels = new Int32Array(B * task.labels);
    drawRamSequenceBatch(images, labels, test, new Rng(3), task);
    const lengths = new Set<number>();
    for (let b = 0; b < B; b++) {
      const row = Array.from(labels.subarray(b * 4, b * 4 + 4));
      const n = row.indexOf(RAM_STOP);
      expect(n === 2 || n === 3, String(row)).toBe(true);
      lengths.add(n);
      if (n === 2) expect(row[3]).toBe(-1);
      // column k of the canvas holds one digit: its pixel value names its index, whose class is label k
      const img = images.subarray(b * 36 * 92, (b + 1) * 36 * 92);
      const cell = Math.floor(92 / n);
      for (let k = 0; k < n; k++) {
        const values = new Set<number>();
        for (let x = k * cell; x < (k + 1) * cell; x++)
          for (let y = 0; y < 36; y++) {
            const v = Math.round(img[y * 92 + x] * 255);
            if (v > 0) values.add(v);
          }
        expect(values.size).toBe(1);
        const v = [...values][0];
        expect(v >= 10 && v < 50, `pixel ${v} is not from the test split`).toBe(true);
        expect(test.labels[v - 10]).toBe(row[k]);
      }
    }
    expect([...lengths].sort()).toEqual([2, 3]);
    const again = new Float32Array(images.length);
    const labels2 = new Int32Array(labels.length);
    drawRamSequenceBatch(again, labels2, test, new Rng(3), task);
    expect(again).toEqual(images);
    expect(labels2).toEqual(labels);
    drawRamSequenceBatch(again, labels2, train, new Rng(4), task);
    expect(labels2).not.toEqual(labels);
  });

  it('keeps each digit inside its column, whole', () => {
    const set = fakeSet(10, 28, 1);
    const out = new Float32Array(36 * 92);
    const rng = new Rng(1);
    for (let i = 0; i < 50; i++) {
      const s = drawMultiMnist(out, set, rng, 36, 92, 3);
      s.xs.forEach((x, k) => {
        expect(x).toBeGreaterThanOrEqual(k * 30);
        expect(x + 28).toBeLessThanOrEqual((k + 1) * 30);
        expect(s.ys[k] + 28).toBeLessThanOrEqual(36);
        expect(out[s.ys[k] * 92 + x]).toBeCloseTo((1 + s.indices[k]) / 255, 6);
      });
    }
  });

  it('rejects a canvas too small and bad task options', () => {
    const set = fakeSet(10, 28, 1);
    expectError(
      () => drawMultiMnist(new Float32Array(36 * 60), set, new Rng(1), 36, 60, 3),
      'ERR_INVALID_ARG',
      'canvas',
    );
    expectError(() => ramSequenceTask({ minDigits: 4, maxDigits: 3 }), 'ERR_INVALID_ARG', 'options.minDigits');
    expectError(() => ramSequenceTask({ maxDigits: 0 }), 'ERR_INVALID_ARG', 'options.maxDigits');
    expectError(() => ramSequenceTask({ glimpsesPerLabel: 0 }), 'ERR_INVALID_ARG', 'options.glimpsesPerLabel');
  });
});

describe('the sequence model', () => {
  const B = 3;
  const Hi = 10;
  const Wi = 14;
  const J = 3;

  function setup(options: RamOptions) {
    const model = RamModel.create(
      { ...options, classes: RAM_SEQUENCE_CLASSES, locationStd: 0.3 },
      { seed: 5, backend: float64CheckBackend },
    );
    const rng = new Rng(9);
    for (let i = 0; i < model.params.length; i++) model.params[i] += rng.uniform(-0.05, 0.05);
    const sws = createRamSequenceWorkspace(model, B, J);
    const images = Float64Array.from({ length: B * Hi * Wi }, () => rng.next()) as unknown as Float32Array;
    // image 0: two digits and the stop; image 1: one digit, the stop, padding; image 2: the stop first
    const labels = Int32Array.from([3, 7, RAM_STOP, 1, RAM_STOP, -1, RAM_STOP, -1, -1]);
    ramSequenceForward(model, sws, images, Hi, Wi, 'sample', new Rng(4));
    const locs = sws.ws.loc.slice();
    const lossOf = (withGrad: boolean): RamSequenceLoss => {
      sws.ws.loc.set(locs);
      ramSequenceForward(model, sws, images, Hi, Wi, 'replay', null);
      if (withGrad) model.zeroGrads();
      const g = model.grads.slice();
      const l = ramSequenceBackward(model, sws, labels);
      if (!withGrad) model.grads.set(g);
      return l;
    };
    return { model, sws, images, labels, lossOf };
  }

  const termOf = (name: string, l: RamSequenceLoss): number =>
    name.startsWith('location.') ? l.reinforce : name.startsWith('baseline.') ? l.baseline : l.ce;

  const cases: [string, RamOptions][] = [
    [
      'relu RNN, 2 scales, 2 glimpses per label',
      { glimpseSize: 2, scales: 2, glimpses: 6, glimpseHidden: 3, glimpseOutput: 4, hiddenSize: 5 },
    ],
    [
      'LSTM, 1 scale, 1 glimpse per label',
      { glimpseSize: 3, scales: 1, glimpses: 3, glimpseHidden: 4, glimpseOutput: 4, hiddenSize: 4, cell: 'lstm' },
    ],
  ];
  for (const [name, options] of cases) {
    it(`gradients against central finite differences (float64): ${name}`, () => {
      const { model, lossOf } = setup(options);
      const l0 = lossOf(true);
      expect(l0.labels).toBe(6); // 3 + 2 + 1 labels count; the padding does not
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
      expect([...seen].sort()).toEqual(model.layout.map((e) => e.name).sort());
    });
  }

  it('raster and learned policies run the same code: raster = replaying the raster locations, no policy gradient', () => {
    const { model, sws, images, labels } = setup(cases[0][1]);
    const T = model.config.glimpses;
    const raster = ramRasterLocations(T, Hi, Wi);
    // 6 glimpses on 10x14: a 2 x 3 grid (cells 5 x 4.67), row by row
    expect(Array.from(raster, (v) => Number(v.toFixed(4)))).toEqual(
      [-2 / 3, -0.5, 0, -0.5, 2 / 3, -0.5, -2 / 3, 0.5, 0, 0.5, 2 / 3, 0.5].map((v) => Number(v.toFixed(4))),
    );
    model.zeroGrads();
    const a = ramSequenceForward(model, sws, images, Hi, Wi, 'raster', null).slice();
    for (let t = 0; t < T; t++)
      for (let b = 0; b < B; b++) {
        expect(sws.ws.loc[(t * B + b) * 2]).toBeCloseTo(raster[2 * t], 6);
        expect(sws.ws.loc[(t * B + b) * 2 + 1]).toBeCloseTo(raster[2 * t + 1], 6);
      }
    const la = ramSequenceBackward(model, sws, labels);
    const ga = model.grads.slice();
    expect(la.reinforce).toBe(0);
    const wL = model.layout.find((e) => e.name === 'location.weight');
    expect(wL && ga.subarray(wL.offset, wL.offset + wL.size).every((g) => g === 0)).toBe(true);
    // the learned path with the same locations replayed: the same logits and the same gradients elsewhere
    model.zeroGrads();
    sws.ws.loc.set(sws.ws.loc.slice());
    const b = ramSequenceForward(model, sws, images, Hi, Wi, 'replay', null);
    expect(b).toEqual(a);
    const lb = ramSequenceBackward(model, sws, labels);
    expect(lb.ce).toBeCloseTo(la.ce, 10);
    for (const e of model.layout) {
      if (e.name.startsWith('location.')) continue;
      for (let i = e.offset; i < e.offset + e.size; i++) expect(model.grads[i]).toBeCloseTo(ga[i], 10);
    }
  });

  it('decodes up to the first stop', () => {
    const Y = RAM_SEQUENCE_CLASSES;
    const logits = new Float32Array(J * 2 * Y);
    const hot = (j: number, b: number, k: number) => {
      logits[(j * 2 + b) * Y + k] = 1;
    };
    hot(0, 0, 4);
    hot(1, 0, RAM_STOP);
    hot(2, 0, 9);
    hot(0, 1, 1);
    hot(1, 1, 2);
    hot(2, 1, 3);
    expect(ramDecodeSequences(logits, 2, J, Y)).toEqual([[4], [1, 2, 3]]);
  });

  it('rejects a model without the stop class, a glimpse count not a multiple of J, and labels of the wrong size', () => {
    const m10 = RamModel.create({ glimpses: 6, hiddenSize: 4, glimpseHidden: 2, glimpseOutput: 2, glimpseSize: 2 });
    expectError(() => createRamSequenceWorkspace(m10, 2, 3), 'ERR_INVALID_ARG', 'model.config.classes');
    const m = RamModel.create({
      glimpses: 6,
      hiddenSize: 4,
      glimpseHidden: 2,
      glimpseOutput: 2,
      glimpseSize: 2,
      classes: RAM_SEQUENCE_CLASSES,
    });
    expectError(() => createRamSequenceWorkspace(m, 2, 4), 'ERR_INVALID_ARG', 'J');
    const sws = createRamSequenceWorkspace(m, 2, 3);
    ramSequenceForward(m, sws, new Float32Array(2 * 10 * 10), 10, 10, 'mean', null);
    expectError(() => ramSequenceBackward(m, sws, new Int32Array(5)), 'ERR_INVALID_ARG', 'labels');
  });

  it('evaluation defaults to the documented test seed 2014, as ramEvaluate and the CLI (--test-seed)', () => {
    const set = fakeSet(60, 28, 10);
    const small = { glimpseSize: 4, scales: 1, glimpseHidden: 4, glimpseOutput: 6, hiddenSize: 6 };
    const task = ramSequenceTask({ minDigits: 1, maxDigits: 2 });
    const m = RamModel.create({ ...small, glimpses: task.glimpses, classes: RAM_SEQUENCE_CLASSES }, { seed: 3 });
    const seq = (seed?: number) =>
      ramSequenceEvaluate(m, set, task, seed === undefined ? { count: 200 } : { count: 200, seed });
    expect(seq()).toEqual(seq(2014));
    expect(seq()).not.toEqual(seq(2015)); // the seed is used: another seed draws other canvases
    const one = RamModel.create({ ...small, glimpses: 2 }, { seed: 3 });
    const err = (seed?: number) =>
      ramEvaluate(one, set, ramTask('mnist'), seed === undefined ? { count: 200 } : { count: 200, seed });
    expect(err()).toEqual(err(2014));
    expect(err()).not.toEqual(err(2015));
  });
});

describe('a tiny multi-object toy', () => {
  it('learns to read 1-2 squares of 4x4 (dim: 0, bright: 1) left to right with the stop', () => {
    const count = 20;
    const images = new Uint8Array(count * 16);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = i % 2;
      images.fill(labels[i] === 1 ? 255 : 80, i * 16, (i + 1) * 16);
    }
    const set: MnistSet = { images, labels, count, rows: 4, cols: 4 };
    // canvases 12 x 16: a square at a random place in each half, 8 rows of vertical play
    const task = ramSequenceTask({ minDigits: 1, maxDigits: 2, glimpsesPerLabel: 2, digitSize: 4 });
    expect([task.height, task.width, task.glimpses]).toEqual([12, 16, 6]);
    const results: Record<string, number> = {};
    for (const policy of ['sample'] as const) {
      const model = RamModel.create(
        {
          glimpses: task.glimpses,
          classes: RAM_SEQUENCE_CLASSES,
          glimpseSize: 4,
          scales: 2,
          glimpseHidden: 32,
          glimpseOutput: 48,
          hiddenSize: 48,
          locationStd: 0.2,
        },
        { seed: 1 },
      );
      const B = 32;
      const sws = createRamSequenceWorkspace(model, B, task.labels);
      const imgs = new Float32Array(B * task.height * task.width);
      const labs = new Int32Array(B * task.labels);
      const opt = adam({ lr: 0.005 });
      const rng = new Rng(2);
      for (let s = 0; s < 800; s++) {
        drawRamSequenceBatch(imgs, labs, set, rng, task);
        ramSequenceTrainStep(model, sws, imgs, labs, task, opt, policy, rng);
      }
      const r = ramSequenceEvaluate(model, set, task, {
        count: 300,
        seed: 7,
        policy: 'mean',
      });
      results[policy] = r.sequenceError;
      expect(r.digits).toBeGreaterThan(400); // 1.5 digits per canvas on average
    }
    // guessing gets about 1 canvas in 4 right at best; the learned policy reads nearly all
    expect(results.sample, JSON.stringify(results)).toBeLessThan(0.15);
  }, 120_000);
});
