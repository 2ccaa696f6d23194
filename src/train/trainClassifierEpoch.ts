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
 * 6. `distill` (knowledge distillation): the batch loss becomes `(1 - w) · loss + w · soft`, soft being
 *    `softTargetCrossEntropy` of each row's last-step logits against a teacher's probabilities for that example,
 *    averaged over the rows.
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
import { softTargetCrossEntropy } from './softTargetCrossEntropy.ts';
import { describe, invalidArg, shapeError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';

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
  /** Knowledge distillation: a teacher's soft targets mixed into the loss. @default undefined (none) */
  distill?: Distillation;
}

/** A teacher's soft targets for `trainClassifierEpoch` (Hinton et al. 2015). */
export interface Distillation {
  /**
   * `[N, K]` the teacher's probabilities for each example of the data, in its order, already at the temperature
   * (`softenProbabilities(classifyEnsemble(teacher, data.seqs).probs, K, temperature)`). Required.
   */
  readonly probs: Float32Array;
  /** The soft loss's share w in [0, 1]: `(1 - w) · hard + w · soft`. Required. */
  readonly weight: number;
  /** The temperature T > 0 of the student's softmax in the soft loss (the soft term is scaled by T²). @default 1 */
  readonly temperature?: number;
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
  const distill = options.distill === undefined ? null : checkDistillation(options.distill, data.seqs.length, K);
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
      const l = distill ? mixSoftLoss(distill, r.loss, dl, logits, idx, K, null) : r.loss;
      checkFiniteLoss(l, n);
      model.backward(pass, dl);
      if (clip > 0) clipGradNorm(model.grads, clip);
      options.optimizer.step(model.params, model.grads);
      model.zeroGrads();
      sum += l;
      options.onBatch?.(n + 1, batches.length, l);
      continue;
    }
    // training: dropout (if the model has any) draws its masks from the same rng
    const { y, workspace } = model.forward(batch.ids, { T, B, checkFinite: false, training: true, rng: options.rng });
    const dy = new Float32Array(y.length);
    const r = loss(dy, y, batch.targets as Int32Array, { T, B, Y: K });
    const l = distill ? mixSoftLoss(distill, r.loss, dy, y, idx, K, batch.lengths) : r.loss;
    checkFiniteLoss(l, n);
    model.backward(workspace, dy);
    if (clip > 0) clipGradNorm(model.grads, clip);
    options.optimizer.step(model.params, model.grads);
    model.zeroGrads();
    sum += l;
    options.onBatch?.(n + 1, batches.length, l);
  }
  return batches.length > 0 ? sum / batches.length : 0;
}

interface CheckedDistillation {
  probs: Float32Array;
  weight: number;
  temperature: number;
}

function checkDistillation(d: Distillation, N: number, K: number): CheckedDistillation {
  checkObject('options.distill', d);
  if (!(d.probs instanceof Float32Array) || d.probs.length !== N * K)
    throw shapeError('options.distill.probs', `Float32Array of length ${N * K} ([N=${N}, K=${K}])`, describe(d.probs));
  return {
    probs: d.probs,
    weight: checkNumber('options.distill.weight', d.weight, 0, 1),
    temperature: checkNumber('options.distill.temperature', d.temperature ?? 1, 0, Infinity, { min: true }),
  };
}

/**
 * Mixes the soft loss into a batch's gradient: `dy` (the hard loss's, `[T, B, K]` or `[B, K]`) becomes
 * `(1 - w) dy + w dsoft` at each row's last step (`lengths`; null: logits `[B, K]`). Returns the mixed loss.
 */
function mixSoftLoss(
  d: CheckedDistillation,
  hard: number,
  dy: Float32Array,
  y: Float32Array,
  idx: readonly number[],
  K: number,
  lengths: Int32Array | null,
): number {
  const B = idx.length;
  const z = new Float32Array(B * K); // [B, K] each row's scored logits
  const p = new Float32Array(B * K);
  const at = (b: number): number => (lengths === null ? b * K : ((lengths[b] - 1) * B + b) * K);
  for (let b = 0; b < B; b++) {
    z.set(y.subarray(at(b), at(b) + K), b * K);
    p.set(d.probs.subarray(idx[b] * K, idx[b] * K + K), b * K);
  }
  const dz = new Float32Array(B * K);
  const soft = softTargetCrossEntropy(dz, z, p, B, K, d.temperature, 1 / B);
  const w = d.weight;
  for (let i = 0; i < dy.length; i++) dy[i] *= 1 - w;
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) dy[at(b) + k] += w * dz[b * K + k];
  return (1 - w) * hard + w * soft;
}
