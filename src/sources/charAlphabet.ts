/**
 * The characters of a set of names as token ids, for character-level models: id 0 is reserved (padding, and any
 * character the alphabet does not know), ids 1..V-1 the characters seen, sorted by code point.
 *
 * @example
 * const abc = CharAlphabet.fromTexts(train.names);
 * abc.encode('Schmidt');   // Int32Array [7]
 * abc.size;                // V, the model's inputSize
 */
import { invalidArg } from '../util/errors.ts';

/** A character alphabet with a reserved id 0. */
export class CharAlphabet {
  /** `[V]` the token of each id (`''` for id 0). */
  readonly tokens: readonly string[];
  readonly #ids: Map<string, number>;

  /** @param chars the characters, in id order from 1 (distinct, one code point each) */
  constructor(chars: readonly string[]) {
    if (!Array.isArray(chars) || new Set(chars).size !== chars.length || chars.some((c) => [...c].length !== 1))
      throw invalidArg('chars', 'distinct single characters', chars);
    this.tokens = ['', ...chars];
    this.#ids = new Map(chars.map((c, i) => [c, i + 1]));
  }

  /** The alphabet of every character in `texts`. */
  static fromTexts(texts: readonly string[]): CharAlphabet {
    const set = new Set<string>();
    for (const t of texts) for (const c of t) set.add(c);
    return new CharAlphabet([...set].sort());
  }

  /** V: ids including the reserved 0. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of one character (0 when unknown). */
  id(char: string): number {
    return this.#ids.get(char) ?? 0;
  }

  /** Whether every character of `text` is known. */
  covers(text: string): boolean {
    for (const c of text) if (!this.#ids.has(c)) return false;
    return true;
  }

  /** `[T]` ids of a text, one per code point (0 for an unknown one). */
  encode(text: string): Int32Array {
    const chars = [...text];
    const out = new Int32Array(chars.length);
    for (let i = 0; i < chars.length; i++) out[i] = this.id(chars[i]);
    return out;
  }

  /** The text of ids (id 0 and ids out of range are skipped). */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) if (ids[i] > 0 && ids[i] < this.tokens.length) s += this.tokens[ids[i]];
    return s;
  }
}
