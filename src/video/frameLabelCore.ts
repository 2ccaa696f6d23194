/**
 * The live-labelling core shared by `frameLabels` (RxJS) and `frameLabelsAsync` (IxJS): one labeller, one
 * carried state and one feature extractor for one video, plus real-time accounting.
 *
 * ```
 * frame ──► size check ──► features ──► model.step (state carried) ──► softmax ──► { frameIndex, timeMs, label,
 *                                                                                  confidence, latencyMs }
 * ```
 * 1. Every frame is labelled in order; the state runs on from frame to frame (never reset inside a video).
 * 2. `realtime: true` measures each frame against the video's own clock: frame t is due at
 *    `arrival(first) + timeMs(t) - timeMs(first)`. A frame that arrives more than `maxLagMs` after it is due is
 *    dropped unlabelled (counted in `stats.dropped`, reported to `onDrop`), so a labeller that falls behind
 *    catches up instead of drifting further behind; the next frame's difference then spans the gap.
 * 3. `latencyMs` is the time from when the frame was available (its arrival, or its due time when it came late)
 *    to its label; `stats` keeps counts and the latencies of the last 4096 labelled frames (see `latencySummary`).
 * 4. A gap in the source's frame indices (frames the source skipped as corrupt) is counted in `stats.missing`.
 */
import { Stepper } from '../operators/stepper.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkBool, checkNumber, checkObject } from '../util/validate.ts';
import { FrameFeatures, type FrameLike } from './frameFeatures.ts';
import type { FrameLabeler } from './frameLabeler.ts';

/** The frame a live labeller reads: a `Frame` of the video sources, or anything with its fields. */
export interface LiveFrame extends FrameLike {
  /** Position of the frame in its source, 0-based. */
  index: number;
  /** Presentation time in ms from the first frame. */
  timeMs: number;
}

/** One labelled frame. */
export interface FrameLabel {
  /** The frame's index in its source. */
  readonly frameIndex: number;
  /** The frame's presentation time in ms. */
  readonly timeMs: number;
  /** The predicted class name. */
  readonly label: string;
  /** The predicted class id. */
  readonly labelIndex: number;
  /** Softmax probability of the predicted class. */
  readonly confidence: number;
  /** Milliseconds from the frame being available to its label (see the file comment). */
  readonly latencyMs: number;
}

/** Running counts of a live labeller, updated in place. */
export interface LiveStats {
  /** Frames received. */
  received: number;
  /** Frames labelled. */
  labeled: number;
  /** Frames dropped because they came more than `maxLagMs` late (realtime only). */
  dropped: number;
  /** Frames missing from the source (gaps in the frame indices). */
  missing: number;
  /** Sum and maximum of the labelled frames' latencies. */
  latencySumMs: number;
  latencyMaxMs: number;
  /** The latencies of the most recent labelled frames (at most 4096, oldest first once full). */
  recentLatenciesMs: number[];
}

/** Zeroed stats for `options.stats`. */
export function createLiveStats(): LiveStats {
  return { received: 0, labeled: 0, dropped: 0, missing: 0, latencySumMs: 0, latencyMaxMs: 0, recentLatenciesMs: [] };
}

const RECENT = 4096;

/** Mean, median, 95th percentile and maximum latency in ms (NaN with no labelled frame). */
export function latencySummary(stats: LiveStats): { meanMs: number; p50Ms: number; p95Ms: number; maxMs: number } {
  const xs = [...stats.recentLatenciesMs].sort((a, b) => a - b);
  const q = (p: number): number => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]);
  return {
    meanMs: stats.labeled > 0 ? stats.latencySumMs / stats.labeled : NaN,
    p50Ms: q(0.5),
    p95Ms: q(0.95),
    maxMs: stats.labeled > 0 ? stats.latencyMaxMs : NaN,
  };
}

/** Options of the live labelling operators. */
export interface FrameLabelsOptions {
  /** Measure against the video's clock and drop frames more than `maxLagMs` late. @default false */
  realtime?: boolean;
  /** With `realtime`, the most a frame may be late and still be labelled, in ms. @default 200 */
  maxLagMs?: number;
  /** Counts updated in place. @default undefined */
  stats?: LiveStats;
  /** Called with each dropped frame and how late it was (ms). A throw becomes a stream error. @default undefined */
  onDrop?: (frame: LiveFrame, lagMs: number) => void;
  /** The clock in ms (for tests). @default performance.now */
  now?: () => number;
  /** IxJS form only: cancels at once with `ERR_ABORTED`. @default undefined */
  signal?: AbortSignal;
}

/** `FrameLabelsOptions` after validation. */
export interface ResolvedFrameLabelsOptions {
  readonly realtime: boolean;
  readonly maxLagMs: number;
  readonly stats: LiveStats | undefined;
  readonly onDrop: ((frame: LiveFrame, lagMs: number) => void) | undefined;
  readonly now: () => number;
  readonly signal: AbortSignal | undefined;
}

/** Asserts a frame labeller. */
export function checkLabeler(path: string, labeler: unknown): FrameLabeler {
  const l = labeler as FrameLabeler;
  if (
    l === null ||
    typeof l !== 'object' ||
    l.model === undefined ||
    l.spec === undefined ||
    !Array.isArray(l.labels)
  ) {
    throw invalidArg(path, 'a frame labeller { model, spec, labels } (createFrameLabeler / loadFrameLabeler)', labeler);
  }
  return l;
}

/** Validates the options. @throws EddyError ERR_INVALID_ARG naming `options.<field>` */
export function resolveFrameLabelsOptions(
  options: FrameLabelsOptions | undefined,
  pull: boolean,
): ResolvedFrameLabelsOptions {
  const o = checkObject('options', options);
  const realtime = checkBool('options.realtime', o.realtime ?? false);
  const maxLagMs = checkNumber('options.maxLagMs', o.maxLagMs ?? 200, 0);
  const stats = o.stats;
  if (stats !== undefined && (stats === null || typeof stats !== 'object' || !Array.isArray(stats.recentLatenciesMs))) {
    throw invalidArg('options.stats', 'a LiveStats object (createLiveStats())', stats);
  }
  if (o.onDrop !== undefined && typeof o.onDrop !== 'function')
    throw invalidArg('options.onDrop', 'a function (frame, lagMs) => void', o.onDrop);
  if (o.now !== undefined && typeof o.now !== 'function')
    throw invalidArg('options.now', 'a function () => milliseconds', o.now);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', o.signal);
  if (o.signal !== undefined && !pull)
    throw invalidArg('options.signal', 'undefined (RxJS forms cancel by unsubscribing)', o.signal);
  return { realtime, maxLagMs, stats, onDrop: o.onDrop, now: o.now ?? (() => performance.now()), signal: o.signal };
}

/** One video's live labeller: state, features and clocks. */
export class FrameLabelCore {
  readonly labeler: FrameLabeler;
  readonly #o: ResolvedFrameLabelsOptions;
  #stepper: Stepper | null;
  #features: FrameFeatures;
  #probs: Float32Array; // [Y]
  #wall0 = NaN; // arrival of the first frame
  #time0 = 0; // its timeMs
  #lastIndex = -1;

  constructor(labeler: FrameLabeler, o: ResolvedFrameLabelsOptions) {
    this.labeler = labeler;
    this.#o = o;
    this.#stepper = new Stepper(labeler.model);
    this.#features = new FrameFeatures(labeler.spec);
    this.#probs = new Float32Array(labeler.labels.length);
  }

  /**
   * Labels one frame, or returns null when it is dropped (realtime, too late).
   * @throws EddyError ERR_SHAPE for a frame of another size than the labeller's; ERR_INVALID_ARG after `release`
   */
  process(frame: LiveFrame): FrameLabel | null {
    const st = this.#stepper;
    if (st === null) throw new EddyError('ERR_INVALID_ARG', 'The frame labeller was released (its subscription ended)');
    const o = this.#o;
    const arrival = o.now();
    const stats = o.stats;
    if (stats) {
      stats.received++;
      if (this.#lastIndex >= 0 && frame.index > this.#lastIndex + 1) stats.missing += frame.index - this.#lastIndex - 1;
    }
    this.#lastIndex = frame.index;
    let since = arrival;
    if (o.realtime) {
      if (Number.isNaN(this.#wall0)) {
        this.#wall0 = arrival;
        this.#time0 = frame.timeMs;
      }
      const due = this.#wall0 + (frame.timeMs - this.#time0);
      const lag = arrival - due;
      if (lag > o.maxLagMs) {
        if (stats) stats.dropped++;
        o.onDrop?.(frame, lag);
        return null;
      }
      if (due < arrival) since = due;
    }
    const x = this.#features.extract(frame); // checks the size first
    const y = st.step(x); // [Y] logits
    const Y = this.#probs.length;
    let max = -Infinity,
      best = 0;
    for (let k = 0; k < Y; k++)
      if (y[k] > max) {
        max = y[k];
        best = k;
      }
    let sum = 0;
    for (let k = 0; k < Y; k++) sum += this.#probs[k] = Math.exp(y[k] - max);
    const latencyMs = o.now() - since;
    if (stats) {
      stats.labeled++;
      stats.latencySumMs += latencyMs;
      if (latencyMs > stats.latencyMaxMs) stats.latencyMaxMs = latencyMs;
      if (stats.recentLatenciesMs.length >= RECENT) stats.recentLatenciesMs.shift();
      stats.recentLatenciesMs.push(latencyMs);
    }
    return {
      frameIndex: frame.index,
      timeMs: frame.timeMs,
      label: this.labeler.labels[best],
      labelIndex: best,
      confidence: 1 / sum,
      latencyMs,
    };
  }

  /** Drops the state; later frames throw. */
  release(): void {
    this.#stepper?.release();
    this.#stepper = null;
  }
}
