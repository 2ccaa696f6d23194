/**
 * One epoch of many-to-one training over variable-length sequences: shuffled mini-batches of similar lengths,
 * padded by `padBatch`, scored at each row's last real step (`manyToOneCrossEntropy`, or a class-weighted loss),
 * clipped and stepped by an optimizer over the model's flat buffers.
 *
 * 1. The order is a shuffle (from `options.rng`) cut into pools of 50 batches; each pool is sorted by length and cut
 *    into batches, and the batches are shuffled: little padding, still a random order.
 * 2. `batchSize: 1` is plain one-sequence-at-a-time SGD (the PyTorch tutorial's classifier).
 * 3. Extra parameters (a `CategoryStates` table) are not involved here: the model's initial state is zero.
 * 4. The forward runs in training mode: a model with dropout draws its masks from `options.rng` (no draw without).
 * 5. A `BidirectionalClassifier` gets each batch's lengths and returns logits `[B, K]`, scored with the loss as a
 *    window of one step (`{ T: 1, B, Y: K }`, one label per row).
 *
 * @example
 * const rng = new Rng(1);
 * for (let e = 0; e < 10; e++) trainClassifierEpoch(model, train, { optimizer, batchSize: 64, rng });
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { BidirectionalClassifier } from '../model/bidirectionalClassifier.ts';
import type { Optimizer } from './optimizer.ts';
import { clipGradNorm } from './clip.ts';
import { manyToOneCrossEntropy, type SequenceLoss } from './losses.ts';
import { padBatch } from './padBatch.ts';
import { checkFiniteLoss } from './checkFinite.ts';
import { invalidArg } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { checkInt, checkNumber } from '../util/validate.ts';

/** Labelled sequences for a classifier. */
export interface ClassifierData {
  /** `[N]` id sequences (each at least one id). */
  readonly seqs: readonly Int32Array[];
  /** `[N]` class ids. */
  readonly labels: Int32Array;
}

/** Options of `trainClassifierEpoch`. */
export interface TrainClassifierEpochOptions {
  /** Updates the model's parameters. Required. */
  optimizer: Optimizer;
  /** Random order of the examples. Required. */
  rng: Rng;
  /** Sequences per batch. @default 64 */
  batchSize?: number;
  /** The loss. @default manyToOneCrossEntropy */
  loss?: SequenceLoss;
  /** Gradient-norm clip; 0 for none. @default 5 */
  clip?: number;
  /** Called after each batch with the batches done, their number and the batch loss. @default undefined */
  onBatch?: (done: number, total: number, loss: number) => void;
}

/** Batches of indices of similar lengths, in a random order. */
export function lengthBatches(seqs: readonly Int32Array[], batchSize: number, rng: Rng): number[][] {
  const order = seqs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const batches: number[][] = [];
  const pool = batchSize * 50;
  for (let p = 0; p < order.length; p += pool) {
    const chunk = order.slice(p, p + pool).sort((a, b) => seqs[a].length - seqs[b].length);
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
  }
  for (let i = batches.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [batches[i], batches[j]] = [batches[j], batches[i]];
  }
  return batches;
}

/**
 * Trains one pass over `data`.
 * @returns the mean batch loss
 * @throws EddyError ERR_INVALID_ARG naming an option; ERR_NON_FINITE for a NaN loss (with the batch number)
 */
export function trainClassifierEpoch(
  model: RNNModel | BidirectionalClassifier,
  data: ClassifierData,
  options: TrainClassifierEpochOptions,
): number {
  if (!options || typeof options.optimizer?.step !== 'function')
    throw invalidArg('options.optimizer', 'an Optimizer', options?.optimizer);
  const batchSize = checkInt('options.batchSize', options.batchSize ?? 64, 1);
  const clip = checkNumber('options.clip', options.clip ?? 5, 0);
  const loss = options.loss ?? manyToOneCrossEntropy;
  const K = model.config.outputSize;
  if (K < 2) throw invalidArg('model.config.outputSize', 'at least 2 classes (a head)', K);
  const batches = lengthBatches(data.seqs, batchSize, options.rng);
  let sum = 0;
  for (let n = 0; n < batches.length; n++) {
    const idx = batches[n];
    const batch = padBatch(
      idx.map((i) => data.seqs[i]),
      { labels: idx.map((i) => data.labels[i]) },
    );
    const { T, B } = batch;
    if (model instanceof BidirectionalClassifier) {
      const { logits, pass } = model.forward(batch.ids, {
        T,
        B,
        lengths: batch.lengths,
        training: true,
        rng: options.rng,
      });
      const dl = new Float32Array(logits.length);
      const r = loss(
        dl,
        logits,
        Int32Array.from(idx, (i) => data.labels[i]),
        { T: 1, B, Y: K },
      );
      checkFiniteLoss(r.loss, n);
      model.backward(pass, dl);
      if (clip > 0) clipGradNorm(model.grads, clip);
      options.optimizer.step(model.params, model.grads);
      model.zeroGrads();
      sum += r.loss;
      options.onBatch?.(n + 1, batches.length, r.loss);
      continue;
    }
    // training: dropout (if the model has any) draws its masks from the same rng
    const { y, workspace } = model.forward(batch.ids, { T, B, checkFinite: false, training: true, rng: options.rng });
    const dy = new Float32Array(y.length);
    const r = loss(dy, y, batch.targets as Int32Array, { T, B, Y: K });
    checkFiniteLoss(r.loss, n);
    model.backward(workspace, dy);
    if (clip > 0) clipGradNorm(model.grads, clip);
    options.optimizer.step(model.params, model.grads);
    model.zeroGrads();
    sum += r.loss;
    options.onBatch?.(n + 1, batches.length, r.loss);
  }
  return batches.length > 0 ? sum / batches.length : 0;
}
