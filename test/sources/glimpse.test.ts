import { describe, expect, it } from 'vitest';
import type { EddyError } from '../../src/util/errors.ts';
import { glimpse, glimpseInto, rasterLocations, type Pixels } from '../../src/sources/glimpse.ts';

/** 6x6, one channel, pixel (r, c) = (6r + c + 1) / 36. */
function sixBySix(): Pixels {
  const data = new Float32Array(36);
  for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) data[r * 6 + c] = (6 * r + c + 1) / 36;
  return { data, C: 1, H: 6, W: 6 };
}

const over36 = (xs: number[]): number[] => xs.map((x) => x / 36);

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
}

describe('glimpse (retina)', () => {
  it('matches a hand-computed example at the centre (g=2, k=2)', () => {
    // Centre (0,0) -> pixel (3,3). Scale 1: 2x2 patch at rows/cols 2..3. Scale 2: 4x4 patch at rows/cols 1..4,
    // each 2x2 block averaged: (8+9+14+15)/4 = 11.5, (10+11+16+17)/4 = 13.5, (20+21+26+27)/4 = 23.5, (22+23+28+29)/4 = 25.5.
    expectClose(glimpse(sixBySix(), [0, 0], { size: 2, scales: 2 }), over36([15, 16, 21, 22, 11.5, 13.5, 23.5, 25.5]));
  });

  it('pads with zeros past the border (top-left corner and right edge)', () => {
    // (-1,-1) -> pixel (0,0). Scale 1 covers rows/cols -1..0: only pixel (0,0) = 1 is inside.
    // Scale 2 covers -2..1: only the bottom-right block (1+2+7+8)/4 = 4.5 is inside.
    expectClose(glimpse(sixBySix(), [-1, -1], { size: 2, scales: 2 }), over36([0, 0, 0, 1, 0, 0, 0, 4.5]));
    // (1,0) -> pixel (x=6, y=3). Scale 1: rows 2..3, cols 5..6: [18, pad, 24, pad].
    // Scale 2: rows 1..4, cols 4..7: (11+12+17+18)/4 = 14.5, pad, (23+24+29+30)/4 = 26.5, pad.
    expectClose(glimpse(sixBySix(), [1, 0], { size: 2, scales: 2 }), over36([18, 0, 24, 0, 14.5, 0, 26.5, 0]));
  });

  it('lays channels out as [k, C, g, g]', () => {
    const one = sixBySix();
    const data = new Float32Array(72);
    data.set(one.data);
    data.fill(0.5, 36);
    const out = glimpse({ data, C: 2, H: 6, W: 6 }, [0, 0], { size: 2, scales: 2 });
    expectClose(out, [
      ...over36([15, 16, 21, 22]),
      0.5,
      0.5,
      0.5,
      0.5,
      ...over36([11.5, 13.5, 23.5, 25.5]),
      0.5,
      0.5,
      0.5,
      0.5,
    ]);
  });

  it('glimpseInto writes into the given array and checks its length', () => {
    const out = new Float32Array(8);
    expect(glimpseInto(out, sixBySix(), [0, 0], 2, 2)).toBe(out);
    expectClose(out, over36([15, 16, 21, 22, 11.5, 13.5, 23.5, 25.5]));
    try {
      glimpseInto(new Float32Array(7), sixBySix(), [0, 0], 2, 2);
      expect.unreachable();
    } catch (err) {
      expect((err as EddyError).code).toBe('ERR_SHAPE');
      expect((err as Error).message).toMatch(/out of length 8 \(\[k=2, C=1, g=2, g=2\]\)/);
    }
  });

  it('uses g=8, k=3 by default', () => {
    const img = { data: new Float32Array(28 * 28).fill(1), C: 1, H: 28, W: 28 };
    const out = glimpse(img, [0, 0]);
    expect(out.length).toBe(3 * 64);
    expect(out[0]).toBe(1);
  });

  it('rasterLocations gives the cell centres row by row', () => {
    expect(rasterLocations(2, 2)).toEqual([
      [-0.5, -0.5],
      [0.5, -0.5],
      [-0.5, 0.5],
      [0.5, 0.5],
    ]);
    expect(rasterLocations(1, 1)).toEqual([[0, 0]]);
  });

  it('rejects invalid arguments naming them', () => {
    const px = sixBySix();
    expect(() => glimpse(px, [0, 0], { size: 0 })).toThrowError(/options\.size/);
    expect(() => glimpse(px, [0, 0], { scales: 0 })).toThrowError(/options\.scales/);
    expect(() => glimpse(px, [1.5, 0])).toThrowError(/location\[0\]/);
    expect(() => glimpse(px, [0, Number.NaN])).toThrowError(/location\[1\]/);
    expect(() => glimpse(px, [0] as unknown as [number, number])).toThrowError(/location/);
    expect(() => glimpse({ ...px, H: 5 }, [0, 0])).toThrowError(/pixels\.data/);
    expect(() => glimpse({ ...px, data: [1] } as unknown as Pixels, [0, 0])).toThrowError(/pixels/);
  });
});
