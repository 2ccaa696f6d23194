/**
 * The tokenizer's documented rules, its round trips (text -> tokens -> text on canonical sentences, and
 * tokens -> text -> tokens on the real pairs), and its errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detokenize, tokenize } from '../../src/translate/wordTokenizer.ts';
import { WordVocabulary } from '../../src/translate/wordVocabulary.ts';
import { expectError } from '../helpers/expectError.ts';
import { dataPath } from '../sources/dataPath.ts';

describe('tokenize', () => {
  it('lower-cases, splits punctuation, and splits English clitics to the right', () => {
    expect(tokenize("I'm cold.", 'en')).toEqual(['i', "'m", 'cold', '.']);
    expect(tokenize("Don't go, Tom's here!", 'en')).toEqual(['do', "n't", 'go', ',', 'tom', "'s", 'here', '!']);
    expect(tokenize('It costs $5.', 'en')).toEqual(['it', 'costs', '$', '5', '.']);
  });

  it('splits French elisions to the left and keeps hyphenated words', () => {
    expect(tokenize("Qu'est-ce que c'est\u202F?", 'fr')).toEqual(["qu'", 'est-ce', 'que', "c'", 'est', '?']);
    expect(tokenize('« Peut-être. »', 'fr')).toEqual(['«', 'peut-être', '.', '»']);
  });

  it('treats U+202F, U+00A0 and a plain space before ! ? : ; alike, and ’ as an apostrophe', () => {
    const want = ["j'", 'ai', 'froid', '!'];
    expect(tokenize("J'ai froid\u202F!", 'fr')).toEqual(want);
    expect(tokenize("J'ai froid\u00A0!", 'fr')).toEqual(want);
    expect(tokenize("J'ai froid !", 'fr')).toEqual(want);
    expect(tokenize('J’ai froid!', 'fr')).toEqual(want);
  });

  it('round trip text -> tokens -> text on canonical sentences (lower-case, U+202F in French)', () => {
    const en = ["i'm cold.", "don't go, tom's here!", 'where is the station?', "it isn't mine."];
    for (const s of en) expect(detokenize(tokenize(s, 'en'), 'en')).toBe(s);
    const fr = [
      "j'ai froid\u202F!",
      "qu'est-ce que c'est\u202F?",
      'ma montre retarde de cinq minutes.',
      'attends\u202F: non.',
    ];
    for (const s of fr) expect(detokenize(tokenize(s, 'fr'), 'fr')).toBe(s);
  });

  it('round trip tokens -> text -> tokens on the first 3,000 real pairs, both sides', () => {
    const lines = readFileSync(dataPath('seq/translation/eng-fra.head76037.txt'), 'utf8').split('\n').slice(0, 3000);
    let n = 0;
    for (const line of lines) {
      if (!line) continue;
      const [en, fr] = line.split('\t');
      for (const [s, lang] of [
        [en, 'en'],
        [fr, 'fr'],
      ] as const) {
        const t = tokenize(s, lang);
        expect(tokenize(detokenize(t, lang), lang)).toEqual(t);
        n++;
      }
    }
    expect(n).toBe(6000);
  });

  it('rejects an empty sentence and unknown characters, naming the input and the column', () => {
    expectError(() => tokenize('', 'en', 'input line 3'), 'ERR_INVALID_ARG', /non-empty sentence for input line 3/);
    expectError(() => tokenize(' \u202F ', 'fr'), 'ERR_INVALID_ARG', /non-empty/);
    expectError(() => tokenize('hi\u0007 there', 'en'), 'ERR_INVALID_ARG', /character U\+0007 at column 3/);
    expectError(() => tokenize('a\uE000', 'en'), 'ERR_INVALID_ARG', /U\+E000 at column 2/);
  });
});

describe('WordVocabulary', () => {
  it('specials first, then words by falling count (ties in code-point order), rare words unknown', () => {
    const v = WordVocabulary.build(
      [
        ['b', 'a', 'c'],
        ['a', 'b', 'd'],
        ['a', 'e'],
      ],
      { minCount: 2 },
    );
    expect(v.words).toEqual(['<unk>', '<s>', '</s>', 'a', 'b']);
    expect(Array.from(v.encode(['b', 'zzz', 'a']))).toEqual([4, 0, 3]);
    expect(v.decode([1, 3, 4, 2, 3])).toEqual(['a', 'b']);
    expect(WordVocabulary.build([['x', 'y', 'y', 'z']], { minCount: 1, maxSize: 4 }).words).toEqual([
      '<unk>',
      '<s>',
      '</s>',
      'y',
    ]);
  });
});
