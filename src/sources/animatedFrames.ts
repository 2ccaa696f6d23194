/**
 * Frames of an animated GIF or WebP (or any single image sharp reads), decoded by sharp with `pages: -1`, as an
 * IxJS async iterable (`animatedFramesAsync`) and an RxJS Observable (`animatedFrames`).
 */
import { readFile, stat } from 'node:fs/promises';
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkNumber, checkObject } from '../util/validate.ts';
import { bytesToPlanar, type Frame } from './frames.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable, asObservable } from '../util/coreAdapters.ts';
import { resolveFrameOptions, type FrameSourceOptions, type ResolvedFrameOptions } from './framesOptions.ts';
import { checkLimitInputPixels, loadSharp, toRawPixels, type RawPixels } from './framesSharp.ts';
import { gifProblem, isGif } from './gifStructure.ts';

/**
 * Options of `animatedFramesAsync` / `animatedFrames`. A corrupt file always fails the stream, a truncated GIF
 * included (its block structure is checked before decoding).
 */
export interface AnimatedFramesOptions extends Omit<FrameSourceOptions, 'onCorrupt' | 'onSkip'> {
  /** Frame rate for timestamps, overriding the animation's own delays. @default the delays in the file (40 ms each when it has none) */
  fps?: number;
  /** sharp's guard against decompression bombs: most pixels (width x height x pages) it will decode. @default 268402689 */
  limitInputPixels?: number;
}

interface Resolved extends ResolvedFrameOptions {
  fps: number | undefined;
  limitInputPixels: number;
}

function resolveOptions(input: unknown, options: AnimatedFramesOptions | undefined): Resolved {
  if (typeof input === 'string') {
    if (input.length === 0) throw invalidArg('input', 'non-empty string (path) or Uint8Array', input);
  } else if (!(input instanceof Uint8Array)) {
    throw invalidArg('input', 'non-empty string (path) or Uint8Array', input);
  }
  const o = checkObject('options', options);
  const fps = o.fps === undefined ? undefined : checkNumber('options.fps', o.fps, 0, Infinity, { min: true });
  const limitInputPixels = checkLimitInputPixels('options.limitInputPixels', o.limitInputPixels);
  return { ...resolveFrameOptions(o), fps, limitInputPixels };
}

/** The async-generator core: decode all pages once, then hand them out one frame per pull. */
async function* animatedFramesCore(
  input: string | Uint8Array,
  o: Resolved,
  signal?: AbortSignal,
): AsyncGenerator<Frame, void, undefined> {
  const name = typeof input === 'string' ? input : `<${input.length}-byte buffer>`;
  checkAborted(signal);
  const sharp = await loadSharp();
  let delays: number[] | undefined;
  let raw: RawPixels;
  try {
    let bytes: Uint8Array;
    if (typeof input === 'string') {
      if (!(await stat(input)).isFile())
        throw new EddyError('ERR_FILE', `Cannot decode animation ${JSON.stringify(name)}: not a regular file`);
      bytes = await readFile(input);
    } else bytes = input;
    // libvips decodes what it can of a truncated GIF without an error: check its structure first
    const problem = isGif(bytes) ? gifProblem(bytes) : null;
    if (problem !== null)
      throw new EddyError('ERR_FILE', `Cannot decode animation ${JSON.stringify(name)}: ${problem}`);
    const image = sharp(bytes, { pages: -1, limitInputPixels: o.limitInputPixels });
    delays = (await image.metadata()).delay;
    checkAborted(signal);
    raw = await toRawPixels(image, o.width, o.height, o.channels);
  } catch (err) {
    if (err instanceof EddyError) throw err;
    const why = (err as Error).message;
    const code = /Input file is missing|no such file|ENOENT/i.test(why) ? 'no such file' : why; // ENOENT: from readFile
    throw new EddyError('ERR_FILE', `Cannot decode animation ${JSON.stringify(name)}: ${code}`, { cause: err });
  }
  const frameBytes = raw.width * raw.height * raw.channels;
  if (raw.width * raw.height * o.channels > o.maxFrameBytes) {
    throw new EddyError(
      'ERR_SOURCE',
      `Frames of ${JSON.stringify(name)} are ${raw.width}x${raw.height}x${o.channels} bytes, more than options.maxFrameBytes = ${o.maxFrameBytes}`,
    );
  }
  let timeMs = 0;
  for (let k = 0; k < raw.pages; k++) {
    checkAborted(signal);
    const page = raw.data.subarray(k * frameBytes, (k + 1) * frameBytes); // [H, W, S]
    const data = bytesToPlanar(page, raw.width, raw.height, raw.channels, o.channels); // [C, H, W]
    const time = o.fps !== undefined ? (k * 1000) / o.fps : timeMs;
    yield { index: k, timeMs: time, data, channels: o.channels, width: raw.width, height: raw.height };
    timeMs += delays?.[k] ?? 40;
  }
}

/**
 * Decodes an animated GIF or WebP into frames `// [C, H, W]` in [0, 1].
 *
 * 1. Options are checked now; sharp is imported and the file decoded on the first pull.
 * 2. All pages are decoded once (bounded by `limitInputPixels`), resized (fill) and converted to gray or RGB;
 *    alpha is flattened onto black.
 * 3. Frame k's time is the sum of the delays of frames before it, or `k / fps` when `fps` is given. Encoders merge
 *    identical consecutive frames into one longer frame, so a frame count may be smaller than what was drawn;
 *    libvips reads a delay of 10 ms or less as 100 ms, as browsers do.
 *
 * @example
 * for await (const f of animatedFramesAsync('spinner.gif', { width: 32, height: 32, channels: 1 })) console.log(f.timeMs);
 * @param input A file path or the file's bytes.
 * @param options See `AnimatedFramesOptions`.
 * @returns An `AsyncIterableX<Frame>`.
 * @throws EddyError `ERR_INVALID_ARG` at once; the iteration fails with `ERR_FILE` (missing or corrupt file) or `ERR_ABORTED`.
 */
export function animatedFramesAsync(
  input: string | Uint8Array,
  options?: AnimatedFramesOptions,
): AsyncIterableX<Frame> {
  const o = resolveOptions(input, options);
  return asIterable((signal) => animatedFramesCore(input, o, signal), o.signal);
}

/**
 * The RxJS form of `animatedFramesAsync`.
 *
 * @example
 * animatedFrames('clip.webp', { channels: 1 }).subscribe((f) => console.log(f.index));
 * @param input A file path or the file's bytes.
 * @param options See `AnimatedFramesOptions`.
 * @returns An `Observable<Frame>`.
 * @throws EddyError `ERR_INVALID_ARG` at once; stream errors as for `animatedFramesAsync`.
 */
export function animatedFrames(input: string | Uint8Array, options?: AnimatedFramesOptions): Observable<Frame> {
  const o = resolveOptions(input, options);
  return asObservable((signal) => animatedFramesCore(input, o, signal), o.signal);
}
