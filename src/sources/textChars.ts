/**
 * Text as a stream of characters (one Unicode code point per element) or of token ids through a `Vocabulary`.
 *
 * ```
 * file/URL/Readable ──► textChunksAsync ──► "First Citizen:\n..." ──► textCharsAsync ──► 'F' 'i' 'r' 's' 't' ...
 *                                                             └► textIdsAsync   ──► Int32Array [18, 47, 56, ...]
 * ```
 * 1. `textCharsAsync` emits each code point as a string of one or two UTF-16 units ('🎉' is one element).
 * 2. `textIdsAsync` emits one `Int32Array` of ids per chunk (or line) of `textChunksAsync`; unknown characters follow the
 *    vocabulary's policy, with positions counted from the start of the stream.
 *
 * @example
 * const vocab = Vocabulary.fromText(await readFile(path, 'utf8'));
 * for await (const ids of textIdsAsync(path, vocab, { chunkSize: 4096 })) train(ids);
 */
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import { invalidArg } from '../util/errors.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable, asObservable, type SourceCore } from '../util/coreAdapters.ts';
import { resolveTextInput, type TextInput } from './textBytes.ts';
import { resolveTextOptions, textChunksCore, type TextOptions } from './textChunks.ts';
import { createEncodeStats, Vocabulary, type EncodeStats } from './vocabulary.ts';

/** Options of `textIdsAsync`: the text options plus running counts. */
export interface TextIdsOptions extends TextOptions {
  /**
   * Running counts (position, skipped, mapped) updated as the stream is encoded; pass your own object to read
   * the skip count of `unknown: 'skip'`. Without one, each iteration counts in a fresh object.
   * @default undefined
   */
  stats?: EncodeStats;
}

function charsCore(chunks: SourceCore<string>): SourceCore<string> {
  return async function* textCharsGen(signal) {
    for await (const chunk of chunks(signal)) {
      for (const ch of chunk) {
        yield ch;
        checkAborted(signal);
      }
    }
  };
}

function idsCore(
  chunks: SourceCore<string>,
  vocab: Vocabulary,
  stats: EncodeStats | undefined,
): SourceCore<Int32Array> {
  return async function* textIdsGen(signal) {
    const counts = stats ?? createEncodeStats();
    for await (const chunk of chunks(signal)) {
      yield vocab.encode(chunk, counts); // [n] token ids
      checkAborted(signal);
    }
  };
}

/**
 * The characters (code points) of a file, URL or Readable, as an IxJS async-iterable.
 *
 * @param input a file path, an http(s) URL, or a Readable / async-iterable of bytes
 * @param options see `TextOptions`; `split: 'line'` drops the line breaks
 * @returns one string per code point
 * @throws {EddyError} as `textChunksAsync`
 */
export function textCharsAsync(input: TextInput, options?: TextOptions): AsyncIterableX<string> {
  const resolved = resolveTextInput(input);
  const o = resolveTextOptions(options);
  return asIterable(charsCore(textChunksCore(resolved, o)), o.signal);
}

/** `textCharsAsync` as an RxJS Observable. */
export function textChars(input: TextInput, options?: TextOptions): Observable<string> {
  const resolved = resolveTextInput(input);
  const o = resolveTextOptions(options);
  return asObservable(charsCore(textChunksCore(resolved, o)), o.signal);
}

function checkVocabulary(vocabulary: unknown): Vocabulary {
  if (!(vocabulary instanceof Vocabulary)) throw invalidArg('vocabulary', 'a Vocabulary', vocabulary);
  return vocabulary;
}

function checkStats(stats: unknown): EncodeStats | undefined {
  if (stats === undefined) return undefined;
  const s = stats as EncodeStats;
  if (s === null || typeof s !== 'object' || ![s.position, s.skipped, s.mapped].every((v) => Number.isInteger(v))) {
    throw invalidArg('options.stats', 'an object { position, skipped, mapped } of integers', stats);
  }
  return s;
}

/**
 * Token ids of a file, URL or Readable through a vocabulary, one `Int32Array` per chunk (or line).
 *
 * @param input a file path, an http(s) URL, or a Readable / async-iterable of bytes
 * @param vocabulary maps code points to ids with its unknown-character policy
 * @param options see `TextIdsOptions`
 * @returns `Int32Array` of ids per chunk, `// [n]`
 * @throws {EddyError} as `textChunksAsync`, plus ERR_INVALID_ARG in the stream for an unknown character under
 *   `unknown: 'error'` (naming the character, its code point and its position in the stream)
 */
export function textIdsAsync(
  input: TextInput,
  vocabulary: Vocabulary,
  options?: TextIdsOptions,
): AsyncIterableX<Int32Array> {
  const resolved = resolveTextInput(input);
  const vocab = checkVocabulary(vocabulary);
  const o = resolveTextOptions(options);
  const stats = checkStats(options?.stats);
  return asIterable(idsCore(textChunksCore(resolved, o), vocab, stats), o.signal);
}

/** `textIdsAsync` as an RxJS Observable. */
export function textIds(input: TextInput, vocabulary: Vocabulary, options?: TextIdsOptions): Observable<Int32Array> {
  const resolved = resolveTextInput(input);
  const vocab = checkVocabulary(vocabulary);
  const o = resolveTextOptions(options);
  const stats = checkStats(options?.stats);
  return asObservable(idsCore(textChunksCore(resolved, o), vocab, stats), o.signal);
}
