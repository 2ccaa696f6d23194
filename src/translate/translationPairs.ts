/**
 * Reading the tab-separated English-French pairs (`english<TAB>french[<TAB>attribution]` per line) and splitting
 * them by English sentence: every French translation of one English sentence lands in the same split, so no
 * English sentence is seen both in training and in evaluation, and all its translations are references.
 */
import { readFileSync } from 'node:fs';
import { EddyError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkNumber } from '../util/validate.ts';
import { tokenize } from './wordTokenizer.ts';

/** One English sentence and all its French translations, tokenized. */
export interface TranslationGroup {
  /** The English sentence as written. */
  english: string;
  /** Its tokens. */
  source: string[];
  /** The French sentences as written. */
  french: string[];
  /** Their tokens. */
  targets: string[][];
}

/**
 * Reads and tokenizes the pairs file, grouping lines by English sentence (in order of first appearance).
 * @param limit read at most this many lines @default all
 * @throws EddyError ERR_FILE naming the file and line for a line without a tab or with an untokenizable side
 */
export function readTranslationPairs(path: string, limit = Infinity): TranslationGroup[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EddyError('ERR_FILE', `Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const groups = new Map<string, TranslationGroup>();
  const lines = text.split('\n');
  let n = 0;
  for (let i = 0; i < lines.length && n < limit; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line === '') continue;
    n++;
    const cols = line.split('\t');
    if (cols.length < 2)
      throw new EddyError('ERR_FILE', `${path} line ${i + 1}: expected "english<TAB>french" but found no tab`);
    const [en, fr] = cols;
    let g = groups.get(en);
    try {
      if (!g) {
        g = { english: en, source: tokenize(en, 'en', `${path} line ${i + 1} (English)`), french: [], targets: [] };
        groups.set(en, g);
      }
      g.targets.push(tokenize(fr, 'fr', `${path} line ${i + 1} (French)`));
      g.french.push(fr);
    } catch (err) {
      if (err instanceof EddyError) throw new EddyError('ERR_FILE', err.message, { cause: err });
      throw err;
    }
  }
  return [...groups.values()];
}

/** The three splits. */
export interface TranslationSplits {
  train: TranslationGroup[];
  valid: TranslationGroup[];
  test: TranslationGroup[];
}

/**
 * A seeded split of whole groups: a Fisher-Yates shuffle of the groups with `seed`, the first `valid` and `test`
 * fractions for validation and test, the rest for training (each split then back in file order).
 * @param fractions of groups for validation and test @default { valid: 0.05, test: 0.05 }
 */
export function splitTranslationPairs(
  groups: readonly TranslationGroup[],
  seed: number,
  fractions: { valid?: number; test?: number } = {},
): TranslationSplits {
  const fv = checkNumber('fractions.valid', fractions.valid ?? 0.05, 0, 0.5);
  const ft = checkNumber('fractions.test', fractions.test ?? 0.05, 0, 0.5);
  const rng = new Rng(seed);
  const order = groups.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nv = Math.round(fv * groups.length);
  const nt = Math.round(ft * groups.length);
  const pick = (ids: number[]): TranslationGroup[] => ids.sort((a, b) => a - b).map((i) => groups[i]);
  return {
    valid: pick(order.slice(0, nv)),
    test: pick(order.slice(nv, nv + nt)),
    train: pick(order.slice(nv + nt)),
  };
}
