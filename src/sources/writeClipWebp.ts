/**
 * Writes a clip of generated frames as an animated WebP with sharp, so that `animatedFramesAsync` (or a browser) can
 * read it back.
 */
import { rename, rm } from 'node:fs/promises';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkBool, checkInt, checkNumber, checkObject } from '../util/validate.ts';
import { planarToBytes } from './frames.ts';
import { checkString } from './framesOptions.ts';
import { loadSharp } from './framesSharp.ts';
import { checkClip, tempPathFor, type ClipShape } from './writeClip.ts';

/** Options of `writeClipWebp`. */
export interface WriteClipWebpOptions extends ClipShape {
  /** Frame rate; every frame lasts `round(1000 / fps)` ms. Ignored when `delayMs` is given. @default 25 */
  fps?: number;
  /** Per-frame delays in ms (integers 0..65535): one number for all frames, or an array of length T. @default from fps */
  delayMs?: number | readonly number[];
  /** How many times the animation plays; 0 loops for ever. @default 0 */
  loop?: number;
  /** Lossless encoding, so that the frames read back exactly. @default true */
  lossless?: boolean;
  /** Quality 1..100 for lossy encoding. @default 90 */
  quality?: number;
  /**
   * The WebP encoder merges identical consecutive frames into one longer frame. With `true`, a frame equal to the
   * one before gets its first pixel nudged by one level (1/255), which keeps the frame count (lossless only).
   * @default true
   */
  keepDuplicates?: boolean;
}

/**
 * Encodes frames into an animated WebP.
 *
 * 1. The clip and options are checked before anything is written.
 * 2. Frames are converted to bytes (clamped, rounded) and stacked as pages of one tall image; every page gets its
 *    own delay (a scalar delay in sharp would only set the first frame's).
 * 3. sharp writes a temporary file beside `path`, renamed to `path` on success.
 *
 * @example
 * await writeClipWebp('out.webp', frames, { width: 32, height: 32, fps: 10 }); // frames: Float32Array [T, 32, 32]
 * @param path Output file.
 * @param frames `// [T, H, W]` (channels 1) or `// [T, C, H, W]` (channels 3), values in [0, 1].
 * @param options See `WriteClipWebpOptions`.
 * @returns The path, the frame count T, and how many frames were nudged apart from their predecessor.
 * @throws EddyError `ERR_INVALID_ARG` / `ERR_SHAPE` for bad arguments, `ERR_FILE` when sharp cannot write.
 */
export async function writeClipWebp(
  path: string,
  frames: Float32Array,
  options: WriteClipWebpOptions,
): Promise<{ path: string; frames: number; nudged: number }> {
  checkString('path', path);
  const o = checkObject('options', options);
  const clip = checkClip(frames, o);
  const T = clip.frames;
  const fps = o.fps === undefined ? 25 : checkNumber('options.fps', o.fps, 0, 1000, { min: true });
  let delay: number[];
  if (o.delayMs === undefined) delay = new Array<number>(T).fill(Math.round(1000 / fps));
  else if (typeof o.delayMs === 'number')
    delay = new Array<number>(T).fill(checkInt('options.delayMs', o.delayMs, 0, 65535));
  else if (Array.isArray(o.delayMs) && o.delayMs.length === T)
    delay = o.delayMs.map((d: unknown, i) => checkInt(`options.delayMs[${i}]`, d, 0, 65535));
  else throw invalidArg('options.delayMs', `integer in [0, 65535] or array of ${T} such integers`, o.delayMs);
  const loop = o.loop === undefined ? 0 : checkInt('options.loop', o.loop, 0, 65535);
  const lossless = o.lossless === undefined ? true : checkBool('options.lossless', o.lossless);
  const quality = o.quality === undefined ? 90 : checkInt('options.quality', o.quality, 1, 100);
  const keepDuplicates = o.keepDuplicates === undefined ? true : checkBool('options.keepDuplicates', o.keepDuplicates);

  const { width, height, channels } = clip;
  const per = width * height * channels;
  const pixels = Buffer.alloc(per * T); // [T·H, W, C]
  let nudged = 0;
  for (let t = 0; t < T; t++) {
    const page = pixels.subarray(t * per, (t + 1) * per);
    planarToBytes(page, frames, t * per, width, height, channels);
    if (keepDuplicates && t > 0 && page.equals(pixels.subarray((t - 1) * per, t * per))) {
      page[0] = page[0] < 255 ? page[0] + 1 : 254;
      nudged++;
    }
  }
  const sharp = await loadSharp();
  const tmp = tempPathFor(path);
  try {
    await sharp(pixels, { raw: { width, height: height * T, channels, pageHeight: height } })
      .webp({ lossless, quality, delay, loop, effort: 1 })
      .toFile(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new EddyError('ERR_FILE', `Cannot write animated WebP ${JSON.stringify(path)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { path, frames: T, nudged };
}
