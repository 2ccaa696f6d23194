/**
 * The retina of Mnih et al. 2014 ("Recurrent Models of Visual Attention"): `k` square patches around one
 * location, each twice as wide as the one before, each average-pooled down to `g x g`, concatenated.
 *
 * Convention (continuous pixel coordinates, pixel i covering [i, i+1)):
 * 1. A location is `[x, y]` in [-1, 1]^2, x horizontal (columns), y vertical (rows); -1 is the left/top edge of
 *    the image and +1 the right/bottom edge. Its centre in pixels is `cx = (x + 1) / 2 * W`, `cy = (y + 1) / 2 * H`.
 * 2. Patch s (s = 0..k-1) has side `w = g * 2^s` pixels and top-left pixel `(round(cx - w/2), round(cy - w/2))`
 *    (`Math.round`, halves round up), so at [0, 0] on a 6x6 image a 2x2 patch covers rows and columns 2..3.
 * 3. Output cell (gy, gx) of patch s is the mean of the 2^s x 2^s block of pixels under it; pixels past the image
 *    border count as 0 (zero padding).
 * 4. Layout: `// [k, C, g, g]`, patch 0 (finest) first, flattened into one Float32Array of k*C*g*g.
 *
 * @example
 * const out = glimpse({ data, C: 1, H: 28, W: 28 }, [0, 0], { size: 8, scales: 3 }); // Float32Array(192)
 */
import { invalidArg, shapeError } from '../util/errors.ts';
import { checkF32, checkInt, checkNumber, checkObject } from '../util/validate.ts';

/** Decoded pixels: `data` is `// [C, H, W]`, channel-major, values in [0, 1]. */
export interface Pixels {
  data: Float32Array;
  C: number;
  H: number;
  W: number;
}

/** A glimpse location `[x, y]` in [-1, 1]^2 (x: columns, left to right; y: rows, top to bottom). */
export type GlimpseLocation = readonly [number, number];

/** Options of the retina. */
export interface GlimpseOptions {
  /** Side g of each output patch, in cells. @default 8 */
  size?: number;
  /** Number k of patches (scales 1, 2, 4, ...). @default 3 */
  scales?: number;
}

/** Checks decoded pixels. @throws {EddyError} ERR_INVALID_ARG or ERR_SHAPE naming `path` */
export function checkPixels(path: string, pixels: unknown): Pixels {
  const p = pixels as Pixels;
  if (p === null || typeof p !== 'object' || !(p.data instanceof Float32Array)) {
    throw invalidArg(path, 'decoded pixels { data: Float32Array [C, H, W], C, H, W }', pixels);
  }
  checkInt(`${path}.C`, p.C, 1);
  checkInt(`${path}.H`, p.H, 1);
  checkInt(`${path}.W`, p.W, 1);
  if (p.data.length !== p.C * p.H * p.W) {
    throw shapeError(
      `${path}.data`,
      `of length ${p.C * p.H * p.W} ([C=${p.C}, H=${p.H}, W=${p.W}])`,
      `length ${p.data.length}`,
    );
  }
  return p;
}

/** Checks a location in [-1, 1]^2. @throws {EddyError} ERR_INVALID_ARG naming `path` */
export function checkLocation(path: string, location: unknown): GlimpseLocation {
  if (!Array.isArray(location) || location.length !== 2)
    throw invalidArg(path, 'a location [x, y] in [-1, 1]^2', location);
  checkNumber(`${path}[0]`, location[0], -1, 1);
  checkNumber(`${path}[1]`, location[1], -1, 1);
  return location as unknown as GlimpseLocation;
}

/** Resolves the retina options: `{ g, k }`. */
export function resolveGlimpseOptions(options: GlimpseOptions | undefined): { g: number; k: number } {
  const o = checkObject('options', options);
  return { g: checkInt('options.size', o.size ?? 8, 1, 1024), k: checkInt('options.scales', o.scales ?? 3, 1, 16) };
}

/**
 * The retina kernel without checks or allocation: writes `k*C*g*g` values into `out` from index 0.
 *
 * @param out `// [k, C, g, g]`
 * @param data pixels `// [C, H, W]`
 */
export function retina(
  out: Float32Array,
  data: Float32Array,
  C: number,
  H: number,
  W: number,
  x: number,
  y: number,
  g: number,
  k: number,
): void {
  const cx = ((x + 1) / 2) * W;
  const cy = ((y + 1) / 2) * H;
  let o = 0;
  for (let s = 0; s < k; s++) {
    const scale = 1 << s;
    const w = g * scale;
    const x0 = Math.round(cx - w / 2);
    const y0 = Math.round(cy - w / 2);
    const inv = 1 / (scale * scale); // padding counts as zeros in the mean
    for (let c = 0; c < C; c++) {
      const plane = c * H * W;
      for (let gy = 0; gy < g; gy++) {
        const r0 = Math.max(y0 + gy * scale, 0);
        const r1 = Math.min(y0 + (gy + 1) * scale, H);
        for (let gx = 0; gx < g; gx++) {
          const c0 = Math.max(x0 + gx * scale, 0);
          const c1 = Math.min(x0 + (gx + 1) * scale, W);
          let sum = 0;
          for (let r = r0; r < r1; r++) {
            const row = plane + r * W;
            for (let col = c0; col < c1; col++) sum += data[row + col];
          }
          out[o++] = sum * inv;
        }
      }
    }
  }
}

/**
 * Writes the glimpse at `location` into a given output; allocates nothing.
 *
 * @param out `// [k*C*g*g]`
 * @param pixels decoded pixels `// [C, H, W]`
 * @param location `[x, y]` in [-1, 1]^2
 * @param g side of each output patch
 * @param k number of scales
 * @returns `out`
 * @throws {EddyError} ERR_SHAPE for an `out` of the wrong length, ERR_INVALID_ARG for a bad location
 */
export function glimpseInto(
  out: Float32Array,
  pixels: Pixels,
  location: GlimpseLocation,
  g: number,
  k: number,
): Float32Array {
  checkF32('out', out, k * pixels.C * g * g, `[k=${k}, C=${pixels.C}, g=${g}, g=${g}]`);
  checkLocation('location', location);
  retina(out, pixels.data, pixels.C, pixels.H, pixels.W, location[0], location[1], g, k);
  return out;
}

/**
 * The glimpse at `location`, in a new Float32Array of `k*C*g*g`.
 *
 * @param pixels decoded pixels `// [C, H, W]`
 * @param location `[x, y]` in [-1, 1]^2
 * @param options `size` (g) and `scales` (k)
 * @returns `// [k, C, g, g]`
 * @throws {EddyError} ERR_INVALID_ARG / ERR_SHAPE for bad pixels, location or options
 */
export function glimpse(pixels: Pixels, location: GlimpseLocation, options?: GlimpseOptions): Float32Array {
  const p = checkPixels('pixels', pixels);
  const { g, k } = resolveGlimpseOptions(options);
  checkLocation('location', location);
  const out = new Float32Array(k * p.C * g * g); // [k, C, g, g]
  retina(out, p.data, p.C, p.H, p.W, location[0], location[1], g, k);
  return out;
}

/**
 * The centres of a `rows x cols` grid over [-1, 1]^2, row by row: `x = -1 + (2c + 1) / cols`,
 * `y = -1 + (2r + 1) / rows`.
 */
export function rasterLocations(rows: number, cols: number): GlimpseLocation[] {
  checkInt('rows', rows, 1, 1 << 16);
  checkInt('cols', cols, 1, 1 << 16);
  const out: GlimpseLocation[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out.push([-1 + (2 * c + 1) / cols, -1 + (2 * r + 1) / rows]);
  }
  return out;
}
