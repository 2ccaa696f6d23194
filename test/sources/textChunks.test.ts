import { readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { toArray } from 'ix/asynciterable';
import { lastValueFrom, toArray as rxToArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';
import { countCodePoints, splitCodePoints, textChunksAsync, textChunks } from '../../src/sources/textChunks.ts';
import { dataPath } from './dataPath.ts';

async function rejection(p: Promise<unknown>): Promise<EddyError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EddyError);
    return err as EddyError;
  }
  throw new Error('expected a rejection');
}

describe('textChunks', () => {
  it('reads tinyshakespeare.txt whole, in chunks of at most chunkSize code points', async () => {
    const path = dataPath('tinyshakespeare.txt');
    const chunks = await toArray(textChunksAsync(path, { chunkSize: 50000 }));
    const text = chunks.join('');
    expect(text.startsWith('First Citizen:')).toBe(true);
    expect(text.length).toBe(statSync(path).size); // ASCII: one char per byte
    expect(text).toBe(readFileSync(path, 'utf8'));
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(50000);
  });

  it('splits sonnets.txt into lines (as an Observable too)', async () => {
    const path = dataPath('sonnets.txt');
    const lines = await toArray(textChunksAsync(path, { split: 'line' }));
    expect(lines.length).toBe(2625);
    expect(lines[0]).toBe('THE SONNETS');
    const lines$ = await lastValueFrom(textChunks(path, { split: 'line' }).pipe(rxToArray()));
    expect(lines$).toEqual(lines);
    expect(`${lines.join('\n')}\n`).toBe(readFileSync(path, 'utf8'));
  });

  it('fails a line longer than maxLineLength, naming the line and the option', async () => {
    const err = await rejection(
      toArray(textChunksAsync(dataPath('sonnets.txt'), { split: 'line', maxLineLength: 40 })),
    );
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toMatch(
      /Line \d+ of file .*sonnets\.txt is longer than options\.maxLineLength \(40 code points\)/,
    );
  });

  it('fails past maxBytes', async () => {
    const err = await rejection(toArray(textChunksAsync(dataPath('sonnets.txt'), { maxBytes: 1000, readSize: 256 })));
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toMatch(/larger than options\.maxBytes \(1000 bytes\)/);
  });

  it('fails with ERR_FILE naming a missing file', async () => {
    const err = await rejection(toArray(textChunksAsync('/nonexistent/dir/missing.txt')));
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toContain('/nonexistent/dir/missing.txt');
    expect(err.message).toMatch(/not found/);
  });

  it('reads a Readable, with lines across chunk boundaries and CRLF', async () => {
    const src = Readable.from([Buffer.from('ab\r\ncd'), Buffer.from('ef\n\ngh')]);
    expect(await toArray(textChunksAsync(src, { split: 'line' }))).toEqual(['ab', 'cdef', '', 'gh']);
  });

  it('decodes invalid UTF-8 as U+FFFD, or fails under fatal', async () => {
    const bad = (): Readable => Readable.from([Buffer.from([0x61, 0xff, 0x62])]);
    expect((await toArray(textChunksAsync(bad()))).join('')).toBe('a\uFFFDb');
    const err = await rejection(toArray(textChunksAsync(bad(), { fatal: true })));
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toMatch(/Invalid UTF-8/);
  });

  it('rejects invalid options before anything starts, naming the option', () => {
    const path = dataPath('sonnets.txt');
    expect(() => textChunksAsync(path, { chunkSize: 0 })).toThrowError(/options\.chunkSize/);
    expect(() => textChunksAsync(path, { maxLineLength: 1.5 })).toThrowError(/options\.maxLineLength/);
    expect(() => textChunksAsync(path, { maxBytes: -1 })).toThrowError(/options\.maxBytes/);
    expect(() => textChunksAsync(path, { timeoutMs: 0 })).toThrowError(/options\.timeoutMs/);
    expect(() => textChunksAsync(path, { readSize: 0 })).toThrowError(/options\.readSize/);
    expect(() => textChunks(path, { split: 'word' as 'line' })).toThrowError(/options\.split/);
    expect(() => textChunksAsync(path, { fatal: 'yes' as unknown as boolean })).toThrowError(/options\.fatal/);
    expect(() => textChunksAsync(path, { signal: {} as AbortSignal })).toThrowError(/options\.signal/);
    expect(() => textChunksAsync(42 as unknown as string)).toThrowError(/input/);
    expect(() => textChunksAsync(new URL('ftp://example.com/x'))).toThrowError(/input/);
    // a URL string of another scheme is refused as such, not read as a relative path
    for (const url of ['ftp://example.com/x.txt', 'S3://bucket/key', 'data://x']) {
      for (const make of [textChunksAsync, textChunks]) {
        let err: unknown;
        try {
          make(url);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(EddyError);
        expect((err as EddyError).code).toBe('ERR_INVALID_ARG');
        expect((err as Error).message).toMatch(/unsupported URL scheme/);
        expect((err as Error).message).toContain(url.slice(0, url.indexOf(':') + 1).toLowerCase());
      }
    }
    try {
      textChunksAsync(path, { chunkSize: 0 });
    } catch (err) {
      expect((err as EddyError).code).toBe('ERR_INVALID_ARG');
      expect((err as Error).message).toBe('Expected integer >= 1 for options.chunkSize but received 0 of type number');
    }
  });
});

describe('splitCodePoints / countCodePoints', () => {
  it('never cuts a surrogate pair', () => {
    const s = 'a🎉b🎉🎉c';
    expect(countCodePoints(s)).toBe(6);
    const parts = splitCodePoints(s, 2);
    expect(parts).toEqual(['a🎉', 'b🎉', '🎉c']);
    expect(splitCodePoints(s, 4).join('')).toBe(s);
    expect(splitCodePoints('', 3)).toEqual([]);
  });
});
