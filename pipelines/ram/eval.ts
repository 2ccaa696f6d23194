/**
 * `eddy ram eval`: the test error of a recurrent attention model on the MNIST test digits, drawn through the seeded
 * generator of its task (28x28, 60x60 translated or cluttered), with its learned policy or with random glimpses.
 *
 *   eddy ram eval --model ram-mnist
 *   eddy ram eval --model runs/ram-cluttered.safetensors --random
 */
import {
  RAM_TASK_NAMES,
  backendByName,
  loadMnist,
  loadRamModel,
  mnistPaths,
  ramEvaluate,
  ramSequenceEvaluate,
  ramTask,
} from '../../src/index.ts';
import { backendFlag, defineCommand, usage } from '../cli/command.ts';
import { mnistDataFlag, ramModelFlag } from './ramFlags.ts';
import { multiResultLine, multiTaskOf } from './trainMulti.ts';

export const command = defineCommand({
  name: 'ram eval',
  summary: 'test error of a recurrent attention model on the MNIST test digits',
  details: `The task and the policy default to those the model was trained with (its metadata). The test samples
come from the seeded generator over the 10,000 MNIST test digits (drawn with replacement; --test-seed as in training).
Example: eddy ram eval --model ram-translated --count 10000
--samples M reads each test image M times, the glimpses sampled from the learned policy (its std) or drawn at random
(--random), and averages the class probabilities (Monte Carlo averaging, M times the cost; the default, 1, reads
each image once at the policy's mean location).
Example: eddy ram eval --model ram-translated --samples 10
A --task multi model is evaluated on its own task (its metadata) with its own policy (learned or raster): the
sequence error (every digit and the stop right) and the per-digit error.`,
  flags: {
    model: ramModelFlag,
    task: { type: 'choice', choices: RAM_TASK_NAMES, description: "the task (default: the model's)" },
    data: mnistDataFlag,
    random: { type: 'boolean', description: 'random glimpses instead of the learned policy' },
    count: { type: 'integer', min: 1, default: 10000, description: 'test samples' },
    samples: {
      type: 'integer',
      min: 1,
      max: 1000,
      default: 1,
      description: 'episodes per image, class probabilities averaged (more than 1: sampled glimpses)',
    },
    'test-seed': { type: 'integer', min: 0, default: 2014, description: 'seed of the test generator' },
    json: { type: 'boolean', description: 'one JSON line of results on stdout' },
    backend: backendFlag,
  },
  async run(v, ctx) {
    const { model, metadata } = loadRamModel(v.model, { backend: backendByName(v.backend, { path: '--backend' }) });
    if (metadata['eddy.ram.task'] === 'multi') {
      if (v.random || v.task !== undefined || v.samples > 1)
        usage('--random, --task and --samples are not for a --task multi model');
      const task = multiTaskOf(metadata, v.model);
      const test = await loadMnist(mnistPaths(v.data, 'test'));
      ctx.begin();
      const raster = metadata['eddy.ram.policy'] === 'raster';
      const seed = v.testSeed;
      const t0 = performance.now();
      const r = ramSequenceEvaluate(model, test, task, { count: v.count, seed, policy: raster ? 'raster' : 'mean' });
      process.stdout.write(
        `${multiResultLine(task, raster, r)}, in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
      if (v.json)
        process.stdout.write(
          `${JSON.stringify({ task: 'multi', policy: raster ? 'raster' : 'learned', sequenceError: r.sequenceError, digitError: r.digitError, count: r.count, seed })}\n`,
        );
      return;
    }
    const task = ramTask((v.task ?? metadata['eddy.ram.task'] ?? 'mnist') as 'mnist');
    const test = await loadMnist(mnistPaths(v.data, 'test'));
    ctx.begin();
    const random = v.random || metadata['eddy.ram.policy'] === 'random';
    const policy = random ? 'random' : v.samples > 1 ? 'sample' : 'mean';
    const t0 = performance.now();
    const r = ramEvaluate(model, test, task, { count: v.count, seed: v.testSeed, policy, samples: v.samples });
    const seconds = (performance.now() - t0) / 1000;
    const c = model.config;
    process.stdout.write(
      `${task.name} ${task.canvasSize}x${task.canvasSize}: test error ${(100 * r.error).toFixed(2)}% (${r.count - r.correct} of ${r.count.toLocaleString('en-US')}), ` +
        `${c.glimpses} glimpses of ${c.glimpseSize}x${c.glimpseSize} at ${c.scales} scale(s), ${random ? 'random glimpses' : 'learned policy'}${v.samples > 1 ? `, ${v.samples} episodes averaged` : ''}, in ${seconds.toFixed(1)} s\n`,
    );
    if (v.json)
      process.stdout.write(
        `${JSON.stringify({ task: task.name, policy, samples: v.samples, error: r.error, count: r.count, seed: v.testSeed })}\n`,
      );
  },
});
