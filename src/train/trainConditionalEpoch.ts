/**
 * One epoch of conditional sequence generation training (one-to-many): a category's learned initial state
 * (`CategoryStates`) starts the model, which reads `[start, c1, ..., cn]` and learns to emit `[c1, ..., cn, stop]`
 * (teacher forcing); the gradient of the initial state trains the category table.
 *
 * ```
 * table[lang] ─► h0 ─► step(start) ─► step(c1) ─► ... ─► step(cn)
 *                        │ c1          │ c2               │ stop      targets; padding: -1 (not counted)
 * ```
 * 1. Id 0 is both the start input and the stop target (`CharAlphabet` reserves it); batches of similar lengths are
 *    padded with `padBatch` (inputs with 0, targets with -1) and scored by `sequenceCrossEntropy`.
 * 2. `conditionalNll` gives the mean nats per predicted character (the stop included) on held-out sequences.
 *
 * @example
 * trainConditionalEpoch(model, table, { seqs, labels: langs }, { optimizer, tableOptimizer, rng });
 * generate(model, { prime: 0, initialState: table.stateOf(lang), stopToken: 0 });
 */
import type { CategoryStates } from '../model/categoryStates.ts';
import type { RNNModel } from '../model/rnnModel.ts';
import { clipGradNorm } from './clip.ts';
import { checkFiniteLoss } from './checkFinite.ts';
import { sequenceCrossEntropy } from './losses.ts';
import type { Optimizer } from './optimizer.ts';
import { padBatch } from './padBatch.ts';
import { invalidArg } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { checkInt } from '../util/validate.ts';
import { type ClassifierData, lengthBatches } from './trainClassifierEpoch.ts';

/** Options of `trainConditionalEpoch`. */
export interface TrainConditionalEpochOptions {
  /** Updates the model. Required. */
  optimizer: Optimizer;
  /** Updates the category table. Required. */
  tableOptimizer: Optimizer;
  /** Random order. Required. */
  rng: Rng;
  /** Sequences per batch. @default 32 */
  batchSize?: number;
  /** Gradient-norm clip of the model's gradients; 0 for none. @default 5 */
  clip?: number;
  /** Called after each batch. @default undefined */
  onBatch?: (done: number, total: number, loss: number) => void;
}

/** `[start, c1..cn]` inputs and `[c1..cn, stop]` targets of a batch, padded. */
function teacherBatch(seqs: readonly Int32Array[]): { ids: Int32Array; targets: Int32Array; T: number; B: number } {
  const inputs = seqs.map((s) => {
    const x = new Int32Array(s.length + 1);
    x.set(s, 1);
    return x;
  });
  const outs = seqs.map((s) => {
    const y = new Int32Array(s.length + 1);
    y.set(s, 0);
    return y;
  });
  const a = padBatch(inputs, { padId: 0 });
  const b = padBatch(outs, { padId: -1 });
  return { ids: a.ids, targets: b.ids, T: a.T, B: a.B };
}

function checkData(model: RNNModel, table: CategoryStates, data: ClassifierData): void {
  if (model.config.outputSize !== model.config.inputSize || model.config.input === 'dense')
    throw invalidArg('model', 'a token model with outputSize === inputSize (ids fed back)', model.config.outputSize);
  if (table.hidden !== model.config.hiddenSize || table.layers !== model.config.numLayers)
    throw invalidArg(
      'table',
      `CategoryStates of [L=${model.config.numLayers}, H=${model.config.hiddenSize}]`,
      table.hidden,
    );
  if (data.seqs.length !== data.labels.length)
    throw invalidArg('data.labels', `${data.seqs.length} categories`, data.labels);
}

/**
 * Trains one pass. `data.labels` are the categories.
 * @returns the mean batch loss (nats per predicted character)
 */
export function trainConditionalEpoch(
  model: RNNModel,
  table: CategoryStates,
  data: ClassifierData,
  options: TrainConditionalEpochOptions,
): number {
  checkData(model, table, data);
  const batchSize = checkInt('options.batchSize', options.batchSize ?? 32, 1);
  const clip = options.clip ?? 5;
  const V = model.config.outputSize;
  const batches = lengthBatches(data.seqs, batchSize, options.rng);
  let sum = 0;
  for (let n = 0; n < batches.length; n++) {
    const idx = batches[n];
    const cats = idx.map((i) => data.labels[i]);
    const { ids, targets, T, B } = teacherBatch(idx.map((i) => data.seqs[i]));
    const { y, workspace } = model.forward(ids, { T, B, state: table.gather(cats), checkFinite: false });
    const dy = new Float32Array(y.length);
    const r = sequenceCrossEntropy(dy, y, targets, { T, B, Y: V });
    checkFiniteLoss(r.loss, n);
    table.backward(model.backward(workspace, dy), cats);
    if (clip > 0) clipGradNorm(model.grads, clip);
    options.optimizer.step(model.params, model.grads);
    options.tableOptimizer.step(table.params, table.grads);
    model.zeroGrads();
    table.zeroGrads();
    sum += r.loss;
    options.onBatch?.(n + 1, batches.length, r.loss);
  }
  return batches.length > 0 ? sum / batches.length : 0;
}

/**
 * Mean negative log-likelihood per predicted character (each name's characters and its stop) of held-out sequences
 * under their categories.
 * @returns `{ nats, chars }`: nats per character and the characters counted
 */
export function conditionalNll(
  model: RNNModel,
  table: CategoryStates,
  data: ClassifierData,
  batchSize = 256,
): { nats: number; chars: number } {
  checkData(model, table, data);
  const V = model.config.outputSize;
  const order = data.seqs.map((_, i) => i).sort((a, b) => data.seqs[a].length - data.seqs[b].length);
  let sum = 0;
  let count = 0;
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    const { ids, targets, T, B } = teacherBatch(idx.map((i) => data.seqs[i]));
    const state = table.gather(idx.map((i) => data.labels[i]));
    const { y } = model.forward(ids, { T, B, state, checkFinite: false });
    const r = sequenceCrossEntropy(null, y, targets, { T, B, Y: V, reduction: 'sum' });
    sum += r.sum;
    count += r.count;
  }
  return { nats: count > 0 ? sum / count : 0, chars: count };
}
