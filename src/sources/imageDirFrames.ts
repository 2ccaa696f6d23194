/**
 * Frames from a directory of numbered images (`frame_0001.png`, `2.jpg`, ...), in numeric order, decoded by sharp,
 * as an IxJS async iterable (`imageDirFramesAsync`) and an RxJS Observable (`imageDirFrames`).
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';
import { bytesToPlanar, type Frame } from './frames.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable, asObservable } from '../util/coreAdapters.ts';
import {
  checkString,
  resolveFrameOptions,
  type FrameSourceOptions,
  type ResolvedFrameOptions,
} from './framesOptions.ts';
import { checkLimitInputPixels, loadSharp, toRawPixels, type RawPixels, type SharpFactory } from './framesSharp.ts';

/** Options of `imageDirFramesAsync` / `imageDirFrames`. */
export interface ImageDirFramesOptions extends FrameSourceOptions {
  /** Frame rate for timestamps: frame k is at `k * 1000 / fps` ms. @default 25 */
  fps?: number;
  /** File extensions taken as images, lower case, without the dot. @default ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif'] */
  extensions?: readonly string[];
  /** How many images are decoded ahead, concurrently (sharp decodes each call on its own thread). @default 2 */
  concurrency?: number;
  /** sharp's guard against decompression bombs, per image. @default 268402689 */
  limitInputPixels?: number;
}

interface Resolved extends ResolvedFrameOptions {
  fps: number;
  extensions: ReadonlySet<string>;
  concurrency: number;
  limitInputPixels: number;
}

const DEFAULT_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif'];

function resolveOptions(dir: unknown, options: ImageDirFramesOptions | undefined): Resolved {
  checkString('dir', dir);
  const o = checkObject('options', options);
  const fps = o.fps === undefined ? 25 : checkNumber('options.fps', o.fps, 0, Infinity, { min: true });
  const extensions = o.extensions ?? DEFAULT_EXTENSIONS;
  if (!Array.isArray(extensions) || extensions.length === 0)
    throw invalidArg('options.extensions', 'non-empty array of strings', extensions);
  extensions.forEach((e: unknown, i) => checkString(`options.extensions[${i}]`, e));
  const concurrency = o.concurrency === undefined ? 2 : checkInt('options.concurrency', o.concurrency, 1, 64);
  const limitInputPixels = checkLimitInputPixels('options.limitInputPixels', o.limitInputPixels);
  const exts = new Set(extensions.map((e: string) => e.toLowerCase().replace(/^\./, '')));
  return { ...resolveFrameOptions(o), fps, extensions: exts, concurrency, limitInputPixels };
}

/**
 * The numbered image files of `dir`, sorted by the last run of digits in each name (`img2_010.png` is 10);
 * ties go by name. Files without a digit and files of other types are left out.
 */
export async function listNumberedImages(
  dir: string,
  extensions: ReadonlySet<string> = new Set(DEFAULT_EXTENSIONS),
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message;
    throw new EddyError('ERR_FILE', `Cannot list image directory ${JSON.stringify(dir)}: ${why}`, { cause: err });
  }
  const numbered: Array<{ name: string; n: number }> = [];
  for (const name of names) {
    const ext = extname(name);
    if (!extensions.has(ext.slice(1).toLowerCase())) continue;
    const digits = name.slice(0, name.length - ext.length).match(/\d+/g);
    if (digits) numbered.push({ name, n: Number(digits[digits.length - 1]) });
  }
  numbered.sort((a, b) => a.n - b.n || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return numbered.map((e) => join(dir, e.name));
}

type Decoded = { ok: true; raw: RawPixels } | { ok: false; error: Error };

/** Decodes one image; never rejects, so images decoded ahead and never awaited cannot raise unhandled rejections. */
async function decodeImage(
  sharp: SharpFactory,
  file: string,
  o: Resolved,
  width: number | undefined,
  height: number | undefined,
): Promise<Decoded> {
  try {
    return {
      ok: true,
      raw: await toRawPixels(sharp(file, { limitInputPixels: o.limitInputPixels }), width, height, o.channels),
    };
  } catch (err) {
    return { ok: false, error: err as Error };
  }
}

/** The async-generator core: list, then decode up to `concurrency` images ahead of the consumer. */
async function* imageDirFramesCore(
  dir: string,
  o: Resolved,
  signal?: AbortSignal,
): AsyncGenerator<Frame, void, undefined> {
  checkAborted(signal);
  const files = await listNumberedImages(dir, o.extensions);
  if (files.length === 0)
    throw new EddyError('ERR_FILE', `No numbered images (${[...o.extensions].join(', ')}) in ${JSON.stringify(dir)}`);
  const sharp = await loadSharp();
  // The first image that decodes fixes the size of all frames, unless both width and height were given.
  let size = o.width !== undefined && o.height !== undefined ? { width: o.width, height: o.height } : undefined;
  const ahead: Array<Promise<Decoded>> = []; // decodes of files[i .. started - 1]
  let started = 0;
  let skipped = 0;
  for (let i = 0; i < files.length; i++) {
    checkAborted(signal);
    if (size !== undefined) {
      while (started < files.length && started < i + o.concurrency)
        ahead.push(decodeImage(sharp, files[started++], o, size.width, size.height));
    }
    if (ahead.length === 0) ahead.push(decodeImage(sharp, files[started++], o, o.width, o.height));
    const result = await (ahead.shift() as Promise<Decoded>);
    checkAborted(signal);
    if (!result.ok) {
      const message = `Cannot decode image ${JSON.stringify(files[i])} (frame ${i} of ${JSON.stringify(dir)}): ${result.error.message}`;
      if (o.onCorrupt === 'error') throw new EddyError('ERR_FILE', message, { cause: result.error });
      skipped++;
      o.onSkip?.({ source: files[i], index: i, reason: 'corrupt-frame', message, skipped });
      continue;
    }
    const raw = result.raw;
    if (raw.width * raw.height * o.channels > o.maxFrameBytes) {
      throw new EddyError(
        'ERR_SOURCE',
        `Image ${JSON.stringify(files[i])} gives a ${raw.width}x${raw.height}x${o.channels}-byte frame, more than options.maxFrameBytes = ${o.maxFrameBytes}`,
      );
    }
    size ??= { width: raw.width, height: raw.height };
    const data = bytesToPlanar(raw.data, raw.width, raw.height, raw.channels, o.channels); // [C, H, W]
    yield { index: i, timeMs: (i * 1000) / o.fps, data, channels: o.channels, width: raw.width, height: raw.height };
  }
}

/**
 * Reads a directory of numbered images as frames `// [C, H, W]` in [0, 1].
 *
 * 1. Options are checked now; the directory is listed on the first pull: image files with a number in their
 *    name, sorted numerically (`f2.png` before `f10.png`).
 * 2. Each image is decoded by sharp, resized (fill) to `width` x `height`, or to the first image's size, and
 *    converted to gray or RGB; up to `concurrency` images are decoded ahead.
 * 3. Frame k (k-th file) has index k and time `k * 1000 / fps`. An image that fails to decode fails the stream
 *    with `ERR_FILE`, or under `onCorrupt: 'skip'` leaves a gap and is reported to `onSkip`.
 *
 * @example
 * for await (const f of imageDirFramesAsync('frames/', { width: 64, height: 64, channels: 1, fps: 30 })) console.log(f.index);
 * @param dir The directory.
 * @param options See `ImageDirFramesOptions`.
 * @returns An `AsyncIterableX<Frame>`.
 * @throws EddyError `ERR_INVALID_ARG` at once; the iteration fails with `ERR_FILE` (missing directory, no images,
 * corrupt image) or `ERR_ABORTED`.
 */
export function imageDirFramesAsync(dir: string, options?: ImageDirFramesOptions): AsyncIterableX<Frame> {
  const o = resolveOptions(dir, options);
  return asIterable((signal) => imageDirFramesCore(dir, o, signal), o.signal);
}

/**
 * The RxJS form of `imageDirFramesAsync`.
 *
 * @example
 * imageDirFrames('frames/', { channels: 1 }).pipe(take(10)).subscribe((f) => console.log(f.timeMs));
 * @param dir The directory.
 * @param options See `ImageDirFramesOptions`.
 * @returns An `Observable<Frame>`.
 * @throws EddyError `ERR_INVALID_ARG` at once; stream errors as for `imageDirFramesAsync`.
 */
export function imageDirFrames(dir: string, options?: ImageDirFramesOptions): Observable<Frame> {
  const o = resolveOptions(dir, options);
  return asObservable((signal) => imageDirFramesCore(dir, o, signal), o.signal);
}
