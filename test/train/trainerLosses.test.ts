/**
 * Sequence losses: values by hand, gradients against central finite differences (in float64), the counted
 * step range, both reductions and the argument checks.
 */
import { describe, expect, it } from 'vitest';
import {
  lossFor,
  manyToOneCrossEntropy,
  sequenceCrossEntropy,
  sequenceMse,
  type LossShape,
  type SequenceLoss,
} from '../../src/train/losses.ts';
import { EddyError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const rng = new Rng(21);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-2, 2));

/** Checks dy against central differences of the loss (on float32 inputs, so a loose tolerance). */
function gradCheck(loss: SequenceLoss, y: Float32Array, targets: Int32Array | Float32Array, shape: LossShape): void {
  const dy = new Float32Array(y.length);
  loss(dy, y, targets, shape);
  const h = 1e-2;
  for (let i = 0; i < y.length; i++) {
    const yp = y.slice();
    yp[i] += h;
    const ym = y.slice();
    ym[i] -= h;
    const num = (loss(null, yp, targets, shape).loss - loss(null, ym, targets, shape).loss) / (2 * h);
    expect(Math.abs(num - dy[i]), `dy[${i}]`).toBeLessThan(2e-3);
  }
}

describe('sequenceCrossEntropy', () => {
  const T = 3,
    B = 2,
    V = 4;
  const y = rand(T * B * V);
  const targets = Int32Array.from([1, -1, 0, 3, 2, 2]); // [T, B]
  it("'mean' divides by the counted (step, row) pairs; 'sum' adds them", () => {
    const logsm = (r: number, t: number) => {
      const row = y.subarray(r * V, r * V + V);
      const z = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      return z - row[t];
    };
    const expected = [0, 2, 3, 4, 5].map((r) => logsm(r, targets[r])).reduce((a, b) => a + b, 0);
    const mean = sequenceCrossEntropy(null, y, targets, { T, B, Y: V });
    expect(mean.count).toBe(5);
    expect(mean.loss).toBeCloseTo(expected / 5, 5);
    expect(sequenceCrossEntropy(null, y, targets, { T, B, Y: V, reduction: 'sum' }).loss).toBeCloseTo(expected, 5);
  });
  it('counts only the steps in [fromStep, toStep), with a zero gradient elsewhere', () => {
    const dy = new Float32Array(T * B * V).fill(7);
    const r = sequenceCrossEntropy(dy, y, targets, { T, B, Y: V, fromStep: 1, toStep: 2 });
    expect(r.count).toBe(2);
    expect([...dy.subarray(0, B * V), ...dy.subarray(2 * B * V)].every((v) => v === 0)).toBe(true);
    expect(dy.subarray(B * V, 2 * B * V).some((v) => v !== 0)).toBe(true);
    expect(sequenceCrossEntropy(null, y, targets, { T, B, Y: V, fromStep: 2, toStep: 2 })).toEqual({
      loss: 0,
      sum: 0,
      count: 0,
    });
  });
  it('gradient matches finite differences (mean and sum, partial range)', () => {
    gradCheck(sequenceCrossEntropy, y, targets, { T, B, Y: V });
    gradCheck(sequenceCrossEntropy, y, targets, { T, B, Y: V, fromStep: 1, reduction: 'sum' });
  });
  it('checks its arguments', () => {
    expect(() => sequenceCrossEntropy(null, y, Int32Array.from([1, 1, 1, 4, 1, 1]), { T, B, Y: V })).toThrow(
      /class id < 4 .*for targets\[3\] but received 4/,
    );
    expect(() => sequenceCrossEntropy(null, y, new Int32Array(5), { T, B, Y: V })).toThrow(
      /targets Int32Array of class ids of length 6/,
    );
    expect(() => sequenceCrossEntropy(null, y.subarray(1), targets, { T, B, Y: V })).toThrow(
      /Expected y Float32Array of length 24/,
    );
    expect(() => sequenceCrossEntropy(null, y, targets, { T, B, Y: V, fromStep: 4 })).toThrow(/shape\.fromStep/);
    expect(() => sequenceCrossEntropy(null, y, targets, { T, B, Y: V, fromStep: 2, toStep: 1 })).toThrow(
      /shape\.toStep/,
    );
    expect(() => sequenceCrossEntropy(null, y, targets, { T, B, Y: V, reduction: 'none' as never })).toThrow(
      /shape\.reduction/,
    );
  });
});

describe('manyToOneCrossEntropy', () => {
  const T = 4,
    B = 3,
    V = 5;
  const y = rand(T * B * V);
  it('with labels [B] scores the last counted step only', () => {
    const labels = Int32Array.from([4, 0, 2]);
    const full = new Int32Array(T * B).fill(-1);
    full.set(labels, (T - 1) * B);
    const a = new Float32Array(T * B * V);
    const b = new Float32Array(T * B * V);
    const r = manyToOneCrossEntropy(a, y, labels, { T, B, Y: V });
    expect(r).toEqual(sequenceCrossEntropy(b, y, full, { T, B, Y: V }));
    expect(a).toEqual(b);
    // the last counted step is toStep - 1
    full.fill(-1);
    full.set(labels, 1 * B);
    expect(manyToOneCrossEntropy(null, y, labels, { T, B, Y: V, toStep: 2 }).loss).toBeCloseTo(
      sequenceCrossEntropy(null, y, full, { T, B, Y: V }).loss,
      6,
    );
    gradCheck(manyToOneCrossEntropy, y, labels, { T, B, Y: V });
  });
  it('with targets [T, B] scores the steps whose target is >= 0', () => {
    const targets = new Int32Array(T * B).fill(-1);
    targets[1 * B + 2] = 3;
    targets[3 * B + 0] = 1;
    expect(manyToOneCrossEntropy(null, y, targets, { T, B, Y: V })).toEqual(
      sequenceCrossEntropy(null, y, targets, { T, B, Y: V }),
    );
  });
  it('checks its arguments', () => {
    expect(() => manyToOneCrossEntropy(null, y, new Int32Array(2), { T, B, Y: V })).toThrow(
      /\[B=3\] \(one label per row\)/,
    );
  });
});

describe('sequenceMse', () => {
  const T = 2,
    B = 2,
    Y = 3;
  const y = rand(T * B * Y);
  const t = rand(T * B * Y);
  it("'mean' over counted elements (PyTorch's MSELoss), 'sum', and the counted range", () => {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += (y[i] - t[i]) ** 2;
    expect(sequenceMse(null, y, t, { T, B, Y }).loss).toBeCloseTo(s / 12, 5);
    expect(sequenceMse(null, y, t, { T, B, Y, reduction: 'sum' }).loss).toBeCloseTo(s, 5);
    expect(sequenceMse(null, y, t, { T, B, Y, fromStep: 1 }).count).toBe(6);
    gradCheck(sequenceMse, y, t, { T, B, Y });
    gradCheck(sequenceMse, y, t, { T, B, Y, fromStep: 1, reduction: 'sum' });
  });
  it('checks its arguments', () => {
    expect(() => sequenceMse(null, y, new Int32Array(12), { T, B, Y })).toThrow(/targets Float32Array of length 12/);
    expect(() => sequenceMse(new Float32Array(3), y, t, { T, B, Y })).toThrow(/Expected dy Float32Array of length 12/);
  });
});

describe('lossFor', () => {
  it('names the built-in losses', () => {
    expect(lossFor('crossEntropy')).toBe(sequenceCrossEntropy);
    expect(lossFor('manyToOne')).toBe(manyToOneCrossEntropy);
    expect(lossFor('mse')).toBe(sequenceMse);
    expect(() => lossFor('hinge' as never, 'options.loss')).toThrow(EddyError);
    expect(() => lossFor('hinge' as never, 'options.loss')).toThrow(
      /one of "crossEntropy", "manyToOne", "mse" for options\.loss/,
    );
  });
});
