/** The bag-of-words baseline learns a separable toy set and a real fold well above chance; bad labels are named. */
import { describe, expect, it } from 'vitest';
import { trainBagOfWordsLogistic, wordTokens } from '../../src/sentiment/bagOfWordsLogistic.ts';
import { readSentiment } from '../../src/sources/readSentiment.ts';
import { dataPath } from '../sources/dataPath.ts';
import { expectError } from '../helpers/expectError.ts';

describe('trainBagOfWordsLogistic', () => {
  it('splits words and learns which ones carry the label', () => {
    expect(wordTokens("It isn't GOOD, 10/10!")).toEqual(['it', "isn't", 'good', '10', '10']);
    const clf = trainBagOfWordsLogistic(['good film', 'great good', 'bad film', 'awful bad'], [1, 1, 0, 0], {
      iterations: 100,
    });
    expect([...clf.predict(['good', 'bad', 'great', 'awful'])]).toEqual([1, 0, 1, 0]);
  });

  it('beats chance clearly on a held-out fold of the real sentences', () => {
    const d = readSentiment(dataPath('seq/splits/sentiment_folds.tsv'), dataPath('seq/sentiment'));
    const tr = [...d.texts.keys()].filter((i) => d.folds[i] !== 0);
    const te = [...d.texts.keys()].filter((i) => d.folds[i] === 0);
    const clf = trainBagOfWordsLogistic(
      tr.map((i) => d.texts[i]),
      tr.map((i) => d.labels[i]),
      { iterations: 100 },
    );
    const p = clf.predict(te.map((i) => d.texts[i]));
    expect(p.filter((v, j) => v === d.labels[te[j]]).length / te.length).toBeGreaterThan(0.7);
  });

  it('refuses labels outside 0/1', () => {
    expectError(() => trainBagOfWordsLogistic(['a', 'b'], [0, 2]), 'ERR_INVALID_ARG', 'labels[1]');
    expectError(() => trainBagOfWordsLogistic(['a', 'b'], [0]), 'ERR_INVALID_ARG', 'labels');
  });
});
