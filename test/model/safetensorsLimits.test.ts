/**
 * A bad file is refused before time or memory is spent on it: the 8-byte header length is read first, then
 * exactly the header, then the data; FIFOs and devices are refused without blocking; the tensor count is capped.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, MAX_TENSORS, readSafetensors, readSafetensorsAsync } from '../../src/model/safetensors.ts';
import { loadModel } from '../../src/model/modelFile.ts';
import { EddyError } from '../../src/util/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `fn` (sync or async), returning its EddyError and the RSS it added. Bounds are on memory, not time (time
 * depends on the machine's load; a read that blocks fails by the test's timeout).
 */
async function refused(fn: () => unknown): Promise<{ err: EddyError; rssMiB: number }> {
  const rss0 = process.memoryUsage.rss();
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(EddyError);
  return { err: caught as EddyError, rssMiB: (process.memoryUsage.rss() - rss0) / 2 ** 20 };
}

/** A sparse file of `size` bytes whose first 8 bytes declare a header of `n` bytes. */
function sparse(name: string, size: number, n: bigint): string {
  const p = join(dir, name);
  const fd = openSync(p, 'w');
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(n);
  writeSync(fd, head, 0, 8, 0);
  ftruncateSync(fd, size);
  closeSync(fd);
  return p;
}

describe('safetensors files are refused early', () => {
  it('a 1 GiB file declaring a header over the limit: only the length is read', async () => {
    const p = sparse('huge.safetensors', 2 ** 30, 200_000_000n);
    for (const read of [() => readSafetensors(p), () => readSafetensorsAsync(p), () => loadModel(p)]) {
      const r = await refused(read);
      expect(r.err.code).toBe('ERR_FILE');
      expect(r.err.message).toMatch(/header length 200000000 exceeds the limit/);
      expect(r.rssMiB).toBeLessThan(100);
    }
  });

  it('a 1 GiB file whose header is not JSON: the header is read, never the data', async () => {
    const p = sparse('zeros.safetensors', 2 ** 30, 1000n);
    const r = await refused(() => readSafetensors(p));
    expect(r.err.code).toBe('ERR_FILE');
    expect(r.err.message).toMatch(/header is not valid UTF-8 JSON/);
    expect(r.rssMiB).toBeLessThan(100);
  });

  it('/dev/zero, a FIFO and a directory are refused without reading or blocking', async () => {
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    for (const p of ['/dev/zero', fifo, dir]) {
      for (const read of [() => readSafetensors(p), () => readSafetensorsAsync(p)]) {
        const r = await refused(read);
        expect(r.err.code).toBe('ERR_FILE');
        expect(r.err.message).toMatch(/not a regular file/);
        expect(r.err.message).toContain(p);
      }
    }
  });

  it(`more than MAX_TENSORS (${MAX_TENSORS}) tensors are refused before the header is parsed`, async () => {
    const n = MAX_TENSORS + 1000;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    const json = Buffer.from(`{${parts.join(',')}}`);
    const bytes = Buffer.alloc(8 + json.length);
    bytes.writeBigUInt64LE(BigInt(json.length));
    json.copy(bytes, 8);
    const p = join(dir, 'many.safetensors');
    writeFileSync(p, bytes);
    for (const read of [() => readSafetensors(p), () => decodeSafetensors(bytes, p)]) {
      const r = await refused(read);
      expect(r.err.code).toBe('ERR_FILE');
      expect(r.err.message).toMatch(new RegExp(`more than ${MAX_TENSORS} tensors`));
      expect(r.rssMiB).toBeLessThan(200);
    }
  });

  it('a file that shrinks while it is read is truncated, not garbage', async () => {
    // the header promises data the file does not hold (as if cut after the size was read)
    const json = Buffer.from('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}');
    const bytes = Buffer.alloc(8 + json.length + 8);
    bytes.writeBigUInt64LE(BigInt(json.length));
    json.copy(bytes, 8);
    const p = join(dir, 'short.safetensors');
    writeFileSync(p, bytes);
    const r = await refused(() => readSafetensors(p));
    expect(r.err.message).toMatch(/truncated/);
  });
});
