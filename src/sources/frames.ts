/**
 * The frame type shared by the video sources, and what they share besides the core adapters of `util/coreAdapters.ts`:
 * an abortable sleep for real-time pacing, and pixel conversion between interleaved bytes and planar floats.
 */
import { abortedError } from '../util/abort.ts';

/** One decoded video frame: planar pixels in [0, 1]. */
export interface Frame {
  /** Position of the frame in its source, 0-based; a skipped (corrupt) frame leaves a gap. */
  index: number;
  /** Presentation time in milliseconds, counted from the first frame of the source. */
  timeMs: number;
  /** Pixels, `// [C, H, W]` planar, each value in [0, 1]. */
  data: Float32Array;
  /** C: 1 (gray) or 3 (RGB). */
  channels: number;
  /** W in pixels. */
  width: number;
  /** H in pixels. */
  height: number;
}

/**
 * What a source tells `onSkip` under `onCorrupt: 'skip'`: once per dropped frame, and once per iteration when the
 * input turns out truncated or damaged (`reason: 'truncated'`).
 */
export interface SkipInfo {
  /** The input (file, URL or device) the frame came from. */
  source: string;
  /** Index the skipped frame had (or would have had) in the source. */
  index: number;
  /** Why: a frame decoded with errors, a frame that failed to decode, or the input ended early. */
  reason: 'corrupt-frame' | 'decode-error' | 'truncated';
  /** The decoder's or ffmpeg's own words. */
  message: string;
  /** Running count of frames skipped so far in this iteration, this one included (a truncation adds none). */
  skipped: number;
}

/** What a source does with a corrupt frame: fail the stream, or drop the frame and report it to `onSkip`. */
export type CorruptPolicy = 'error' | 'skip';

/** Waits `ms` milliseconds, or rejects with `ERR_ABORTED` as soon as the signal fires. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Converts interleaved bytes `// [H, W, S]` (S source channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) into planar
 * floats `// [C, H, W]` in [0, 1] with C = 1 or 3. Alpha is dropped; RGB to gray uses Rec. 601 luma.
 */
export function bytesToPlanar(
  src: Uint8Array,
  width: number,
  height: number,
  srcChannels: number,
  channels: number,
): Float32Array {
  const n = width * height;
  const out = new Float32Array(channels * n); // [C, H, W]
  const s = 1 / 255;
  if (channels === 1) {
    if (srcChannels <= 2) {
      for (let p = 0; p < n; p++) out[p] = src[p * srcChannels] * s;
    } else {
      for (let p = 0; p < n; p++) {
        const q = p * srcChannels;
        out[p] = (0.299 * src[q] + 0.587 * src[q + 1] + 0.114 * src[q + 2]) * s;
      }
    }
    return out;
  }
  for (let p = 0; p < n; p++) {
    const q = p * srcChannels;
    const gray = srcChannels <= 2;
    out[p] = src[q] * s;
    out[n + p] = src[gray ? q : q + 1] * s;
    out[2 * n + p] = src[gray ? q : q + 2] * s;
  }
  return out;
}

/**
 * Converts one planar float frame `// [C, H, W]` in [0, 1] into interleaved bytes `// [H, W, C]`, writing into
 * `dst` (length C·H·W). Values are clamped and rounded.
 */
export function planarToBytes(
  dst: Uint8Array,
  src: Float32Array,
  offset: number,
  width: number,
  height: number,
  channels: number,
): void {
  const n = width * height;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < n; p++) {
      const v = src[offset + c * n + p];
      dst[p * channels + c] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
    }
  }
}
