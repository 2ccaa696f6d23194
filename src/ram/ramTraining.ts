/**
 * Training pieces of the recurrent attention model: the three MNIST tasks of the paper, a batch drawn from a seeded
 * generator, and one update of the hybrid loss.
 *
 * @example
 * const task = ramTask('translated');
 * const images = new Float32Array(B * task.canvasSize ** 2), labels = new Int32Array(B);
 * drawRamBatch(images, labels, trainSet, rng, task);
 * const loss = ramTrainStep(model, ws, images, labels, task.canvasSize, optimizer, 'sample', rng);
 */
import { drawPlacedMnist } from '../sources/mnistGenerators.ts';
import type { MnistSet } from '../sources/mnist.ts';
import { clipGradNorm } from '../train/clip.ts';
import type { Optimizer } from '../train/optimizer.ts';
import { EddyError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { checkOneOf } from '../util/validate.ts';
import { ramBackward, ramForward, type RamLoss } from './ramEpisode.ts';
import type { RamPolicy, RamWorkspace } from './ramWorkspace.ts';
import type { RamModel } from './ramModel.ts';

/** The paper's MNIST tasks. */
export type RamTaskName = 'mnist' | 'translated' | 'cluttered';

/** The task names, for validation and help. */
export const RAM_TASK_NAMES: readonly RamTaskName[] = ['mnist', 'translated', 'cluttered'];

/** A task: the canvas and the clutter (as `drawPlacedMnist` takes them). */
export interface RamTask {
  name: RamTaskName;
  /** S: side of the square canvas. */
  canvasSize: number;
  /** Pieces of clutter. */
  clutter: number;
  /** Side of each piece. */
  clutterSize: number;
}

/** 28x28 MNIST; 60x60 translated; 60x60 cluttered with 4 pieces of 8x8 (Mnih et al. 2014). */
export function ramTask(name: RamTaskName): RamTask {
  const n = checkOneOf('task', name, RAM_TASK_NAMES);
  if (n === 'mnist') return { name: n, canvasSize: 28, clutter: 0, clutterSize: 8 };
  if (n === 'translated') return { name: n, canvasSize: 60, clutter: 0, clutterSize: 8 };
  return { name: n, canvasSize: 60, clutter: 4, clutterSize: 8 };
}

/**
 * Draws B samples of `task` from `set` with `rng` (the generator of `translatedMnist` / `clutteredMnist`).
 * @param images `// [B, S, S]` overwritten
 * @param labels `// [B]` overwritten
 */
export function drawRamBatch(images: Float32Array, labels: Int32Array, set: MnistSet, rng: Rng, task: RamTask): void {
  const S = task.canvasSize;
  for (let b = 0; b < labels.length; b++) {
    const out = images.subarray(b * S * S, (b + 1) * S * S);
    labels[b] = drawPlacedMnist(out, set, rng, S, task.clutter, task.clutterSize).label;
  }
}

/**
 * One update: zero the gradients, an episode with `policy`, the hybrid loss's backward, clip the gradient norm to
 * `maxNorm`, one optimizer step.
 * @param images `// [B, C, S, S]`
 * @param labels `// [B]`
 * @throws {EddyError} ERR_NON_FINITE when the loss is not finite
 */
export function ramTrainStep(
  model: RamModel,
  ws: RamWorkspace,
  images: Float32Array,
  labels: Int32Array,
  S: number,
  optimizer: Optimizer,
  policy: RamPolicy,
  rng: Rng,
  maxNorm = 5,
): RamLoss {
  model.zeroGrads();
  ramForward(model, ws, images, S, S, policy, rng);
  const loss = ramBackward(model, ws, labels);
  const total = loss.ce + loss.reinforce + loss.baseline;
  if (!Number.isFinite(total))
    throw new EddyError(
      'ERR_NON_FINITE',
      `the RAM loss is not finite (${total}) at update ${optimizer.getState().step + 1}`,
    );
  clipGradNorm(model.grads, maxNorm);
  optimizer.step(model.params, model.grads);
  return loss;
}
