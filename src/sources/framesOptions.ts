/**
 * Options shared by the frame sources (size, channels, corrupt-frame policy) and their eager validation, in one
 * place so every source words its errors the same way.
 */
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkOneOf } from '../util/validate.ts';
import type { CorruptPolicy, SkipInfo } from './frames.ts';

/** Size, colour and corruption options common to every frame source. */
export interface FrameSourceOptions {
  /** Output width W in pixels; with only one of width/height the other keeps the aspect ratio. @default source width */
  width?: number;
  /** Output height H in pixels. @default source height */
  height?: number;
  /** Output channels C: 1 (gray) or 3 (RGB). @default 3 */
  channels?: 1 | 3;
  /** What a corrupt frame does: `'error'` fails the stream, `'skip'` drops it and calls `onSkip`. @default 'error' */
  onCorrupt?: CorruptPolicy;
  /** Called once per skipped frame (and once for a truncated input) under `onCorrupt: 'skip'`. @default none */
  onSkip?: (info: SkipInfo) => void;
  /** Upper bound on one decoded frame in bytes (W·H·C); a larger frame fails the stream. @default 67108864 (64 MiB) */
  maxFrameBytes?: number;
  /** Cancels the source: the current pull fails with `ERR_ABORTED` and any child process is killed. @default none */
  signal?: AbortSignal;
}

/** The resolved form of `FrameSourceOptions`. */
export interface ResolvedFrameOptions {
  width: number | undefined;
  height: number | undefined;
  channels: 1 | 3;
  onCorrupt: CorruptPolicy;
  onSkip: ((info: SkipInfo) => void) | undefined;
  maxFrameBytes: number;
  signal: AbortSignal | undefined;
}

/** Largest width or height accepted (ffmpeg's own limit is 16384 for most codecs). */
export const MAX_SIDE = 65535;

/** Asserts a function or undefined. */
export function checkCallback<F>(path: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidArg(path, 'a function', value);
  return value;
}

/** Asserts a non-empty string. */
export function checkString(path: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidArg(path, 'non-empty string', value);
  return value;
}

/** Validates and resolves the shared options; `prefix` is the dotted path of the options bag, e.g. `options`. */
export function resolveFrameOptions(o: FrameSourceOptions, prefix = 'options'): ResolvedFrameOptions {
  const width = o.width === undefined ? undefined : checkInt(`${prefix}.width`, o.width, 1, MAX_SIDE);
  const height = o.height === undefined ? undefined : checkInt(`${prefix}.height`, o.height, 1, MAX_SIDE);
  const channels = o.channels === undefined ? 3 : o.channels;
  if (channels !== 1 && channels !== 3) throw invalidArg(`${prefix}.channels`, '1 or 3', channels);
  const onCorrupt =
    o.onCorrupt === undefined ? 'error' : checkOneOf(`${prefix}.onCorrupt`, o.onCorrupt, ['error', 'skip'] as const);
  const onSkip = checkCallback(`${prefix}.onSkip`, o.onSkip);
  const maxFrameBytes =
    o.maxFrameBytes === undefined ? 2 ** 26 : checkInt(`${prefix}.maxFrameBytes`, o.maxFrameBytes, 1);
  if (width !== undefined && height !== undefined && width * height * channels > maxFrameBytes) {
    throw invalidArg(
      `${prefix}.maxFrameBytes`,
      `integer >= ${width * height * channels} (width x height x channels)`,
      maxFrameBytes,
    );
  }
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalidArg(`${prefix}.signal`, 'an AbortSignal', signal);
  return { width, height, channels, onCorrupt, onSkip, maxFrameBytes, signal };
}
