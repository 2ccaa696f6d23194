/**
 * Seeded MNIST task generators: translated and cluttered MNIST (Mnih et al. 2014, "Recurrent Models of Visual
 * Attention") and moving-digit clips with an occluder, where only memory can tell the label while it is hidden.
 *
 * 1. Every iteration (or subscription) starts a fresh `Rng(seed)`: the same seed gives identical samples.
 * 2. Translated: the 28x28 digit is placed at a uniformly random integer position inside a `canvasSize` square.
 *    Cluttered: then `clutter` random `clutterSize`-square pieces, cut at random from other random digits, are
 *    placed at random; overlaps combine by maximum.
 * 3. Clips: one digit bounces inside a `size` square (random start, random direction, speed in
 *    [speedMin, speedMax] pixels per frame, reflected at the walls). A full-height bar of width `occluderWidth`,
 *    drawn on top with value `occluderValue`, is centred on where the digit's ink is at a random frame of the
 *    clip's second half, so the digit passes behind it. `hidden[t] = 1` when no ink pixel of the digit is visible.
 *
 * @example
 * const set = await loadMnist(mnistPaths(dir, 'train'));
 * for await (const s of clutteredMnistAsync(set, { seed: 1, count: 100 })) learn(s.image, s.label);  // [60*60]
 */
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import { invalidArg } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';
import { checkMnistSet, type MnistSet } from './mnist.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable, asObservable, type SourceCore } from '../util/coreAdapters.ts';

/** Options of `translatedMnistAsync` and `clutteredMnistAsync`. */
export interface PlacedMnistOptions {
  /** Seed of the `Rng` each iteration starts from. @default 0 */
  seed?: number;
  /** Samples per iteration; digits are drawn at random with replacement. @default set.count */
  count?: number;
  /** Side of the square canvas in pixels. @default 60 */
  canvasSize?: number;
  /** Pieces of clutter. @default 0 for translatedMnistAsync, 4 for clutteredMnistAsync */
  clutter?: number;
  /** Side of each square piece of clutter. @default 8 */
  clutterSize?: number;
  /** Aborts the source. @default undefined */
  signal?: AbortSignal;
}

/** One translated or cluttered sample. */
export interface PlacedMnistSample {
  /** Pixels in [0, 1], `// [S, S]` with S = canvasSize. */
  image: Float32Array;
  /** The digit's label 0..9. */
  label: number;
  /** Index of the digit in the set. */
  index: number;
  /** Column of the digit's top-left pixel. */
  x: number;
  /** Row of the digit's top-left pixel. */
  y: number;
  /** S. */
  size: number;
}

/** Options of `movingDigitClipsAsync`. */
export interface MovingDigitOptions {
  /** Seed of the `Rng` each iteration starts from. @default 0 */
  seed?: number;
  /** Clips per iteration. @default 1000 */
  count?: number;
  /** Frames per clip (T). @default 20 */
  frames?: number;
  /** Side of the square frame in pixels (H = W). @default 64 */
  size?: number;
  /** Least speed in pixels per frame. @default 1 */
  speedMin?: number;
  /** Greatest speed in pixels per frame. @default 3 */
  speedMax?: number;
  /** Width of the full-height occluding bar; 0 for none. @default 32 */
  occluderWidth?: number;
  /** Pixel value of the occluder, in [0, 1]. @default 0.5 */
  occluderValue?: number;
  /** Aborts the source. @default undefined */
  signal?: AbortSignal;
}

/** One moving-digit clip. */
export interface MovingDigitClip {
  /** Frames in [0, 1], `// [T, H, W]`. */
  frames: Float32Array;
  /** The digit's label on every frame, `// [T]`. */
  labels: Int32Array;
  /** 1 where the occluder hides every ink pixel of the digit, `// [T]`. */
  hidden: Uint8Array;
  T: number;
  H: number;
  W: number;
  /** Index of the digit in the set. */
  index: number;
  /** Column of the occluder's left edge (-1 when there is none). */
  occluderX: number;
}

function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', signal);
  return signal;
}

interface PlacedResolved {
  seed: number;
  count: number;
  canvasSize: number;
  clutter: number;
  clutterSize: number;
  signal: AbortSignal | undefined;
}

function resolvePlaced(set: MnistSet, options: PlacedMnistOptions | undefined, clutterDefault: number): PlacedResolved {
  const o = checkObject('options', options);
  const digit = Math.max(set.rows, set.cols);
  const canvasSize = checkInt('options.canvasSize', o.canvasSize ?? 60, digit, 4096);
  return {
    seed: checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff),
    count: checkInt('options.count', o.count ?? set.count, 0),
    canvasSize,
    clutter: checkInt('options.clutter', o.clutter ?? clutterDefault, 0, 1024),
    clutterSize: checkInt('options.clutterSize', o.clutterSize ?? 8, 1, Math.min(set.rows, set.cols)),
    signal: checkSignal(o.signal),
  };
}

/**
 * Draws digit `index` of `set` into `out` at (x, y), as value/255, combining with what is there by maximum.
 * Pixels outside `out` are dropped. (Internal: shared with `multiMnist.ts`, not in the public index.)
 */
export function drawPatch(
  out: Float32Array,
  W: number,
  H: number,
  set: MnistSet,
  index: number,
  sx: number,
  sy: number,
  pw: number,
  ph: number,
  x: number,
  y: number,
): void {
  const base = index * set.rows * set.cols;
  for (let r = 0; r < ph; r++) {
    const oy = y + r;
    if (oy < 0 || oy >= H) continue;
    for (let c = 0; c < pw; c++) {
      const ox = x + c;
      if (ox < 0 || ox >= W) continue;
      const v = set.images[base + (sy + r) * set.cols + sx + c] / 255;
      const k = oy * W + ox;
      if (v > out[k]) out[k] = v;
    }
  }
}

/**
 * Draws one translated (and, with `clutter > 0`, cluttered) sample into `out` using `rng`; allocates nothing.
 *
 * @param out the canvas, `// [S, S]`; overwritten
 * @param set the MNIST digits
 * @param rng the random generator (advanced)
 * @param canvasSize S
 * @param clutter pieces of clutter
 * @param clutterSize side of each piece
 * @returns the digit's label, index and top-left position
 */
export function drawPlacedMnist(
  out: Float32Array,
  set: MnistSet,
  rng: Rng,
  canvasSize: number,
  clutter: number,
  clutterSize: number,
): { label: number; index: number; x: number; y: number } {
  const S = canvasSize;
  out.fill(0);
  const index = rng.int(set.count);
  const x = rng.int(S - set.cols + 1);
  const y = rng.int(S - set.rows + 1);
  for (let p = 0; p < clutter; p++) {
    // Another digit than the target, so the clutter never carries the answer.
    const other = set.count > 1 ? (index + 1 + rng.int(set.count - 1)) % set.count : index;
    const sx = rng.int(set.cols - clutterSize + 1);
    const sy = rng.int(set.rows - clutterSize + 1);
    const px = rng.int(S - clutterSize + 1);
    const py = rng.int(S - clutterSize + 1);
    drawPatch(out, S, S, set, other, sx, sy, clutterSize, clutterSize, px, py);
  }
  drawPatch(out, S, S, set, index, 0, 0, set.cols, set.rows, x, y);
  return { label: set.labels[index], index, x, y };
}

function placedCore(set: MnistSet, o: PlacedResolved): SourceCore<PlacedMnistSample> {
  return async function* placedMnistGen(signal) {
    const rng = new Rng(o.seed);
    for (let i = 0; i < o.count; i++) {
      checkAborted(signal);
      const image = new Float32Array(o.canvasSize * o.canvasSize); // [S, S], fresh: the consumer may keep it
      const s = drawPlacedMnist(image, set, rng, o.canvasSize, o.clutter, o.clutterSize);
      yield { image, ...s, size: o.canvasSize };
    }
  };
}

/** Translated MNIST (digit at a random place in a 60x60 canvas) as an IxJS async-iterable. */
export function translatedMnistAsync(set: MnistSet, options?: PlacedMnistOptions): AsyncIterableX<PlacedMnistSample> {
  const s = checkMnistSet('set', set);
  const o = resolvePlaced(s, options, 0);
  return asIterable(placedCore(s, o), o.signal);
}

/** `translatedMnistAsync` as an RxJS Observable. */
export function translatedMnist(set: MnistSet, options?: PlacedMnistOptions): Observable<PlacedMnistSample> {
  const s = checkMnistSet('set', set);
  const o = resolvePlaced(s, options, 0);
  return asObservable(placedCore(s, o), o.signal);
}

/** Cluttered MNIST (translated plus 4 random 8x8 pieces of other digits) as an IxJS async-iterable. */
export function clutteredMnistAsync(set: MnistSet, options?: PlacedMnistOptions): AsyncIterableX<PlacedMnistSample> {
  const s = checkMnistSet('set', set);
  const o = resolvePlaced(s, options, 4);
  return asIterable(placedCore(s, o), o.signal);
}

/** `clutteredMnistAsync` as an RxJS Observable. */
export function clutteredMnist(set: MnistSet, options?: PlacedMnistOptions): Observable<PlacedMnistSample> {
  const s = checkMnistSet('set', set);
  const o = resolvePlaced(s, options, 4);
  return asObservable(placedCore(s, o), o.signal);
}

/** `MovingDigitOptions` with every default resolved. */
export interface ResolvedMovingDigitOptions {
  seed: number;
  count: number;
  T: number;
  S: number;
  speedMin: number;
  speedMax: number;
  occluderWidth: number;
  occluderValue: number;
  signal: AbortSignal | undefined;
}

function resolveClips(set: MnistSet, options: MovingDigitOptions | undefined): ResolvedMovingDigitOptions {
  const o = checkObject('options', options);
  const S = checkInt('options.size', o.size ?? 64, Math.max(set.rows, set.cols), 4096);
  const speedMin = checkNumber('options.speedMin', o.speedMin ?? 1, 0);
  return {
    seed: checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff),
    count: checkInt('options.count', o.count ?? 1000, 0),
    T: checkInt('options.frames', o.frames ?? 20, 1),
    S,
    speedMin,
    speedMax: checkNumber('options.speedMax', o.speedMax ?? Math.max(3, speedMin), speedMin),
    occluderWidth: checkInt('options.occluderWidth', o.occluderWidth ?? 32, 0, S),
    occluderValue: checkNumber('options.occluderValue', o.occluderValue ?? 0.5, 0, 1),
    signal: checkSignal(o.signal),
  };
}

/** Column range of the ink (pixels > 0) of one digit, or null when it has none. */
function inkColumns(set: MnistSet, index: number): [number, number] | null {
  const base = index * set.rows * set.cols;
  let lo = set.cols;
  let hi = -1;
  for (let r = 0; r < set.rows; r++) {
    for (let c = 0; c < set.cols; c++) {
      if (set.images[base + r * set.cols + c] > 0) {
        if (c < lo) lo = c;
        if (c > hi) hi = c;
      }
    }
  }
  return hi < 0 ? null : [lo, hi];
}

/** Generates one moving-digit clip with `rng`. */
export function makeMovingDigitClip(
  set: MnistSet,
  rng: Rng,
  o: Omit<ResolvedMovingDigitOptions, 'seed' | 'count' | 'signal'>,
): MovingDigitClip {
  const { T, S } = o;
  const index = rng.int(set.count);
  const maxX = S - set.cols;
  const maxY = S - set.rows;
  let x = rng.uniform(0, maxX);
  let y = rng.uniform(0, maxY);
  const angle = rng.uniform(0, 2 * Math.PI);
  const speed = rng.uniform(o.speedMin, o.speedMax);
  let vx = speed * Math.cos(angle);
  let vy = speed * Math.sin(angle);
  const px = new Int32Array(T); // [T] top-left column per frame
  const py = new Int32Array(T); // [T] top-left row per frame
  for (let t = 0; t < T; t++) {
    px[t] = Math.min(maxX, Math.max(0, Math.round(x)));
    py[t] = Math.min(maxY, Math.max(0, Math.round(y)));
    x += vx;
    y += vy;
    if (x < 0) {
      x = -x;
      vx = -vx;
    }
    if (x > maxX) {
      x = 2 * maxX - x;
      vx = -vx;
    }
    if (y < 0) {
      y = -y;
      vy = -vy;
    }
    if (y > maxY) {
      y = 2 * maxY - y;
      vy = -vy;
    }
    x = Math.min(maxX, Math.max(0, x)); // a step longer than the free space
    y = Math.min(maxY, Math.max(0, y));
  }
  const ink = inkColumns(set, index);
  const w = o.occluderWidth;
  let ox = -1;
  if (w > 0) {
    const tStar = Math.floor(T / 2) + rng.int(T - Math.floor(T / 2));
    const centre = px[tStar] + (ink === null ? set.cols / 2 : (ink[0] + ink[1] + 1) / 2);
    ox = Math.min(S - w, Math.max(0, Math.round(centre - w / 2)));
  }
  const frames = new Float32Array(T * S * S); // [T, H, W]
  const hidden = new Uint8Array(T); // [T]
  for (let t = 0; t < T; t++) {
    const frame = frames.subarray(t * S * S, (t + 1) * S * S);
    drawPatch(frame, S, S, set, index, 0, 0, set.cols, set.rows, px[t], py[t]);
    if (ox >= 0) {
      for (let r = 0; r < S; r++) frame.fill(o.occluderValue, r * S + ox, r * S + ox + w);
      // The bar spans every row, so the digit is hidden when all its ink columns lie under it.
      hidden[t] = ink === null || (px[t] + ink[0] >= ox && px[t] + ink[1] < ox + w) ? 1 : 0;
    }
  }
  const labels = new Int32Array(T).fill(set.labels[index]); // [T]
  return { frames, labels, hidden, T, H: S, W: S, index, occluderX: ox };
}

function clipsCore(set: MnistSet, o: ResolvedMovingDigitOptions): SourceCore<MovingDigitClip> {
  return async function* movingDigitClipsGen(signal) {
    const rng = new Rng(o.seed);
    for (let i = 0; i < o.count; i++) {
      checkAborted(signal);
      yield makeMovingDigitClip(set, rng, o);
    }
  };
}

/** Moving-digit clips with an occluder and a label per frame, as an IxJS async-iterable. */
export function movingDigitClipsAsync(set: MnistSet, options?: MovingDigitOptions): AsyncIterableX<MovingDigitClip> {
  const s = checkMnistSet('set', set);
  const o = resolveClips(s, options);
  return asIterable(clipsCore(s, o), o.signal);
}

/** `movingDigitClipsAsync` as an RxJS Observable. */
export function movingDigitClips(set: MnistSet, options?: MovingDigitOptions): Observable<MovingDigitClip> {
  const s = checkMnistSet('set', set);
  const o = resolveClips(s, options);
  return asObservable(clipsCore(s, o), o.signal);
}
