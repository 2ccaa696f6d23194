/**
 * `eddy ram train --task multi`: the recurrent attention model reads 2-3 MNIST digits side by side as a sequence of
 * labels and a stop symbol (Ba, Mnih, Kavukcuoglu 2015), with a learned policy or (`--raster`) a fixed raster of
 * patches, the non-attentive baseline. Progress on stderr, an atomic resumable checkpoint, and at the end the
 * sequence and per-digit error on canvases of MNIST test digits and the model file.
 *
 *   eddy ram train --task multi --min-digits 2 --max-digits 3 --minutes 20
 */
import {
  RAM_SEQUENCE_CLASSES,
  backendByName,
  createRamSequenceWorkspace,
  drawRamSequenceBatch,
  formatDuration,
  loadMnist,
  mnistPaths,
  ramSequenceEvaluate,
  ramSequenceTask,
  ramSequenceTrainStep,
  saveRamModel,
  type RamSequenceTask,
} from '../../src/index.ts';
import type { CommandContext } from '../cli/command.ts';
import { type RamSizeArgs, ramOptionsOf } from './ramFlags.ts';
import { type RamLoopArgs, type RamLoopExtra, runRamLoop, startRamRun } from './trainLoop.ts';

/** The flags of `eddy ram train` this task reads. */
export interface MultiTrainArgs extends RamLoopArgs, RamSizeArgs {
  data: string;
  out: string | undefined;
  glimpses: number | undefined;
  raster: boolean;
  minDigits: number | undefined;
  maxDigits: number | undefined;
  testCount: number;
  testSeed: number;
  backend: string;
}

/** What a checkpoint carries besides the model, optimizer, RNG and the loop's keys. */
interface Extra extends RamLoopExtra {
  task: 'multi';
  raster: boolean;
  minDigits: number;
  maxDigits: number;
  glimpsesPerLabel: number;
}

/** The model file's metadata keys that describe the task (read back by `ram eval` and `ram demo`). */
export function multiMetadata(task: RamSequenceTask, raster: boolean): Record<string, string> {
  return {
    'eddy.ram.task': 'multi',
    'eddy.ram.policy': raster ? 'raster' : 'learned',
    'eddy.ram.multi': JSON.stringify({
      minDigits: task.minDigits,
      maxDigits: task.maxDigits,
      glimpsesPerLabel: task.glimpsesPerLabel,
    }),
  };
}

/** The task a model file was trained on (its `eddy.ram.multi` metadata). */
export function multiTaskOf(metadata: Record<string, string>, path: string): RamSequenceTask {
  try {
    return ramSequenceTask(JSON.parse(metadata['eddy.ram.multi'] ?? 'null'));
  } catch {
    throw new Error(`${path} has no valid eddy.ram.multi metadata`);
  }
}

/** One line of results. */
export function multiResultLine(
  task: RamSequenceTask,
  raster: boolean,
  r: { sequenceError: number; digitError: number; count: number },
): string {
  return (
    `multi ${task.minDigits}-${task.maxDigits} digits ${task.height}x${task.width}: sequence error ` +
    `${(100 * r.sequenceError).toFixed(2)}%, per-digit error ${(100 * r.digitError).toFixed(2)}% on ` +
    `${r.count.toLocaleString('en-US')} test canvases (MNIST test digits), ${raster ? 'raster of patches' : 'learned policy'}`
  );
}

export async function trainMulti(v: MultiTrainArgs, ctx: CommandContext): Promise<void> {
  const task = ramSequenceTask({
    minDigits: v.minDigits ?? 2,
    maxDigits: v.maxDigits ?? 3,
    glimpsesPerLabel: v.glimpses ?? 3,
  });
  const out = v.out ?? `runs/ram-multi${v.raster ? '-raster' : ''}.safetensors`;
  const ckpt = `${out.replace(/\.safetensors$/, '')}.ckpt`;
  const backend = backendByName(v.backend, { path: '--backend' });
  const [train, test] = await Promise.all([
    loadMnist(mnistPaths(v.data, 'train')),
    loadMnist(mnistPaths(v.data, 'test')),
  ]);
  const options = ramOptionsOf(v, {
    glimpses: task.glimpses,
    glimpseSize: 8,
    scales: 3,
    classes: RAM_SEQUENCE_CLASSES,
  });
  const run = startRamRun<Extra>(
    ckpt,
    v,
    options,
    backend,
    (e) =>
      e.task !== 'multi' ||
      e.raster !== v.raster ||
      e.minDigits !== task.minDigits ||
      e.maxDigits !== task.maxDigits ||
      e.glimpsesPerLabel !== task.glimpsesPerLabel
        ? `${ckpt} is a checkpoint of another task or policy; use --no-resume or another --out`
        : undefined,
    ctx,
  );
  const { model, optimizer, rng } = run;
  const policy = v.raster ? 'raster' : 'sample';
  const evalPolicy = v.raster ? 'raster' : 'mean';
  const cfg = model.config;
  ctx.log(
    `multi: ${task.minDigits}-${task.maxDigits} digits on ${task.height}x${task.width}, ${task.labels} labels (digits, stop) ` +
      `of ${task.glimpsesPerLabel} glimpses, ${cfg.glimpseSize}x${cfg.glimpseSize} at ${cfg.scales} scale(s), ${cfg.cell} core ${cfg.hiddenSize}, ` +
      `${model.numParams.toLocaleString('en-US')} params, ${v.raster ? 'raster of patches' : 'learned policy'}, ` +
      `batch ${v.batch}, ${v.steps} updates on ${backend.name}`,
  );
  const B = v.batch;
  const sws = createRamSequenceWorkspace(model, B, task.labels);
  const images = new Float32Array(B * task.height * task.width); // [B, H, W]
  const labels = new Int32Array(B * task.labels); // [B, J]
  const { step, seconds: total } = await runRamLoop<Extra>(
    ckpt,
    run,
    v,
    {
      extra: {
        task: 'multi',
        raster: v.raster,
        minDigits: task.minDigits,
        maxDigits: task.maxDigits,
        glimpsesPerLabel: task.glimpsesPerLabel,
      },
      update: () => {
        drawRamSequenceBatch(images, labels, train, rng, task);
        const l = ramSequenceTrainStep(model, sws, images, labels, task, optimizer, policy, rng);
        return { ce: l.ce, labels: l.correctLabels / l.labels, sequences: l.correctSequences / B };
      },
      fields: (m) => ({
        loss: m.ce.toFixed(3),
        'labels right': `${(100 * m.labels).toFixed(1)}%`,
        'sequences right': `${(100 * m.sequences).toFixed(1)}%`,
      }),
      validate: () => {
        // canvases of training digits drawn afresh, so that no test digit is seen before the end
        const val = ramSequenceEvaluate(model, train, task, { count: 500, seed: v.testSeed + 1, policy: evalPolicy });
        return `on 500 fresh canvases of training digits sequence error ${(100 * val.sequenceError).toFixed(2)}%, per-digit ${(100 * val.digitError).toFixed(2)}%`;
      },
    },
    ctx,
  );
  const res = ramSequenceEvaluate(model, test, task, { count: v.testCount, seed: v.testSeed, policy: evalPolicy });
  saveRamModel(out, model, {
    'eddy.task': `RAM on ${task.minDigits}-${task.maxDigits} MNIST digits side by side, read as a sequence${v.raster ? ', raster of patches' : ''}`,
    ...multiMetadata(task, v.raster),
    'eddy.ram.testError': String(res.sequenceError),
    'eddy.ram.run': JSON.stringify({
      steps: step,
      batch: B,
      lr: v.lr,
      seed: v.seed,
      seconds: Math.round(total),
      testCount: res.count,
      testSeed: v.testSeed,
      digitError: res.digitError,
    }),
  });
  ctx.log(`saved ${out} after ${step} updates (${formatDuration(total)} of training)`);
  process.stdout.write(
    `${multiResultLine(task, v.raster, res)}, ${step} updates of ${B} in ${formatDuration(total)}\n`,
  );
}
