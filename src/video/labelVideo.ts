/**
 * Live labelling of video files, URLs or devices end to end: decode with ffmpeg at the labeller's frame size
 * (gray), then label every frame with the state carried across frames.
 *
 * - `labelVideoAsync(input, labeler, options)`: one video, IxJS (pull); with `realtime: true` ffmpeg's frames are
 *   paced by their timestamps (as a camera would deliver them) and the labeller reports latency and drops late
 *   frames (`FrameLabelsOptions`).
 * - `labelVideos(inputs, labeler, options)`: several videos concurrently in one process (RxJS), merged and
 *   labelled per key with `keyedFrameLabels`, each video with its own state.
 *
 * @example
 * const stats = createLiveStats();
 * for await (const l of labelVideoAsync('clip.mpg', labeler, { realtime: true, stats })) process.stdout.write(JSON.stringify(l) + '\n');
 * console.log(latencySummary(stats), stats.dropped);
 */
import type { AsyncIterableX } from 'ix/asynciterable';
import { map, merge, type Observable } from 'rxjs';
import { videoFramesAsync, videoFrames, type VideoFramesOptions } from '../sources/ffmpegFrames.ts';
import type { Frame } from '../sources/frames.ts';
import { invalidArg } from '../util/errors.ts';
import { checkObject } from '../util/validate.ts';
import { checkLabeler, type FrameLabelsOptions } from './frameLabelCore.ts';
import type { FrameLabeler } from './frameLabeler.ts';
import { frameLabelsAsync } from './frameLabels.ix.ts';
import { keyedFrameLabels, type KeyedFrameLabel, type KeyedFrameLabelsOptions } from './keyedFrameLabels.ts';
import type { FrameLabel } from './frameLabelCore.ts';

/** Options of `labelVideoAsync`: the labelling options plus the decoder's (its size and channels come from the labeller). */
export interface LabelVideoOptions extends FrameLabelsOptions {
  /** Options passed to `videoFramesAsync` (not width, height, channels or realtime). @default {} */
  decode?: Omit<VideoFramesOptions, 'width' | 'height' | 'channels' | 'realtime' | 'signal'>;
}

function decodeOptions(
  labeler: FrameLabeler,
  decode: LabelVideoOptions['decode'],
  realtime: boolean,
  signal: AbortSignal | undefined,
): VideoFramesOptions {
  const d = checkObject('options.decode', decode);
  for (const k of ['width', 'height', 'channels', 'realtime', 'signal'] as const) {
    if ((d as Record<string, unknown>)[k] !== undefined)
      throw invalidArg(
        `options.decode.${k}`,
        `undefined (set by the labeller or by options.${k === 'realtime' || k === 'signal' ? k : 'labeler'})`,
        (d as Record<string, unknown>)[k],
      );
  }
  const o: VideoFramesOptions = { ...d, width: labeler.spec.width, height: labeler.spec.height, channels: 1, realtime };
  if (signal !== undefined) o.signal = signal;
  return o;
}

/**
 * Labels every frame of one video, live.
 * @throws EddyError ERR_INVALID_ARG at once for a bad option; the iteration fails with ERR_FILE for a missing or
 *   corrupt video, ERR_SOURCE when ffmpeg fails, ERR_ABORTED on abort
 */
export function labelVideoAsync(
  input: string,
  labeler: FrameLabeler,
  options: LabelVideoOptions = {},
): AsyncIterableX<FrameLabel> {
  const l = checkLabeler('labeler', labeler);
  const { decode, ...rest } = checkObject('options', options);
  const frames = videoFramesAsync(input, decodeOptions(l, decode, rest.realtime ?? false, rest.signal));
  return frames.pipe(frameLabelsAsync(l, rest));
}

/** Options of `labelVideos`. */
export interface LabelVideosOptions
  extends Omit<KeyedFrameLabelsOptions<{ key: string; frame: Frame }, string>, 'keyOf' | 'frameOf'> {
  /** Pace every video by its timestamps (as live cameras). @default false */
  realtime?: boolean;
  /** Options passed to every `videoFrames`. @default {} */
  decode?: LabelVideoOptions['decode'];
}

/**
 * Labels several videos concurrently, each with its own state.
 * @param inputs `{ key: input }` (or an array: keys are the inputs themselves)
 * @returns an Observable of keyed labels, in arrival order; it completes when every video has ended
 * @throws EddyError ERR_INVALID_ARG at once for a bad option; stream errors as `labelVideoAsync`
 */
export function labelVideos(
  inputs: Readonly<Record<string, string>> | readonly string[],
  labeler: FrameLabeler,
  options: LabelVideosOptions = {},
): Observable<KeyedFrameLabel<string>> {
  const l = checkLabeler('labeler', labeler);
  const { decode, realtime = false, ...keyed } = checkObject('options', options);
  const entries: [string, string][] = Array.isArray(inputs)
    ? inputs.map((i: string) => [i, i])
    : Object.entries(inputs as Record<string, string>);
  if (entries.length === 0) throw invalidArg('inputs', 'at least one video', inputs);
  const vo = decodeOptions(l, decode, realtime, undefined);
  const sources = entries.map(([key, input]) => videoFrames(input, vo).pipe(map((frame) => ({ key, frame }))));
  return merge(...sources).pipe(keyedFrameLabels(l, { ...keyed, keyOf: (e) => e.key, frameOf: (e) => e.frame }));
}
