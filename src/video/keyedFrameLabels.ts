/**
 * `keyedFrameLabels`: live labelling of several videos at once in one stream, each video (key) with its own
 * recurrent state and its own feature extractor, over `keyedRecurrent` (per-key state, LRU bound, micro-batching).
 *
 * ```
 * source:  --(a0 b0)----(a1 b1)--a2--|     {key, frame} from merged videos; frames of one key in order
 * result:  --(A0 B0)----(A1 B1)--A2--|     { key, frameIndex, timeMs, label, labelIndex, confidence, latencyMs }
 * ```
 * 1. Features are computed per key on arrival (the difference block needs the key's previous frame); frames
 *    that arrive together are stepped as one batch `[B, X]`, and each key's output equals labelling it alone.
 * 2. A key's state and extractor are dropped when `keyedRecurrent` evicts the key (LRU, idle, completion).
 * 3. A frame of another size errors the stream with `ERR_SHAPE` naming both sizes.
 * 4. `latencyMs` runs from the element's arrival to its label (it includes the micro-batch wait).
 *
 * @example
 * merge(videoFrames('a.mpg', size).pipe(map((frame) => ({ key: 'a', frame }))),
 *       videoFrames('b.mpg', size).pipe(map((frame) => ({ key: 'b', frame }))))
 *   .pipe(keyedFrameLabels(labeler, { keyOf: (e) => e.key, frameOf: (e) => e.frame }))
 *
 * @param labeler a frame labeller
 * @param options `keyOf`, `frameOf` and the options of `keyedRecurrent` (`maxKeys`, `idleMs`, `onEvict`, `microBatch`, `scheduler`)
 * @returns an operator from elements to keyed labels
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import { defer, map, pipe, type OperatorFunction } from 'rxjs';
import type { RecurrentState } from '../model/recurrentState.ts';
import { keyedRecurrent } from '../operators/keyedRecurrent.ts';
import { resolveKeyedOptions, type KeyedRecurrentOptions } from '../operators/keyedOptions.ts';
import type { EvictReason } from '../operators/keyedStepper.ts';
import { invalidArg } from '../util/errors.ts';
import { checkObject } from '../util/validate.ts';
import { checkLabeler, type FrameLabel, type LiveFrame } from './frameLabelCore.ts';
import { FrameFeatures } from './frameFeatures.ts';
import type { FrameLabeler } from './frameLabeler.ts';

/** Options of `keyedFrameLabels`. */
export interface KeyedFrameLabelsOptions<T, K>
  extends Omit<KeyedRecurrentOptions<T, K>, 'inputOf' | 'signal' | 'now' | 'initialState'> {
  /** The frame of an element. @default the element itself */
  frameOf?: (value: T) => LiveFrame;
  /** The clock in ms for `latencyMs`. @default performance.now */
  clock?: () => number;
}

/** One labelled frame of one key. */
export interface KeyedFrameLabel<K> extends FrameLabel {
  readonly key: K;
}

interface Arrived<T> {
  value: T;
  at: number;
}

export function keyedFrameLabels<T, K>(
  labeler: FrameLabeler,
  options: KeyedFrameLabelsOptions<T, K>,
): OperatorFunction<T, KeyedFrameLabel<K>> {
  const l = checkLabeler('labeler', labeler);
  const o = checkObject('options', options);
  if (typeof o.keyOf !== 'function') throw invalidArg('options.keyOf', 'a function (value) => key', o.keyOf);
  if (o.frameOf !== undefined && typeof o.frameOf !== 'function')
    throw invalidArg('options.frameOf', 'a function (value) => frame', o.frameOf);
  if (o.clock !== undefined && typeof o.clock !== 'function')
    throw invalidArg('options.clock', 'a function () => milliseconds', o.clock);
  const { frameOf: frameOfOption, clock: clockOption, keyOf, onEvict, ...keyed } = o;
  const frameOf = frameOfOption ?? ((v: T) => v as unknown as LiveFrame);
  const clock = clockOption ?? (() => performance.now());
  if (onEvict !== undefined && typeof onEvict !== 'function')
    throw invalidArg('options.onEvict', 'a function (key, state, reason) => void', onEvict);
  resolveKeyedOptions(l.model, { ...keyed, keyOf }, false); // validates the keyed options now, not at subscription
  const Y = l.labels.length;
  return (source) =>
    defer(() => {
      // per subscription: one extractor per live key, dropped with the key's state
      const extractors = new Map<K, FrameFeatures>();
      const step = keyedRecurrent<Arrived<T>, K>(l.model, {
        ...keyed,
        keyOf: (a) => keyOf(a.value),
        inputOf: (a) => {
          const key = keyOf(a.value);
          let fx = extractors.get(key);
          if (fx === undefined) {
            fx = new FrameFeatures(l.spec);
            extractors.set(key, fx);
          }
          // a fresh buffer: a micro-batch holds several inputs before it steps
          return fx.extract(frameOf(a.value), new Float32Array(l.spec.size));
        },
        onEvict: (key: K, state: RecurrentState, reason: EvictReason) => {
          extractors.delete(key);
          onEvict?.(key, state, reason);
        },
      });
      return source.pipe(
        map((value): Arrived<T> => ({ value, at: clock() })),
        pipe(step),
        map(({ key, value, output }): KeyedFrameLabel<K> => {
          let best = 0;
          for (let k = 1; k < Y; k++) if (output[k] > output[best]) best = k;
          let sum = 0;
          for (let k = 0; k < Y; k++) sum += Math.exp(output[k] - output[best]);
          const frame = frameOf(value.value);
          return {
            key,
            frameIndex: frame.index,
            timeMs: frame.timeMs,
            label: l.labels[best],
            labelIndex: best,
            confidence: 1 / sum,
            latencyMs: clock() - value.at,
          };
        }),
      );
    });
}
