/**
 * Training and evaluation pieces of the multi-object task (`ramSequence.ts`): a batch of canvases with 2-3 digits
 * drawn from a seeded generator, one update of the sequence loss, and the test metrics.
 *
 * @example
 * const task = ramSequenceTask({ minDigits: 2, maxDigits: 3 });
 * const model = RamModel.create({ glimpses: task.glimpses, classes: RAM_SEQUENCE_CLASSES, scales: 3 });
 * const sws = createRamSequenceWorkspace(model, 64, task.labels);
 * drawRamSequenceBatch(images, labels, trainSet, rng, task);
 * ramSequenceTrainStep(model, sws, images, labels, task, optimizer, 'sample', rng);
 * ramSequenceEvaluate(model, testSet, task, { count: 10000 }); // { sequenceError, digitError, ... }
 */
import { releaseRamSequenceWorkspace } from './releaseRamWorkspace.ts';
import { drawMultiMnist } from '../sources/multiMnist.ts';
import type { MnistSet } from '../sources/mnist.ts';
import { clipGradNorm } from '../train/clip.ts';
import type { Optimizer } from '../train/optimizer.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import type { RamModel } from './ramModel.ts';
import {
  RAM_STOP,
  createRamSequenceWorkspace,
  ramSequenceBackward,
  ramSequenceForward,
  type RamSequenceLoss,
  type RamSequencePolicy,
  type RamSequenceTask,
  type RamSequenceWorkspace,
} from './ramSequence.ts';

/**
 * Draws B canvases of `task` from `set` with `rng`: each holds a uniformly random number of digits in
 * [minDigits, maxDigits] (`drawMultiMnist`).
 * @param images `// [B, height, width]` overwritten
 * @param labels `// [B, J]` overwritten: the digits left to right, `RAM_STOP`, then -1
 */
export function drawRamSequenceBatch(
  images: Float32Array,
  labels: Int32Array,
  set: MnistSet,
  rng: Rng,
  task: RamSequenceTask,
): void {
  const { height: H, width: W, labels: J } = task;
  const B = labels.length / J;
  if (!Number.isInteger(B) || images.length < B * H * W)
    throw invalidArg('images', `[B, ${H}, ${W}] for labels [B, ${J}]`, `${images.length} and ${labels.length} values`);
  for (let b = 0; b < B; b++) {
    const n = task.minDigits + rng.int(task.maxDigits - task.minDigits + 1);
    const s = drawMultiMnist(images.subarray(b * H * W, (b + 1) * H * W), set, rng, H, W, n);
    for (let j = 0; j < J; j++) labels[b * J + j] = j < n ? s.labels[j] : j === n ? RAM_STOP : -1;
  }
}

/**
 * One update: zero the gradients, a sequence episode with `policy`, the backward, clip to `maxNorm`, one step.
 * @throws {EddyError} ERR_NON_FINITE when the loss is not finite
 */
export function ramSequenceTrainStep(
  model: RamModel,
  sws: RamSequenceWorkspace,
  images: Float32Array,
  labels: Int32Array,
  task: RamSequenceTask,
  optimizer: Optimizer,
  policy: 'sample' | 'raster',
  rng: Rng,
  maxNorm = 5,
): RamSequenceLoss {
  model.zeroGrads();
  ramSequenceForward(model, sws, images, task.height, task.width, policy, rng);
  const loss = ramSequenceBackward(model, sws, labels);
  const total = loss.ce + loss.reinforce + loss.baseline;
  if (!Number.isFinite(total))
    throw new EddyError(
      'ERR_NON_FINITE',
      `the RAM sequence loss is not finite (${total}) at update ${optimizer.getState().step + 1}`,
    );
  clipGradNorm(model.grads, maxNorm);
  optimizer.step(model.params, model.grads);
  return loss;
}

/** Options of `ramSequenceEvaluate`. */
export interface RamSequenceEvaluateOptions {
  /** Canvases drawn. @default 10000 */
  count?: number;
  /** Seed of the generator (2014: the test canvases of the README). @default 2014 */
  seed?: number;
  /** `'mean'` (the learned policy) or `'raster'` (fixed patches). @default 'mean' */
  policy?: 'mean' | 'raster';
  /** Canvases per forward. @default 100 */
  batch?: number;
}

/** Test metrics of a sequence model. */
export interface RamSequenceEvaluation {
  /** Canvases whose digits and stop were not all right, in [0, 1]. */
  sequenceError: number;
  /** Digits (position j of a canvas with more than j digits) answered wrong, in [0, 1]. */
  digitError: number;
  count: number;
  correctSequences: number;
  digits: number;
  correctDigits: number;
}

/** Reads `count` canvases of `task` drawn from `set` with `Rng(seed)`, without gradients. */
export function ramSequenceEvaluate(
  model: RamModel,
  set: MnistSet,
  task: RamSequenceTask,
  options?: RamSequenceEvaluateOptions,
): RamSequenceEvaluation {
  const o = checkObject('options', options);
  const count = checkInt('options.count', o.count ?? 10000, 1);
  const seed = checkInt('options.seed', o.seed ?? 2014, 0, 0xffffffff);
  const policy: RamSequencePolicy = checkOneOf('options.policy', o.policy ?? 'mean', ['mean', 'raster'] as const);
  const batch = checkInt('options.batch', o.batch ?? 100, 1);
  if (model.config.glimpses !== task.glimpses)
    throw invalidArg('model.config.glimpses', `${task.glimpses} (the task's J·K)`, model.config.glimpses);
  const data = new Rng(seed);
  const { height: H, width: W, labels: J } = task;
  const Y = model.config.classes;
  let sws = createRamSequenceWorkspace(model, Math.min(batch, count), J);
  const images = new Float32Array(sws.ws.B * H * W); // [B, H, W]
  const labels = new Int32Array(sws.ws.B * J); // [B, J]
  let correctSequences = 0;
  let digits = 0;
  let correctDigits = 0;
  for (let done = 0; done < count; ) {
    const B = Math.min(batch, count - done);
    if (B !== sws.ws.B) {
      releaseRamSequenceWorkspace(model, sws);
      sws = createRamSequenceWorkspace(model, B, J); // the last, shorter batch
    }
    const lab = labels.subarray(0, B * J);
    drawRamSequenceBatch(images, lab, set, data, task);
    const logits = ramSequenceForward(model, sws, images, H, W, policy, null);
    for (let b = 0; b < B; b++) {
      let all = true;
      for (let j = 0; j < J; j++) {
        const y = lab[b * J + j];
        if (y < 0) break;
        let best = 0;
        for (let k = 1; k < Y; k++) if (logits[(j * B + b) * Y + k] > logits[(j * B + b) * Y + best]) best = k;
        if (best !== y) all = false;
        if (y !== RAM_STOP) {
          digits++;
          if (best === y) correctDigits++;
        }
      }
      if (all) correctSequences++;
    }
    done += B;
  }
  releaseRamSequenceWorkspace(model, sws);
  return {
    sequenceError: 1 - correctSequences / count,
    digitError: 1 - correctDigits / digits,
    count,
    correctSequences,
    digits,
    correctDigits,
  };
}
