import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { toArray } from 'ix/asynciterable';
import { lastValueFrom, toArray as rxToArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';
import { decodeImage } from '../../src/sources/decodeImage.ts';
import { glimpse, type GlimpseLocation, type Pixels } from '../../src/sources/glimpse.ts';
import { glimpsesAsync, glimpses } from '../../src/sources/glimpses.ts';

let dir = '';
let pngPath = '';
let png = Buffer.alloc(0);
const bytes = Buffer.from(Array.from({ length: 36 }, (_, i) => i * 7)); // 6x6 grey, 0..245

async function rejection(p: Promise<unknown>): Promise<EddyError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EddyError);
  return err as EddyError;
}

function pixels(): Pixels {
  return { data: Float32Array.from(bytes, (b) => b / 255), C: 1, H: 6, W: 6 };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eddy-glimpses-'));
  png = await sharp(bytes, { raw: { width: 6, height: 6, channels: 1 } })
    .png()
    .toBuffer();
  pngPath = join(dir, 'six.png');
  await sharp(png).toFile(pngPath);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('decodeImage', () => {
  it('decodes a PNG file or buffer to [C, H, W] in [0, 1]', async () => {
    const grey = await decodeImage(pngPath, { channels: 1 });
    expect([grey.C, grey.H, grey.W]).toEqual([1, 6, 6]);
    expect([...grey.data]).toEqual([...pixels().data]);
    const rgb = await decodeImage(png);
    expect([rgb.C, rgb.H, rgb.W]).toEqual([3, 6, 6]);
    expect([...rgb.data.subarray(36, 72)]).toEqual([...pixels().data]); // the G plane of a grey image
  });

  it('fails clearly: missing file, undecodable buffer, too many pixels, bad options', async () => {
    const missing = await rejection(decodeImage(join(dir, 'nope.png')));
    expect(missing.code).toBe('ERR_FILE');
    expect(missing.message).toContain(join(dir, 'nope.png'));
    const garbage = await rejection(decodeImage(Buffer.from('not an image')));
    expect(garbage.code).toBe('ERR_SOURCE');
    expect(garbage.message).toMatch(/Cannot decode image buffer/);
    const big = await rejection(decodeImage(png, { maxPixels: 35 }));
    expect(big.code).toBe('ERR_SOURCE');
    expect(big.message).toMatch(/options\.maxPixels \(35\)/);
    await expect(decodeImage(png, { channels: 2 as 1 })).rejects.toThrowError(/options\.channels/);
    await expect(decodeImage(png, { maxPixels: 0 })).rejects.toThrowError(/options\.maxPixels/);
    await expect(decodeImage('' as string)).rejects.toThrowError(/input/);
  });
});

/** A PNG that declares `width` x `height` RGB pixels in its header (its image data is one empty block). */
function declaredPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(0))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodeImage: bounded memory', () => {
  it('refuses an image whose decoded [C, H, W] floats exceed options.maxBytes, before decoding it', async () => {
    const small = await rejection(decodeImage(png, { maxBytes: 400 })); // 3 x 6 x 6 floats = 432 bytes
    expect(small.code).toBe('ERR_SOURCE');
    expect(small.message).toMatch(/432 bytes/);
    expect(small.message).toMatch(/options\.maxBytes \(400\)/);
    expect((await decodeImage(png, { maxBytes: 432 })).data.length).toBe(108);
    // a small file that declares 16000 x 16000 RGB (under maxPixels): 3 GB of floats by the default limit's measure
    const rss0 = process.memoryUsage.rss();
    const huge = await rejection(decodeImage(declaredPng(16000, 16000)));
    expect(huge.code).toBe('ERR_SOURCE');
    expect(huge.message).toMatch(/3072000000 bytes/);
    expect(huge.message).toMatch(/options\.maxBytes/);
    // refused on the header: decoding would allocate 768 MB (memory, not time: time depends on the machine's load)
    expect((process.memoryUsage.rss() - rss0) / 2 ** 20).toBeLessThan(200);
    await expect(decodeImage(png, { maxBytes: 0 })).rejects.toThrowError(/options\.maxBytes/);
  });

  it('refuses a path that is not a regular file (a device never ends)', async () => {
    const dev = await rejection(decodeImage('/dev/zero'));
    expect(dev.code).toBe('ERR_FILE');
    expect(dev.message).toMatch(/not a regular file/);
  });
});

describe('glimpses', () => {
  const opts = { size: 2, scales: 2, channels: 1 as const };

  it('emits one glimpse per listed location, equal to the pure function', async () => {
    const locs: GlimpseLocation[] = [
      [0, 0],
      [-1, -1],
      [0.5, -0.25],
    ];
    const steps = await toArray(glimpsesAsync(pixels(), locs, opts));
    expect(steps.map((s) => s.step)).toEqual([0, 1, 2]);
    steps.forEach((s, i) => {
      expect(s.location).toEqual(locs[i]);
      expect([...s.data]).toEqual([...glimpse(pixels(), locs[i], opts)]);
    });
  });

  it('decodes a path or a Buffer with sharp (iterable and Observable agree)', async () => {
    const fromPath = await toArray(glimpsesAsync(pngPath, { rows: 2, cols: 3 }, opts));
    const fromBuffer = await lastValueFrom(glimpses(png, { rows: 2, cols: 3 }, opts).pipe(rxToArray()));
    expect(fromPath.length).toBe(6);
    expect(fromPath[0].location[0]).toBeCloseTo(-2 / 3, 12);
    expect(fromPath[0].location[1]).toBe(-0.5);
    expect(fromPath[5].location[0]).toBeCloseTo(2 / 3, 12);
    expect(fromPath[5].location[1]).toBe(0.5);
    expect(fromBuffer).toEqual(fromPath);
    expect([...fromPath[4].data]).toEqual([...glimpse(pixels(), [0, 0.5], opts)]);
    const missing = await rejection(toArray(glimpsesAsync(join(dir, 'gone.png'), [[0, 0]])));
    expect(missing.code).toBe('ERR_FILE');
  });

  it('asks the policy callback for each location, passing the last output; null ends', async () => {
    const seen: Array<[Float32Array | null, number]> = [];
    const policy = async (last: Float32Array | null, step: number): Promise<GlimpseLocation | null> => {
      seen.push([last, step]);
      return step === 3 ? null : [step / 3, -step / 3];
    };
    const steps = await toArray(glimpsesAsync(pixels(), policy, opts));
    expect(steps.length).toBe(3);
    expect(seen.map(([, s]) => s)).toEqual([0, 1, 2, 3]);
    expect(seen[0][0]).toBeNull();
    expect(seen[1][0]).toBe(steps[0].data);
    expect(seen[3][0]).toBe(steps[2].data);
    expect(steps[2].location).toEqual([2 / 3, -2 / 3]);
  });

  it('a policy returning a bad location fails the stream naming the step', async () => {
    const bad = (_: Float32Array | null, step: number): GlimpseLocation => (step === 1 ? [2, 0] : [0, 0]);
    const err = await rejection(toArray(glimpsesAsync(pixels(), bad, opts)));
    expect(err.code).toBe('ERR_INVALID_ARG');
    expect(err.message).toMatch(/policy at step 1\[0\]/);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    const it = glimpsesAsync(pixels(), () => [0, 0], { ...opts, signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    const err = await it.next().then(
      () => null,
      (e: unknown) => e as EddyError,
    );
    expect(err?.code).toBe('ERR_ABORTED');
  });

  it('rejects invalid arguments at the call, naming them', () => {
    expect(() => glimpsesAsync(pixels(), [[0, 0]], { size: 0 })).toThrowError(/options\.size/);
    expect(() => glimpsesAsync(pixels(), [[0, 0]], { scales: 17 })).toThrowError(/options\.scales/);
    expect(() => glimpsesAsync(png, [[0, 0]], { channels: 4 as 3 })).toThrowError(/options\.channels/);
    expect(() => glimpsesAsync(png, [[0, 0]], { maxPixels: -5 })).toThrowError(/options\.maxPixels/);
    expect(() =>
      glimpses(pixels(), [
        [0, 0],
        [0, 1.5],
      ]),
    ).toThrowError(/locations\[1\]\[1\]/);
    expect(() => glimpsesAsync(pixels(), { rows: 0, cols: 2 })).toThrowError(/locations\.rows/);
    expect(() => glimpsesAsync(pixels(), 'raster' as never)).toThrowError(/locations/);
    expect(() => glimpsesAsync(42 as never, [[0, 0]])).toThrowError(/image/);
    expect(() => glimpsesAsync(pixels(), [[0, 0]], { signal: 1 as never })).toThrowError(/options\.signal/);
  });
});
