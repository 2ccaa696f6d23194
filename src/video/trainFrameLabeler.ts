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
 * With `options.checkpoint` either trainer writes an atomic checkpoint after every full epoch
 * (`framesCheckpoint.ts`) and, when the file exists at the start, continues from it: the weights and losses at
 * the end are those of the uninterrupted run (`options.epochs` may grow between the runs; the other settings
 * and the clips must be the same).
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
import { clipsChecksum, loadFramesCheckpoint, saveFramesCheckpoint } from './framesCheckpoint.ts';

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
  /**
   * A checkpoint file, written atomically after every full epoch; when it exists at the start (and `resume` is
   * on) the run continues from it. @default none
   */
  checkpoint?: string;
  /** Continue from an existing `checkpoint`; false starts afresh and overwrites it. @default true */
  resume?: boolean;
}

/** What a training run returns. */
export interface TrainFramesResult {
  /** Mean training loss of every epoch (nats per frame). */
  readonly losses: number[];
  /** Updates done. */
  readonly updates: number;
  /** Frames trained on (counted once per epoch). */
  readonly frames: number;
  /** Seconds of this call (a resumed run's earlier epochs not counted). */
  readonly seconds: number;
  /** Epochs read from `options.checkpoint` (0: a new run). */
  readonly resumedEpochs: number;
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
  checkpoint: string | null;
  resume: boolean;
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
  if (o.checkpoint !== undefined && (typeof o.checkpoint !== 'string' || o.checkpoint === ''))
    throw invalidArg('options.checkpoint', 'a file path', o.checkpoint);
  if (o.resume !== undefined && typeof o.resume !== 'boolean')
    throw invalidArg('options.resume', 'a boolean', o.resume);
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
    checkpoint: o.checkpoint ?? null,
    resume: o.resume ?? true,
  };
}

/** Epoch `e`'s joined streams, drawn with the joins' RNG (one per run, carried across a resume). */
function epochStreams(clips: readonly LabeledClip[], spec: FrameFeatureSpec, r: Resolved, rng: Rng): JoinedStreams {
  return joinClips(clips, spec, { length: r.perStream, streams: r.B, minSegment: r.minSegment, rng });
}

/** The settings a checkpoint records and a resume must match (not `epochs`: a run may be extended). */
function runSettings(
  r: Resolved,
  clips: readonly LabeledClip[],
  model: Record<string, string | number>,
): Record<string, string | number> {
  const { perStream, B, k1, lr, clipNorm, minSegment, seed } = r;
  return { perStream, B, k1, lr, clipNorm, minSegment, seed, clips: clipsChecksum(clips), ...model };
}

/** The checkpoint's epochs must not exceed the run's. */
function checkEpochs(r: Resolved, done: number): void {
  if (done > r.epochs)
    throw invalidArg('options.epochs', `at least ${done} (the epochs ${r.checkpoint} holds)`, r.epochs);
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
  const model = labeler.model;
  const trainer = new Trainer(model, {
    optimizer: { name: 'adam', lr: r.lr },
    k1: r.k1,
    clipNorm: r.clipNorm,
    loss: 'crossEntropy',
  });
  const joins = new Rng(r.seed);
  const losses: number[] = [];
  let frames = 0;
  let epoch = 0;
  const settings =
    r.checkpoint === null
      ? {}
      : runSettings(r, clips, { model: JSON.stringify(model.config), features: JSON.stringify(labeler.spec) });
  const saved =
    r.checkpoint !== null && r.resume
      ? loadFramesCheckpoint(r.checkpoint, 'recurrent', settings, model.params.length)
      : null;
  if (saved !== null) {
    checkEpochs(r, saved.epoch);
    new Rng(1).setState(saved.joins); // checked before the trainer changes
    trainer.setState({
      step: saved.updates,
      cursor: saved.cursor,
      carried: null, // an epoch's first window starts from zeros
      optimizer: saved.optimizer,
      rng: saved.rng,
    }); // validates before anything changes
    joins.setState(saved.joins);
    model.params.set(saved.params);
    losses.push(...saved.losses);
    frames = saved.frames;
    epoch = saved.epoch;
  }
  const resumedEpochs = epoch;
  for (; epoch < r.epochs && !r.signal?.aborted; epoch++) {
    const s = epochStreams(clips, labeler.spec, r, joins);
    let sum = 0,
      n = 0,
      full = true;
    for (const w of sequenceWindows({ x: s.x, targets: s.targets, N: s.N, B: s.B }, { k1: r.k1 })) {
      if (r.signal?.aborted) {
        full = false;
        break;
      }
      const e = trainer.update(w);
      sum += e.loss * e.tokens;
      n += e.tokens;
    }
    frames += n;
    losses.push(n > 0 ? sum / n : NaN);
    if (full && r.checkpoint !== null) {
      const t = trainer.getState();
      saveFramesCheckpoint(r.checkpoint, model.params, {
        kind: 'recurrent',
        settings,
        epoch: epoch + 1,
        losses,
        frames,
        updates: t.step,
        joins: joins.getState(),
        rng: t.rng,
        cursor: t.cursor,
        optimizer: t.optimizer,
      });
    }
    r.onEpoch?.(epoch, losses[losses.length - 1]);
  }
  return { losses, updates: trainer.step, frames, seconds: (performance.now() - t0) / 1000, resumedEpochs };
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
  const joins = new Rng(r.seed);
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
  const { inputSize, hiddenSize, outputSize } = classifier;
  const settings =
    r.checkpoint === null
      ? {}
      : runSettings(r, clips, { inputSize, hiddenSize, outputSize, features: JSON.stringify(spec) });
  const saved =
    r.checkpoint !== null && r.resume
      ? loadFramesCheckpoint(r.checkpoint, 'per-frame', settings, classifier.params.length)
      : null;
  if (saved !== null) {
    checkEpochs(r, saved.epoch);
    const before = opt.getState();
    try {
      opt.setState(saved.optimizer);
      joins.setState(saved.joins);
      shuffle.setState(saved.rng);
    } catch (err) {
      opt.setState(before);
      throw err;
    }
    classifier.params.set(saved.params);
    losses.push(...saved.losses);
    frames = saved.frames;
    updates = saved.updates;
    epoch = saved.epoch;
  }
  const resumedEpochs = epoch;
  for (; epoch < r.epochs && !r.signal?.aborted; epoch++) {
    const s = epochStreams(clips, spec, r, joins);
    const total = s.N * s.B;
    const order = Int32Array.from({ length: total }, (_, i) => i);
    for (let i = total - 1; i > 0; i--) {
      const j = shuffle.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let sum = 0,
      n = 0,
      full = true;
    for (let start = 0; start + M <= total; start += M) {
      if (r.signal?.aborted) {
        full = false;
        break;
      }
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
    if (full && r.checkpoint !== null)
      saveFramesCheckpoint(r.checkpoint, classifier.params, {
        kind: 'per-frame',
        settings,
        epoch: epoch + 1,
        losses,
        frames,
        updates,
        joins: joins.getState(),
        rng: shuffle.getState(),
        cursor: 0,
        optimizer: opt.getState(),
      });
    r.onEpoch?.(epoch, losses[losses.length - 1]);
  }
  return { losses, updates, frames, seconds: (performance.now() - t0) / 1000, resumedEpochs };
}
