import { describe, expect, it } from 'vitest';
import { argmax, createSampleScratch, resolveSampleOptions, sample, sampleResolved } from '../../src/tensor/sample.ts';
import { softmaxRows } from '../../src/tensor/softmax.ts';
import { Rng } from '../../src/util/rng.ts';

const logits = new Float32Array([0.5, 2.0, -1.0, 2.0, 1.5, 0.0]); // V = 6; ids 1 and 3 tie for the max

/** Ids sorted by probability (ties: lower id first). */
function ranked(l: Float32Array, off: number, V: number): number[] {
  return Array.from({ length: V }, (_, j) => j).sort((a, b) => l[off + b] - l[off + a] || a - b);
}

describe('argmax / greedy', () => {
  it('takes the largest, ties to the lowest id', () => {
    expect(argmax(logits, 0, 6)).toBe(1);
    expect(argmax(new Float32Array([3, 3, 3]), 0, 3)).toBe(0);
    expect(argmax(new Float32Array([-Infinity, -5, -5]), 0, 3)).toBe(1);
  });

  it('reads at an offset', () => {
    const buf = new Float32Array(20);
    buf.set(logits, 7);
    buf[0] = 100; // outside the row
    expect(argmax(buf, 7, 6)).toBe(1);
    expect(sample(buf, 7, 6, { temperature: 0 })).toBe(1);
  });

  it('temperature 0 and "greedy" need no rng', () => {
    expect(sample(logits, 0, 6, { temperature: 0 })).toBe(1);
    expect(sample(logits, 0, 6, { temperature: 'greedy' })).toBe(1);
  });
});

describe('sampling', () => {
  it('is the same for the same seed, and follows the softmax', () => {
    const draw = (seed: number, n: number): number[] => {
      const rng = new Rng(seed);
      const scratch = createSampleScratch(6);
      return Array.from({ length: n }, () => sample(logits, 0, 6, { rng }, scratch));
    };
    expect(draw(5, 50)).toEqual(draw(5, 50));
    const N = 20000;
    const counts = new Array(6).fill(0);
    for (const id of draw(9, N)) counts[id]++;
    const p = new Float32Array(6);
    softmaxRows(p, 0, logits, 0, 1, 6);
    for (let j = 0; j < 6; j++) expect(Math.abs(counts[j] / N - p[j])).toBeLessThan(0.015);
  });

  it('temperature sharpens and flattens', () => {
    const rng = new Rng(3);
    const s = createSampleScratch(6);
    const cold = Array.from({ length: 2000 }, () => sample(logits, 0, 6, { temperature: 0.05, rng }, s));
    expect(cold.every((id) => id === 1 || id === 3)).toBe(true);
    const hot = new Set(Array.from({ length: 2000 }, () => sample(logits, 0, 6, { temperature: 50, rng }, s)));
    expect(hot.size).toBe(6);
  });

  it('top-k only ever draws the k most probable ids; top-1 is greedy', () => {
    const rng = new Rng(1);
    const s = createSampleScratch(6);
    const order = ranked(logits, 0, 6);
    for (const k of [1, 2, 3]) {
      const allowed = new Set(order.slice(0, k));
      const seen = new Set<number>();
      for (let i = 0; i < 3000; i++) {
        const id = sample(logits, 0, 6, { topK: k, rng, temperature: 2 }, s);
        expect(allowed.has(id)).toBe(true);
        seen.add(id);
      }
      expect(seen.size).toBe(k);
    }
    expect(sample(logits, 0, 6, { topK: 1, rng })).toBe(1);
  });

  it('top-p only ever draws from the smallest set reaching the mass', () => {
    const rng = new Rng(2);
    const s = createSampleScratch(6);
    const p = new Float32Array(6);
    softmaxRows(p, 0, logits, 0, 1, 6);
    const order = ranked(logits, 0, 6);
    for (const topP of [0.1, 0.5, 0.8, 0.95]) {
      let cum = 0;
      const allowed = new Set<number>();
      for (const id of order) {
        allowed.add(id);
        cum += p[id];
        if (cum >= topP) break;
      }
      const seen = new Set<number>();
      for (let i = 0; i < 3000; i++) {
        const id = sample(logits, 0, 6, { topP, rng }, s);
        expect(allowed.has(id)).toBe(true);
        seen.add(id);
      }
      expect(seen).toEqual(allowed);
    }
  });

  it('top-k and top-p combine (top-p over the renormalized top-k mass)', () => {
    const rng = new Rng(4);
    const s = createSampleScratch(6);
    // top-3 = {1, 3, 4}; within it, ids 1 and 3 hold ~0.74 of the mass, so topP 0.7 keeps {1, 3}
    for (let i = 0; i < 2000; i++) expect([1, 3]).toContain(sample(logits, 0, 6, { topK: 3, topP: 0.7, rng }, s));
  });

  it('handles -Infinity logits and a one-id vocabulary', () => {
    const rng = new Rng(6);
    const l = new Float32Array([-Infinity, 0, -Infinity]);
    for (let i = 0; i < 100; i++) expect(sample(l, 0, 3, { rng, topP: 0.5 })).toBe(1);
    expect(sample(new Float32Array([7]), 0, 1, { rng })).toBe(0);
  });

  it('sampleResolved matches sample for the same draws', () => {
    const a = new Rng(8);
    const b = new Rng(8);
    const s = createSampleScratch(6);
    for (let i = 0; i < 100; i++) {
      expect(sampleResolved(logits, 0, 6, 0.9, 3, 0.9, a, s)).toBe(
        sample(logits, 0, 6, { temperature: 0.9, topK: 3, topP: 0.9, rng: b }, s),
      );
    }
  });
});

describe('invalid arguments name the option', () => {
  const rng = new Rng(0);
  it.each([
    [{ temperature: -1, rng }, /options.temperature/],
    [{ temperature: 'hot' as unknown as number, rng }, /options.temperature/],
    [{ temperature: NaN, rng }, /options.temperature/],
    [{ topK: -1, rng }, /options.topK/],
    [{ topK: 1.5, rng }, /options.topK/],
    [{ topP: 0, rng }, /options.topP/],
    [{ topP: 1.5, rng }, /options.topP/],
    [{}, /options.rng/],
  ])('%o', (options, message) => {
    expect(() => sample(logits, 0, 6, options)).toThrow(message);
  });

  it('rejects a short scratch and a non-object', () => {
    expect(() => sample(logits, 0, 6, { rng }, createSampleScratch(3))).toThrow(/scratch/);
    expect(() => sample(logits, 0, 6, null as unknown as object)).toThrow(/options/);
    expect(() => resolveSampleOptions({ topP: -0.1 }, 'opts')).toThrow(/opts.topP/);
    expect(() => createSampleScratch(0)).toThrow(/V/);
  });
});
