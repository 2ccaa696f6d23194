/**
 * Test error of a recurrent attention model on a task drawn from a seeded generator (the MNIST test digits for the
 * paper's table): batches of `ramForward` with the policy's mean (or random glimpses for the ablation), no gradient.
 * With `samples` > 1 each image is read that many times, glimpses sampled from the policy (`'sample'`) or drawn at
 * random, and the class probabilities averaged: Monte Carlo averaging over the stochastic policy, an ensemble of
 * episodes at `samples` times the cost (common RAM implementations test that way; the paper's table says nothing).
 *
 * @example
 * const { error } = ramEvaluate(model, testSet, ramTask('translated'), { count: 10000, seed: 2014 });
 */
import { releaseRamWorkspace } from './releaseRamWorkspace.ts';
import type { MnistSet } from '../sources/mnist.ts';
import { Rng } from '../util/rng.ts';
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { softmaxRows } from '../tensor/softmax.ts';
import { ramForward } from './ramEpisode.ts';
import type { RamModel } from './ramModel.ts';
import { drawRamBatch, type RamTask } from './ramTraining.ts';
import { createRamWorkspace } from './ramWorkspace.ts';

/** Options of `ramEvaluate`. */
export interface RamEvaluateOptions {
  /** Samples drawn. @default 10000 */
  count?: number;
  /** Seed of the generator (and of random glimpses). @default 2014 */
  seed?: number;
  /**
   * `'mean'` (the learned policy's mean location, deterministic), `'sample'` (locations sampled from the learned
   * policy, `clamp(mu + std·N(0, 1), -1, 1)`) or `'random'` glimpses. @default 'mean'
   */
  policy?: 'mean' | 'sample' | 'random';
  /** Episodes per image whose class probabilities are averaged (more than 1: not with `'mean'`). @default 1 */
  samples?: number;
  /** Samples per forward. @default 100 */
  batch?: number;
}

/** The result: error rate in [0, 1], correct answers and samples. */
export interface RamEvaluation {
  error: number;
  correct: number;
  count: number;
}

/** Classifies `count` samples of `task` drawn from `set` with `Rng(seed)`. */
export function ramEvaluate(
  model: RamModel,
  set: MnistSet,
  task: RamTask,
  options?: RamEvaluateOptions,
): RamEvaluation {
  const o = checkObject('options', options);
  const count = checkInt('options.count', o.count ?? 10000, 1);
  const seed = checkInt('options.seed', o.seed ?? 2014, 0, 0xffffffff);
  const policy = checkOneOf('options.policy', o.policy ?? 'mean', ['mean', 'sample', 'random'] as const);
  const samples = checkInt('options.samples', o.samples ?? 1, 1, 1000);
  if (samples > 1 && policy === 'mean')
    throw invalidArg(
      'options.samples',
      "1 with policy 'mean' (deterministic; average with 'sample' or 'random')",
      samples,
    );
  const batch = checkInt('options.batch', o.batch ?? 100, 1);
  const data = new Rng(seed);
  const looks = new Rng(seed ^ 0x5bd1e995);
  const Y = model.config.classes;
  const S = task.canvasSize;
  let correct = 0;
  let ws = createRamWorkspace(model, Math.min(batch, count)); // allocated once, given back at the end
  const images = new Float32Array(ws.B * S * S); // [B, S, S]
  const labels = new Int32Array(ws.B);
  const probs = new Float32Array(ws.B * Y); // [B, Y] one episode's class probabilities
  const mean = new Float64Array(ws.B * Y); // [B, Y] their sum over the episodes
  for (let done = 0; done < count; ) {
    const B = Math.min(batch, count - done);
    if (B !== ws.B) {
      releaseRamWorkspace(model, ws);
      ws = createRamWorkspace(model, B); // the last, shorter batch
    }
    const lab = B === labels.length ? labels : labels.subarray(0, B);
    drawRamBatch(images, lab, set, data, task);
    let scores: ArrayLike<number>; // [B, Y]: logits of one episode, or the sum of several episodes' probabilities
    if (samples === 1) scores = ramForward(model, ws, images, S, S, policy, looks);
    else {
      mean.fill(0);
      for (let m = 0; m < samples; m++) {
        softmaxRows(probs, 0, ramForward(model, ws, images, S, S, policy, looks), 0, B, Y);
        for (let i = 0; i < B * Y; i++) mean[i] += probs[i];
      }
      scores = mean;
    }
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let k = 1; k < Y; k++) if (scores[b * Y + k] > scores[b * Y + best]) best = k;
      if (best === lab[b]) correct++;
    }
    done += B;
  }
  releaseRamWorkspace(model, ws);
  return { error: 1 - correct / count, correct, count };
}
