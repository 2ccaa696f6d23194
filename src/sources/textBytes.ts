/**
 * The byte layer of the text sources: a file path, an http(s) URL or any async-iterable of bytes (a Node
 * `Readable`, a web `ReadableStream`) becomes one async generator of byte chunks, with a size limit, and for
 * URLs a timeout and errors that name the URL. The text layer (`textChunks.ts`) decodes these bytes.
 *
 * 1. A string starting with `http://` or `https://`, or a `URL` with that protocol, is fetched with node-fetch and
 *    streamed; a `file:` URL or any other string is a file path; an object with `Symbol.asyncIterator` is a stream.
 * 2. Every chunk adds to a byte count; past `maxBytes` the source fails with `ERR_SOURCE`.
 * 3. URL: `timeoutMs` bounds each wait on the network (the response headers, then each body chunk), not the
 *    time the consumer takes between pulls. HTTP errors, refused connections and timeouts fail with their own
 *    `ERR_SOURCE` message naming the URL; a missing file fails with `ERR_FILE` naming the path.
 * 4. `finally` closes the file handle, destroys the response body and clears the timer.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fetch from 'node-fetch';
import { EddyError, invalidArg } from '../util/errors.ts';
import { abortedError, checkAborted } from '../util/abort.ts';

/** What a text source reads: a file path, an http(s) URL (string or `URL`), or a byte stream such as a `Readable`. */
export type TextInput = string | URL | AsyncIterable<Uint8Array | string>;

/** A validated input. */
export type ResolvedInput =
  | { kind: 'file'; path: string; name: string }
  | { kind: 'url'; url: string; name: string }
  | { kind: 'stream'; stream: AsyncIterable<Uint8Array | string>; name: string };

/** The byte-layer limits (already validated). */
export interface ByteLimits {
  /** Bytes past which the source fails. */
  maxBytes: number;
  /** Milliseconds of waiting on the network before a URL source fails. */
  timeoutMs: number;
  /** Bytes per file read. */
  readSize: number;
}

/**
 * Classifies and validates an input, synchronously.
 * @throws {EddyError} ERR_INVALID_ARG naming `input`
 */
export function resolveTextInput(input: unknown): ResolvedInput {
  if (typeof input === 'string') {
    if (input.length === 0) throw invalidArg('input', 'a file path, an http(s) URL or a Readable', input);
    if (/^https?:\/\//i.test(input)) return resolveUrl(input);
    if (/^file:\/\//i.test(input)) return resolveFileUrl(input);
    // Any other `scheme://` (two letters or more, so a Windows drive `C:` stays a path) is a URL we cannot read,
    // not a relative path named "ftp:".
    const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(input);
    if (scheme)
      throw invalidArg(
        'input',
        `a file path, an http(s) URL or a file: URL (unsupported URL scheme "${scheme[1].toLowerCase()}:")`,
        input,
      );
    const path = resolvePath(input);
    return { kind: 'file', path, name: `file ${path}` };
  }
  if (input instanceof URL) {
    if (input.protocol === 'http:' || input.protocol === 'https:') return resolveUrl(input.href);
    if (input.protocol === 'file:') return resolveFileUrl(input.href);
    throw invalidArg('input', 'a URL with protocol http:, https: or file:', input.href);
  }
  if (
    input !== null &&
    typeof input === 'object' &&
    typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  ) {
    return { kind: 'stream', stream: input as AsyncIterable<Uint8Array | string>, name: 'the input stream' };
  }
  throw invalidArg('input', 'a file path, an http(s) URL or a Readable', input);
}

function resolveUrl(href: string): ResolvedInput {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    throw invalidArg('input', 'a valid http(s) URL', href);
  }
  return { kind: 'url', url: url.href, name: `URL ${url.href}` };
}

function resolveFileUrl(href: string): ResolvedInput {
  let path: string;
  try {
    path = fileURLToPath(href);
  } catch {
    throw invalidArg('input', 'a valid file: URL', href);
  }
  return { kind: 'file', path, name: `file ${path}` };
}

/**
 * The byte chunks of an input. A yielded chunk may be a view of a buffer that is reused on the next pull, so a
 * consumer must copy (or decode) it before pulling again.
 */
export function textBytes(
  input: ResolvedInput,
  limits: ByteLimits,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (input.kind === 'file') return fileBytes(input.path, limits, signal);
  if (input.kind === 'url') return urlBytes(input.url, limits, signal);
  return streamBytes(input.stream, input.name, limits, signal);
}

function tooLarge(name: string, maxBytes: number, detail = ''): EddyError {
  return new EddyError('ERR_SOURCE', `${name} is larger than options.maxBytes (${maxBytes} bytes)${detail}`);
}

/** Maps a Node file-system error to `ERR_FILE` naming the path. */
export function fileError(path: string, err: unknown): EddyError {
  const code = (err as { code?: string }).code;
  const why =
    code === 'ENOENT'
      ? 'File not found'
      : code === 'EISDIR'
        ? 'Expected a file but found a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'Permission denied reading file'
          : 'Cannot read file';
  return new EddyError('ERR_FILE', `${why}: ${path}${code === undefined ? '' : ` (${code})`}`, { cause: err });
}

async function* fileBytes(
  path: string,
  limits: ByteLimits,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  checkAborted(signal);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const buf = Buffer.allocUnsafe(limits.readSize); // reused: the consumer decodes before the next pull
    let total = 0;
    for (;;) {
      checkAborted(signal);
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, buf.length, null));
      } catch (err) {
        throw fileError(path, err);
      }
      if (bytesRead === 0) return;
      total += bytesRead;
      if (total > limits.maxBytes) throw tooLarge(`file ${path}`, limits.maxBytes);
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

async function* streamBytes(
  stream: AsyncIterable<Uint8Array | string>,
  name: string,
  limits: ByteLimits,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  checkAborted(signal);
  // Aborting destroys a Node Readable, so a pull waiting on a silent stream ends too.
  if (signal !== undefined && stream instanceof Readable) addAbortSignal(signal, stream);
  let total = 0;
  try {
    for await (const chunk of stream) {
      checkAborted(signal);
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      if (!(bytes instanceof Uint8Array)) {
        throw new EddyError(
          'ERR_SOURCE',
          `Expected chunks of bytes (Buffer, Uint8Array) or strings from ${name} but received ${typeof chunk}`,
        );
      }
      total += bytes.length;
      if (total > limits.maxBytes) throw tooLarge(name, limits.maxBytes);
      yield bytes;
    }
  } catch (err) {
    if (signal?.aborted) throw abortedError(signal);
    if (err instanceof EddyError) throw err;
    throw new EddyError('ERR_SOURCE', `Reading ${name} failed: ${(err as Error).message}`, { cause: err });
  }
}

async function* urlBytes(
  url: string,
  limits: ByteLimits,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  checkAborted(signal);
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, limits.timeoutMs);
  };
  const fail = (err: unknown): EddyError => {
    if (err instanceof EddyError) return err;
    if (signal?.aborted) return abortedError(signal);
    if (timedOut)
      return new EddyError(
        'ERR_SOURCE',
        `Timed out after ${limits.timeoutMs} ms (options.timeoutMs) waiting for URL ${url}`,
        { cause: err },
      );
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED')
      return new EddyError('ERR_SOURCE', `Connection refused for URL ${url}`, { cause: err });
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new EddyError('ERR_SOURCE', `Host not found for URL ${url} (${code})`, { cause: err });
    if (code === 'ECONNRESET')
      return new EddyError('ERR_SOURCE', `Connection reset while reading URL ${url}`, { cause: err });
    return new EddyError('ERR_SOURCE', `Request for URL ${url} failed: ${(err as Error).message}`, { cause: err });
  };
  let body: NodeJS.ReadableStream | null = null;
  try {
    arm();
    let res: Awaited<ReturnType<typeof fetch>>;
    try {
      res = await fetch(url, { signal: ac.signal, redirect: 'follow' });
    } catch (err) {
      throw fail(err);
    }
    body = res.body;
    if (!res.ok) throw new EddyError('ERR_SOURCE', `HTTP ${res.status} ${res.statusText} for URL ${url}`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > limits.maxBytes) throw tooLarge(`URL ${url}`, limits.maxBytes, ` (Content-Length ${declared})`);
    if (body === null) return;
    let total = 0;
    const it = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    try {
      for (;;) {
        arm();
        let r: IteratorResult<Buffer>;
        try {
          r = await it.next();
        } catch (err) {
          throw fail(err);
        }
        clearTimeout(timer); // the consumer's time between pulls does not count
        if (r.done) return;
        total += r.value.length;
        if (total > limits.maxBytes) throw tooLarge(`URL ${url}`, limits.maxBytes);
        yield r.value;
        checkAborted(signal);
      }
    } finally {
      await it.return?.();
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (body !== null && typeof (body as Readable).destroy === 'function') (body as Readable).destroy();
  }
}
