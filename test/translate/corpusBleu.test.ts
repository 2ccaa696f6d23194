/**
 * Corpus BLEU-4 against a worked example (below, by hand), and its edge cases.
 *
 * h1 = "the cat sat on the mat", refs "the cat is on the mat" | "there is a cat on the mat"
 *   1-grams: the×2 (max ref count 2), cat, sat (0), on, mat -> 5/6
 *   2-grams: the cat, cat sat (0), sat on (0), on the, the mat -> 3/5
 *   3-grams: the cat sat, cat sat on, sat on the (0 each), on the mat -> 1/4
 *   4-grams: the cat sat on, cat sat on the, sat on the mat -> 0/3;  closest reference length 6
 * h2 = "he is on the mat", ref "he is on the red mat"
 *   1-grams 5/5; 2-grams he is, is on, on the (the mat: 0) -> 3/4; 3-grams he is on, is on the -> 2/3;
 *   4-grams he is on the -> 1/2;  reference length 6
 * corpus: p = 10/11, 6/9, 3/7, 1/5;  c = 11, r = 12, BP = exp(1 - 12/11)
 * BLEU = exp(-1/11) · (10/11 · 2/3 · 3/7 · 1/5)^(1/4) = exp(-1/11) · (60/1155)^(1/4) ≈ 0.43592
 */
import { describe, expect, it } from 'vitest';
import { corpusBleu } from '../../src/translate/corpusBleu.ts';
import { expectError } from '../helpers/expectError.ts';

const w = (s: string): string[] => s.split(' ');

describe('corpusBleu', () => {
  it('matches the worked example (clipping, two references, corpus sums, brevity penalty)', () => {
    const r = corpusBleu(
      [w('the cat sat on the mat'), w('he is on the mat')],
      [[w('the cat is on the mat'), w('there is a cat on the mat')], [w('he is on the red mat')]],
    );
    expect(r.precisions[0]).toBeCloseTo(10 / 11, 12);
    expect(r.precisions[1]).toBeCloseTo(6 / 9, 12);
    expect(r.precisions[2]).toBeCloseTo(3 / 7, 12);
    expect(r.precisions[3]).toBeCloseTo(1 / 5, 12);
    expect(r.hypothesisLength).toBe(11);
    expect(r.referenceLength).toBe(12);
    expect(r.brevityPenalty).toBeCloseTo(Math.exp(-1 / 11), 12);
    expect(r.bleu).toBeCloseTo(Math.exp(-1 / 11) * (60 / 1155) ** 0.25, 12);
    expect(r.bleu).toBeCloseTo(0.43592, 5);
  });

  it('is 1 for a hypothesis equal to a reference, 0 without any 4-gram match, and no penalty when longer', () => {
    expect(corpusBleu([w('a b c d e')], [[w('x'), w('a b c d e')]]).bleu).toBeCloseTo(1, 12);
    expect(corpusBleu([w('the cat sat on the mat')], [[w('the cat is on the mat')]]).bleu).toBe(0);
    expect(corpusBleu([w('a b c d e f')], [[w('a b c d e')]]).brevityPenalty).toBe(1);
  });

  it('takes the shorter reference length on a tie of distances', () => {
    expect(corpusBleu([w('a b c d e')], [[w('a b c d e f'), w('a b c d')]]).referenceLength).toBe(4);
  });

  it('rejects mismatched or empty reference lists', () => {
    expectError(() => corpusBleu([w('a')], []), 'ERR_INVALID_ARG', /references/);
    expectError(() => corpusBleu([w('a')], [[]]), 'ERR_INVALID_ARG', /references\[0\]/);
  });
});
