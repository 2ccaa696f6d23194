/**
 * Video frames from anything ffmpeg reads (a file, a URL, a capture device), as an IxJS async iterable
 * (`videoFramesAsync`) and an RxJS Observable (`videoFrames`) over one async-generator core.
 */
import { stat } from 'node:fs/promises';
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkBool, checkNumber, checkObject } from '../util/validate.ts';
import { bytesToPlanar, sleep, type Frame, type SkipInfo } from './frames.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable, asObservable } from '../util/coreAdapters.ts';
import { FfmpegLog, type LoggedFrame, type LoggedProblem } from './ffmpegLog.ts';
import {
  checkCallback,
  checkString,
  resolveFrameOptions,
  type FrameSourceOptions,
  type ResolvedFrameOptions,
} from './framesOptions.ts';
import { spawnFailure, spawnFfmpeg } from './ffmpegProcess.ts';

/** Options of `videoFramesAsync` / `videoFrames`. */
export interface VideoFramesOptions extends FrameSourceOptions {
  /** The ffmpeg binary. @default 'ffmpeg' */
  ffmpegPath?: string;
  /** Input format for `-f` before `-i`, e.g. `'v4l2'` for a camera or `'lavfi'` for a test pattern. @default probed by ffmpeg */
  inputFormat?: string;
  /** Extra arguments placed just before `-i`, e.g. `['-video_size', '640x480']` for a device. @default [] */
  inputArgs?: readonly string[];
  /** Emit frames no faster than their timestamps (real-time pacing, as a live source would). @default false */
  realtime?: boolean;
  /** Called with the pid of each ffmpeg process right after it is spawned. @default none */
  onSpawn?: (pid: number) => void;
  /** Fallback frame rate for timestamps when the input has none and ffmpeg names none. @default 25 */
  fps?: number;
}

interface Resolved extends ResolvedFrameOptions {
  ffmpegPath: string;
  inputFormat: string | undefined;
  inputArgs: readonly string[];
  realtime: boolean;
  onSpawn: ((pid: number) => void) | undefined;
  fps: number;
}

function resolveOptions(input: unknown, options: VideoFramesOptions | undefined): Resolved {
  checkString('input', input);
  const o = checkObject('options', options);
  const base = resolveFrameOptions(o);
  const ffmpegPath = o.ffmpegPath === undefined ? 'ffmpeg' : checkString('options.ffmpegPath', o.ffmpegPath);
  const inputFormat = o.inputFormat === undefined ? undefined : checkString('options.inputFormat', o.inputFormat);
  const inputArgs = o.inputArgs ?? [];
  if (!Array.isArray(inputArgs)) throw invalidArg('options.inputArgs', 'array of strings', inputArgs);
  inputArgs.forEach((a: unknown, i) => checkString(`options.inputArgs[${i}]`, a));
  const realtime = o.realtime === undefined ? false : checkBool('options.realtime', o.realtime);
  const onSpawn = checkCallback('options.onSpawn', o.onSpawn);
  const fps = o.fps === undefined ? 25 : checkNumber('options.fps', o.fps, 0, Infinity, { min: true });
  return { ...base, ffmpegPath, inputFormat, inputArgs, realtime, onSpawn, fps };
}

/** The ffmpeg command line: decode the first video stream, scale, convert, announce each frame, raw bytes out. */
function ffmpegArgs(input: string, o: Resolved): string[] {
  const filters: string[] = [];
  if (o.width !== undefined || o.height !== undefined)
    filters.push(`scale=${o.width ?? -1}:${o.height ?? -1}:flags=area`);
  const pixFmt = o.channels === 1 ? 'gray' : 'rgb24';
  filters.push(`format=${pixFmt}`, 'showinfo');
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'info',
    ...o.inputArgs,
    ...(o.inputFormat === undefined ? [] : ['-f', o.inputFormat]),
    '-i',
    input,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters.join(','),
    '-fps_mode',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    pixFmt,
    'pipe:1',
  ];
}

/** Local paths (not URLs, not devices) are checked before ffmpeg starts, for a plain "no such file" error. */
async function checkLocalInput(input: string, o: Resolved): Promise<void> {
  // URLs, devices (with inputFormat) and image-sequence patterns (`frame%03d.png`) are left to ffmpeg.
  if (o.inputFormat !== undefined || /^[a-z][a-z0-9+.-]+:/i.test(input) || input.includes('%')) return;
  try {
    const s = await stat(input);
    if (!s.isFile() && !s.isCharacterDevice() && !s.isFIFO())
      throw new EddyError('ERR_FILE', `Cannot read video ${JSON.stringify(input)}: not a file`);
  } catch (err) {
    if (err instanceof EddyError) throw err;
    throw new EddyError('ERR_FILE', `Cannot read video ${JSON.stringify(input)}: no such file`, { cause: err });
  }
}

/** The error for ffmpeg failing before any frame, in the words of its log. */
function openFailure(input: string, log: FfmpegLog, code: number | null, signal: string | null): EddyError {
  const reason = log.reason();
  const what = JSON.stringify(input);
  if (/No such file or directory/.test(reason))
    return new EddyError('ERR_FILE', `Cannot read video ${what}: no such file (ffmpeg: ${reason})`);
  if (/matches no streams/.test(reason))
    return new EddyError('ERR_FILE', `Cannot read video ${what}: it has no video stream (ffmpeg: ${reason})`);
  if (
    /Invalid data found|Invalid argument|moov atom not found|could not find codec parameters|Unknown input format/i.test(
      reason,
    )
  ) {
    return new EddyError(
      'ERR_FILE',
      `Cannot read video ${what}: not a video ffmpeg can decode, or truncated (ffmpeg: ${reason})`,
    );
  }
  const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
  return new EddyError('ERR_SOURCE', `ffmpeg ${how} reading ${what} before the first frame (ffmpeg: ${reason})`);
}

function corruptError(input: string, index: number, message: string): EddyError {
  return new EddyError(
    'ERR_FILE',
    `Corrupt or truncated video ${JSON.stringify(input)} at frame ${index} (ffmpeg: ${message}); pass onCorrupt: 'skip' to drop such frames`,
  );
}

/** The async-generator core: one ffmpeg process per call, killed in `finally`. */
async function* videoFramesCore(
  input: string,
  o: Resolved,
  signal?: AbortSignal,
): AsyncGenerator<Frame, void, undefined> {
  checkAborted(signal);
  await checkLocalInput(input, o);
  checkAborted(signal);
  const proc = spawnFfmpeg(o.ffmpegPath, ffmpegArgs(input, o));
  const { child } = proc;
  const onAbort = (): void => void proc.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  const log = new FfmpegLog();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => log.push(text));
  child.stderr?.on('close', () => log.end());
  child.stderr?.on('error', () => log.end());
  let skipped = 0;
  let truncationReported = false;
  const skip = (index: number, reason: SkipInfo['reason'], message: string): void => {
    if (reason === 'truncated') {
      // ffmpeg may log a damaged tail several times; it is one event, and no frame of its own.
      if (truncationReported) return;
      truncationReported = true;
    } else {
      skipped++;
    }
    o.onSkip?.({ source: input, index, reason, message, skipped });
  };
  // Problems logged before frame `k` either fail the stream or are reported, in order.
  const settleProblems = (k: number): void => {
    while (log.problems.length > 0 && log.problems[0].afterFrames <= k) {
      const p = log.problems.shift() as LoggedProblem;
      if (o.onCorrupt === 'error') throw corruptError(input, p.afterFrames, p.message);
      skip(p.afterFrames, p.kind, p.message);
    }
  };
  try {
    if (child.pid !== undefined) o.onSpawn?.(child.pid);
    let k = 0; // index of the frame being assembled
    let info: LoggedFrame | undefined;
    let buf: Uint8Array | undefined; // [H, W, C] bytes of frame k
    let filled = 0;
    let t0: number | undefined;
    let wall0 = 0;
    const nextInfo = async (): Promise<LoggedFrame> => {
      const next = await log.frame(k);
      if (next === undefined) {
        checkAborted(signal);
        throw new EddyError(
          'ERR_SOURCE',
          `ffmpeg wrote frame ${k} of ${JSON.stringify(input)} without announcing it (ffmpeg: ${log.reason()})`,
        );
      }
      const bytes = next.width * next.height * o.channels;
      if (bytes > o.maxFrameBytes) {
        throw new EddyError(
          'ERR_SOURCE',
          `Frame ${k} of ${JSON.stringify(input)} is ${next.width}x${next.height}x${o.channels} = ${bytes} bytes, more than options.maxFrameBytes = ${o.maxFrameBytes}; pass width/height to scale it down`,
        );
      }
      return next;
    };
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        checkAborted(signal);
        if (buf === undefined || info === undefined) {
          info = await nextInfo();
          const bytes = info.width * info.height * o.channels;
          if (buf === undefined || buf.length !== bytes) buf = new Uint8Array(bytes);
        }
        const n = Math.min(chunk.length - off, buf.length - filled);
        buf.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled < buf.length) continue;
        filled = 0;
        const index = k++;
        const frameInfo = info;
        info = undefined;
        settleProblems(index);
        if (frameInfo.corrupt !== undefined) {
          if (o.onCorrupt === 'error') throw corruptError(input, index, frameInfo.corrupt);
          skip(index, 'corrupt-frame', frameInfo.corrupt);
          continue;
        }
        const first = log.firstPts;
        const timeMs =
          frameInfo.ptsTime !== undefined && first !== undefined
            ? Math.round((frameInfo.ptsTime - first) * 1e6) / 1e3
            : (index * 1000) / (log.inputFps ?? o.fps);
        if (o.realtime) {
          if (t0 === undefined) {
            t0 = timeMs;
            wall0 = performance.now();
          }
          await sleep(wall0 + (timeMs - t0) - performance.now(), signal);
        }
        const data = bytesToPlanar(buf, frameInfo.width, frameInfo.height, o.channels, o.channels); // [C, H, W]
        yield { index, timeMs, data, channels: o.channels, width: frameInfo.width, height: frameInfo.height };
      }
    }
    checkAborted(signal);
    const exit = await proc.closed;
    checkAborted(signal);
    if (exit.error !== undefined) throw spawnFailure(exit.error, o.ffmpegPath, input);
    if (exit.code !== 0) {
      if (k === 0) throw openFailure(input, log, exit.code, exit.signal);
      throw new EddyError(
        'ERR_SOURCE',
        `ffmpeg exited with code ${String(exit.code ?? exit.signal)} after frame ${k - 1} of ${JSON.stringify(input)} (ffmpeg: ${log.reason()})`,
      );
    }
    if (filled > 0)
      log.problems.push({
        kind: 'truncated',
        afterFrames: k,
        message: `stream ended inside frame ${k} (${filled} of ${buf?.length ?? 0} bytes)`,
      });
    settleProblems(Infinity);
  } catch (err) {
    checkAborted(signal); // a pipe torn down by an abort reads as a premature close: report the abort
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await proc.kill();
  }
}

/**
 * Decodes a video with ffmpeg into frames `// [C, H, W]` in [0, 1], pulled one at a time.
 *
 * 1. Options are checked now; ffmpeg starts on the first pull, once per iteration.
 * 2. ffmpeg decodes the first video stream, scales it (`width`/`height`, area filter), converts it to gray or RGB
 *    and writes raw frames to a pipe; chunks are re-split into whole frames. Times come from the stream's
 *    timestamps, counted from the first frame.
 * 3. A frame ffmpeg reports as corrupt, a frame it could not decode, or a truncated input fails the stream with
 *    `ERR_FILE`, or under `onCorrupt: 'skip'` is dropped and reported to `onSkip`.
 * 4. Breaking out, an Ix abort signal, or an error kills ffmpeg at once (SIGKILL) and waits until it is gone.
 *
 * Needs ffmpeg 5.1 or newer (`-fps_mode`); each frame is matched to ffmpeg's `showinfo` line for its size, time
 * and corrupt flag (see `ffmpegLog.ts`).
 *
 * @example
 * for await (const f of videoFramesAsync('clip.mpg', { width: 64, height: 64, channels: 1 })) console.log(f.index, f.timeMs);
 * @param input A path, URL or device name as ffmpeg's `-i` takes it.
 * @param options See `VideoFramesOptions`.
 * @returns An `AsyncIterableX<Frame>`.
 * @throws EddyError `ERR_INVALID_ARG` at once for a bad option; the iteration fails with `ERR_FILE` (missing,
 * unreadable, corrupt or truncated input), `ERR_SOURCE` (ffmpeg missing or failing) or `ERR_ABORTED`.
 */
export function videoFramesAsync(input: string, options?: VideoFramesOptions): AsyncIterableX<Frame> {
  const o = resolveOptions(input, options);
  return asIterable((signal) => videoFramesCore(input, o, signal), o.signal);
}

/**
 * The RxJS form of `videoFramesAsync`: each subscription runs its own ffmpeg; unsubscribing kills it at once.
 *
 * @example
 * videoFrames('clip.mpg', { channels: 1 }).pipe(take(3)).subscribe((f) => console.log(f.index));
 * @param input A path, URL or device name as ffmpeg's `-i` takes it.
 * @param options See `VideoFramesOptions`.
 * @returns An `Observable<Frame>`.
 * @throws EddyError `ERR_INVALID_ARG` at once for a bad option; stream errors as for `videoFramesAsync`.
 */
export function videoFrames(input: string, options?: VideoFramesOptions): Observable<Frame> {
  const o = resolveOptions(input, options);
  return asObservable((signal) => videoFramesCore(input, o, signal), o.signal);
}
