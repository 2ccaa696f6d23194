/**
 * Per-frame features for frame-level labelling: the grayscale pixels of a frame (optionally a fixed crop of it,
 * optionally box-pooled) as one dense vector, followed by the difference from the previous frame.
 *
 * ```
 * frame t [1, H, W] ──crop──► [ch, cw] ──pool k──► grid g_t [gh, gw]      (gh = ⌊ch/k⌋, gw = ⌊cw/k⌋)
 * x_t = [ g_t ,  diffScale · (g_t - g_{t-1}) ]                               // [X], X = gh·gw·(appearance + diff)
 *     appearance    motion (0 on a stream's first frame; with `normalize`, divided by its running RMS)
 * ```
 * 1. Pixels stay in [0, 1] (a dark background is zero, so the input is sparse; centring them at 0.5 made a
 *    large constant input that stalled training on moving digits). Nothing is learned or stored but the spec.
 * 2. The difference block (`diff`, default on) is what makes motion visible to a per-frame model: a talking mouth
 *    or a moving digit changes from frame to frame, a still face does not. It is scaled (`diffScale`, default 4)
 *    because frame-to-frame changes are small next to the pixels. `appearance: false` keeps the motion only,
 *    which generalises better across faces than raw pixels when there are few training clips.
 * 3. `crop` is a fixed region of interest in frame pixels (e.g. the mouth of a speaker facing the camera);
 *    `pool` averages k x k blocks of it. Both default to the whole frame at full resolution.
 * 4. Frames must arrive at the spec's size and in gray (`videoFramesAsync(input, { width, height, channels: 1 })`
 *    scales them in ffmpeg): a frame of another size is an `ERR_SHAPE` naming both sizes, never a silent resize.
 * 5. `FrameFeatures` is the per-stream extractor: it keeps the previous grid for the difference, so each stream
 *    (each video, each key) needs its own.
 *
 * @example
 * const spec = resolveFeatureSpec({ width: 32, height: 32 });
 * const fx = new FrameFeatures(spec);
 * for await (const f of videoFramesAsync('clip.mpg', { width: 32, height: 32, channels: 1 })) model.step(fx.extract(f), state, y);
 */
import { EddyError, invalidArg, shapeError } from '../util/errors.ts';
import { firstNonFinite, nonFiniteError } from '../util/finite.ts';
import { checkBool, checkInt, checkNumber, checkObject } from '../util/validate.ts';

/** A rectangle in frame pixels. */
export interface CropRect {
  /** Column of the left edge. */
  left: number;
  /** Row of the top edge. */
  top: number;
  width: number;
  height: number;
}

/** Options of the per-frame features. */
export interface FrameFeatureOptions {
  /** W: width in pixels of the frames (as decoded) the features are computed from. Required. */
  width: number;
  /** H: height in pixels of the frames the features are computed from. Required. */
  height: number;
  /** A fixed region of interest inside the frame. @default the whole frame */
  crop?: CropRect;
  /** Side of the square blocks the crop is averaged over (box pooling). @default 1 */
  pool?: number;
  /** Include the centred pixels (appearance). @default true */
  appearance?: boolean;
  /** Include the scaled difference from the previous frame (motion). @default true */
  diff?: boolean;
  /** Factor on the difference block (without `normalize`). @default 4 */
  diffScale?: number;
  /**
   * Divide the difference block by a running RMS of this stream's differences (exponential average with decay
   * 0.95, about 20 frames; floor 0.01), scaled to RMS 0.5: the motion features then do not depend on how much a
   * given camera, face or lighting moves overall. Causal, so it works live. @default false
   */
  normalize?: boolean;
}

/** `normalize`: decay of the running mean square, its floor, and the RMS the block is scaled to. */
const NORM_DECAY = 0.95;
const NORM_FLOOR = 1e-4;
const NORM_RMS = 0.5;

/** A resolved feature spec: what a frame-labeler model was trained on (saved in its metadata). */
export interface FrameFeatureSpec {
  readonly width: number;
  readonly height: number;
  /** C: always 1 (grayscale). */
  readonly channels: 1;
  readonly crop: Readonly<CropRect>;
  readonly pool: number;
  /** gw: grid columns, `⌊crop.width / pool⌋`. */
  readonly gridWidth: number;
  /** gh: grid rows, `⌊crop.height / pool⌋`. */
  readonly gridHeight: number;
  readonly appearance: boolean;
  readonly diff: boolean;
  readonly diffScale: number;
  readonly normalize: boolean;
  /** X: features per frame, `gh·gw·(appearance + diff)`. */
  readonly size: number;
}

/** The largest feature grid side accepted. */
const MAX_SIDE = 4096;

/** Validates feature options and fills in defaults. @throws EddyError ERR_INVALID_ARG naming `<path>.<field>` */
export function resolveFeatureSpec(options: FrameFeatureOptions, path = 'options'): FrameFeatureSpec {
  const o = checkObject(path, options);
  if (options === undefined) throw invalidArg(path, 'an options object { width, height }', options);
  const width = checkInt(`${path}.width`, o.width, 1, MAX_SIDE);
  const height = checkInt(`${path}.height`, o.height, 1, MAX_SIDE);
  let crop: CropRect = { left: 0, top: 0, width, height };
  if (o.crop !== undefined) {
    const c = checkObject(`${path}.crop`, o.crop);
    const left = checkInt(`${path}.crop.left`, c.left, 0, width - 1);
    const top = checkInt(`${path}.crop.top`, c.top, 0, height - 1);
    crop = {
      left,
      top,
      width: checkInt(`${path}.crop.width`, c.width, 1, width - left),
      height: checkInt(`${path}.crop.height`, c.height, 1, height - top),
    };
  }
  const pool = checkInt(`${path}.pool`, o.pool ?? 1, 1, Math.min(crop.width, crop.height));
  const gridWidth = Math.floor(crop.width / pool);
  const gridHeight = Math.floor(crop.height / pool);
  const appearance = checkBool(`${path}.appearance`, o.appearance ?? true);
  const diff = checkBool(`${path}.diff`, o.diff ?? true);
  if (!appearance && !diff)
    throw invalidArg(`${path}.diff`, `true when ${path}.appearance is false (no features left)`, diff);
  const diffScale = checkNumber(`${path}.diffScale`, o.diffScale ?? 4, 0, Infinity, { min: true });
  const normalize = checkBool(`${path}.normalize`, o.normalize ?? false);
  const size = gridWidth * gridHeight * ((appearance ? 1 : 0) + (diff ? 1 : 0));
  return {
    width,
    height,
    channels: 1,
    crop,
    pool,
    gridWidth,
    gridHeight,
    appearance,
    diff,
    diffScale,
    normalize,
    size,
  };
}

/** `32x32x1`: how a frame size reads in messages. */
export function sizeText(width: number, height: number, channels: number): string {
  return `${width}x${height}x${channels}`;
}

/** The minimal frame a feature extractor reads (a `Frame` from the video sources has these fields). */
export interface FrameLike {
  /** Pixels `// [C, H, W]` in [0, 1]. */
  data: Float32Array;
  width: number;
  height: number;
  channels: number;
  /** Position in its source, for messages. @default unknown */
  index?: number;
}

/**
 * Asserts that a frame has the spec's size and one channel.
 * @throws EddyError ERR_SHAPE: `Expected frame 0 of 32x32x1 pixels (the size the model was trained on; decode with
 *   { width: 32, height: 32, channels: 1 }) but received 360x288x1`
 */
export function checkFrameSize(spec: FrameFeatureSpec, frame: FrameLike, path = 'frame'): void {
  if (frame === null || typeof frame !== 'object' || !(frame.data instanceof Float32Array)) {
    throw invalidArg(path, 'a frame { data: Float32Array [C, H, W], width, height, channels }', frame);
  }
  const { width: W, height: H } = spec;
  const at = frame.index === undefined ? path : `${path} ${frame.index}`;
  if (frame.width !== W || frame.height !== H || frame.channels !== 1) {
    throw shapeError(
      at,
      `of ${sizeText(W, H, 1)} pixels (the size the model was trained on; decode with { width: ${W}, height: ${H}, channels: 1 })`,
      sizeText(frame.width, frame.height, frame.channels),
    );
  }
  if (frame.data.length !== W * H)
    throw shapeError(
      `${at}.data`,
      `Float32Array of length ${W * H} ([C=1, H=${H}, W=${W}])`,
      `length ${frame.data.length}`,
    );
}

/** The per-stream feature extractor: keeps the previous grid for the difference block. */
export class FrameFeatures {
  readonly spec: FrameFeatureSpec;
  #cur: Float32Array; // [gh, gw] this frame's grid
  #prev: Float32Array; // [gh, gw] the previous frame's grid
  #has = false;
  #ms = -1; // running mean square of the differences (normalize), -1 before the first
  #out: Float32Array; // [X] reused output

  constructor(spec: FrameFeatureSpec) {
    this.spec = spec;
    this.#cur = new Float32Array(spec.gridWidth * spec.gridHeight);
    this.#prev = new Float32Array(spec.gridWidth * spec.gridHeight);
    this.#out = new Float32Array(spec.size);
  }

  /**
   * Features of the next frame of this stream, written into `out` (default: a buffer reused by every call).
   * @throws EddyError ERR_SHAPE for a frame of another size (see `checkFrameSize`); ERR_NON_FINITE for a NaN or
   *   infinite pixel, before any running statistic is touched (the next frame goes on as if it never came)
   */
  extract(frame: FrameLike, out: Float32Array = this.#out): Float32Array {
    checkFrameSize(this.spec, frame);
    const bad = firstNonFinite(frame.data);
    if (bad >= 0) {
      const at = frame.index === undefined ? 'frame' : `frame ${frame.index}`;
      throw nonFiniteError(`pixel in ${at}`, `data[${bad}]`, frame.data[bad]);
    }
    if (!(out instanceof Float32Array) || out.length !== this.spec.size)
      throw shapeError('out', `Float32Array of length ${this.spec.size}`, `${out?.length}`);
    this.pixels(frame.data, 0, out, 0);
    return out;
  }

  /**
   * Features of one frame `// [H, W]` at `src[srcOff..]` into `out[outOff..]` (no size check: for building the
   * features of whole `[T, H, W]` clips).
   */
  pixels(src: Float32Array, srcOff: number, out: Float32Array, outOff: number): void {
    const {
      width: W,
      crop,
      pool: k,
      gridWidth: gw,
      gridHeight: gh,
      appearance,
      diff,
      diffScale,
      normalize,
    } = this.spec;
    const g = this.#cur;
    const n = gw * gh;
    if (k === 1) {
      for (let y = 0; y < gh; y++) {
        const row = srcOff + (crop.top + y) * W + crop.left;
        for (let x = 0; x < gw; x++) g[y * gw + x] = src[row + x];
      }
    } else {
      const inv = 1 / (k * k);
      for (let y = 0; y < gh; y++) {
        for (let x = 0; x < gw; x++) {
          let sum = 0;
          for (let dy = 0; dy < k; dy++) {
            const row = srcOff + (crop.top + y * k + dy) * W + crop.left + x * k;
            for (let dx = 0; dx < k; dx++) sum += src[row + dx];
          }
          g[y * gw + x] = sum * inv;
        }
      }
    }
    if (appearance) out.set(g, outOff);
    if (diff) {
      const prev = this.#prev;
      const d = appearance ? outOff + n : outOff;
      if (this.#has) {
        let sc = diffScale;
        if (normalize) {
          // a running mean square of this stream's differences: the motion scale of this camera and face
          let ss = 0;
          for (let p = 0; p < n; p++) {
            const v = g[p] - prev[p];
            ss += v * v;
          }
          this.#ms = this.#ms < 0 ? ss / n : NORM_DECAY * this.#ms + (1 - NORM_DECAY) * (ss / n);
          sc = NORM_RMS / Math.sqrt(this.#ms + NORM_FLOOR);
        }
        for (let p = 0; p < n; p++) out[d + p] = sc * (g[p] - prev[p]);
      } else out.fill(0, d, d + n);
    }
    this.#cur = this.#prev;
    this.#prev = g;
    this.#has = true;
  }

  /** Forgets the previous frame (a new stream starts: its first difference is zero). */
  reset(): void {
    this.#has = false;
    this.#ms = -1;
  }
}

/**
 * Features of a whole pixel sequence `// [N, H, W]` as one continuous stream (differences across every step,
 * including across the joins of a joined stream), into `// [N, X]`.
 */
export function sequenceFeatures(spec: FrameFeatureSpec, pixels: Float32Array, N: number): Float32Array {
  const n = spec.width * spec.height;
  if (!(pixels instanceof Float32Array) || pixels.length !== N * n) {
    throw shapeError(
      'pixels',
      `Float32Array of length ${N * n} ([N=${N}, H=${spec.height}, W=${spec.width}])`,
      pixels instanceof Float32Array ? `length ${pixels.length}` : typeof pixels,
    );
  }
  const fx = new FrameFeatures(spec);
  const out = new Float32Array(N * spec.size); // [N, X]
  for (let t = 0; t < N; t++) fx.pixels(pixels, t * n, out, t * spec.size);
  return out;
}

/**
 * Box-filter resize of one gray image `// [sh, sw]` to `// [dh, dw]` (area average, as ffmpeg's `flags=area`),
 * for frames that do not come through ffmpeg (generated clips).
 */
export function resizeGray(
  src: Float32Array,
  sw: number,
  sh: number,
  dst: Float32Array,
  dw: number,
  dh: number,
  srcOff = 0,
  dstOff = 0,
): void {
  if (sw === dw && sh === dh) {
    dst.set(src.subarray(srcOff, srcOff + sw * sh), dstOff);
    return;
  }
  if (sw < 1 || sh < 1 || dw < 1 || dh < 1)
    throw new EddyError('ERR_INVALID_ARG', `resizeGray: sizes must be >= 1 (got ${sw}x${sh} -> ${dw}x${dh})`);
  const fx = sw / dw;
  const fy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const y0 = y * fy,
      y1 = y0 + fy;
    for (let x = 0; x < dw; x++) {
      const x0 = x * fx,
        x1 = x0 + fx;
      let sum = 0;
      for (let sy = Math.floor(y0); sy < Math.min(sh, Math.ceil(y1)); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.min(sw, Math.ceil(x1)); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          sum += wx * wy * src[srcOff + sy * sw + sx];
        }
      }
      dst[dstOff + y * dw + x] = sum / (fx * fy);
    }
  }
}
