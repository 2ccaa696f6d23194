/**
 * `frameLabelsAsync`: the IxJS (pull) mirror of `frameLabels`. Each frame pulled becomes one label, the recurrent
 * state carried from frame to frame; the consumer sets the pace (with a real-time source such as
 * `videoFramesAsync(input, { realtime: true })`, the video does).
 *
 * 1. Each iteration builds its own state and feature extractor; two iterations never share them.
 * 2. A frame of another size errors the iteration with `ERR_SHAPE` naming both sizes.
 * 3. `options.signal` (or the signal IxJS passes to the iterator) stops a pending pull at once with
 *    `ERR_ABORTED`; `break`, `take` and errors release the state in `finally`.
 *
 * @example
 * for await (const l of videoFramesAsync('clip.mpg', { width: 32, height: 32, channels: 1 }).pipe(frameLabelsAsync(labeler)))
 *   console.log(l.frameIndex, l.label, l.confidence);
 *
 * @param labeler a frame labeller
 * @param options see `FrameLabelsOptions`
 * @returns an IxJS operator from frames to labels
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import { ixOperator, pull, type AsyncOperator } from '../operators/ixCore.ts';
import {
  checkLabeler,
  FrameLabelCore,
  resolveFrameLabelsOptions,
  type FrameLabel,
  type FrameLabelsOptions,
  type LiveFrame,
} from './frameLabelCore.ts';
import type { FrameLabeler } from './frameLabeler.ts';

export function frameLabelsAsync(
  labeler: FrameLabeler,
  options: FrameLabelsOptions = {},
): AsyncOperator<LiveFrame, FrameLabel> {
  const l = checkLabeler('labeler', labeler);
  const o = resolveFrameLabelsOptions(options, true);
  return ixOperator<LiveFrame, FrameLabel>(async function* frameLabelsCore(source, signal) {
    const core = new FrameLabelCore(l, o);
    try {
      for await (const frame of pull(source, signal)) {
        const label = core.process(frame);
        if (label !== null) yield label;
      }
    } finally {
      core.release();
    }
  }, o.signal);
}
