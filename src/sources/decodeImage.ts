/**
 * Decodes an image file or buffer (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG: whatever sharp reads) into planar
 * float pixels `[C, H, W]` in [0, 1]. sharp is loaded lazily, on the first call.
 *
 * 1. A path is read with `fs` first, so a missing file fails with `ERR_FILE` naming it.
 * 2. sharp decodes with `limitInputPixels: maxPixels`; a larger image fails with `ERR_SOURCE` naming the option.
 *    Before decoding, the size the header declares is checked against `maxBytes` (the result's bytes): a small
 *    file that declares a huge image is refused without decoding it. A path must be a regular file of at most
 *    `maxBytes` bytes.
 * 3. Alpha is dropped; `channels: 1` converts to greyscale (sharp's `b-w`), `channels: 3` to sRGB.
 * 4. Interleaved bytes `[H, W, C]` become channel-major floats `[C, H, W]`, divided by 255.
 *
 * @example
 * const { data, C, H, W } = await decodeImage('digit.png', { channels: 1 }); // data: Float32Array [1, H, W]
 */
import { readFile, stat } from 'node:fs/promises';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import type { Pixels } from './glimpse.ts';
import { fileError } from './textBytes.ts';

/** Options of `decodeImage`. */
export interface DecodeImageOptions {
  /** Channels of the result: 1 (greyscale) or 3 (RGB). @default 3 */
  channels?: 1 | 3;
  /** Most pixels (width x height) the decoder accepts; sharp's `limitInputPixels`. @default 268402689 (16383^2) */
  maxPixels?: number;
  /**
   * Most bytes of the decoded result (`C·H·W` floats of 4 bytes), checked on the image's header before decoding;
   * also the most bytes read from a file.
   * @default 268435456 (256 MiB: 8192 x 8192 grey, about 4700 x 4700 RGB)
   */
  maxBytes?: number;
}

/** The default of `options.maxBytes`: 256 MiB of decoded floats. */
const DEFAULT_MAX_BYTES = 2 ** 28;

/** `DecodeImageOptions` with the defaults resolved. */
export interface ResolvedDecodeImageOptions {
  channels: 1 | 3;
  maxPixels: number;
  maxBytes: number;
}

/** Validates the options and resolves the defaults. @throws {EddyError} ERR_INVALID_ARG naming the option */
export function resolveDecodeImageOptions(
  options: DecodeImageOptions | undefined,
  path = 'options',
): ResolvedDecodeImageOptions {
  const o = checkObject(path, options);
  const channels = o.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw invalidArg(`${path}.channels`, '1 or 3', channels);
  return {
    channels,
    maxPixels: checkInt(`${path}.maxPixels`, o.maxPixels ?? 268402689, 1),
    maxBytes: checkInt(`${path}.maxBytes`, o.maxBytes ?? DEFAULT_MAX_BYTES, 1),
  };
}

/** Checks an image input (a path or the bytes of an encoded image). @throws {EddyError} ERR_INVALID_ARG */
export function checkImageInput(path: string, input: unknown): string | Uint8Array {
  if (typeof input === 'string' && input.length > 0) return input;
  if (input instanceof Uint8Array && input.length > 0) return input;
  throw invalidArg(path, 'an image file path or a non-empty Buffer of an encoded image', input);
}

/**
 * Decodes an image into `[C, H, W]` floats in [0, 1].
 *
 * @param input an image file path, or a Buffer / Uint8Array holding an encoded image
 * @param options see `DecodeImageOptions`
 * @returns `{ data: Float32Array [C, H, W], C, H, W }`
 * @throws {EddyError} (as a rejected promise) ERR_INVALID_ARG for bad arguments; ERR_FILE for a missing or
 *   undecodable file, or a path that is not a regular file or is larger than `maxBytes`; ERR_SOURCE for an
 *   undecodable buffer or an image over `maxPixels` or `maxBytes`
 */
export async function decodeImage(input: string | Uint8Array, options?: DecodeImageOptions): Promise<Pixels> {
  const src = checkImageInput('input', input);
  const o = resolveDecodeImageOptions(options);
  return decodeResolved(src, o);
}

/** `decodeImage` after validation (for sources that validated up front). */
export async function decodeResolved(src: string | Uint8Array, o: ResolvedDecodeImageOptions): Promise<Pixels> {
  const name = typeof src === 'string' ? `image file ${src}` : `image buffer of ${src.length} bytes`;
  let bytes: Uint8Array;
  if (typeof src === 'string') {
    let size: number;
    try {
      const st = await stat(src);
      if (!st.isFile())
        throw new EddyError(
          'ERR_FILE',
          `Cannot read image file ${src}: not a regular file (a device, FIFO or directory)`,
        );
      size = st.size;
    } catch (err) {
      throw err instanceof EddyError ? err : fileError(src, err);
    }
    if (size > o.maxBytes)
      throw new EddyError(
        'ERR_FILE',
        `The image file ${src} is ${size} bytes, more than options.maxBytes (${o.maxBytes})`,
      );
    try {
      bytes = await readFile(src);
    } catch (err) {
      throw fileError(src, err);
    }
  } else {
    bytes = src;
  }
  const { default: sharp } = await import('sharp');
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // the header's size first: a small file may declare an image of gigabytes
    const meta = await sharp(bytes, { limitInputPixels: o.maxPixels }).metadata();
    const need = o.channels * (meta.width ?? 0) * (meta.height ?? 0) * 4;
    if (need > o.maxBytes) {
      throw new EddyError(
        'ERR_SOURCE',
        `The ${name} declares ${meta.width}x${meta.height} pixels: its ${o.channels}x${meta.height}x${meta.width} floats ` +
          `would take ${need} bytes, more than options.maxBytes (${o.maxBytes})`,
      );
    }
    let img = sharp(bytes, { limitInputPixels: o.maxPixels }).removeAlpha();
    img = o.channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
    raw = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    if (err instanceof EddyError) throw err;
    const msg = (err as Error).message;
    if (/pixel limit/i.test(msg)) {
      throw new EddyError('ERR_SOURCE', `The ${name} has more pixels than options.maxPixels (${o.maxPixels})`, {
        cause: err,
      });
    }
    throw new EddyError(typeof src === 'string' ? 'ERR_FILE' : 'ERR_SOURCE', `Cannot decode ${name}: ${msg}`, {
      cause: err,
    });
  }
  const { width: W, height: H, channels: got } = raw.info;
  const C = o.channels;
  if (got !== C) throw new EddyError('ERR_SOURCE', `Decoding ${name} gave ${got} channels, expected ${C}`);
  const data = new Float32Array(C * H * W); // [C, H, W]
  const px = raw.data;
  for (let c = 0; c < C; c++) {
    const plane = c * H * W;
    for (let i = 0; i < H * W; i++) data[plane + i] = px[i * C + c] / 255;
  }
  return { data, C, H, W };
}
