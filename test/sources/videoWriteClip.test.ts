import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EddyError } from '../../src/util/errors.ts';
import { videoFramesAsync } from '../../src/sources/ffmpegFrames.ts';
import { writeClip } from '../../src/sources/writeClip.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-writeclip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<EddyError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as EddyError,
  );
}

describe('writeClip', () => {
  it('clamps values outside [0, 1] and writes RGB losslessly with ffv1', async () => {
    const W = 8;
    const H = 6;
    const frames = new Float32Array(3 * 3 * H * W); // [T=3, C=3, H, W]
    for (let i = 0; i < frames.length; i++) frames[i] = (i % 7) / 3 - 0.5; // from -0.5 to 1.5
    const path = join(dir, 'clamp.mkv');
    await writeClip(path, frames, { width: W, height: H, channels: 3 });
    let t = 0;
    for await (const f of videoFramesAsync(path, { channels: 3 })) {
      for (let i = 0; i < 3 * H * W; i++) {
        const want = Math.round(Math.min(1, Math.max(0, frames[t * 3 * H * W + i])) * 255) / 255;
        expect(Math.abs(f.data[i] - want)).toBeLessThan(1e-6);
      }
      t++;
    }
    expect(t).toBe(3);
  });

  it('leaves no file behind when ffmpeg is missing, and names the binary', async () => {
    const path = join(dir, 'never.mkv');
    const err = await rejection(
      writeClip(path, new Float32Array(16), { width: 4, height: 4, ffmpegPath: '/nonexistent/ffmpeg' }),
    );
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toContain('/nonexistent/ffmpeg');
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('never'))).toEqual([]);
  });

  it('reports an ffmpeg failure (an unknown container) with its message', async () => {
    const err = await rejection(writeClip(join(dir, 'clip.unknownext'), new Float32Array(16), { width: 4, height: 4 }));
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toMatch(/ffmpeg could not write .*clip\.unknownext/);
  });

  it('an aborted signal stops the write with ERR_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(
      writeClip(join(dir, 'aborted.mkv'), new Float32Array(16), { width: 4, height: 4, signal: controller.signal }),
    );
    expect(err.code).toBe('ERR_ABORTED');
  });

  const frames = new Float32Array(2 * 4 * 4);
  const bad: Array<[string, () => Promise<unknown>, RegExp, string]> = [
    ['path', () => writeClip(7 as never, frames, { width: 4, height: 4 }), /for path/, 'ERR_INVALID_ARG'],
    ['options', () => writeClip('x.mkv', frames, null as never), /options object for options/, 'ERR_INVALID_ARG'],
    [
      'frames type',
      () => writeClip('x.mkv', new Uint8Array(32) as never, { width: 4, height: 4 }),
      /Float32Array .*received Uint8Array/,
      'ERR_SHAPE',
    ],
    [
      'frames length',
      () => writeClip('x.mkv', new Float32Array(0), { width: 4, height: 4 }),
      /positive multiple of 16/,
      'ERR_SHAPE',
    ],
    [
      'frames length for RGB',
      () => writeClip('x.mkv', frames, { width: 4, height: 4, channels: 3 }),
      /positive multiple of 48 \[T, C=3, H=4, W=4\]/,
      'ERR_SHAPE',
    ],
    ['width', () => writeClip('x.mkv', frames, { width: 4.5, height: 4 }), /options\.width/, 'ERR_INVALID_ARG'],
    [
      'height',
      () => writeClip('x.mkv', frames, { width: 4 } as never),
      /options\.height but received undefined/,
      'ERR_INVALID_ARG',
    ],
    [
      'channels',
      () => writeClip('x.mkv', frames, { width: 4, height: 4, channels: 4 as never }),
      /options\.channels/,
      'ERR_INVALID_ARG',
    ],
    ['fps', () => writeClip('x.mkv', frames, { width: 4, height: 4, fps: 0 }), /options\.fps/, 'ERR_INVALID_ARG'],
    [
      'codec',
      () => writeClip('x.mkv', frames, { width: 4, height: 4, codec: 'h264' as never }),
      /one of "ffv1", "mpeg4" for options\.codec/,
      'ERR_INVALID_ARG',
    ],
    [
      'quality',
      () => writeClip('x.mp4', frames, { width: 4, height: 4, quality: 0 }),
      /options\.quality/,
      'ERR_INVALID_ARG',
    ],
    [
      'ffmpegPath',
      () => writeClip('x.mkv', frames, { width: 4, height: 4, ffmpegPath: 1 as never }),
      /options\.ffmpegPath/,
      'ERR_INVALID_ARG',
    ],
    [
      'onSpawn',
      () => writeClip('x.mkv', frames, { width: 4, height: 4, onSpawn: true as never }),
      /options\.onSpawn/,
      'ERR_INVALID_ARG',
    ],
    [
      'signal',
      () => writeClip('x.mkv', frames, { width: 4, height: 4, signal: 1 as never }),
      /options\.signal/,
      'ERR_INVALID_ARG',
    ],
  ];
  for (const [name, call, message, code] of bad) {
    it(`rejects a bad ${name} before ffmpeg starts`, async () => {
      const err = await rejection(call());
      expect(err.message).toMatch(message);
      expect(err.code).toBe(code);
    });
  }
});
