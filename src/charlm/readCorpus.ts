/**
 * Reads a whole text corpus from a file path or URL, refusing what cannot be a text: an empty file, invalid
 * UTF-8, or NUL bytes (a binary file).
 */
import { EddyError, invalidArg } from '../util/errors.ts';
import { textChunksAsync } from '../sources/textChunks.ts';

/** Options for `readCorpus`. */
export interface ReadCorpusOptions {
  /** Most bytes to read (the maximum download size for a URL). @default 268435456 (256 MiB) */
  maxBytes?: number;
  /** URL only: milliseconds to wait for headers and for each body chunk. @default 30000 */
  timeoutMs?: number;
  /** Cancels the read. @default undefined */
  signal?: AbortSignal;
}

/**
 * The corpus as one string.
 * @throws EddyError ERR_FILE / ERR_SOURCE naming the input when it is missing, unreachable, empty, binary or not UTF-8
 */
export async function readCorpus(input: string, options: ReadCorpusOptions = {}): Promise<string> {
  if (typeof input !== 'string' || input.length === 0) throw invalidArg('corpus', 'a file path or URL', input);
  const parts: string[] = [];
  try {
    for await (const chunk of textChunksAsync(input, {
      fatal: true,
      maxBytes: options.maxBytes ?? 256 * 1024 * 1024,
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      parts.push(chunk);
    }
  } catch (err) {
    if (err instanceof EddyError && /UTF-8|decode/i.test(err.message)) {
      throw new EddyError('ERR_FILE', `Corpus ${input} is not UTF-8 text (is it a binary file?): ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  const text = parts.join('');
  if (text.length === 0) throw new EddyError('ERR_FILE', `Corpus ${input} is empty`);
  const nul = text.indexOf('\u0000');
  if (nul >= 0)
    throw new EddyError(
      'ERR_FILE',
      `Corpus ${input} holds a NUL character at position ${nul}: it looks like a binary file, not text`,
    );
  return text;
}
