/**
 * Text as a stream of decoded string chunks (or lines), the core that `textCharsAsync` and `textIdsAsync` build on.
 *
 * 1. Bytes come from `textBytes` (file, URL, Readable) and are decoded as UTF-8 with a streaming `TextDecoder`,
 *    so a character split across two byte chunks comes out whole.
 * 2. `split: 'chunk'` emits the text as it arrives, cut into pieces of at most `chunkSize` code points (never
 *    inside a surrogate pair). `split: 'line'` emits one string per line, without its `\n` or `\r\n`; a line longer
 *    than `maxLineLength` code points fails the stream with `ERR_SOURCE`, which bounds the memory a line can take.
 * 3. Invalid UTF-8 becomes U+FFFD, or fails with `ERR_SOURCE` when `fatal` is set.
 *
 * @example
 * for await (const line of textChunksAsync('data/sonnets.txt', { split: 'line' })) console.log(line);
 * textChunks('https://example.com/corpus.txt', { timeoutMs: 5000 }).subscribe((chunk) => ...);
 */
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkBool, checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable, asObservable, type SourceCore } from '../util/coreAdapters.ts';
import { resolveTextInput, textBytes, type ResolvedInput, type TextInput } from './textBytes.ts';

/** Options of the text sources (`textChunksAsync`, `textCharsAsync`, `textIdsAsync`). */
export interface TextOptions {
  /**
   * `'chunk'`: pieces of at most `chunkSize` code points as the text arrives; `'line'`: one string per line.
   * @default 'chunk'
   */
  split?: 'chunk' | 'line';
  /**
   * Most code points per emitted chunk under `split: 'chunk'`.
   * @default 65536
   */
  chunkSize?: number;
  /**
   * Most code points in one line under `split: 'line'`; a longer line fails the stream.
   * @default 1048576
   */
  maxLineLength?: number;
  /**
   * Most bytes read from the input; more fails the stream (the maximum download size for URLs).
   * @default 1073741824 (1 GiB)
   */
  maxBytes?: number;
  /**
   * URL only: milliseconds to wait for the response headers, and then for each body chunk.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Bytes per read from a file.
   * @default 65536
   */
  readSize?: number;
  /**
   * Fail on invalid UTF-8 instead of decoding it as U+FFFD.
   * @default false
   */
  fatal?: boolean;
  /**
   * Aborts the source; a pull after the abort fails with `ERR_ABORTED`.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** `TextOptions` with every default filled in. */
export interface ResolvedTextOptions {
  split: 'chunk' | 'line';
  chunkSize: number;
  maxLineLength: number;
  maxBytes: number;
  timeoutMs: number;
  readSize: number;
  fatal: boolean;
  signal: AbortSignal | undefined;
}

/** Validates the options and resolves their defaults, the one place where they are resolved. */
export function resolveTextOptions(options: TextOptions | undefined): ResolvedTextOptions {
  const o = checkObject('options', options);
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', signal);
  return {
    split: checkOneOf('options.split', o.split ?? 'chunk', ['chunk', 'line'] as const),
    chunkSize: checkInt('options.chunkSize', o.chunkSize ?? 65536, 1),
    maxLineLength: checkInt('options.maxLineLength', o.maxLineLength ?? 1048576, 1),
    maxBytes: checkInt('options.maxBytes', o.maxBytes ?? 2 ** 30, 1),
    timeoutMs: checkInt('options.timeoutMs', o.timeoutMs ?? 30000, 1, 2 ** 31 - 1),
    readSize: checkInt('options.readSize', o.readSize ?? 65536, 1, 2 ** 30),
    fatal: checkBool('options.fatal', o.fatal ?? false),
    signal,
  };
}

/**
 * The core shared by all text sources: decoded chunks or lines of one input.
 * @param input a resolved input
 * @param o resolved options
 */
export function textChunksCore(input: ResolvedInput, o: ResolvedTextOptions): SourceCore<string> {
  return async function* textChunksGen(signal) {
    const decoder = new TextDecoder('utf-8', { fatal: o.fatal });
    const lines = o.split === 'line' ? new LineSplitter(o.maxLineLength, input.name) : null;
    const pieces = (text: string): string[] => (lines !== null ? lines.push(text) : splitCodePoints(text, o.chunkSize));
    let offset = 0; // bytes decoded so far, for the invalid-UTF-8 message
    const decode = (bytes?: Uint8Array): string => {
      try {
        return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
      } catch (err) {
        throw new EddyError(
          'ERR_SOURCE',
          `Invalid UTF-8 in ${input.name} near byte ${offset} (options.fatal is true)`,
          { cause: err },
        );
      } finally {
        offset += bytes?.length ?? 0;
      }
    };
    for await (const bytes of textBytes(input, o, signal)) {
      for (const piece of pieces(decode(bytes))) {
        yield piece;
        checkAborted(signal);
      }
    }
    const tail = pieces(decode());
    if (lines !== null) tail.push(...lines.end());
    for (const piece of tail) {
      yield piece;
      checkAborted(signal);
    }
  };
}

/**
 * Decoded text of a file, URL or Readable as an IxJS async-iterable of string chunks (or lines).
 *
 * @param input a file path, an http(s) URL, or a Readable / async-iterable of bytes
 * @param options see `TextOptions`
 * @returns chunks of at most `chunkSize` code points, or lines
 * @throws {EddyError} ERR_INVALID_ARG at the call for invalid input or options; in the stream: ERR_FILE for a
 *   missing file, ERR_SOURCE for HTTP errors, refused connections, timeouts and limits, ERR_ABORTED on abort
 */
export function textChunksAsync(input: TextInput, options?: TextOptions): AsyncIterableX<string> {
  const resolved = resolveTextInput(input);
  const o = resolveTextOptions(options);
  return asIterable(textChunksCore(resolved, o), o.signal);
}

/** `textChunksAsync` as an RxJS Observable; unsubscribing stops the read. */
export function textChunks(input: TextInput, options?: TextOptions): Observable<string> {
  const resolved = resolveTextInput(input);
  const o = resolveTextOptions(options);
  return asObservable(textChunksCore(resolved, o), o.signal);
}

/** Cuts text into pieces of at most `n` code points, never between the halves of a surrogate pair. */
export function splitCodePoints(text: string, n: number): string[] {
  if (text.length === 0) return [];
  if (text.length <= n) return [text]; // UTF-16 units >= code points
  const out: string[] = [];
  let start = 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    if (++count === n) {
      out.push(text.slice(start, i + 1));
      start = i + 1;
      count = 0;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Counts code points (a lone surrogate counts as one). */
export function countCodePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i + 1 < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Re-splits decoded text into lines; keeps the unfinished line, bounded by `maxLineLength`. */
class LineSplitter {
  #pending = '';
  #line = 1;
  readonly #max: number;
  readonly #name: string;
  constructor(max: number, name: string) {
    this.#max = max;
    this.#name = name;
  }
  push(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      let line = this.#pending + text.slice(start, nl);
      this.#pending = '';
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.#check(line);
      out.push(line);
      this.#line++;
      start = nl + 1;
    }
    this.#pending += text.slice(start);
    this.#check(this.#pending, 1); // +1 leaves room for a '\r' that a '\n' may still strip
    return out;
  }
  end(): string[] {
    const last = this.#pending;
    this.#pending = '';
    if (last.length === 0) return [];
    this.#check(last);
    return [last];
  }
  #check(line: string, slack = 0): void {
    if (line.length > this.#max + slack && countCodePoints(line) > this.#max + slack) {
      throw new EddyError(
        'ERR_SOURCE',
        `Line ${this.#line} of ${this.#name} is longer than options.maxLineLength (${this.#max} code points)`,
      );
    }
  }
}
