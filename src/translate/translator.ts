/**
 * A trained translator: the model, both vocabularies and the longest source it accepts; turns a sentence into
 * source ids (with clear errors for bad input) and decodes it word by word.
 *
 * @example
 * const tr = loadTranslator('pipelines/models/translate-en-fr.safetensors');
 * for (const w of tr.translate('I am cold.', { beamWidth: 5 })) process.stdout.write(`${w.word} `);
 */
import { EddyError } from '../util/errors.ts';
import { beamDecode, greedyDecode, type DecodeOptions } from './decodeTranslation.ts';
import { TranslatorDecoder } from './translatorDecoder.ts';
import type { TranslatorModel } from './translatorModel.ts';
import { tokenize, type Language } from './wordTokenizer.ts';
import { UNK, type WordVocabulary } from './wordVocabulary.ts';

/** One translated word as it streams out. */
export interface TranslatedWord {
  /** The French token. */
  word: string;
  /** Its position in the output, from 0. */
  index: number;
  /** `[S]` attention over the source tokens when it was produced (null for a plain model). */
  attention: Float32Array | null;
}

/** Options of `Translator.translate`. */
export interface TranslateOptions extends DecodeOptions {
  /** `'greedy'`, or `'beam'` with `beamWidth`. @default 'beam' */
  search?: 'greedy' | 'beam';
}

/** Model + vocabularies. */
export class Translator {
  readonly model: TranslatorModel;
  readonly source: WordVocabulary;
  readonly target: WordVocabulary;
  /** Longest source (in tokens) accepted. */
  readonly maxSourceLength: number;
  readonly sourceLanguage: Language = 'en';
  readonly targetLanguage: Language = 'fr';
  #decoder: TranslatorDecoder | null = null;
  /** Every decoder made (wider beams replace narrower ones, which interleaved generators may still use). */
  readonly #decoders: TranslatorDecoder[] = [];

  constructor(model: TranslatorModel, source: WordVocabulary, target: WordVocabulary, maxSourceLength: number) {
    this.model = model;
    this.source = source;
    this.target = target;
    this.maxSourceLength = maxSourceLength;
  }

  /**
   * The source ids of a sentence.
   * @param what names the input in errors
   * @throws EddyError ERR_INVALID_ARG for an empty sentence, an unknown character, more than `maxSourceLength`
   *   tokens, or a sentence none of whose words the model knows
   */
  encodeSentence(text: string, what = 'sentence'): { tokens: string[]; ids: Int32Array } {
    const tokens = tokenize(text, this.sourceLanguage, what);
    if (tokens.length > this.maxSourceLength)
      throw new EddyError(
        'ERR_INVALID_ARG',
        `Expected at most ${this.maxSourceLength} tokens for ${what} (the longest sentence this model was built for) but received ${tokens.length}`,
      );
    const ids = this.source.encode(tokens);
    if (ids.every((id) => id === UNK))
      throw new EddyError(
        'ERR_INVALID_ARG',
        `Expected at least one English word the model knows for ${what} but received only unknown words (${tokens.join(' ')})`,
      );
    return { tokens, ids };
  }

  /**
   * Gives the model's memory and the decoders' buffers back to a wasm or native backend (a server that loads a
   * translator per request must dispose each); translating afterwards is refused, and a translation in progress
   * fails at its next word. A second call does nothing.
   */
  dispose(): void {
    for (const d of this.#decoders) d.release();
    this.#decoders.length = 0;
    this.#decoder = null;
    this.model.dispose();
  }

  /** Whether `dispose` was called. */
  get disposed(): boolean {
    return this.model.disposed;
  }

  /** A decoder with `rows` rows, reused across calls. */
  decoder(rows: number): TranslatorDecoder {
    this.model.checkLive('Translator.decoder');
    if (!this.#decoder || this.#decoder.maxRows < rows) {
      // a narrower one is kept (a generator may still be decoding with it) and released by dispose
      this.#decoder = new TranslatorDecoder(this.model, this.maxSourceLength, Math.max(rows, 5));
      this.#decoders.push(this.#decoder);
    }
    return this.#decoder;
  }

  /** Decodes source ids to target ids (greedy or beam), as a generator. */
  *decodeIds(
    ids: Int32Array,
    options: TranslateOptions = {},
  ): Generator<{ id: number; attention: Float32Array | null }> {
    const search = options.search ?? 'beam';
    if (search !== 'greedy' && search !== 'beam')
      throw new EddyError('ERR_INVALID_ARG', `Expected "greedy" or "beam" for options.search but received ${search}`);
    if (search === 'greedy') yield* greedyDecode(this.decoder(1), ids, options);
    else yield* beamDecode(this.decoder(options.beamWidth ?? 5), ids, options);
  }

  /** Translates one sentence, a generator of words as they are decided. */
  *translate(text: string, options: TranslateOptions = {}): Generator<TranslatedWord, void, undefined> {
    const { ids } = this.encodeSentence(text);
    let index = 0;
    for (const w of this.decodeIds(ids, options))
      yield { word: this.target.words[w.id], index: index++, attention: w.attention };
  }
}
