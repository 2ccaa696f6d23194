/**
 * Joined training streams: every frame keeps its own label and flag across the joins, segments start at
 * random offsets and have at least minSegment frames, the same seed gives the same streams, and the difference
 * features see the jump at a join.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.ts';
import { resolveFeatureSpec } from '../../src/video/frameFeatures.ts';
import { joinClips, type LabeledClip } from '../../src/video/joinClips.ts';

// clip c, frame t: every pixel is (c·100 + t) / 1000, so a frame names its clip and its position
const clips: LabeledClip[] = [0, 1, 2].map((c) => {
  const T = 20;
  const pixels = new Float32Array(T * 4);
  for (let t = 0; t < T; t++) pixels.fill((c * 100 + t) / 1000, t * 4, (t + 1) * 4);
  return {
    pixels,
    T,
    labels: Int32Array.from({ length: T }, (_, t) => c * 100 + t),
    flags: Uint8Array.from({ length: T }, (_, t) => t % 2),
  };
});
const spec = resolveFeatureSpec({ width: 2, height: 2 });

describe('joinClips', () => {
  it('keeps every frame with its label and flag; segments of >= minSegment frames at random offsets', () => {
    const s = joinClips(clips, spec, { length: 300, streams: 3, minSegment: 5, rng: new Rng(4) });
    expect([s.N, s.B, s.X]).toEqual([300, 3, 8]);
    const starts = new Set<number>();
    for (let b = 0; b < 3; b++) {
      let run = 0;
      for (let k = 0; k < 300; k++) {
        const id = Math.round(s.x[(k * 3 + b) * 8] * 1000);
        expect(s.targets[k * 3 + b]).toBe(id);
        expect(s.flags[k * 3 + b]).toBe(id % 2);
        const prev = k > 0 ? s.targets[(k - 1) * 3 + b] : -2;
        if (id !== prev + 1) {
          if (k > 0) expect(run).toBeGreaterThanOrEqual(5);
          starts.add(id % 100);
          run = 0;
          // the difference block sees the jump from the previous clip's frame
          if (k > 0) expect(s.x[(k * 3 + b) * 8 + 4]).toBeCloseTo((4 * (id - prev)) / 1000, 5);
        }
        run++;
      }
    }
    expect(starts.size).toBeGreaterThan(5); // not always from the clip's first frame
  });
  it('is deterministic for a seed, and names bad options', () => {
    const a = joinClips(clips, spec, { length: 50, rng: new Rng(1) });
    const b = joinClips(clips, spec, { length: 50, rng: new Rng(1) });
    expect(Array.from(a.targets)).toEqual(Array.from(b.targets));
    expect(() => joinClips(clips, spec, { length: 0, rng: new Rng(1) })).toThrow(/options\.length/);
    expect(() => joinClips(clips, spec, { length: 5 } as never)).toThrow(/options\.rng/);
    expect(() =>
      joinClips([{ ...clips[0], pixels: new Float32Array(3) }], spec, { length: 5, rng: new Rng(1) }),
    ).toThrow(/clips\[0\]\.pixels/);
  });
});
