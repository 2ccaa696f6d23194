/**
 * A character vocabulary: code points <-> token ids, with an explicit policy for characters it does not hold.
 *
 * 1. Token id `i` is the `i`-th entry of `chars`; every entry is exactly one Unicode code point.
 * 2. `encode` walks the text by code point (so an emoji is one token, not two UTF-16 halves).
 * 3. An unknown character is handled by `options.unknown`: `'error'` throws naming the character, its code
 *    point and its position; `'map'` gives the id of `options.unknownToken`, which must be in the vocabulary;
 *    `'skip'` drops it and counts it.
 * 4. `toJSON()` is the plain array of strings that model metadata stores; `fromJSON` reads it back.
 *
 * @example
 * const vocab = Vocabulary.fromText('hello world');   // [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']
 * const ids = vocab.encode('hello');                  // Int32Array [3, 2, 4, 4, 5]
 * vocab.decode(ids);                                  // 'hello'
 */
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkObject, checkOneOf } from '../util/validate.ts';

/** What `encode` does with a character that is not in the vocabulary. */
export type UnknownPolicy = 'error' | 'map' | 'skip';

/** Options of a `Vocabulary`. */
export interface VocabularyOptions {
  /**
   * What to do with a character that is not in the vocabulary.
   * @default 'error'
   */
  unknown?: UnknownPolicy;
  /**
   * The token unknown characters map to under `unknown: 'map'`; it must be one of the vocabulary's characters
   * (`Vocabulary.fromText` adds it when missing).
   * @default '\uFFFD'
   */
  unknownToken?: string;
}

/**
 * Running counts for `encode`, carried by the caller across the chunks of one stream. `position` is the number
 * of code points encoded so far; error messages report positions relative to it.
 */
export interface EncodeStats {
  /** Code points consumed so far (the position of the next one). */
  position: number;
  /** Unknown characters dropped under `'skip'`. */
  skipped: number;
  /** Unknown characters mapped to `unknownToken` under `'map'`. */
  mapped: number;
}

/** A fresh `EncodeStats` at position 0. */
export function createEncodeStats(): EncodeStats {
  return { position: 0, skipped: 0, mapped: 0 };
}

const UNKNOWN_POLICIES: readonly UnknownPolicy[] = ['error', 'map', 'skip'];

/** Bijective map between single code points and ids 0..size-1. */
export class Vocabulary {
  /** The characters, one code point each; id = index. */
  readonly chars: readonly string[];
  /** The unknown-character policy. */
  readonly unknown: UnknownPolicy;
  /** The token unknown characters map to (meaningful under `'map'`). */
  readonly unknownToken: string;
  /** The id of `unknownToken`, or -1 when it is not in the vocabulary. */
  readonly unknownId: number;
  /** Unknown characters skipped by all `encode` calls on this instance (the per-stream count is in `EncodeStats`). */
  skipped = 0;
  readonly #bmp: Int32Array; // [65536] id of each BMP code point, -1 when absent
  readonly #astral = new Map<number, number>(); // code point > 0xFFFF -> id

  /**
   * @param chars the characters, one code point each, no duplicates; id = index
   * @param options the unknown-character policy
   * @throws {EddyError} ERR_INVALID_ARG for an entry that is not one code point, a duplicate, or a `'map'`
   *   policy whose `unknownToken` is not among `chars`
   */
  constructor(chars: readonly string[], options?: VocabularyOptions) {
    if (!Array.isArray(chars)) throw invalidArg('chars', 'an array of single-character strings', chars);
    const opts = checkObject('options', options);
    this.unknown = checkOneOf('options.unknown', opts.unknown ?? 'error', UNKNOWN_POLICIES);
    this.unknownToken = opts.unknownToken ?? '\uFFFD';
    if (!isOneCodePoint(this.unknownToken))
      throw invalidArg('options.unknownToken', 'a string of exactly one code point', this.unknownToken);
    this.#bmp = new Int32Array(65536).fill(-1);
    const list: string[] = [];
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (!isOneCodePoint(ch)) throw invalidArg(`chars[${i}]`, 'a string of exactly one code point', ch);
      const cp = ch.codePointAt(0)!;
      if (this.#lookup(cp) !== -1) {
        throw new EddyError(
          'ERR_INVALID_ARG',
          `Duplicate character ${showChar(cp)} at chars[${i}] (first at chars[${this.#lookup(cp)}])`,
        );
      }
      if (cp < 0x10000) this.#bmp[cp] = i;
      else this.#astral.set(cp, i);
      list.push(ch);
    }
    this.chars = Object.freeze(list);
    this.unknownId = this.#lookup(this.unknownToken.codePointAt(0)!);
    if (this.unknown === 'map' && this.unknownId === -1) {
      throw invalidArg(
        'options.unknownToken',
        "a character of the vocabulary when options.unknown is 'map'",
        this.unknownToken,
      );
    }
  }

  /**
   * The sorted unique code points of `text` (sorted by code point). Under `unknown: 'map'`, `unknownToken` is
   * added when the text lacks it.
   */
  static fromText(text: string, options?: VocabularyOptions): Vocabulary {
    if (typeof text !== 'string') throw invalidArg('text', 'string', text);
    const set = new Set<number>();
    for (const ch of text) set.add(ch.codePointAt(0)!);
    if (options?.unknown === 'map') set.add((options.unknownToken ?? '\uFFFD').codePointAt(0) ?? 0xfffd);
    const cps = [...set].sort((a, b) => a - b);
    return new Vocabulary(
      cps.map((cp) => String.fromCodePoint(cp)),
      options,
    );
  }

  /**
   * Reads the array written by `toJSON` (or its JSON text).
   * @throws {EddyError} ERR_INVALID_ARG when it is not an array of single-character strings
   */
  static fromJSON(json: unknown, options?: VocabularyOptions): Vocabulary {
    let value = json;
    if (typeof json === 'string') {
      try {
        value = JSON.parse(json);
      } catch (err) {
        throw new EddyError(
          'ERR_INVALID_ARG',
          `Expected JSON text of an array of strings for json but it does not parse: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    if (!Array.isArray(value)) throw invalidArg('json', 'an array of single-character strings', value);
    return new Vocabulary(value as string[], options);
  }

  /** Number of tokens (V). */
  get size(): number {
    return this.chars.length;
  }

  /** The id of one character, or -1 when it is not in the vocabulary. */
  idOf(char: string): number {
    if (typeof char !== 'string' || char.length === 0) return -1;
    return isOneCodePoint(char) ? this.#lookup(char.codePointAt(0)!) : -1;
  }

  /** Whether the character is in the vocabulary. */
  has(char: string): boolean {
    return this.idOf(char) !== -1;
  }

  /**
   * Encodes text into token ids, one per code point (minus skipped ones).
   *
   * @param text the text
   * @param stats running counts across the chunks of one stream; updated in place
   * @returns ids, `// [n]`
   * @throws {EddyError} ERR_INVALID_ARG under `'error'`, naming the character, its code point and position
   */
  encode(text: string, stats?: EncodeStats): Int32Array {
    if (typeof text !== 'string') throw invalidArg('text', 'string', text);
    const out = new Int32Array(text.length); // code points <= UTF-16 units
    const base = stats ? stats.position : 0;
    let n = 0;
    let pos = 0;
    let skipped = 0;
    let mapped = 0;
    for (let i = 0; i < text.length; i++, pos++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        }
      }
      const id = cp < 0x10000 ? this.#bmp[cp] : (this.#astral.get(cp) ?? -1);
      if (id !== -1) {
        out[n++] = id;
      } else if (this.unknown === 'map') {
        out[n++] = this.unknownId;
        mapped++;
      } else if (this.unknown === 'skip') {
        skipped++;
      } else {
        throw new EddyError(
          'ERR_INVALID_ARG',
          `Character ${showChar(cp)} at position ${base + pos} is not in the vocabulary (size ${this.size}) and options.unknown is 'error'`,
        );
      }
    }
    this.skipped += skipped;
    if (stats) {
      stats.position += pos;
      stats.skipped += skipped;
      stats.mapped += mapped;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /**
   * Decodes token ids into text.
   * @throws {EddyError} ERR_INVALID_ARG for an id outside [0, size), naming its position
   */
  decode(ids: ArrayLike<number>): string {
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number')
      throw invalidArg('ids', 'an Int32Array or array of token ids', ids);
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.chars.length) {
        throw new EddyError(
          'ERR_INVALID_ARG',
          `Expected token id in [0, ${this.chars.length - 1}] for ids[${i}] but received ${id}`,
        );
      }
      s += this.chars[id];
    }
    return s;
  }

  /** The characters as a JSON-ready array of strings (what model metadata stores). */
  toJSON(): string[] {
    return [...this.chars];
  }

  #lookup(cp: number): number {
    return cp < 0x10000 ? this.#bmp[cp] : (this.#astral.get(cp) ?? -1);
  }
}

function isOneCodePoint(s: unknown): s is string {
  if (typeof s !== 'string' || s.length === 0 || s.length > 2) return false;
  return String.fromCodePoint(s.codePointAt(0)!) === s;
}

/** `"é" (U+00E9)`; control characters are shown escaped. */
function showChar(cp: number): string {
  return `${JSON.stringify(String.fromCodePoint(cp))} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}
