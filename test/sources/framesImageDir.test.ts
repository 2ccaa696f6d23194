import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, SkipInfo } from '../../src/sources/frames.ts';
import { imageDirFramesAsync, imageDirFrames, listNumberedImages } from '../../src/sources/imageDirFrames.ts';

let root: string;
let seq: string; // 12 gray PNGs named f1.png .. f12.png (unpadded, so text order differs from numeric order)

/** Frame n: a 20x10 gray image whose every pixel is 10·n + x. */
function pixel(n: number, x: number): number {
  return 10 * n + x;
}

async function writeFrame(dir: string, name: string, n: number): Promise<void> {
  const W = 20;
  const H = 10;
  const buf = Buffer.alloc(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) buf[y * W + x] = pixel(n, x);
  await sharp(buf, { raw: { width: W, height: H, channels: 1 } })
    .png()
    .toFile(join(dir, name));
}

async function collect(source: AsyncIterable<Frame>): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of source) out.push(f);
  return out;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'eddy-imgdir-'));
  seq = join(root, 'seq');
  mkdirSync(seq);
  await Promise.all(Array.from({ length: 12 }, (_, i) => writeFrame(seq, `f${i + 1}.png`, i + 1)));
  writeFileSync(join(seq, 'notes.txt'), 'not an image');
  writeFileSync(join(seq, 'cover.png'), readFileSync(join(seq, 'f1.png'))); // no number: left out
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('imageDirFrames', () => {
  it('lists numbered images in numeric order', async () => {
    const files = await listNumberedImages(seq);
    expect(files.map((f) => basename(f))).toEqual(Array.from({ length: 12 }, (_, i) => `f${i + 1}.png`));
  });

  it('reads every image in order with index, time at fps, size and pixels', async () => {
    const frames = await collect(imageDirFramesAsync(seq, { channels: 1, fps: 10 }));
    expect(frames.length).toBe(12);
    frames.forEach((f, k) => {
      expect([f.index, f.timeMs, f.width, f.height, f.channels]).toEqual([k, 100 * k, 20, 10, 1]);
      expect(f.data[0]).toBeCloseTo(pixel(k + 1, 0) / 255, 6);
      expect(f.data[19]).toBeCloseTo(pixel(k + 1, 19) / 255, 6);
    });
  });

  it('resizes and converts to RGB; the Observable form takes 3', async () => {
    const frames = await firstValueFrom(
      imageDirFrames(seq, { width: 10, height: 5, channels: 3 }).pipe(take(3), toArray()),
    );
    expect(frames.map((f) => [f.index, f.timeMs, f.width, f.height, f.channels, f.data.length])).toEqual([
      [0, 0, 10, 5, 3, 150],
      [1, 40, 10, 5, 3, 150],
      [2, 80, 10, 5, 3, 150],
    ]);
    // Gray in, RGB out: the three planes agree.
    const d = frames[2].data;
    expect(d[7]).toBeCloseTo(d[50 + 7], 2);
    expect(d[7]).toBeCloseTo(d[100 + 7], 2);
  });

  it('a corrupt PNG fails the stream with ERR_FILE naming it; with skip the stream goes on and counts it', async () => {
    const dir = join(root, 'corrupt');
    mkdirSync(dir);
    await Promise.all([1, 2, 3, 4, 5].map((n) => writeFrame(dir, `img_${String(n).padStart(3, '0')}.png`, n)));
    const good = readFileSync(join(dir, 'img_003.png'));
    writeFileSync(join(dir, 'img_003.png'), good.subarray(0, good.length >> 1)); // truncated PNG
    writeFileSync(join(dir, 'img_005.png'), Buffer.from('definitely not a png'));
    let seen = 0;
    const err = await (async () => {
      try {
        for await (const _ of imageDirFramesAsync(dir, { channels: 1 })) seen++;
      } catch (e) {
        return e as { code: string; message: string };
      }
      return undefined;
    })();
    expect(seen).toBe(2);
    expect(err?.code).toBe('ERR_FILE');
    expect(err?.message).toContain('img_003.png');

    const skips: SkipInfo[] = [];
    const frames = await collect(
      imageDirFramesAsync(dir, { channels: 1, onCorrupt: 'skip', onSkip: (s) => skips.push(s) }),
    );
    expect(frames.map((f) => f.index)).toEqual([0, 1, 3]);
    expect(frames.map((f) => f.timeMs)).toEqual([0, 40, 120]);
    expect(skips.map((s) => [s.index, s.reason, s.skipped, basename(s.source)])).toEqual([
      [2, 'corrupt-frame', 1, 'img_003.png'],
      [4, 'corrupt-frame', 2, 'img_005.png'],
    ]);
  });

  it('later images of another size are resized to the first one', async () => {
    const dir = join(root, 'sizes');
    mkdirSync(dir);
    await writeFrame(dir, '0.png', 1);
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } })
      .png()
      .toFile(join(dir, '1.png'));
    const frames = await collect(imageDirFramesAsync(dir, { channels: 1 }));
    expect(frames.map((f) => [f.width, f.height])).toEqual([
      [20, 10],
      [20, 10],
    ]);
    expect(frames[1].data[0]).toBeCloseTo(128 / 255, 1);
  });

  it('a missing directory, and one without numbered images, fail with ERR_FILE', async () => {
    await expect(collect(imageDirFramesAsync(join(root, 'nope')))).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining('no such directory'),
    });
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await expect(collect(imageDirFramesAsync(empty))).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining('No numbered images'),
    });
  });

  it('an aborted signal stops the next pull', async () => {
    const controller = new AbortController();
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of imageDirFramesAsync(seq, { signal: controller.signal }))
          if (++n === 2) controller.abort();
      })(),
    ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(n).toBe(2);
  });

  const bad: Array<[string, () => unknown, RegExp]> = [
    ['dir', () => imageDirFramesAsync(1 as never), /for dir/],
    ['options', () => imageDirFramesAsync('d', [] as never), /options object for options/],
    ['width', () => imageDirFramesAsync('d', { width: 70000 }), /options\.width/],
    ['height', () => imageDirFramesAsync('d', { height: 0 }), /options\.height/],
    ['channels', () => imageDirFramesAsync('d', { channels: 0 as never }), /options\.channels/],
    ['fps', () => imageDirFramesAsync('d', { fps: Number.NaN }), /options\.fps/],
    ['extensions', () => imageDirFramesAsync('d', { extensions: [] }), /options\.extensions/],
    ['extensions[0]', () => imageDirFramesAsync('d', { extensions: [3 as never] }), /options\.extensions\[0\]/],
    ['concurrency', () => imageDirFramesAsync('d', { concurrency: 0 }), /options\.concurrency/],
    ['limitInputPixels', () => imageDirFramesAsync('d', { limitInputPixels: -5 }), /options\.limitInputPixels/],
    ['onCorrupt', () => imageDirFrames('d', { onCorrupt: 'drop' as never }), /options\.onCorrupt/],
    ['onSkip', () => imageDirFrames('d', { onSkip: {} as never }), /options\.onSkip/],
    ['maxFrameBytes', () => imageDirFrames('d', { maxFrameBytes: 1.5 }), /options\.maxFrameBytes/],
  ];
  for (const [name, call, message] of bad) {
    it(`rejects a bad ${name} at the call`, () => {
      expect(call).toThrow(message);
      expect(() => call()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as unknown as Error);
    });
  }
});
