/**
 * A word vocabulary: ids 0-2 are the special tokens `<unk>` (a word seen fewer than `minCount` times in training,
 * or beyond `maxSize`), `<s>` (the decoder's start) and `</s>` (end of sentence); then words by falling count
 * (ties in code-point order, so the ids do not depend on the order of the corpus).
 */
import { invalidArg } from '../util/errors.ts';
import { checkInt } from '../util/validate.ts';

/** Id of the unknown word. */
export const UNK = 0;
/** Id of the start token. */
export const BOS = 1;
/** Id of the end-of-sentence token. */
export const EOS = 2;
const SPECIALS = ['<unk>', '<s>', '</s>'];

/** Options of `WordVocabulary.build`. */
export interface WordVocabularyOptions {
  /** Words seen fewer times become `<unk>`. @default 2 */
  minCount?: number;
  /** At most this many ids, specials included. @default Infinity */
  maxSize?: number;
}

/** Word <-> id. */
export class WordVocabulary {
  readonly words: readonly string[];
  readonly #ids: Map<string, number>;

  /** @param words every id's word, specials first (as `words` of another vocabulary) */
  constructor(words: readonly string[]) {
    if (!Array.isArray(words) || words.length < 3 || SPECIALS.some((s, i) => words[i] !== s))
      throw invalidArg('words', `an array starting with ${SPECIALS.join(', ')}`, words);
    this.words = words.slice();
    this.#ids = new Map(this.words.map((w, i) => [w, i]));
    if (this.#ids.size !== this.words.length) throw invalidArg('words', 'distinct words', words);
  }

  /** A vocabulary of the words of `sentences` (token lists) that occur at least `minCount` times. */
  static build(sentences: Iterable<readonly string[]>, options: WordVocabularyOptions = {}): WordVocabulary {
    const minCount = checkInt('options.minCount', options.minCount ?? 2, 1);
    const maxSize = options.maxSize ?? Infinity;
    if (maxSize !== Infinity) checkInt('options.maxSize', maxSize, 4);
    const counts = new Map<string, number>();
    for (const s of sentences) for (const w of s) counts.set(w, (counts.get(w) ?? 0) + 1);
    const kept = [...counts]
      .filter(([w, c]) => c >= minCount && !SPECIALS.includes(w))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, maxSize - SPECIALS.length)
      .map(([w]) => w);
    return new WordVocabulary([...SPECIALS, ...kept]);
  }

  /** Number of ids. */
  get size(): number {
    return this.words.length;
  }

  /** The id of a word (`UNK` when unknown). */
  id(word: string): number {
    return this.#ids.get(word) ?? UNK;
  }

  /** Whether the word has an id of its own. */
  has(word: string): boolean {
    return this.#ids.has(word);
  }

  /** Ids of tokens. */
  encode(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (w) => this.id(w));
  }

  /** Tokens of ids, stopping at `</s>`; `<s>` is skipped. */
  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === EOS) break;
      if (ids[i] !== BOS) out.push(this.words[ids[i]] ?? '<unk>');
    }
    return out;
  }
}
