/**
 * Truncated BPTT in the Trainer, checked against explicit `model.forward` / `model.backward`:
 * - k1 = k2 = T over one window is exactly full BPTT; over several windows the gradient stops at each start;
 * - k1 < k2: the gradient of window j is BPTT over steps [j·k1, j·k1 + k2) from the state at j·k1, with the
 *   losses of the last k1 steps only (all k2 in window 0);
 * - carrying the state across windows learns a task that needs memory longer than a window; resetting it
 *   at every window cannot.
 */
import { describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import type { RecurrentState } from '../../src/model/recurrentState.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { sequenceWindows } from '../../src/train/charRnnBatches.ts';
import { Rng } from '../../src/util/rng.ts';

const X = 3,
  Y = 4;

function randomData(N: number, B: number, seed: number) {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: N * B * X }, () => rng.uniform(-1, 1)); // [N, B, X]
  const targets = Int32Array.from({ length: N * B }, () => (rng.next() < 0.15 ? -1 : rng.int(Y))); // [N, B]
  return { x, targets };
}

/** Gradient of the mean cross-entropy over steps [from, T) of a window run from `state`, by hand. */
function referenceGrads(
  model: RNNModel,
  x: Float32Array,
  targets: Int32Array,
  T: number,
  B: number,
  from: number,
  state?: RecurrentState,
) {
  const { y, workspace } = model.forward(x, state ? { T, B, state } : { T, B });
  const masked = targets.slice();
  masked.fill(-1, 0, from * B); // context steps do not count
  let count = 0;
  for (const t of masked) if (t >= 0) count++;
  const dy = new Float32Array(T * B * Y);
  const sum = softmaxCrossEntropy(dy, y, masked, T * B, Y, 1 / count);
  model.zeroGrads();
  model.backward(workspace, dy);
  return { grads: model.grads.slice(), loss: sum / count, sum };
}

function stateAt(model: RNNModel, x: Float32Array, steps: number, B: number): RecurrentState | undefined {
  if (steps === 0) return undefined;
  return model.forward(x.subarray(0, steps * B * X), { T: steps, B }).state;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const cells = ['lstm', 'gru', 'rnn_tanh'] as const;

describe('TBPTT gradients', () => {
  for (const cell of cells) {
    it(`${cell}: k1 = k2 = T over one window gives exactly the full-BPTT gradients`, () => {
      const opts: ModelOptions = { cell, inputSize: X, hiddenSize: 5, numLayers: 2, outputSize: Y };
      const model = RNNModel.create(opts, { seed: 3 });
      const ref = RNNModel.create(opts, { seed: 3 });
      const T = 7,
        B = 2;
      const { x, targets } = randomData(T, B, 11);
      const trainer = new Trainer(model, { optimizer: { name: 'sgd', lr: 0 }, k1: T });
      const e = trainer.update({ x, targets, T, B, reset: true });
      const expected = referenceGrads(ref, x, targets, T, B, 0);
      expect(model.grads).toEqual(expected.grads);
      expect(e.loss).toBeCloseTo(expected.loss, 6);
      expect(e.tokens).toBe(T * B);
    });
  }

  it('over several windows of k1 = k2 the state is carried but the gradient stops at each window start', () => {
    const opts: ModelOptions = { cell: 'lstm', inputSize: X, hiddenSize: 5, outputSize: Y };
    const model = RNNModel.create(opts, { seed: 4 });
    const ref = RNNModel.create(opts, { seed: 4 });
    const N = 9,
      B = 3,
      k = 3;
    const { x, targets } = randomData(N, B, 12);
    const trainer = new Trainer(model, { optimizer: { name: 'sgd', lr: 0 }, k1: k });
    for (const w of sequenceWindows({ x, targets, N, B }, { k1: k })) {
      trainer.update(w);
      const s = w.index * k;
      const expected = referenceGrads(
        ref,
        w.x as Float32Array,
        w.targets as Int32Array,
        k,
        B,
        0,
        stateAt(ref, x, s, B),
      );
      expect(model.grads).toEqual(expected.grads);
    }
  });

  for (const cell of cells) {
    it(`${cell}: k1 < k2 matches BPTT over the last k2 steps from the state saved k2 steps earlier, losses of the last k1 steps`, () => {
      const opts: ModelOptions = { cell, inputSize: X, hiddenSize: 6, numLayers: 2, outputSize: Y };
      const model = RNNModel.create(opts, { seed: 5 });
      const ref = RNNModel.create(opts, { seed: 5 });
      const N = 14,
        B = 2,
        k1 = 2,
        k2 = 5;
      const { x, targets } = randomData(N, B, 13);
      const trainer = new Trainer(model, { optimizer: { name: 'sgd', lr: 0 }, k1, k2 });
      const evaluated = trainer.evaluate(sequenceWindows({ x, targets, N, B }, { k1, k2 }));
      let n = 0,
        sum = 0;
      for (const w of sequenceWindows({ x, targets, N, B }, { k1, k2 })) {
        const e = trainer.update(w);
        const start = w.index * k1;
        expect(w.context).toBe(w.index === 0 ? 0 : k2 - k1);
        const xs = x.slice(start * B * X, (start + k2) * B * X);
        const ts = targets.slice(start * B, (start + k2) * B);
        const expected = referenceGrads(ref, xs, ts, k2, B, w.context, stateAt(ref, x, start, B));
        expect(maxRelDiff(model.grads, expected.grads)).toBeLessThan(1e-5);
        expect(e.loss).toBeCloseTo(expected.loss, 5);
        expect(e.tokens).toBe((k2 - w.context) * B);
        sum += expected.sum;
        n++;
      }
      expect(n).toBe(5); // [0,5) [2,7) [4,9) [6,11) [8,13)
      expect(evaluated.sum).toBeCloseTo(sum, 4); // evaluate carries its own state the same way
    });
  }
});

describe('carrying the state across windows', () => {
  // B streams of segments of S = 3W steps: the first step shows a bit (±1 on channel 0, a marker on
  // channel 1), then zeros; the target at every step is the segment's bit. Windows of W steps are aligned
  // with the segments, so the second and third window of a segment must recall a bit seen in an earlier one.
  const W = 4,
    S = 3 * W,
    B = 16;
  function memoryData(segments: number, seed: number) {
    const rng = new Rng(seed);
    const N = segments * S;
    const x = new Float32Array(N * B * 2); // [N, B, 2]
    const targets = new Int32Array(N * B); // [N, B]
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < segments; s++) {
        const bit = rng.int(2);
        x[(s * S * B + b) * 2] = bit ? 1 : -1;
        x[(s * S * B + b) * 2 + 1] = 1;
        for (let t = 0; t < S; t++) targets[(s * S + t) * B + b] = bit;
      }
    }
    return { x, targets, N, B };
  }

  function train(reset: boolean) {
    const model = RNNModel.create({ cell: 'gru', inputSize: 2, hiddenSize: 8, outputSize: 2 }, { seed: 1 });
    const trainer = new Trainer(model, { optimizer: { name: 'adam', lr: 0.03 }, k1: W, clipNorm: 5 });
    const losses: number[] = [];
    for (const w of sequenceWindows(memoryData(100, 7), { k1: W }))
      losses.push(trainer.update(reset ? { ...w, reset: true } : w).loss);
    const test = [...sequenceWindows(memoryData(20, 99), { k1: W })].map((w) => (reset ? { ...w, reset: true } : w));
    const final = losses.slice(-60).reduce((a, b) => a + b, 0) / 60;
    return { model, final, evalLoss: trainer.evaluate(test).loss };
  }

  it('beats resetting it at every window on a task that needs memory of 3 windows (same seed and budget)', () => {
    const carried = train(false);
    const reset = train(true);
    // reset: the 2nd and 3rd window of a segment carry no information about the bit: about (0 + 2 ln 2) / 3
    expect(reset.final).toBeGreaterThan(0.4);
    expect(reset.evalLoss).toBeGreaterThan(0.4);
    expect(carried.final).toBeLessThan(0.1);
    expect(carried.evalLoss).toBeLessThan(0.1);
    // streaming the carried model step by step reports the bit at the end of each segment
    const test = memoryData(20, 99);
    const state = carried.model.createState(B);
    const out = new Float32Array(B * 2);
    let right = 0,
      total = 0;
    for (let t = 0; t < test.N; t++) {
      carried.model.step(test.x.subarray(t * B * 2, (t + 1) * B * 2), state, out);
      if (t % S !== S - 1) continue;
      for (let b = 0; b < B; b++, total++)
        if ((out[b * 2 + 1] > out[b * 2] ? 1 : 0) === test.targets[t * B + b]) right++;
    }
    expect(right / total).toBeGreaterThan(0.95);
  });
});
