/**
 * Training a frame labeller, and its per-frame baseline on exactly the same frames.
 *
 * Recurrent (`trainFrameLabeler`), per epoch:
 * 1. join the clips at random offsets into B continuous streams of N frames (`joinClips`: random clip, random
 *    start, random length; no reset at the joins, so the position in a clip gives nothing away);
 * 2. cut them into truncated-BPTT windows of k1 frames (`sequenceWindows`, partial last window dropped);
 * 3. one `Trainer.update` per window: per-frame cross-entropy, Adam, clipping; the state is carried from
 *    window to window (and the gradient cut at the window edges); window 0 of an epoch starts from zeros.
 *
 * Per-frame (`trainPerFrame`): the same streams (same seed, so the very same frames and features), shuffled,
 * in minibatches of k1·B frames (as many frames per update as a recurrent window), same optimizer and clipping.
 *
 * @example
 * const labeler = createFrameLabeler({ labels: ['silent', 'speaking'], width: 32, height: 32 });
 * trainFrameLabeler(labeler, clips, { epochs: 20, seed: 1 });
 */
import { clipGradNorm } from '../train/clip.ts';
import { sequenceWindows } from '../train/charRnnBatches.ts';
import { createOptimizer } from '../train/createOptimizer.ts';
import { Trainer } from '../train/trainer.ts';
import { softmaxCrossEntropy } from '../tensor/softmax.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';
import type { FrameFeatureSpec } from './frameFeatures.ts';
import type { FrameLabeler } from './frameLabeler.ts';
import { checkClips, joinClips, type JoinedStreams, type LabeledClip } from './joinClips.ts';
import type { PerFrameClassifier } from './perFrameClassifier.ts';

/** Options of `trainFrameLabeler` and `trainPerFrame`. */
export interface TrainFramesOptions {
  /** Passes over freshly joined streams. @default 20 */
  epochs?: number;
  /** Frames per epoch, over all streams. @default 2 × the frames of all clips */
  framesPerEpoch?: number;
  /** B: streams trained in parallel. @default 8 */
  streams?: number;
  /** k1: frames per truncated-BPTT window (per-frame: minibatches of k1·B frames). @default 25 */
  window?: number;
  /** Adam's learning rate. @default 0.003 */
  lr?: number;
  /** Clip the gradient to this global norm. @default 5 */
  clipNorm?: number;
  /** Shortest segment cut from a clip when joining. @default 8 */
  minSegment?: number;
  /** Seed of the joins (the same seed gives both models the same frames). @default 0 */
  seed?: number;
  /** Called after every epoch with its mean training loss (nats per frame). @default none */
  onEpoch?: (epoch: number, loss: number) => void;
  /** Stops between two updates. @default none */
  signal?: AbortSignal;
}

/** What a training run returns. */
export interface TrainFramesResult {
  /** Mean training loss of every epoch (nats per frame). */
  readonly losses: number[];
  /** Updates done. */
  readonly updates: number;
  /** Frames trained on (counted once per epoch). */
  readonly frames: number;
  readonly seconds: number;
}

interface Resolved {
  epochs: number;
  perStream: number;
  B: number;
  k1: number;
  lr: number;
  clipNorm: number;
  minSegment: number;
  seed: number;
  onEpoch: ((epoch: number, loss: number) => void) | undefined;
  signal: AbortSignal | undefined;
}

function resolve(
  clips: readonly LabeledClip[],
  spec: FrameFeatureSpec,
  options: TrainFramesOptions | undefined,
): Resolved {
  checkClips(clips, spec);
  const o = checkObject('options', options);
  const epochs = checkInt('options.epochs', o.epochs ?? 20, 1);
  const B = checkInt('options.streams', o.streams ?? 8, 1);
  const k1 = checkInt('options.window', o.window ?? 25, 1);
  const total = clips.reduce((s, c) => s + c.T, 0);
  const framesPerEpoch = checkInt('options.framesPerEpoch', o.framesPerEpoch ?? 2 * total, 1);
  const perStream = Math.floor(framesPerEpoch / B / k1) * k1;
  if (perStream < k1)
    throw invalidArg(
      'options.framesPerEpoch',
      `integer >= ${k1 * B} (options.window × options.streams)`,
      framesPerEpoch,
    );
  if (o.onEpoch !== undefined && typeof o.onEpoch !== 'function')
    throw invalidArg('options.onEpoch', 'a function (epoch, loss) => void', o.onEpoch);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', o.signal);
  return {
    epochs,
    perStream,
    B,
    k1,
    lr: checkNumber('options.lr', o.lr ?? 0.003, 0, Infinity, { min: true }),
    clipNorm: checkNumber('options.clipNorm', o.clipNorm ?? 5, 0, Infinity, { min: true }),
    minSegment: checkInt('options.minSegment', o.minSegment ?? 8, 1),
    seed: checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff),
    onEpoch: o.onEpoch,
    signal: o.signal,
  };
}

function* epochStreams(clips: readonly LabeledClip[], spec: FrameFeatureSpec, r: Resolved): Generator<JoinedStreams> {
  const rng = new Rng(r.seed);
  for (let e = 0; e < r.epochs; e++) {
    if (r.signal?.aborted) return;
    yield joinClips(clips, spec, { length: r.perStream, streams: r.B, minSegment: r.minSegment, rng });
  }
}

/**
 * Trains the labeller's recurrent model with truncated BPTT over joined streams (see the file comment).
 * @throws EddyError ERR_INVALID_ARG / ERR_SHAPE naming `clips[i].<field>` or `options.<field>`; ERR_NON_FINITE
 */
export function trainFrameLabeler(
  labeler: FrameLabeler,
  clips: readonly LabeledClip[],
  options?: TrainFramesOptions,
): TrainFramesResult {
  const r = resolve(clips, labeler.spec, options);
  const t0 = performance.now();
  const trainer = new Trainer(labeler.model, {
    optimizer: { name: 'adam', lr: r.lr },
    k1: r.k1,
    clipNorm: r.clipNorm,
    loss: 'crossEntropy',
  });
  const losses: number[] = [];
  let frames = 0;
  let epoch = 0;
  for (const s of epochStreams(clips, labeler.spec, r)) {
    let sum = 0,
      n = 0;
    for (const w of sequenceWindows({ x: s.x, targets: s.targets, N: s.N, B: s.B }, { k1: r.k1 })) {
      if (r.signal?.aborted) break;
      const e = trainer.update(w);
      sum += e.loss * e.tokens;
      n += e.tokens;
    }
    frames += n;
    losses.push(n > 0 ? sum / n : NaN);
    r.onEpoch?.(epoch++, losses[losses.length - 1]);
  }
  return { losses, updates: trainer.step, frames, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Trains the per-frame baseline on the same joined streams as `trainFrameLabeler` with the same options (the
 * frames are shuffled into minibatches of k1·B; no state).
 * @throws EddyError as `trainFrameLabeler`
 */
export function trainPerFrame(
  classifier: PerFrameClassifier,
  spec: FrameFeatureSpec,
  clips: readonly LabeledClip[],
  options?: TrainFramesOptions,
): TrainFramesResult {
  const r = resolve(clips, spec, options);
  if (classifier.inputSize !== spec.size)
    throw invalidArg('classifier', `a classifier of inputSize ${spec.size} (the features' size)`, classifier.inputSize);
  const t0 = performance.now();
  const opt = createOptimizer({ name: 'adam', lr: r.lr, backend: classifier.backend });
  const shuffle = new Rng(r.seed ^ 0x5eed);
  const X = spec.size;
  const Y = classifier.outputSize;
  const M = r.k1 * r.B; // frames per minibatch
  const xb = new Float32Array(M * X); // [M, X]
  const tb = new Int32Array(M); // [M]
  const dy = new Float32Array(M * Y); // [M, Y]
  const losses: number[] = [];
  let frames = 0,
    updates = 0,
    epoch = 0;
  for (const s of epochStreams(clips, spec, r)) {
    const total = s.N * s.B;
    const order = Int32Array.from({ length: total }, (_, i) => i);
    for (let i = total - 1; i > 0; i--) {
      const j = shuffle.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let sum = 0,
      n = 0;
    for (let start = 0; start + M <= total; start += M) {
      if (r.signal?.aborted) break;
      for (let m = 0; m < M; m++) {
        const f = order[start + m];
        xb.set(s.x.subarray(f * X, (f + 1) * X), m * X);
        tb[m] = s.targets[f];
      }
      const y = classifier.forward(xb, M);
      const loss = softmaxCrossEntropy(dy, y, tb, M, Y, 1 / M, classifier.backend);
      if (!Number.isFinite(loss))
        throw new EddyError('ERR_NON_FINITE', `trainPerFrame: the loss is ${loss} at update ${updates}`);
      classifier.zeroGrads();
      classifier.backward(dy);
      clipGradNorm(classifier.grads, r.clipNorm);
      opt.step(classifier.params, classifier.grads);
      updates++;
      sum += loss;
      n += M;
    }
    frames += n;
    losses.push(n > 0 ? sum / n : NaN);
    r.onEpoch?.(epoch++, losses[losses.length - 1]);
  }
  return { losses, updates, frames, seconds: (performance.now() - t0) / 1000 };
}
