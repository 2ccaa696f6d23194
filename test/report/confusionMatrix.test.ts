/**
 * `confusionMatrix`: counts, accuracy, per-class precision / recall / F1 and macro-F1 against values worked out by
 * hand (the same as scikit-learn's `f1_score(average='macro', zero_division=0)`), the PNG, and invalid arguments.
 */
import { describe, expect, it } from 'vitest';
import { confusionMatrix } from '../../src/report/confusionMatrix.ts';
import { confusionMatrixSvg, renderConfusionMatrix } from '../../src/report/confusionMatrixPlot.ts';
import { expectError } from '../helpers/expectError.ts';

describe('confusionMatrix', () => {
  const actual = [0, 0, 0, 1, 1, 2, 2, 2];
  const predicted = [0, 0, 1, 1, 0, 2, 2, 0];
  it('counts rows as true classes and scores them', () => {
    const m = confusionMatrix(actual, predicted, 4);
    expect([...m.counts]).toEqual([2, 1, 0, 0, 1, 1, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0]);
    expect(m.accuracy).toBeCloseTo(5 / 8, 12);
    expect(m.precision[0]).toBeCloseTo(2 / 4, 12);
    expect(m.recall[0]).toBeCloseTo(2 / 3, 12);
    expect(m.f1[0]).toBeCloseTo((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3), 12);
    expect(m.f1[1]).toBeCloseTo(0.5, 12);
    expect(m.f1[2]).toBeCloseTo(0.8, 12);
    // class 3 neither occurs nor is predicted: not in the mean
    expect(m.macroF1).toBeCloseTo((m.f1[0] + 0.5 + 0.8) / 3, 12);
    expect([...m.support]).toEqual([3, 2, 3, 0]);
  });

  it('renders a PNG', async () => {
    const png = await renderConfusionMatrix(confusionMatrix(actual, predicted, 3), ['a', 'b', 'c'], { title: 't' });
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  });

  it('refuses bad arguments, naming them', () => {
    expectError(() => confusionMatrix([0, 1], [0], 2), 'ERR_INVALID_ARG', 'predicted');
    expectError(() => confusionMatrix([0, 2], [0, 1], 2), 'ERR_INVALID_ARG', 'actual[1]');
    expectError(() => confusionMatrix([0, 1], [0, -1], 2), 'ERR_INVALID_ARG', 'predicted[1]');
    expectError(() => confusionMatrixSvg(confusionMatrix([0], [0], 2), ['a']), 'ERR_INVALID_ARG', 'labels');
  });
});
