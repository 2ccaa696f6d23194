import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EddyError } from '../../src/util/errors.ts';
import type { Frame, SkipInfo } from '../../src/sources/frames.ts';
import { videoFramesAsync, videoFrames } from '../../src/sources/ffmpegFrames.ts';
import { writeClip } from '../../src/sources/writeClip.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const gridDir = resolve(repoRoot, '../shared/data/grid');
const clip = join(gridDir, 's1', 'lgaf4n.mpg');

function gridClip(): string {
  if (!existsSync(clip)) {
    throw new Error(
      `GRID clip missing: expected ${clip} (shared data resolved as path.resolve(repoRoot, '../shared/data'), repoRoot ${repoRoot})`,
    );
  }
  return clip;
}

async function collect(source: AsyncIterable<Frame>): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of source) out.push(f);
  return out;
}

async function failure(source: AsyncIterable<Frame>): Promise<{ err: EddyError; frames: number }> {
  let frames = 0;
  try {
    for await (const _ of source) frames++;
  } catch (err) {
    return { err: err as EddyError, frames };
  }
  throw new Error(`expected the stream to fail, but it completed after ${frames} frames`);
}

/** True while a process with this pid exists (zombies included). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitDead(pid: number, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return !alive(pid);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eddy-video-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A moving-gradient clip `[T, H, W]` whose pixels are exact multiples of 1/255. */
function gradientClip(T: number, H: number, W: number): Float32Array {
  const frames = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) frames[(t * H + y) * W + x] = ((x * 8 + y * 3 + t * 11) % 256) / 255;
  return frames;
}

describe('videoFrames on a GRID clip', () => {
  it('reads 75 frames at 64x64 gray with index, time and size', async () => {
    const frames = await collect(videoFramesAsync(gridClip(), { width: 64, height: 64, channels: 1 }));
    expect(frames.length).toBe(75);
    frames.forEach((f, k) => {
      expect(f.index).toBe(k);
      expect(f.timeMs).toBeCloseTo(40 * k, 6);
      expect([f.width, f.height, f.channels, f.data.length]).toEqual([64, 64, 1, 64 * 64]);
    });
    // Same bytes as ffmpeg's own command line with the same filter chain.
    const raw = execFileSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-i',
        clip,
        '-map',
        '0:v:0',
        '-vf',
        'scale=64:64:flags=area,format=gray',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'gray',
        '-',
      ],
      { maxBuffer: 1 << 24 },
    );
    expect(raw.length).toBe(75 * 64 * 64);
    for (const k of [0, 37, 74]) {
      const f = frames[k];
      let maxDiff = 0;
      for (let i = 0; i < 64 * 64; i++) maxDiff = Math.max(maxDiff, Math.abs(f.data[i] - raw[k * 4096 + i] / 255));
      expect(maxDiff).toBeLessThan(1e-6);
    }
  });

  it('reads full-size RGB frames planar [3, 288, 360] in [0, 1]', async () => {
    const frames = await firstValueFrom(videoFrames(gridClip(), { channels: 3 }).pipe(take(2), toArray()));
    expect(frames.map((f) => [f.index, f.width, f.height, f.channels, f.data.length])).toEqual([
      [0, 360, 288, 3, 3 * 288 * 360],
      [1, 360, 288, 3, 3 * 288 * 360],
    ]);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of frames[0].data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi - lo).toBeGreaterThan(0.5); // a real picture, not a blank
  });

  it('keeps the aspect ratio when only width is given', async () => {
    const [f] = await firstValueFrom(videoFrames(gridClip(), { width: 90, channels: 1 }).pipe(take(1), toArray()));
    expect([f.width, f.height]).toEqual([90, 72]);
  });
});

describe('videoFrames on other inputs', () => {
  it('reads a synthetic pattern through inputFormat (lavfi), with times from its frame rate', async () => {
    const frames = await collect(
      videoFramesAsync('testsrc=size=32x24:rate=10:duration=0.5', { inputFormat: 'lavfi', channels: 3 }),
    );
    expect(frames.map((f) => [f.index, f.timeMs, f.width, f.height])).toEqual(
      [0, 1, 2, 3, 4].map((k) => [k, 100 * k, 32, 24]),
    );
  });
});

describe('videoFrames stops ffmpeg', () => {
  it('RxJS take(3) unsubscribes and kills ffmpeg', async () => {
    const pids: number[] = [];
    const frames = await firstValueFrom(
      videoFrames(gridClip(), { channels: 1, onSpawn: (pid) => pids.push(pid) }).pipe(take(3), toArray()),
    );
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(pids.length).toBe(1);
    expect(await waitDead(pids[0])).toBe(true);
  });

  it('breaking out of for await kills ffmpeg before the loop returns', async () => {
    const pids: number[] = [];
    let n = 0;
    for await (const _ of videoFramesAsync(gridClip(), { channels: 1, onSpawn: (pid) => pids.push(pid) }))
      if (++n === 3) break;
    expect(n).toBe(3);
    expect(alive(pids[0])).toBe(false);
  });

  it('an abort signal fails the pull with ERR_ABORTED and kills ffmpeg', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    let n = 0;
    const source = videoFramesAsync(gridClip(), {
      channels: 1,
      realtime: true,
      signal: controller.signal,
      onSpawn: (pid) => pids.push(pid),
    });
    const { err } = await failure({
      async *[Symbol.asyncIterator]() {
        for await (const f of source) {
          if (++n === 2) controller.abort();
          yield f;
        }
      },
    });
    expect(err.code).toBe('ERR_ABORTED');
    expect(alive(pids[0])).toBe(false);
  });

  it('paces frames in real time with realtime: true (on a fake clock: no clock read, the sleeps it asks for)', async () => {
    // Timers and performance are faked, so the source's clock moves only when it sleeps, and by exactly what it asked
    // to sleep (each pacing sleep is the only pending timer and is run at once); reading ffmpeg's output takes no
    // clock time. The test reads no clock: it adds up the delays the source hands to setTimeout before each frame.
    // Frame k must leave after sleeping its timestamp's distance from frame 0, whatever the machine's load; a source
    // that did not pace would ask for no sleep at all.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fakeSetTimeout = globalThis.setTimeout;
    let slept = 0; // ms the source has asked to sleep so far
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      slept += ms ?? 0;
      return fakeSetTimeout(fn, ms);
    }) as typeof globalThis.setTimeout;
    try {
      const source = videoFramesAsync(gridClip(), { width: 16, height: 16, channels: 1, realtime: true })[
        Symbol.asyncIterator
      ]();
      const sleptAt: number[] = [];
      const times: number[] = [];
      for (let k = 0; k < 6; k++) {
        const next = source.next();
        let settled = false;
        void next.then(() => {
          settled = true;
        });
        while (!settled) {
          if (vi.getTimerCount() > 0) await vi.advanceTimersToNextTimerAsync();
          else await new Promise((r) => setImmediate(r)); // real I/O: ffmpeg's frames
        }
        const r = await next;
        if (r.done) break;
        sleptAt.push(slept);
        times.push(r.value.timeMs);
      }
      await source.return?.();
      expect(sleptAt.length).toBe(6);
      // before frame k the source slept its timestamp's distance from frame 0 (40 ms a frame in GRID)
      for (let k = 1; k < 6; k++) expect(sleptAt[k] - sleptAt[0]).toBeCloseTo(times[k] - times[0], 6);
      expect(times[5] - times[0]).toBeCloseTo(200, 6);
    } finally {
      globalThis.setTimeout = fakeSetTimeout;
      vi.useRealTimers();
    }
  });
});

describe('videoFrames reads back what writeClip wrote', () => {
  it('lossless ffv1 .mkv: same count, same pixels', async () => {
    const T = 12;
    const H = 24;
    const W = 32;
    const frames = gradientClip(T, H, W);
    const path = join(dir, 'gradient.mkv');
    expect(await writeClip(path, frames, { width: W, height: H, fps: 25 })).toEqual({ path, frames: T });
    const back = await collect(videoFramesAsync(path, { channels: 1 }));
    expect(back.length).toBe(T);
    back.forEach((f, t) => {
      expect([f.index, f.width, f.height]).toEqual([t, W, H]);
      expect(f.timeMs).toBeCloseTo(40 * t, 6);
      let maxDiff = 0;
      for (let i = 0; i < H * W; i++) maxDiff = Math.max(maxDiff, Math.abs(f.data[i] - frames[t * H * W + i]));
      expect(maxDiff).toBeLessThan(1e-6);
    });
  });

  it('mpeg4 .mp4 in RGB: same count, pixels close', async () => {
    const T = 10;
    const H = 32;
    const W = 32;
    const frames = new Float32Array(T * 3 * H * W); // [T, 3, H, W]: smooth colour ramps
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++)
            frames[((t * 3 + c) * H + y) * W + x] = c === 0 ? x / (W - 1) : c === 1 ? y / (H - 1) : 0.5;
      }
    }
    const path = join(dir, 'ramps.mp4');
    await writeClip(path, frames, { width: W, height: H, channels: 3, fps: 10 });
    const back = await collect(videoFramesAsync(path, { channels: 3 }));
    expect(back.length).toBe(T);
    expect(back[1].timeMs).toBeCloseTo(100, 6);
    let err = 0;
    for (let t = 0; t < T; t++)
      for (let i = 0; i < 3 * H * W; i++) err += Math.abs(back[t].data[i] - frames[t * 3 * H * W + i]);
    expect(err / frames.length).toBeLessThan(0.03);
  });
});

describe('videoFrames errors', () => {
  it('a missing file fails with ERR_FILE naming it', async () => {
    const path = join(dir, 'nope.mp4');
    const { err } = await failure(videoFramesAsync(path));
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toContain(path);
    expect(err.message).toContain('no such file');
  });

  it('a missing ffmpeg binary fails with ERR_SOURCE naming the path and the input', async () => {
    const { err } = await failure(videoFramesAsync(gridClip(), { ffmpegPath: '/nonexistent/ffmpeg' }));
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toContain('/nonexistent/ffmpeg');
    expect(err.message).toContain(clip);
  });

  it('a file that is not a video fails with ERR_FILE', async () => {
    const path = join(dir, 'notes.json');
    writeFileSync(path, JSON.stringify({ not: 'a video' }));
    const { err } = await failure(videoFramesAsync(path));
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toMatch(/notes\.json.*not a video/);
  });

  it('an audio-only file fails with ERR_FILE: no video stream', async () => {
    const path = join(dir, 'tone.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=0.2', path]);
    const { err } = await failure(videoFramesAsync(path));
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toContain('no video stream');
  });

  it('maxFrameBytes smaller than a frame fails clearly', async () => {
    const { err } = await failure(videoFramesAsync(gridClip(), { maxFrameBytes: 1000 }));
    expect(err.code).toBe('ERR_SOURCE');
    expect(err.message).toMatch(/360x288x3 = 311040 bytes, more than options\.maxFrameBytes = 1000/);
  });

  it('a GRID clip cut in half: a corrupt frame fails the stream, or with skip is dropped and counted', async () => {
    const bytes = readFileSync(gridClip());
    const path = join(dir, 'half.mpg');
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    const { err, frames } = await failure(videoFramesAsync(path, { width: 32, height: 32, channels: 1 }));
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toMatch(/Corrupt or truncated video .*half\.mpg.* at frame \d+/);
    const skips: SkipInfo[] = [];
    const kept = await collect(
      videoFramesAsync(path, { width: 32, height: 32, channels: 1, onCorrupt: 'skip', onSkip: (s) => skips.push(s) }),
    );
    const dropped = skips.filter((s) => s.reason !== 'truncated');
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeGreaterThanOrEqual(frames);
    // Every index is either kept or reported skipped: the skips are the gaps.
    const last = Math.max(...kept.map((f) => f.index), ...dropped.map((s) => s.index));
    expect(kept.length + dropped.length).toBe(last + 1);
    expect(new Set([...kept.map((f) => f.index), ...dropped.map((s) => s.index)]).size).toBe(last + 1);
  });

  it('a written .mkv cut in half fails as truncated, or with skip reports truncation once', async () => {
    const path = join(dir, 'whole.mkv');
    await writeClip(path, gradientClip(50, 24, 32), { width: 32, height: 24 });
    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.mkv');
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    const { err, frames } = await failure(videoFramesAsync(cut, { channels: 1 }));
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toContain('cut.mkv');
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThan(50);
    const skips: SkipInfo[] = [];
    const kept = await collect(videoFramesAsync(cut, { channels: 1, onCorrupt: 'skip', onSkip: (s) => skips.push(s) }));
    expect(kept.length).toBeLessThan(50);
    expect(skips.filter((s) => s.reason === 'truncated').length).toBe(1);
  });
});

describe('videoFrames invalid arguments', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['input', () => videoFramesAsync(42 as unknown as string), /for input but received 42/],
    ['empty input', () => videoFramesAsync(''), /non-empty string for input/],
    ['options', () => videoFramesAsync('a.mp4', 5 as never), /options object for options/],
    [
      'width',
      () => videoFramesAsync('a.mp4', { width: 0 }),
      /integer in \[1, 65535\] for options\.width but received 0/,
    ],
    ['height', () => videoFramesAsync('a.mp4', { height: 1.5 }), /options\.height but received 1\.5/],
    [
      'channels',
      () => videoFramesAsync('a.mp4', { channels: 2 as never }),
      /1 or 3 for options\.channels but received 2/,
    ],
    [
      'onCorrupt',
      () => videoFramesAsync('a.mp4', { onCorrupt: 'ignore' as never }),
      /one of "error", "skip" for options\.onCorrupt/,
    ],
    ['onSkip', () => videoFramesAsync('a.mp4', { onSkip: 'x' as never }), /function for options\.onSkip/],
    ['maxFrameBytes', () => videoFramesAsync('a.mp4', { maxFrameBytes: -1 }), /options\.maxFrameBytes but received -1/],
    [
      'maxFrameBytes vs size',
      () => videoFramesAsync('a.mp4', { width: 100, height: 100, channels: 3, maxFrameBytes: 1000 }),
      /integer >= 30000 .* for options\.maxFrameBytes/,
    ],
    ['ffmpegPath', () => videoFramesAsync('a.mp4', { ffmpegPath: '' }), /options\.ffmpegPath/],
    ['inputFormat', () => videoFramesAsync('a.mp4', { inputFormat: 3 as never }), /options\.inputFormat/],
    [
      'inputArgs',
      () => videoFramesAsync('a.mp4', { inputArgs: '-re' as never }),
      /array of strings for options\.inputArgs/,
    ],
    ['inputArgs[1]', () => videoFramesAsync('a.mp4', { inputArgs: ['-re', 1 as never] }), /options\.inputArgs\[1\]/],
    ['realtime', () => videoFramesAsync('a.mp4', { realtime: 'yes' as never }), /boolean for options\.realtime/],
    ['onSpawn', () => videoFramesAsync('a.mp4', { onSpawn: 1 as never }), /function for options\.onSpawn/],
    ['fps', () => videoFramesAsync('a.mp4', { fps: 0 }), /finite number > 0 for options\.fps/],
    ['signal', () => videoFramesAsync('a.mp4', { signal: {} as never }), /AbortSignal for options\.signal/],
  ];
  for (const [name, call, message] of cases) {
    it(`rejects a bad ${name} at the call`, () => {
      expect(call).toThrow(message);
      try {
        call();
      } catch (err) {
        expect((err as EddyError).code).toBe('ERR_INVALID_ARG');
      }
    });
  }
  it('the Observable form validates too, before subscribing', () => {
    expect(() => videoFrames('a.mp4', { width: -3 })).toThrow(/options\.width/);
  });
});
