import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { toArray } from 'ix/asynciterable';
import { lastValueFrom, toArray as rxToArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';
import { textChars, textIdsAsync } from '../../src/sources/textChars.ts';
import { textChunksAsync } from '../../src/sources/textChunks.ts';
import { Vocabulary } from '../../src/sources/vocabulary.ts';
import { dataPath } from './dataPath.ts';

const TEXT = 'héllo wörld — 日本語 🎉\n';
let server: Server;
let base = '';
let sonnets = Buffer.alloc(0);

beforeAll(async () => {
  sonnets = readFileSync(dataPath('sonnets.txt'));
  server = createServer((req, res) => {
    if (req.url === '/utf8') {
      // Cut the body inside multi-byte characters, in several writes.
      const bytes = Buffer.from(TEXT.repeat(50));
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      let i = 0;
      const step = (): void => {
        if (i >= bytes.length) return void res.end();
        res.write(bytes.subarray(i, i + 7));
        i += 7;
        setImmediate(step);
      };
      step();
    } else if (req.url === '/sonnets') {
      res.writeHead(200, { 'content-length': String(sonnets.length) });
      res.end(sonnets);
    } else if (req.url === '/chunked') {
      res.writeHead(200); // no content-length: the limit is enforced while streaming
      res.write(sonnets.subarray(0, 60000));
      setTimeout(() => res.end(sonnets.subarray(60000)), 5);
    } else if (req.url === '/silent') {
      // Never answers: the client must time out.
    } else if (req.url === '/stall') {
      res.writeHead(200);
      res.write('first part, then nothing');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function rejection(p: Promise<unknown>): Promise<EddyError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EddyError);
  return err as EddyError;
}

describe('text from a URL', () => {
  it('streams a URL, keeping multi-byte characters whole across chunks', async () => {
    const chars = await lastValueFrom(textChars(`${base}/utf8`).pipe(rxToArray()));
    expect(chars).toEqual([...TEXT.repeat(50)]);
  });

  it('streams a larger body as ids and as chunks (URL object input)', async () => {
    const text = sonnets.toString('utf8');
    const vocab = Vocabulary.fromText(text);
    const ids = await toArray(textIdsAsync(new URL(`${base}/sonnets`), vocab));
    expect(ids.map((a) => vocab.decode(a)).join('')).toBe(text);
    expect((await toArray(textChunksAsync(`${base}/chunked`))).join('')).toBe(text);
  });

  it('a 404 names the status and the URL', async () => {
    const err = await rejection(toArray(textChunksAsync(`${base}/missing.txt`)));
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toBe(`HTTP 404 Not Found for URL ${base}/missing.txt`);
  });

  it('a refused connection names the URL', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await rejection(toArray(textChunksAsync(`http://127.0.0.1:${port}/x.txt`)));
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toBe(`Connection refused for URL http://127.0.0.1:${port}/x.txt`);
  });

  it('a server that never answers times out, naming the timeout and the URL', async () => {
    const err = await rejection(toArray(textChunksAsync(`${base}/silent`, { timeoutMs: 150 })));
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toBe(`Timed out after 150 ms (options.timeoutMs) waiting for URL ${base}/silent`);
  });

  it('a body that stalls times out too', async () => {
    const err = await rejection(toArray(textChunksAsync(`${base}/stall`, { timeoutMs: 150 })));
    expect(err.message).toMatch(/^Timed out after 150 ms .* URL .*\/stall$/);
  });

  it('maxBytes: from Content-Length, and while streaming without one', async () => {
    const a = await rejection(toArray(textChunksAsync(`${base}/sonnets`, { maxBytes: 5000 })));
    expect(a.code).toBe('ERR_SOURCE');
    expect(a.message).toBe(
      `URL ${base}/sonnets is larger than options.maxBytes (5000 bytes) (Content-Length ${sonnets.length})`,
    );
    const b = await rejection(toArray(textChunksAsync(`${base}/chunked`, { maxBytes: 70000 })));
    expect(b.message).toBe(`URL ${base}/chunked is larger than options.maxBytes (70000 bytes)`);
  });

  it('aborting a pending request fails with ERR_ABORTED', async () => {
    const ac = new AbortController();
    const p = toArray(textChunksAsync(`${base}/silent`, { signal: ac.signal }));
    setTimeout(() => ac.abort(), 30);
    const err = await rejection(p);
    expect(err.code).toBe('ERR_ABORTED');
  });
});
