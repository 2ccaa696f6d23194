import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EddyError } from '../../src/util/errors.ts';
import type { Frame } from '../../src/sources/frames.ts';
import { animatedFramesAsync, animatedFrames } from '../../src/sources/animatedFrames.ts';
import { writeClipWebp } from '../../src/sources/writeClipWebp.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eddy-anim-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(source: AsyncIterable<Frame>): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of source) out.push(f);
  return out;
}

/** `[T, H, W]` frames: a bright square moving right one pixel per frame on a dark ground. */
function movingSquare(T: number, H: number, W: number): Float32Array {
  const frames = new Float32Array(T * H * W).fill(20 / 255);
  for (let t = 0; t < T; t++)
    for (let y = 2; y < 6; y++) for (let x = t; x < t + 4; x++) frames[(t * H + y) * W + x] = 230 / 255;
  return frames;
}

function maxAbsDiff(a: Float32Array, b: Float32Array, offset = 0): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[offset + i]));
  return m;
}

describe('animatedFrames', () => {
  it('reads back an animated WebP written by writeClipWebp: count, times, pixels', async () => {
    const T = 8;
    const H = 12;
    const W = 16;
    const frames = movingSquare(T, H, W);
    const path = join(dir, 'square.webp');
    expect(await writeClipWebp(path, frames, { width: W, height: H, fps: 10 })).toEqual({ path, frames: T, nudged: 0 });
    const back = await collect(animatedFramesAsync(path, { channels: 1 }));
    expect(back.length).toBe(T);
    back.forEach((f, t) => {
      expect([f.index, f.timeMs, f.width, f.height, f.channels]).toEqual([t, 100 * t, W, H, 1]);
      expect(maxAbsDiff(f.data, frames, t * H * W)).toBeLessThanOrEqual(1.5 / 255); // lossless up to gray/sRGB rounding
    });
  });

  it('keeps identical consecutive frames apart by nudging one pixel, and honours per-frame delays', async () => {
    const H = 8;
    const W = 8;
    const frames = new Float32Array(4 * H * W).fill(0.5); // four identical frames
    const path = join(dir, 'same.webp');
    const result = await writeClipWebp(path, frames, { width: W, height: H, delayMs: [20, 30, 40, 50] });
    expect(result.nudged).toBe(2); // frames 1 and 3; frame 2 already differs from the nudged frame 1
    const back = await collect(animatedFramesAsync(path, { channels: 1 }));
    expect(back.map((f) => f.timeMs)).toEqual([0, 20, 50, 90]);
    for (const f of back) expect(maxAbsDiff(f.data, frames)).toBeLessThanOrEqual(2 / 255); // rounding + nudge
    // Without the nudge the encoder merges them into one frame lasting 100 ms.
    const merged = join(dir, 'merged.webp');
    await writeClipWebp(merged, frames, { width: W, height: H, delayMs: 25, keepDuplicates: false });
    const one = await collect(animatedFramesAsync(merged, { channels: 1 }));
    expect(one.length).toBe(1);
  });

  it('reads an animated GIF with resize, RGB output and the fps option overriding delays', async () => {
    const T = 5;
    const H = 16;
    const W = 16;
    const rgba = Buffer.alloc(T * H * W * 4); // [T·H, W, 4]: frame t is solid red at level 50·t
    for (let t = 0; t < T; t++) for (let p = 0; p < H * W; p++) rgba.set([50 * t, 0, 0, 255], (t * H * W + p) * 4);
    const path = join(dir, 'red.gif');
    await sharp(rgba, { raw: { width: W, height: H * T, channels: 4, pageHeight: H } })
      .gif({ delay: new Array<number>(T).fill(70), loop: 0 })
      .toFile(path);
    const back = await firstValueFrom(
      animatedFrames(path, { width: 8, height: 4, channels: 3, fps: 20 }).pipe(toArray()),
    );
    expect(back.length).toBe(T);
    back.forEach((f, t) => {
      expect([f.index, f.timeMs, f.width, f.height, f.channels, f.data.length]).toEqual([
        t,
        50 * t,
        8,
        4,
        3,
        3 * 4 * 8,
      ]);
      expect(f.data[0]).toBeCloseTo((50 * t) / 255, 1); // R plane
      expect(f.data[32]).toBeCloseTo(0, 1); // G plane
    });
    const withDelays = await collect(animatedFramesAsync(path, { channels: 1 }));
    expect(withDelays.map((f) => f.timeMs)).toEqual([0, 70, 140, 210, 280]);
  });

  it('reads from a buffer too, and a break stops it', async () => {
    const path = join(dir, 'square.webp');
    await writeClipWebp(path, movingSquare(6, 12, 16), { width: 16, height: 12 });
    const { readFile } = await import('node:fs/promises');
    let n = 0;
    for await (const f of animatedFramesAsync(await readFile(path), { channels: 1 })) {
      expect(f.index).toBe(n);
      if (++n === 2) break;
    }
    expect(n).toBe(2);
  });

  it('fails with ERR_FILE for a missing file and for a corrupt one', async () => {
    const missing = join(dir, 'missing.webp');
    await expect(collect(animatedFramesAsync(missing))).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining('missing.webp'),
    });
    const bad = join(dir, 'bad.gif');
    writeFileSync(bad, Buffer.from('GIF89a this is not really a gif'));
    await expect(collect(animatedFramesAsync(bad))).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining('bad.gif'),
    });
  });

  it('fails with ERR_FILE for a truncated GIF, wherever it was cut (as for WebP)', async () => {
    const T = 6;
    const H = 12;
    const W = 16;
    const raw = Buffer.alloc(T * H * W * 3);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < H * W; i++) {
        raw[(t * H * W + i) * 3] = (t * 40 + i) % 256;
        raw[(t * H * W + i) * 3 + 1] = (i * 7) % 256;
      }
    const gif = await sharp(raw, { raw: { width: W, height: H * T, channels: 3, pageHeight: H } })
      .gif({ delay: Array(T).fill(50) })
      .toBuffer();
    expect(await collect(animatedFramesAsync(gif))).toHaveLength(T);
    const path = join(dir, 'whole.gif');
    writeFileSync(path, gif);
    expect(await collect(animatedFramesAsync(path))).toHaveLength(T);
    for (const cut of [0.3, 0.5, 0.8, 0.95, 0.999]) {
      const part = gif.subarray(0, Math.floor(gif.length * cut));
      await expect(collect(animatedFramesAsync(part)), `cut at ${cut}`).rejects.toMatchObject({
        code: 'ERR_FILE',
        message: expect.stringMatching(/truncated/),
      });
      const cutPath = join(dir, 'cut.gif');
      writeFileSync(cutPath, part);
      await expect(firstValueFrom(animatedFrames(cutPath).pipe(toArray()))).rejects.toMatchObject({
        code: 'ERR_FILE',
        message: expect.stringContaining('cut.gif'),
      });
    }
  });

  it('limitInputPixels guards against huge animations', async () => {
    const path = join(dir, 'square.webp');
    await writeClipWebp(path, movingSquare(4, 12, 16), { width: 16, height: 12 });
    await expect(collect(animatedFramesAsync(path, { limitInputPixels: 10 }))).rejects.toMatchObject({
      code: 'ERR_FILE',
    });
  });

  const bad: Array<[string, () => unknown, RegExp]> = [
    ['input', () => animatedFramesAsync(3 as never), /for input but received 3/],
    ['empty input', () => animatedFramesAsync(''), /for input/],
    ['width', () => animatedFramesAsync('a.gif', { width: 0 }), /options\.width/],
    ['channels', () => animatedFramesAsync('a.gif', { channels: 4 as never }), /options\.channels/],
    ['fps', () => animatedFramesAsync('a.gif', { fps: -1 }), /options\.fps/],
    ['limitInputPixels', () => animatedFramesAsync('a.gif', { limitInputPixels: 0.5 }), /options\.limitInputPixels/],
    ['maxFrameBytes', () => animatedFrames('a.gif', { maxFrameBytes: 0 }), /options\.maxFrameBytes/],
    ['signal', () => animatedFrames('a.gif', { signal: 'stop' as never }), /options\.signal/],
  ];
  for (const [name, call, message] of bad) {
    it(`rejects a bad ${name} at the call`, () => {
      expect(call).toThrow(message);
      expect(() => call()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as unknown as Error);
    });
  }
});

describe('writeClipWebp invalid arguments', () => {
  const frames = new Float32Array(2 * 4 * 4);
  const bad: Array<[string, () => Promise<unknown>, RegExp, string]> = [
    ['path', () => writeClipWebp('', frames, { width: 4, height: 4 }), /for path/, 'ERR_INVALID_ARG'],
    [
      'frames type',
      () => writeClipWebp('x.webp', [1, 2] as never, { width: 4, height: 4 }),
      /Float32Array/,
      'ERR_SHAPE',
    ],
    [
      'frames length',
      () => writeClipWebp('x.webp', new Float32Array(33), { width: 4, height: 4 }),
      /positive multiple of 16/,
      'ERR_SHAPE',
    ],
    ['width', () => writeClipWebp('x.webp', frames, { width: 0, height: 4 }), /options\.width/, 'ERR_INVALID_ARG'],
    [
      'channels',
      () => writeClipWebp('x.webp', frames, { width: 4, height: 4, channels: 2 as never }),
      /options\.channels/,
      'ERR_INVALID_ARG',
    ],
    ['fps', () => writeClipWebp('x.webp', frames, { width: 4, height: 4, fps: 0 }), /options\.fps/, 'ERR_INVALID_ARG'],
    [
      'delayMs',
      () => writeClipWebp('x.webp', frames, { width: 4, height: 4, delayMs: [10] }),
      /options\.delayMs/,
      'ERR_INVALID_ARG',
    ],
    [
      'delayMs[1]',
      () => writeClipWebp('x.webp', frames, { width: 4, height: 4, delayMs: [10, 70000] }),
      /options\.delayMs\[1\]/,
      'ERR_INVALID_ARG',
    ],
    [
      'loop',
      () => writeClipWebp('x.webp', frames, { width: 4, height: 4, loop: -1 }),
      /options\.loop/,
      'ERR_INVALID_ARG',
    ],
    [
      'lossless',
      () => writeClipWebp('x.webp', frames, { width: 4, height: 4, lossless: 1 as never }),
      /options\.lossless/,
      'ERR_INVALID_ARG',
    ],
    [
      'quality',
      () => writeClipWebp('x.webp', frames, { width: 4, height: 4, quality: 101 }),
      /options\.quality/,
      'ERR_INVALID_ARG',
    ],
    [
      'keepDuplicates',
      () => writeClipWebp('x.webp', frames, { width: 4, height: 4, keepDuplicates: 'no' as never }),
      /options\.keepDuplicates/,
      'ERR_INVALID_ARG',
    ],
  ];
  for (const [name, call, message, code] of bad) {
    it(`rejects a bad ${name}`, async () => {
      const err = (await call().then(
        () => undefined,
        (e: unknown) => e,
      )) as EddyError;
      expect(err.message).toMatch(message);
      expect(err.code).toBe(code);
    });
  }
});
