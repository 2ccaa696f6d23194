import { toArray } from 'ix/asynciterable';
import { lastValueFrom, toArray as rxToArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, mnistPaths, type MnistSet } from '../../src/sources/mnist.ts';
import {
  clutteredMnistAsync,
  clutteredMnist,
  movingDigitClipsAsync,
  movingDigitClips,
  translatedMnistAsync,
  translatedMnist,
} from '../../src/sources/mnistGenerators.ts';
import { dataDir, dataPath } from './dataPath.ts';

let set: MnistSet;

beforeAll(async () => {
  dataPath('t10k-images-idx3-ubyte.gz');
  set = await loadMnist(mnistPaths(dataDir, 'test'), { limit: 500 });
});

const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

describe('translated and cluttered MNIST', () => {
  it('places the digit whole at its reported position in a 60x60 canvas', async () => {
    const samples = await toArray(translatedMnistAsync(set, { seed: 3, count: 20 }));
    expect(samples.length).toBe(20);
    for (const s of samples) {
      expect(s.image.length).toBe(60 * 60);
      expect(s.label).toBe(set.labels[s.index]);
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.x).toBeLessThanOrEqual(32);
      let digitSum = 0;
      let mismatches = 0;
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          const v = set.images[s.index * 784 + r * 28 + c] / 255;
          if (Math.abs(s.image[(s.y + r) * 60 + s.x + c] - v) > 1e-6) mismatches++;
          digitSum += v;
        }
      }
      expect(mismatches).toBe(0);
      expect(sum(s.image)).toBeCloseTo(digitSum, 3); // nothing else on the canvas
    }
    expect(new Set(samples.map((s) => `${s.x},${s.y}`)).size).toBeGreaterThan(10);
  });

  it('same seed gives identical samples, a different seed different ones (iterable and Observable)', async () => {
    const a = await toArray(clutteredMnistAsync(set, { seed: 7, count: 5 }));
    const b = await lastValueFrom(clutteredMnist(set, { seed: 7, count: 5 }).pipe(rxToArray()));
    const c = await toArray(clutteredMnistAsync(set, { seed: 8, count: 5 }));
    expect(b).toEqual(a);
    expect(c.map((s) => s.image)).not.toEqual(a.map((s) => s.image));
    const t1 = await lastValueFrom(translatedMnist(set, { seed: 1, count: 3, canvasSize: 40 }).pipe(rxToArray()));
    const t2 = await toArray(translatedMnistAsync(set, { seed: 1, count: 3, canvasSize: 40 }));
    expect(t1).toEqual(t2);
    expect(t1[0].image.length).toBe(1600);
  });

  it('clutter adds ink from other digits', async () => {
    const clean = await toArray(translatedMnistAsync(set, { seed: 5, count: 30 }));
    const cluttered = await toArray(translatedMnistAsync(set, { seed: 5, count: 30, clutter: 8 }));
    expect(sum(cluttered.map((s) => sum(s.image)))).toBeGreaterThan(sum(clean.map((s) => sum(s.image))));
    expect(Math.max(...cluttered.map((s) => Math.max(...s.image)))).toBeLessThanOrEqual(1);
  });

  it('rejects invalid options naming them', () => {
    expect(() => translatedMnistAsync(set, { canvasSize: 20 })).toThrowError(/options\.canvasSize/);
    expect(() => clutteredMnistAsync(set, { clutterSize: 0 })).toThrowError(/options\.clutterSize/);
    expect(() => clutteredMnistAsync(set, { clutterSize: 29 })).toThrowError(/options\.clutterSize/);
    expect(() => clutteredMnist(set, { clutter: -1 })).toThrowError(/options\.clutter/);
    expect(() => translatedMnistAsync(set, { seed: -1 })).toThrowError(/options\.seed/);
    expect(() => translatedMnistAsync(set, { count: 1.5 })).toThrowError(/options\.count/);
    expect(() => translatedMnistAsync({ images: new Uint8Array(3) } as MnistSet)).toThrowError(/set/);
  });
});

describe('moving-digit clips', () => {
  it('bounces a digit behind an occluder, with a label per frame and hidden frames', async () => {
    const clips = await toArray(movingDigitClipsAsync(set, { seed: 11, count: 8 }));
    let hiddenFrames = 0;
    for (const clip of clips) {
      const { T, H, W } = clip;
      expect([T, H, W]).toEqual([20, 64, 64]);
      expect(clip.frames.length).toBe(T * H * W);
      expect([...clip.labels]).toEqual(new Array(T).fill(set.labels[clip.index]));
      expect(clip.hidden.some((h) => h === 1)).toBe(true); // the occluder sits on the path
      const ox = clip.occluderX;
      for (let t = 0; t < T; t++) {
        const frame = clip.frames.subarray(t * H * W, (t + 1) * H * W);
        let visibleInk = 0;
        let outOfRange = 0;
        let barWrong = 0;
        for (let r = 0; r < H; r++) {
          for (let c = 0; c < W; c++) {
            const v = frame[r * W + c];
            if (!(v >= 0 && v <= 1)) outOfRange++;
            if (c >= ox && c < ox + 32) barWrong += v === Math.fround(0.5) ? 0 : 1;
            else if (v > 0) visibleInk++;
          }
        }
        expect([outOfRange, barWrong]).toEqual([0, 0]);
        expect(clip.hidden[t] === 1).toBe(visibleInk === 0);
        hiddenFrames += clip.hidden[t];
      }
    }
    expect(hiddenFrames).toBeLessThan(8 * 20); // and not always hidden
  });

  it('moves the digit between frames', async () => {
    const [clip] = await toArray(
      movingDigitClipsAsync(set, { seed: 2, count: 1, occluderWidth: 0, speedMin: 2, speedMax: 2 }),
    );
    expect(clip.occluderX).toBe(-1);
    expect(clip.hidden.every((h) => h === 0)).toBe(true);
    const f0 = clip.frames.subarray(0, 4096);
    const f1 = clip.frames.subarray(4096, 8192);
    expect([...f1]).not.toEqual([...f0]);
    expect(sum(f1)).toBeCloseTo(sum(f0), 3); // the same digit, moved
  });

  it('same seed gives identical clips, a different seed different ones', async () => {
    const a = await toArray(movingDigitClipsAsync(set, { seed: 4, count: 3, frames: 10, size: 48, occluderWidth: 24 }));
    const b = await lastValueFrom(
      movingDigitClips(set, { seed: 4, count: 3, frames: 10, size: 48, occluderWidth: 24 }).pipe(rxToArray()),
    );
    const c = await toArray(movingDigitClipsAsync(set, { seed: 5, count: 3, frames: 10, size: 48, occluderWidth: 24 }));
    expect(b).toEqual(a);
    expect(c.map((x) => x.frames)).not.toEqual(a.map((x) => x.frames));
    expect(a[0].frames.length).toBe(10 * 48 * 48);
  });

  it('rejects invalid options naming them', () => {
    expect(() => movingDigitClipsAsync(set, { frames: 0 })).toThrowError(/options\.frames/);
    expect(() => movingDigitClipsAsync(set, { size: 27 })).toThrowError(/options\.size/);
    expect(() => movingDigitClipsAsync(set, { speedMin: -1 })).toThrowError(/options\.speedMin/);
    expect(() => movingDigitClipsAsync(set, { speedMin: 3, speedMax: 2 })).toThrowError(/options\.speedMax/);
    expect(() => movingDigitClips(set, { occluderWidth: 65 })).toThrowError(/options\.occluderWidth/);
    expect(() => movingDigitClipsAsync(set, { occluderValue: 2 })).toThrowError(/options\.occluderValue/);
    expect(() => movingDigitClipsAsync(set, { signal: 'stop' as unknown as AbortSignal })).toThrowError(
      /options\.signal/,
    );
  });
});
