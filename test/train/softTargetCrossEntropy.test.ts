/**
 * Knowledge distillation's loss: `softTargetCrossEntropy` against finite differences and against the plain
 * cross-entropy it must equal at T = 1 with one-hot targets; `softenProbabilities` is `softmax(z / T)` for a single
 * model's probabilities; bad input is named. `trainClassifierEpoch`'s `distill`: weight 0 and (at T = 1, one-hot
 * teacher) weight 1 reproduce the undistilled training exactly, for both kinds of classifier (so the soft term reads
 * each row's last real step, and each example's own teacher row); a soft-only training pulls a student toward a
 * teacher's distribution.
 */
import { describe, expect, it } from 'vitest';
import {
  BidirectionalClassifier,
  RNNModel,
  Rng,
  adam,
  classifySequences,
  manyToOneCrossEntropy,
  softTargetCrossEntropy,
  softenProbabilities,
  trainClassifierEpoch,
  type ClassifierData,
} from '../../src/index.ts';

const softmax = (z: number[], T = 1): number[] => {
  const m = Math.max(...z.map((v) => v / T));
  const e = z.map((v) => Math.exp(v / T - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

function randomRows(rng: Rng, B: number, K: number, scale: number): Float32Array {
  return Float32Array.from({ length: B * K }, () => rng.uniform(-1, 1) * scale);
}

function randomDistributions(rng: Rng, B: number, K: number): Float32Array {
  const p = new Float32Array(B * K);
  for (let b = 0; b < B; b++) {
    const row = softmax(Array.from({ length: K }, () => rng.uniform(0, 4)));
    p.set(row, b * K);
  }
  return p;
}

describe('softTargetCrossEntropy', () => {
  it('its gradient matches finite differences (T 0.5, 1, 3; a scale)', () => {
    const rng = new Rng(3);
    const B = 3;
    const K = 5;
    for (const T of [0.5, 1, 3]) {
      const z = randomRows(rng, B, K, 2);
      const p = randomDistributions(rng, B, K);
      const dz = new Float32Array(B * K);
      softTargetCrossEntropy(dz, z, p, B, K, T, 0.7);
      const h = 1e-2;
      for (let i = 0; i < B * K; i++) {
        const zp = z.slice();
        const zm = z.slice();
        zp[i] += h;
        zm[i] -= h;
        const num =
          (softTargetCrossEntropy(null, zp, p, B, K, T, 0.7) - softTargetCrossEntropy(null, zm, p, B, K, T, 0.7)) /
          (2 * h);
        expect(dz[i]).toBeCloseTo(num, 2);
      }
    }
  });

  it('at T = 1 with one-hot targets is the plain cross-entropy, loss and gradient', () => {
    const rng = new Rng(5);
    const B = 4;
    const K = 6;
    const z = randomRows(rng, B, K, 3);
    const labels = Int32Array.of(0, 5, 2, 2);
    const p = new Float32Array(B * K);
    labels.forEach((l, b) => {
      p[b * K + l] = 1;
    });
    const dz = new Float32Array(B * K);
    const loss = softTargetCrossEntropy(dz, z, p, B, K, 1, 1 / B);
    const dref = new Float32Array(B * K);
    const ref = manyToOneCrossEntropy(dref, z, labels, { T: 1, B, Y: K });
    expect(loss).toBeCloseTo(ref.loss, 5);
    for (let i = 0; i < B * K; i++) expect(dz[i]).toBeCloseTo(dref[i], 6);
  });

  it('is T² times the cross-entropy of the softened distributions', () => {
    const z = Float32Array.of(1, -2, 0.5);
    const p = Float32Array.of(0.2, 0.3, 0.5);
    const q = softmax([...z], 2);
    const ce = -[0, 1, 2].reduce((s, k) => s + p[k] * Math.log(q[k]), 0);
    expect(softTargetCrossEntropy(null, z, p, 1, 3, 2)).toBeCloseTo(4 * ce, 5);
  });

  it('names bad input', () => {
    const z = new Float32Array(6);
    expect(() => softTargetCrossEntropy(null, z, Float32Array.of(0.5, 0.5, 0, 1, 0, 0.5), 2, 3)).toThrow(
      /a distribution.*for p\[1\]/,
    );
    expect(() => softTargetCrossEntropy(null, z, Float32Array.of(1.5, -0.5, 0, 1, 0, 0), 2, 3)).toThrow(
      /probability.*for p\[0, 1\]/,
    );
    expect(() => softTargetCrossEntropy(null, z, new Float32Array(5), 2, 3)).toThrow(
      /Expected p Float32Array of length 6/,
    );
    expect(() => softTargetCrossEntropy(new Float32Array(2), z, new Float32Array(6), 2, 3)).toThrow(/dz/);
    expect(() => softTargetCrossEntropy(null, z, new Float32Array(6), 2, 3, 0)).toThrow(/temperature/);
  });
});

describe('softenProbabilities', () => {
  it("is softmax(z / T) of a single model's probabilities, and T = 1 changes nothing", () => {
    const z = [2, -1, 0.3, 0.3];
    const p = Float32Array.from(softmax(z));
    for (const T of [0.5, 2, 5]) {
      const s = softenProbabilities(p, 4, T);
      softmax(z, T).forEach((v, k) => expect(s[k]).toBeCloseTo(v, 6));
    }
    softenProbabilities(p, 4, 1).forEach((v, k) => expect(v).toBeCloseTo(p[k], 6));
  });

  it('keeps zeros at zero, does not underflow a peaked row, and names a bad row', () => {
    const s = softenProbabilities(Float32Array.of(1e-30, 0, 1), 3, 0.1);
    expect(s[1]).toBe(0);
    expect(s[2]).toBeCloseTo(1, 6);
    expect(() => softenProbabilities(Float32Array.of(0.5, 0.5, 0, 0), 2, 2)).toThrow(/for probs\[1\]/);
    expect(() => softenProbabilities(new Float32Array(5), 2, 2)).toThrow(/probs/);
  });
});

describe('trainClassifierEpoch with distill', () => {
  const K = 4;
  const data: ClassifierData = (() => {
    const rng = new Rng(9);
    const seqs = Array.from({ length: 40 }, () => Int32Array.from({ length: 1 + rng.int(7) }, () => 1 + rng.int(9)));
    // a learnable rule: the class is the first id mod K
    return { seqs, labels: Int32Array.from(seqs, (s) => s[0] % K) };
  })();
  const oneHot = (() => {
    const p = new Float32Array(data.labels.length * K);
    data.labels.forEach((l, i) => {
      p[i * K + l] = 1;
    });
    return p;
  })();
  const config = {
    cell: 'gru',
    input: 'embedding',
    embeddingSize: 6,
    inputSize: 10,
    hiddenSize: 8,
    outputSize: K,
  } as const;
  const make = (kind: 'uni' | 'bi') =>
    kind === 'uni' ? RNNModel.create(config, { seed: 4 }) : BidirectionalClassifier.create(config, { seed: 4 });

  for (const kind of ['uni', 'bi'] as const) {
    it(`${kind}: weight 0, and weight 1 with the labels as one-hot targets at T = 1, train as without`, () => {
      const run = (distill?: { probs: Float32Array; weight: number; temperature?: number }) => {
        const m = make(kind);
        const rng = new Rng(2);
        const optimizer = adam({ lr: 0.01 });
        const losses: number[] = [];
        for (let e = 0; e < 3; e++)
          losses.push(trainClassifierEpoch(m, data, { optimizer, rng, batchSize: 8, ...(distill ? { distill } : {}) }));
        return { params: m.params.slice(), losses };
      };
      const plain = run();
      const w0 = run({ probs: randomDistributions(new Rng(1), data.labels.length, K), weight: 0, temperature: 3 });
      const w1 = run({ probs: oneHot, weight: 1 });
      for (const r of [w0, w1]) {
        r.losses.forEach((l, i) => expect(l).toBeCloseTo(plain.losses[i], 5));
        let maxDiff = 0;
        for (let i = 0; i < r.params.length; i++) maxDiff = Math.max(maxDiff, Math.abs(r.params[i] - plain.params[i]));
        expect(maxDiff).toBeLessThan(1e-4);
      }
      // and a different teacher trains differently (the check can fail)
      const other = run({
        probs: softenProbabilities(
          oneHot.map((v) => 0.1 + v),
          K,
          1,
        ),
        weight: 1,
      });
      expect(other.losses[2]).not.toBeCloseTo(plain.losses[2], 3);
    });

    it(`${kind}: soft targets alone pull the student toward the teacher's distribution`, () => {
      // the teacher: 0.55 on the label, 0.15 on the others
      const teacher = oneHot.map((v) => (v === 1 ? 0.55 : 0.15));
      const gap = (distill: boolean): number => {
        const m = make(kind);
        const rng = new Rng(6);
        const optimizer = adam({ lr: 0.02 });
        for (let e = 0; e < 40; e++)
          trainClassifierEpoch(m, data, {
            optimizer,
            rng,
            batchSize: 8,
            ...(distill ? { distill: { probs: teacher, weight: 1 } } : {}),
          });
        const { probs } = classifySequences(m, data.seqs);
        let sum = 0;
        for (let i = 0; i < probs.length; i++) sum += Math.abs(probs[i] - teacher[i]);
        return sum / probs.length;
      };
      const soft = gap(true);
      const hard = gap(false); // hard labels drive the label's probability toward 1
      expect(soft).toBeLessThan(0.05);
      expect(hard).toBeGreaterThan(3 * soft);
    });
  }

  it('names a teacher of the wrong shape and a bad weight', () => {
    const m = make('uni');
    const o = { optimizer: adam({ lr: 0.01 }), rng: new Rng(1) };
    expect(() => trainClassifierEpoch(m, data, { ...o, distill: { probs: new Float32Array(7), weight: 0.5 } })).toThrow(
      /options\.distill\.probs/,
    );
    expect(() => trainClassifierEpoch(m, data, { ...o, distill: { probs: oneHot, weight: 2 } })).toThrow(
      /options\.distill\.weight/,
    );
  });
});
