/**
 * The translator around the model: bad input with clear errors, the Rx and Ix streams of words (same words as
 * the generator, early unsubscribe, errors as stream errors, abort), the file round trip, the split grouped by
 * English sentence, and the word-by-word baseline.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.ts';
import { readTranslationPairs, splitTranslationPairs } from '../../src/translate/translationPairs.ts';
import { Translator } from '../../src/translate/translator.ts';
import { loadTranslator, saveTranslator } from '../../src/translate/translatorFile.ts';
import { TranslatorModel } from '../../src/translate/translatorModel.ts';
import { translateWords } from '../../src/translate/translateWords.ts';
import { translateWordsAsync } from '../../src/translate/translateWords.ix.ts';
import { WordByWordBaseline } from '../../src/translate/wordByWordBaseline.ts';
import { WordVocabulary } from '../../src/translate/wordVocabulary.ts';
import { expectError } from '../helpers/expectError.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-translate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tiny(attention = true): Translator {
  const en = new WordVocabulary(['<unk>', '<s>', '</s>', 'i', 'am', 'cold', '.']);
  const fr = new WordVocabulary(['<unk>', '<s>', '</s>', "j'", 'ai', 'froid', '.', 'je', 'suis']);
  const model = new TranslatorModel(
    { sourceVocab: en.size, targetVocab: fr.size, embedSize: 4, hiddenSize: 6, attention },
    undefined,
  ).init(new Rng(3));
  model.params[model.layout.headB + 2] = -4; // </s> unlikely at first, so that an untrained model says something
  return new Translator(model, en, fr, 6);
}

describe('Translator input checks', () => {
  const tr = tiny();
  it('an empty sentence, an unknown character, an over-long sentence, no known word: clear errors', () => {
    expectError(() => tr.encodeSentence('', 'the sentence'), 'ERR_INVALID_ARG', /non-empty sentence for the sentence/);
    expectError(() => tr.encodeSentence('I am\u0000 cold.'), 'ERR_INVALID_ARG', /U\+0000 at column 5/);
    expectError(
      () => tr.encodeSentence('I am cold am cold am cold.'),
      'ERR_INVALID_ARG',
      /at most 6 tokens for sentence .* received 8/,
    );
    expectError(() => tr.encodeSentence('Xylophones quietly!'), 'ERR_INVALID_ARG', /only unknown words/);
  });

  it('unknown words inside a known sentence become <unk> (id 0)', () => {
    expect(Array.from(tr.encodeSentence('I am very cold.').ids)).toEqual([3, 4, 0, 5, 6]);
  });

  it('an unknown search or a beam wider than the limit is refused', () => {
    expectError(() => [...tr.translate('I am cold.', { search: 'nope' as 'beam' })], 'ERR_INVALID_ARG', /search/);
    expectError(() => [...tr.translate('I am cold.', { beamWidth: 0 })], 'ERR_INVALID_ARG', /beamWidth/);
  });
});

describe('translateWords / translateWordsAsync', () => {
  const tr = tiny();
  const want = [...tr.translate('I am cold.', { search: 'greedy', maxLength: 6 })].map((w) => w.word);

  it('emit the words of the generator, in order, then complete', async () => {
    expect(want.length).toBeGreaterThan(0);
    const rx = await lastValueFrom(
      translateWords(tr, 'I am cold.', { search: 'greedy', maxLength: 6 }).pipe(toArray()),
    );
    expect(rx.map((w) => w.word)).toEqual(want);
    expect(rx.map((w) => w.index)).toEqual(want.map((_, i) => i));
    const ix: string[] = [];
    for await (const w of translateWordsAsync(tr, 'I am cold.', { search: 'greedy', maxLength: 6 })) ix.push(w.word);
    expect(ix).toEqual(want);
  });

  it('take(1) stops after the first word; bad input is a stream error', async () => {
    const first = await firstValueFrom(translateWords(tr, 'I am cold.', { search: 'greedy' }).pipe(take(1)));
    expect(first.word).toBe(want[0]);
    await expect(lastValueFrom(translateWords(tr, ''))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    const it = translateWordsAsync(tr, '   ')[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it('an aborted signal ends the async iterable with ERR_ABORTED', async () => {
    const c = new AbortController();
    c.abort();
    const it = translateWordsAsync(tr, 'I am cold.', { signal: c.signal, search: 'greedy' })[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });
});

describe('translator files', () => {
  it('save then load gives the same parameters, vocabularies, limit and translations', () => {
    const tr = tiny();
    const path = join(dir, 't.safetensors');
    saveTranslator(path, tr, { metadata: { 'eddy.task': 'test' } });
    const { translator, metadata } = loadTranslator(path);
    expect(metadata['eddy.task']).toBe('test');
    expect(Array.from(translator.model.params)).toEqual(Array.from(tr.model.params));
    expect(translator.target.words).toEqual(tr.target.words);
    expect(translator.maxSourceLength).toBe(6);
    const words = (t: Translator): string[] => [...t.translate('I am cold.', { beamWidth: 3 })].map((w) => w.word);
    expect(words(translator)).toEqual(words(tr));
  });

  it('a file that is not a translator is refused naming it', () => {
    const path = join(dir, 'x.safetensors');
    writeFileSync(path, 'not a safetensors file');
    expectError(() => loadTranslator(path), 'ERR_FILE', path);
  });
});

describe('pairs, split and baseline (first 3,000 lines)', () => {
  const groups = readTranslationPairs(dataPath('seq/translation/eng-fra.head76037.txt'), 3000);
  it('groups French translations by English sentence; the seeded split is ~90/5/5 with no sentence in two splits', () => {
    expect(groups.reduce((n, g) => n + g.french.length, 0)).toBe(3000);
    const run = groups.find((g) => g.english === 'Run!');
    expect(run?.french.length).toBeGreaterThan(1);
    const s = splitTranslationPairs(groups, 1);
    expect(s.valid.length).toBe(Math.round(0.05 * groups.length));
    expect(s.test.length).toBe(Math.round(0.05 * groups.length));
    expect(s.train.length + s.valid.length + s.test.length).toBe(groups.length);
    const seen = new Set<string>();
    for (const g of [...s.train, ...s.valid, ...s.test]) {
      expect(seen.has(g.english)).toBe(false);
      seen.add(g.english);
    }
    expect(splitTranslationPairs(groups, 1).test.map((g) => g.english)).toEqual(s.test.map((g) => g.english));
    expect(splitTranslationPairs(groups, 2).test.map((g) => g.english)).not.toEqual(s.test.map((g) => g.english));
  });

  it('a malformed line is an error naming the file and line', () => {
    const path = join(dir, 'bad.txt');
    writeFileSync(path, 'Go.\tVa !\nno tab here\n');
    expectError(() => readTranslationPairs(path), 'ERR_FILE', `${path} line 2`);
  });

  it('the IBM Model 1 dictionary translates common words as a person would', () => {
    const b = WordByWordBaseline.fit(groups.flatMap((g) => g.targets.map((t) => [g.source, t] as const)));
    expect(b.dictionary.get('cold')).toBe('froid');
    expect(b.dictionary.get('.')).toBe('.');
    expect(b.translate(['i', 'xyzzy', '.'])).toEqual([b.dictionary.get('i'), '.']);
  });
});
