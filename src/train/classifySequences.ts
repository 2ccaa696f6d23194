/**
 * Many-to-one inference over many sequences at once: batches of similar lengths through `model.forward`, and each
 * row's output read at its last real step (the padding after it does not reach that step). A
 * `BidirectionalClassifier` reads each row from both ends (its `forward` with the batch's lengths).
 *
 * @example
 * const { predictions, probs } = classifySequences(model, test.seqs);
 * confusionMatrix(test.labels, predictions, K);
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { BidirectionalClassifier } from '../model/bidirectionalClassifier.ts';
import { padBatch } from './padBatch.ts';
import { softmaxRows } from '../tensor/softmax.ts';
import { invalidArg } from '../util/errors.ts';
import { checkInt } from '../util/validate.ts';

/** What `classifySequences` returns. */
export interface Classified {
  /** `[N]` the most probable class of each sequence. */
  readonly predictions: Int32Array;
  /** `[N, K]` class probabilities (softmax of the last step's logits). */
  readonly probs: Float32Array;
}

/**
 * Classifies sequences by the model's output after their last step.
 * @param seqs `[N]` id sequences of at least one id
 * @param batchSize rows per forward. @default 256
 * @throws EddyError ERR_INVALID_ARG naming `seqs` or `batchSize`
 */
export function classifySequences(
  model: RNNModel | BidirectionalClassifier,
  seqs: readonly Int32Array[],
  batchSize = 256,
): Classified {
  if (!Array.isArray(seqs)) throw invalidArg('seqs', 'an array of id sequences', seqs);
  checkInt('batchSize', batchSize, 1);
  const K = model.config.outputSize;
  if (K < 1) throw invalidArg('model.config.outputSize', 'a head (outputSize > 0)', K);
  const N = seqs.length;
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
  const predictions = new Int32Array(N);
  const probs = new Float32Array(N * K);
  for (let s = 0; s < N; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    const batch = padBatch(idx.map((i) => seqs[i]));
    const bi = model instanceof BidirectionalClassifier;
    const y = bi
      ? model.forward(batch.ids, { T: batch.T, B: batch.B, lengths: batch.lengths }).logits
      : model.forward(batch.ids, { T: batch.T, B: batch.B, checkFinite: false }).y;
    for (let b = 0; b < idx.length; b++) {
      const o = bi ? b * K : ((batch.lengths[b] - 1) * batch.B + b) * K;
      softmaxRows(probs, idx[b] * K, y, o, 1, K);
      let best = 0;
      for (let k = 1; k < K; k++) if (probs[idx[b] * K + k] > probs[idx[b] * K + best]) best = k;
      predictions[idx[b]] = best;
    }
  }
  return { predictions, probs };
}
