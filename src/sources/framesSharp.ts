/**
 * sharp, loaded lazily, and the one pipeline the image sources share: resize to the requested size, flatten alpha
 * onto black, convert to gray or sRGB, and hand back interleaved bytes.
 */
import type { Sharp } from 'sharp';
import { EddyError } from '../util/errors.ts';
import { checkInt } from '../util/validate.ts';

/** The `sharp` constructor as the module exports it. */
export type SharpFactory = typeof import('sharp')['default'];

/** sharp's own default for `limitInputPixels` (0x3FFF squared). */
export const DEFAULT_LIMIT_INPUT_PIXELS = 0x3fff * 0x3fff;

/** Imports sharp on first use, so that programs which never decode images never load libvips. */
export async function loadSharp(): Promise<SharpFactory> {
  try {
    const mod = await import('sharp');
    return mod.default;
  } catch (err) {
    throw new EddyError(
      'ERR_SOURCE',
      `Cannot load sharp, which decodes images and animations: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Validates `limitInputPixels`: an integer >= 1, or undefined for sharp's default. */
export function checkLimitInputPixels(path: string, value: unknown): number {
  return value === undefined ? DEFAULT_LIMIT_INPUT_PIXELS : checkInt(path, value, 1);
}

/** Interleaved bytes out of the shared pipeline, `// [pages·H, W, S]`. */
export interface RawPixels {
  data: Buffer;
  width: number;
  /** Height of one page (frame); the buffer holds `pages` pages stacked vertically. */
  height: number;
  pages: number;
  /** S: channels per pixel in `data` (1 gray or 3 RGB after the conversion). */
  channels: number;
}

/**
 * Runs `pipeline` through resize (fill, or keep aspect when only one side is given), flatten and colour conversion.
 * For an animation opened with `pages: -1` every page is resized alike.
 */
export async function toRawPixels(
  pipeline: Sharp,
  width: number | undefined,
  height: number | undefined,
  channels: 1 | 3,
): Promise<RawPixels> {
  if (width !== undefined || height !== undefined) pipeline.resize(width ?? null, height ?? null, { fit: 'fill' });
  pipeline.flatten({ background: '#000000' }).toColourspace(channels === 1 ? 'b-w' : 'srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const pages = info.pages ?? 1;
  const pageHeight = info.pageHeight ?? info.height / pages;
  return { data, width: info.width, height: pageHeight, pages, channels: info.channels };
}
