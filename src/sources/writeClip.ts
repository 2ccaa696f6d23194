/**
 * Writes a clip of generated frames (`// [T, H, W]` or `// [T, C, H, W]` floats in [0, 1]) as a real video file with
 * ffmpeg, so that `videoFramesAsync` (or any player) can read it back.
 */
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { EddyError, invalidArg, shapeError, describeKind } from '../util/errors.ts';
import { checkInt, checkNumber, checkObject, checkOneOf } from '../util/validate.ts';
import { planarToBytes } from './frames.ts';
import { checkCallback, checkString, MAX_SIDE } from './framesOptions.ts';
import { FfmpegLog } from './ffmpegLog.ts';
import { spawnFailure, spawnFfmpeg } from './ffmpegProcess.ts';

/** The shape of a clip in a flat buffer. */
export interface ClipShape {
  /** W in pixels. */
  width: number;
  /** H in pixels. */
  height: number;
  /** C: 1 for `[T, H, W]` gray frames, 3 for `[T, 3, H, W]` RGB frames. @default 1 */
  channels?: 1 | 3;
}

/** Options of `writeClip`. */
export interface WriteClipOptions extends ClipShape {
  /** Frame rate of the file. @default 25 */
  fps?: number;
  /**
   * Video codec: `'ffv1'` is lossless (use .mkv, .avi or .nut); `'mpeg4'` is lossy at `quality` and fits .mp4.
   * @default 'mpeg4' for .mp4/.mov/.m4v paths, 'ffv1' otherwise
   */
  codec?: 'ffv1' | 'mpeg4';
  /** mpeg4 quantizer, 1 (best) to 31. @default 2 */
  quality?: number;
  /** The ffmpeg binary. @default 'ffmpeg' */
  ffmpegPath?: string;
  /** Called with the pid of the ffmpeg process right after it is spawned. @default none */
  onSpawn?: (pid: number) => void;
  /** Cancels the write: ffmpeg is killed and the partial file removed. @default none */
  signal?: AbortSignal;
}

/** A validated clip shape with its frame count. */
export interface ResolvedClip {
  width: number;
  height: number;
  channels: 1 | 3;
  /** T, the number of frames. */
  frames: number;
}

/** Validates a clip buffer against its shape and returns T. */
export function checkClip(frames: unknown, o: ClipShape): ResolvedClip {
  const width = checkInt('options.width', o.width, 1, MAX_SIDE);
  const height = checkInt('options.height', o.height, 1, MAX_SIDE);
  const channels = o.channels === undefined ? 1 : o.channels;
  if (channels !== 1 && channels !== 3) throw invalidArg('options.channels', '1 or 3', channels);
  const per = channels * height * width;
  const shape = channels === 1 ? `[T, H=${height}, W=${width}]` : `[T, C=3, H=${height}, W=${width}]`;
  if (!(frames instanceof Float32Array)) throw shapeError('frames', `Float32Array ${shape}`, describeKind(frames));
  if (frames.length === 0 || frames.length % per !== 0) {
    throw shapeError('frames', `of a length that is a positive multiple of ${per} ${shape}`, `length ${frames.length}`);
  }
  return { width, height, channels, frames: frames.length / per };
}

/** A temporary name beside `path` with the same extension, so a failed write never leaves a half file at `path`. */
export function tempPathFor(path: string): string {
  const ext = extname(path);
  return join(dirname(path), `.${basename(path, ext)}.partial-${process.pid}-${Date.now().toString(36)}${ext}`);
}

/**
 * Encodes frames into a video file with ffmpeg.
 *
 * 1. The clip and options are checked before ffmpeg starts.
 * 2. Frames are converted to bytes (clamped, rounded) and piped to ffmpeg as raw gray or RGB at `fps`.
 * 3. ffmpeg writes a temporary file beside `path`, renamed to `path` once ffmpeg succeeds.
 *
 * @example
 * await writeClip('out.mkv', frames, { width: 32, height: 32, fps: 25 }); // frames: Float32Array [T, 32, 32]
 * @param path Output file; its extension picks the container.
 * @param frames `// [T, H, W]` (channels 1) or `// [T, C, H, W]` (channels 3), values in [0, 1].
 * @param options See `WriteClipOptions`.
 * @returns The path and the frame count T.
 * @throws EddyError `ERR_INVALID_ARG` / `ERR_SHAPE` for bad arguments, `ERR_SOURCE` when ffmpeg fails or is
 * missing, `ERR_ABORTED` when the signal fires.
 */
export async function writeClip(
  path: string,
  frames: Float32Array,
  options: WriteClipOptions,
): Promise<{ path: string; frames: number }> {
  checkString('path', path);
  const o = checkObject('options', options);
  const clip = checkClip(frames, o);
  const fps = o.fps === undefined ? 25 : checkNumber('options.fps', o.fps, 0, 1000, { min: true });
  const codec =
    o.codec === undefined
      ? /\.(mp4|mov|m4v)$/i.test(path)
        ? 'mpeg4'
        : 'ffv1'
      : checkOneOf('options.codec', o.codec, ['ffv1', 'mpeg4'] as const);
  const quality = o.quality === undefined ? 2 : checkInt('options.quality', o.quality, 1, 31);
  const ffmpegPath = o.ffmpegPath === undefined ? 'ffmpeg' : checkString('options.ffmpegPath', o.ffmpegPath);
  const onSpawn = checkCallback('options.onSpawn', o.onSpawn);
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', signal);
  const aborted = (): EddyError => new EddyError('ERR_ABORTED', `Writing ${JSON.stringify(path)} was aborted`);
  if (signal?.aborted) throw aborted();

  const { width, height, channels } = clip;
  const tmp = tempPathFor(path);
  const args = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    channels === 1 ? 'gray' : 'rgb24',
    '-s',
    `${width}x${height}`,
    '-framerate',
    String(fps),
    '-i',
    'pipe:0',
    ...(codec === 'ffv1'
      ? ['-c:v', 'ffv1', '-level', '3']
      : ['-c:v', 'mpeg4', '-q:v', String(quality), '-pix_fmt', 'yuv420p']),
    tmp,
  ];
  const proc = spawnFfmpeg(ffmpegPath, args, true);
  const log = new FfmpegLog();
  proc.child.stderr?.setEncoding('utf8');
  proc.child.stderr?.on('data', (text: string) => log.push(text));
  const onAbort = (): void => void proc.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  let done = false;
  try {
    if (proc.child.pid !== undefined) onSpawn?.(proc.child.pid);
    const stdin = proc.child.stdin;
    const per = width * height * channels;
    let exitedEarly = false;
    void proc.exited.then(() => (exitedEarly = true));
    for (let t = 0; t < clip.frames && !exitedEarly; t++) {
      const bytes = Buffer.allocUnsafe(per); // [H, W, C]; one per write, as the pipe holds it until flushed
      planarToBytes(bytes, frames, t * per, width, height, channels);
      if (stdin && !stdin.write(bytes)) await Promise.race([once(stdin, 'drain'), proc.exited]);
      if (signal?.aborted) throw aborted();
    }
    stdin?.end();
    const exit = await proc.closed;
    if (signal?.aborted) throw aborted();
    if (exit.error !== undefined) throw spawnFailure(exit.error, ffmpegPath, path);
    if (exit.code !== 0) {
      throw new EddyError(
        'ERR_SOURCE',
        `ffmpeg could not write ${JSON.stringify(path)} (exit code ${String(exit.code ?? exit.signal)}): ${log.reason()}`,
      );
    }
    await rename(tmp, path);
    done = true;
    return { path, frames: clip.frames };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await proc.kill();
    if (!done) await rm(tmp, { force: true });
  }
}
