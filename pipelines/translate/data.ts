/**
 * The data every `eddy translate` command reads: the pairs file, tokenized and grouped by English sentence, split
 * ~90/5/5 with the seed, and the training pairs as ids once the vocabularies are known.
 */
import {
  type IdPair,
  readTranslationPairs,
  splitTranslationPairs,
  type TranslationGroup,
  type TranslationSplits,
  type WordVocabulary,
} from '../../src/index.ts';

/** The corpus of the issue. */
export const DEFAULT_PAIRS = '../shared/data/seq/translation/eng-fra.head76037.txt';

/** Reads and splits the pairs file. */
export function loadSplits(path: string, seed: number): TranslationSplits {
  return splitTranslationPairs(readTranslationPairs(path), seed);
}

/** Every (English, French) pair of the groups as ids: one pair per French translation. */
export function idPairs(groups: readonly TranslationGroup[], en: WordVocabulary, fr: WordVocabulary): IdPair[] {
  return groups.flatMap((g) => g.targets.map((t) => ({ source: en.encode(g.source), target: fr.encode(t) })));
}
