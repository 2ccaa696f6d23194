import { readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { count, toArray } from 'ix/asynciterable';
import { take } from 'ix/asynciterable/operators';
import { firstValueFrom, lastValueFrom, count as rxCount, take as rxTake, toArray as rxToArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';
import { textCharsAsync, textChars, textIdsAsync, textIds } from '../../src/sources/textChars.ts';
import { Vocabulary, createEncodeStats } from '../../src/sources/vocabulary.ts';
import { dataPath } from './dataPath.ts';

const TEXT = 'héllo wörld — 日本語 🎉';

describe('textChars', () => {
  it('emits the characters of tinyshakespeare.txt, as many as the file has bytes', async () => {
    const path = dataPath('tinyshakespeare.txt');
    const first = await toArray(textCharsAsync(path).pipe(take(14)));
    expect(first.join('')).toBe('First Citizen:');
    let n = 0;
    let wide = 0;
    for await (const ch of textCharsAsync(path)) {
      n++;
      if (ch.length !== 1) wide++;
    }
    expect(n).toBe(statSync(path).size);
    expect(wide).toBe(0);
  });

  it('emits the characters of sonnets.txt as an Observable', async () => {
    const path = dataPath('sonnets.txt');
    expect(await lastValueFrom(textChars(path).pipe(rxCount()))).toBe(statSync(path).size);
    expect((await lastValueFrom(textChars(path).pipe(rxTake(11), rxToArray()))).join('')).toBe('THE SONNETS');
  });

  it('gives the same code points whatever byte boundary splits a multi-byte text', async () => {
    const bytes = Buffer.from(TEXT, 'utf8');
    const expected = [...TEXT];
    expect(expected.length).toBe(19);
    for (let i = 0; i <= bytes.length; i++) {
      const src = Readable.from([bytes.subarray(0, i), bytes.subarray(i)]);
      expect(await toArray(textCharsAsync(src))).toEqual(expected);
    }
    // Every boundary at once: one byte per chunk.
    const single = Readable.from([...bytes].map((b) => Buffer.from([b])));
    expect(await toArray(textCharsAsync(single))).toEqual(expected);
    // And with chunks of one code point, through the Observable.
    const obs = textChars(Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]), { chunkSize: 1 });
    expect(await lastValueFrom(obs.pipe(rxToArray()))).toEqual(expected);
  });

  it('two iterations of one source are independent', async () => {
    const src = textCharsAsync(dataPath('sonnets.txt'));
    const [a, b] = await Promise.all([toArray(src.pipe(take(5))), toArray(src.pipe(take(8)))]);
    expect(a.join('')).toBe('THE S');
    expect(b.join('')).toBe('THE SONN');
  });
});

describe('textIds', () => {
  it('encodes sonnets.txt through its vocabulary and decodes back', async () => {
    const path = dataPath('sonnets.txt');
    const text = readFileSync(path, 'utf8');
    const vocab = Vocabulary.fromText(text);
    const chunks = await toArray(textIdsAsync(path, vocab, { chunkSize: 10000 }));
    expect(chunks.every((c) => c instanceof Int32Array && c.length <= 10000)).toBe(true);
    expect(chunks.map((c) => vocab.decode(c)).join('')).toBe(text);
    const chunks$ = await lastValueFrom(textIds(path, vocab, { chunkSize: 10000 }).pipe(rxToArray()));
    expect(chunks$).toEqual(chunks);
  });

  it('fails on an unknown character naming it and its position in the stream', async () => {
    const vocab = Vocabulary.fromText('abc');
    const src = Readable.from([Buffer.from('abcab'), Buffer.from('cxa')]);
    await expect(toArray(textIdsAsync(src, vocab, { chunkSize: 5 }))).rejects.toThrowError(
      /"x" \(U\+0078\) at position 6/,
    );
  });

  it("counts skipped characters in options.stats under 'skip'", async () => {
    const vocab = new Vocabulary(['h', 'l', 'o'], { unknown: 'skip' });
    const stats = createEncodeStats();
    const ids = await toArray(textIdsAsync(Readable.from([Buffer.from(TEXT)]), vocab, { stats }));
    expect(vocab.decode(ids[0])).toBe('hllol');
    expect(stats.skipped).toBe(14);
    expect(stats.position).toBe(19);
  });

  it('rejects a missing vocabulary and bad stats', () => {
    expect(() => textIdsAsync(dataPath('sonnets.txt'), {} as Vocabulary)).toThrowError(/vocabulary/);
    expect(() => textIds(dataPath('sonnets.txt'), Vocabulary.fromText('a'), { stats: {} as never })).toThrowError(
      /options\.stats/,
    );
  });
});

describe('abort and early stop', () => {
  it('an aborted signal fails the next pull with ERR_ABORTED', async () => {
    const ac = new AbortController();
    const it = textCharsAsync(dataPath('sonnets.txt'), { signal: ac.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('T');
    ac.abort();
    const err = await it.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EddyError);
    expect((err as EddyError).code).toBe('ERR_ABORTED');
  });

  it('unsubscribing closes the Readable', async () => {
    const src = new Readable({
      read() {
        this.push(Buffer.from('abcdef'));
      },
    }); // endless
    const first = await firstValueFrom(textChars(src));
    expect(first).toBe('a');
    await new Promise((r) => setTimeout(r, 20));
    expect(src.destroyed).toBe(true);
  });

  it('count works on an endless Readable with take', async () => {
    const src = new Readable({
      read() {
        this.push(Buffer.from('xyz'));
      },
    });
    expect(await count(textCharsAsync(src).pipe(take(100)))).toBe(100);
    expect(src.destroyed).toBe(true);
  });
});
