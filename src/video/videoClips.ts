/**
 * Labelled clips from real video and from the moving-digit generator, at a feature grid size, ready for
 * `joinClips`, `trainFrameLabeler` and `labelClips`.
 *
 * 1. `readVideoClip` decodes a whole video through `videoFramesAsync` (ffmpeg scales to the grid, gray) into
 *    `pixels [T, H, W]`: the same decode path the live labeller uses, so training and live features agree.
 * 2. `gridSpeechClip` labels a GRID clip speaking (1) or silent (0) per frame from its `.align` file
 *    (`sil` and `sp` are silent; frame k gets the word of the segment holding time 1000·k).
 * 3. `digitClips` draws moving-digit clips (`makeMovingDigitClip`) and box-resizes them to the grid; every
 *    frame is labelled with the digit, and `flags[t] = 1` where the occluder hides the digit entirely.
 *
 * @example
 * const clip = await gridSpeechClip('grid/s1/bbal6n.mpg', { width: 32, height: 32 });  // labels: 0/1 per frame
 */
import { readGridAlign, isSilent } from '../sources/gridAlign.ts';
import { videoFramesAsync, type VideoFramesOptions } from '../sources/ffmpegFrames.ts';
import type { MnistSet } from '../sources/mnist.ts';
import { makeMovingDigitClip, type MovingDigitOptions } from '../sources/mnistGenerators.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';
import { resizeGray } from './frameFeatures.ts';
import type { LabeledClip } from './joinClips.ts';

/** Class names of the GRID speaking-vs-silent task (ids 0 and 1). */
export const GRID_SPEECH_LABELS: readonly string[] = ['silent', 'speaking'];

/** Class names of the moving-digit task (ids 0..9). */
export const DIGIT_LABELS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Options of `readVideoClip`. */
export interface ReadVideoClipOptions {
  /** W of the grid. Required. */
  width: number;
  /** H of the grid. Required. */
  height: number;
  /** The ffmpeg binary. @default 'ffmpeg' */
  ffmpegPath?: string;
  /** Cancels the decode. @default none */
  signal?: AbortSignal;
}

/** A decoded video at the grid size. */
export interface VideoClip {
  /** Frames `// [T, H, W]` in [0, 1]. */
  pixels: Float32Array;
  T: number;
  /** Presentation time of each frame in ms, `// [T]`. */
  timesMs: Float64Array;
}

/**
 * Decodes a whole video (gray, scaled to the grid by ffmpeg).
 * @throws EddyError ERR_FILE for a missing, unreadable or corrupt video; ERR_SOURCE when ffmpeg fails
 */
export async function readVideoClip(input: string, options: ReadVideoClipOptions): Promise<VideoClip> {
  const o = checkObject('options', options);
  const width = checkInt('options.width', o.width, 1);
  const height = checkInt('options.height', o.height, 1);
  const vo: VideoFramesOptions = { width, height, channels: 1 };
  if (o.ffmpegPath !== undefined) vo.ffmpegPath = o.ffmpegPath;
  if (o.signal !== undefined) vo.signal = o.signal;
  const frames: Float32Array[] = [];
  const times: number[] = [];
  for await (const f of videoFramesAsync(input, vo)) {
    frames.push(f.data);
    times.push(f.timeMs);
  }
  if (frames.length === 0) throw new EddyError('ERR_FILE', `Video ${JSON.stringify(input)} has no frames`);
  const n = width * height;
  const pixels = new Float32Array(frames.length * n); // [T, H, W]
  frames.forEach((d, t) => pixels.set(d, t * n));
  return { pixels, T: frames.length, timesMs: Float64Array.from(times) };
}

/**
 * A GRID clip labelled speaking (1) / silent (0) per frame.
 * @param video the `.mpg` clip
 * @param options the grid size
 * @param align its `.align` file @default the video's path with `.align`
 * @throws EddyError ERR_FILE for a missing video or alignment, or when their frame counts differ
 */
export async function gridSpeechClip(
  video: string,
  options: ReadVideoClipOptions,
  align = `${video.replace(/\.[^./]+$/, '')}.align`,
): Promise<LabeledClip> {
  const clip = await readVideoClip(video, options);
  const words = await readGridAlign(align, { frames: clip.T });
  const labels = Int32Array.from(words, (w) => (isSilent(w) ? 0 : 1));
  const name = video.split('/').pop() ?? video;
  return { pixels: clip.pixels, labels, T: clip.T, name };
}

/** Options of `digitClips`. */
export interface DigitClipsOptions extends Omit<MovingDigitOptions, 'signal'> {
  /** Side of the feature grid the frames are box-resized to. @default options.size (no resize) */
  grid?: number;
  /** Keep only these digits (labels stay the digits 0..9). @default all ten */
  digits?: readonly number[];
}

/**
 * Moving-digit clips with an occluder, labelled with the digit on every frame (`flags`: 1 = hidden).
 * @throws EddyError ERR_INVALID_ARG naming `options.<field>`
 */
export function digitClips(set: MnistSet, options: DigitClipsOptions = {}): LabeledClip[] {
  const o = checkObject('options', options);
  let source = set;
  if (o.digits !== undefined) {
    if (
      !Array.isArray(o.digits) ||
      o.digits.length === 0 ||
      !o.digits.every((d) => Number.isInteger(d) && d >= 0 && d <= 9)
    ) {
      throw invalidArg('options.digits', 'a non-empty array of digits 0..9', o.digits);
    }
    const keep = new Set(o.digits);
    const idx: number[] = [];
    for (let i = 0; i < set.count; i++) if (keep.has(set.labels[i])) idx.push(i);
    const px = set.rows * set.cols;
    const images = new Uint8Array(idx.length * px);
    idx.forEach((i, k) => images.set(set.images.subarray(i * px, (i + 1) * px), k * px));
    source = {
      images,
      labels: Uint8Array.from(idx, (i) => set.labels[i]),
      count: idx.length,
      rows: set.rows,
      cols: set.cols,
    };
  }
  const S = checkInt('options.size', o.size ?? 64, Math.max(set.rows, set.cols), 4096);
  const G = checkInt('options.grid', o.grid ?? S, 1, S);
  const speedMin = checkNumber('options.speedMin', o.speedMin ?? 1, 0);
  const resolved = {
    T: checkInt('options.frames', o.frames ?? 20, 1),
    S,
    speedMin,
    speedMax: checkNumber('options.speedMax', o.speedMax ?? Math.max(3, speedMin), speedMin),
    occluderWidth: checkInt('options.occluderWidth', o.occluderWidth ?? 32, 0, S),
    occluderValue: checkNumber('options.occluderValue', o.occluderValue ?? 0.5, 0, 1),
  };
  const count = checkInt('options.count', o.count ?? 100, 0);
  const rng = new Rng(checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff));
  const out: LabeledClip[] = [];
  for (let i = 0; i < count; i++) {
    const c = makeMovingDigitClip(source, rng, resolved);
    let pixels = c.frames;
    if (G !== S) {
      pixels = new Float32Array(c.T * G * G); // [T, G, G]
      for (let t = 0; t < c.T; t++) resizeGray(c.frames, S, S, pixels, G, G, t * S * S, t * G * G);
    }
    out.push({ pixels, labels: c.labels, T: c.T, flags: c.hidden, name: `digit${i}` });
  }
  return out;
}
