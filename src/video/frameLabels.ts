/**
 * `frameLabels`: live frame labelling as an RxJS operator. Each frame of one video becomes one label, the
 * recurrent state carried from frame to frame.
 *
 * ```
 * source:  --f0----f1----f2----f3--|        f: Frame [1, H, W] at the labeller's size
 * result:  --L0----L1----L2----L3--|        L: { frameIndex, timeMs, label, labelIndex, confidence, latencyMs }
 * realtime, f2 > maxLagMs late:  --L0----L1----------L3--|   (f2 dropped, counted in stats.dropped)
 * ```
 * 1. Each subscription has its own state and feature extractor (`FrameLabelCore`); two never share one.
 * 2. A frame of another size than the labeller was trained on errors the stream with `ERR_SHAPE` naming both
 *    sizes; so does any other step failure.
 * 3. Unsubscribing (or `take`) stops at once and drops the state.
 *
 * @example
 * videoFrames('clip.mpg', { width: 32, height: 32, channels: 1, realtime: true })
 *   .pipe(frameLabels(labeler, { realtime: true, stats })).subscribe((l) => console.log(JSON.stringify(l)));
 *
 * @param labeler a frame labeller (`createFrameLabeler`, `loadFrameLabeler`)
 * @param options see `FrameLabelsOptions` (`signal` does not apply)
 * @returns an operator from frames to labels
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { OperatorFunction } from 'rxjs';
import { operate } from '../operators/operate.ts';
import {
  checkLabeler,
  FrameLabelCore,
  resolveFrameLabelsOptions,
  type FrameLabel,
  type FrameLabelsOptions,
  type LiveFrame,
} from './frameLabelCore.ts';
import type { FrameLabeler } from './frameLabeler.ts';

export function frameLabels(
  labeler: FrameLabeler,
  options: FrameLabelsOptions = {},
): OperatorFunction<LiveFrame, FrameLabel> {
  const l = checkLabeler('labeler', labeler);
  const o = resolveFrameLabelsOptions(options, false);
  return operate<LiveFrame, FrameLabel>((out) => {
    const core = new FrameLabelCore(l, o);
    return {
      next(frame) {
        const label = core.process(frame);
        if (label !== null) out.next(label);
      },
      finalize() {
        core.release();
      },
    };
  });
}
