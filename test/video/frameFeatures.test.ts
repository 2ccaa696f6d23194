/**
 * Per-frame features: layout of the appearance and difference blocks, crop and pooling, the running-RMS
 * normalisation, sizes that do not match, option errors, and the box resize.
 */
import { describe, expect, it } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';
import {
  FrameFeatures,
  checkFrameSize,
  resizeGray,
  resolveFeatureSpec,
  sequenceFeatures,
} from '../../src/video/frameFeatures.ts';

const frame = (width: number, height: number, f: (x: number, y: number) => number, index = 0) => {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height, channels: 1, index };
};

describe('frame features', () => {
  it('appearance then scaled difference; the first difference is zero; reset starts over', () => {
    const spec = resolveFeatureSpec({ width: 3, height: 2, diffScale: 2 });
    expect(spec.size).toBe(12);
    const fx = new FrameFeatures(spec);
    const a = fx.extract(frame(3, 2, (x, y) => 0.1 * (x + 3 * y))).slice();
    expect(Array.from(a.subarray(0, 6))).toEqual(Array.from(Float32Array.from([0, 0.1, 0.2, 0.3, 0.4, 0.5])));
    expect(Array.from(a.subarray(6))).toEqual([0, 0, 0, 0, 0, 0]);
    const b = fx.extract(frame(3, 2, (x, y) => 0.1 * (x + 3 * y) + 0.25)).slice();
    for (let p = 0; p < 6; p++) expect(b[6 + p]).toBeCloseTo(0.5, 6); // 2 × 0.25
    fx.reset();
    const c = fx.extract(frame(3, 2, () => 1));
    expect(Array.from(c.subarray(6))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('motion only, crop and pooling average the right pixels', () => {
    const spec = resolveFeatureSpec({
      width: 8,
      height: 6,
      crop: { left: 2, top: 1, width: 4, height: 4 },
      pool: 2,
      appearance: false,
    });
    expect([spec.gridWidth, spec.gridHeight, spec.size]).toEqual([2, 2, 4]);
    const fx = new FrameFeatures(spec);
    fx.extract(frame(8, 6, () => 0));
    // only the crop's top-left 2x2 block changes, by 1 in one of its 4 pixels: its pooled mean moves by 0.25
    const d = fx.extract(frame(8, 6, (x, y) => (x === 2 && y === 1 ? 1 : x === 0 ? 1 : 0)));
    expect(Array.from(d)).toEqual([1, 0, 0, 0]); // 4 × 0.25; column 0 lies outside the crop
  });

  it('normalize: the difference block has RMS 0.5 whatever the motion scale', () => {
    const rms = (scale: number): number => {
      const spec = resolveFeatureSpec({ width: 4, height: 4, appearance: false, normalize: true });
      const fx = new FrameFeatures(spec);
      let last = new Float32Array(0);
      for (let t = 0; t < 40; t++)
        last = fx.extract(frame(4, 4, (x, y) => 0.5 + scale * Math.sin(t + x + 2 * y))).slice();
      return Math.sqrt(last.reduce((s, v) => s + v * v, 0) / last.length);
    };
    expect(rms(0.2)).toBeGreaterThan(0.3);
    expect(rms(0.2)).toBeLessThan(0.8);
    expect(rms(0.4) / rms(0.2)).toBeCloseTo(1, 1);
  });

  it('sequenceFeatures equals extracting frame by frame', () => {
    const spec = resolveFeatureSpec({ width: 4, height: 3 });
    const N = 5;
    const px = Float32Array.from({ length: N * 12 }, (_, i) => ((i * 7919) % 13) / 13);
    const all = sequenceFeatures(spec, px, N);
    const fx = new FrameFeatures(spec);
    for (let t = 0; t < N; t++) {
      const one = fx.extract({ data: px.slice(t * 12, (t + 1) * 12), width: 4, height: 3, channels: 1 });
      expect(Array.from(all.subarray(t * spec.size, (t + 1) * spec.size))).toEqual(Array.from(one));
    }
  });

  it('a frame of another size is an ERR_SHAPE naming the expected and the received size', () => {
    const spec = resolveFeatureSpec({ width: 32, height: 24 });
    const err = (() => {
      try {
        checkFrameSize(
          spec,
          frame(90, 72, () => 0, 7),
        );
      } catch (e) {
        return e as EddyError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(EddyError);
    expect(err?.code).toBe('ERR_SHAPE');
    expect(err?.message).toMatch(/frame 7 of 32x24x1 pixels/);
    expect(err?.message).toMatch(/received 90x72x1/);
    expect(() =>
      checkFrameSize(spec, { data: new Float32Array(32 * 24 * 3), width: 32, height: 24, channels: 3 }),
    ).toThrow(/received 32x24x3/);
  });

  it('invalid options name the option', () => {
    expect(() => resolveFeatureSpec({ width: 0, height: 4 })).toThrow(/options\.width/);
    expect(() => resolveFeatureSpec({ width: 4, height: 4.5 })).toThrow(/options\.height/);
    expect(() => resolveFeatureSpec({ width: 4, height: 4, diffScale: 0 })).toThrow(/options\.diffScale/);
    expect(() => resolveFeatureSpec({ width: 4, height: 4, appearance: false, diff: false })).toThrow(/options\.diff/);
    expect(() => resolveFeatureSpec({ width: 4, height: 4, crop: { left: 2, top: 0, width: 3, height: 1 } })).toThrow(
      /options\.crop\.width/,
    );
    expect(() => resolveFeatureSpec({ width: 4, height: 4, pool: 5 })).toThrow(/options\.pool/);
    expect(() => resolveFeatureSpec({ width: 4, height: 4, normalize: 1 as unknown as boolean })).toThrow(
      /options\.normalize/,
    );
  });

  it('resizeGray averages boxes (exact for integer factors, mean-preserving otherwise)', () => {
    const src = Float32Array.from([1, 3, 5, 7, 9, 11, 13, 15, 2, 2, 2, 2, 4, 4, 4, 4]); // [4, 4]
    const dst = new Float32Array(4);
    resizeGray(src, 4, 4, dst, 2, 2);
    expect(Array.from(dst)).toEqual([6, 10, 3, 3]);
    const odd = new Float32Array(9);
    resizeGray(src, 4, 4, odd, 3, 3);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(odd)).toBeCloseTo(mean(src), 5);
  });
});
