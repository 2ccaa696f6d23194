/**
 * `eddy ram train --task multi`: the recurrent attention model reads 2-3 MNIST digits side by side as a sequence of
 * labels and a stop symbol (Ba, Mnih, Kavukcuoglu 2015), with a learned policy or (`--raster`) a fixed raster of
 * patches, the non-attentive baseline. Progress on stderr, an atomic resumable checkpoint, and at the end the
 * sequence and per-digit error on canvases of MNIST test digits and the model file.
 *
 *   eddy ram train --task multi --min-digits 2 --max-digits 3 --minutes 20
 */
import { existsSync } from 'node:fs';
import {
  ProgressLine,
  RAM_SEQUENCE_CLASSES,
  RamModel,
  Rng,
  adam,
  backendByName,
  createRamSequenceWorkspace,
  drawRamSequenceBatch,
  formatDuration,
  loadMnist,
  loadRamCheckpoint,
  mnistPaths,
  ramSequenceEvaluate,
  ramSequenceTask,
  ramSequenceTrainStep,
  saveRamCheckpoint,
  saveRamModel,
  type RamOptions,
  type RamSequenceTask,
} from '../../src/index.ts';
import type { CommandContext } from '../cli/command.ts';
import { stopOnSignals } from '../cli/signals.ts';

/** The flags of `eddy ram train` this task reads. */
export interface MultiTrainArgs {
  data: string;
  out: string | undefined;
  glimpses: number | undefined;
  glimpseSize: number | undefined;
  scales: number | undefined;
  hidden: number;
  glimpseHidden: number;
  cell: string;
  std: number;
  raster: boolean;
  minDigits: number | undefined;
  maxDigits: number | undefined;
  batch: number;
  lr: number;
  steps: number;
  minutes: number;
  checkpointEvery: number;
  noResume: boolean;
  testCount: number;
  testSeed: number;
  seed: number;
  backend: string;
}

/** What a checkpoint carries besides the model, optimizer and RNG. */
interface Extra {
  step: number;
  steps: number;
  task: 'multi';
  raster: boolean;
  minDigits: number;
  maxDigits: number;
  glimpsesPerLabel: number;
  seconds: number;
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
  const options: RamOptions = {
    glimpses: task.glimpses,
    glimpseSize: v.glimpseSize ?? 8,
    scales: v.scales ?? 3,
    hiddenSize: v.hidden,
    glimpseOutput: v.hidden,
    glimpseHidden: v.glimpseHidden,
    classes: RAM_SEQUENCE_CLASSES,
    cell: v.cell as 'rnn_relu',
    locationStd: v.std,
  };
  let model = RamModel.create(options, { seed: v.seed, backend });
  const optimizer = adam({ lr: v.lr, backend });
  const rng = new Rng(v.seed);
  let step = 0;
  let secondsBefore = 0;
  if (!v.noResume && existsSync(ckpt)) {
    const c = loadRamCheckpoint<Extra>(ckpt, { backend });
    const e = c.extra;
    if (
      e.task !== 'multi' ||
      e.raster !== v.raster ||
      e.minDigits !== task.minDigits ||
      e.maxDigits !== task.maxDigits ||
      e.glimpsesPerLabel !== task.glimpsesPerLabel
    )
      throw new Error(`${ckpt} is a checkpoint of another task or policy; use --no-resume or another --out`);
    model = c.model;
    optimizer.setState(c.optimizer);
    rng.setState(c.rng);
    step = e.step;
    secondsBefore = e.seconds;
    ctx.log(`resumed ${ckpt} at update ${step} (${formatDuration(secondsBefore)} of training before)`);
  }
  ctx.begin();
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
  const startStep = step;
  const progress = new ProgressLine({ total: v.steps, offset: step, minIntervalMs: ctx.quiet ? Infinity : 10_000 });
  const stop = stopOnSignals(ctx);
  const t0 = performance.now();
  let lastSave = t0;
  const seconds = (): number => secondsBefore + (performance.now() - t0) / 1000;
  const save = (): void => {
    saveRamCheckpoint<Extra>(ckpt, model, {
      optimizer: optimizer.getState(),
      rng: rng.getState(),
      extra: {
        step,
        steps: v.steps,
        task: 'multi',
        raster: v.raster,
        minDigits: task.minDigits,
        maxDigits: task.maxDigits,
        glimpsesPerLabel: task.glimpsesPerLabel,
        seconds: seconds(),
      },
    });
    lastSave = performance.now();
  };
  let ce = 0;
  let lab = 0;
  let seq = 0;
  let n = 0;
  try {
    while (step < v.steps) {
      if (stop.signal.aborted) break;
      const spent = Math.max(step / v.steps, v.minutes > 0 ? seconds() / (60 * v.minutes) : 0);
      if (spent >= 1) {
        ctx.log(`stopping: --minutes ${v.minutes} of training reached at update ${step}`);
        break;
      }
      optimizer.lr = v.lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * spent)));
      drawRamSequenceBatch(images, labels, train, rng, task);
      const l = ramSequenceTrainStep(model, sws, images, labels, task, optimizer, policy, rng);
      step++;
      ce += l.ce;
      lab += l.correctLabels / l.labels;
      seq += l.correctSequences / B;
      n++;
      if (!ctx.quiet && (step % 100 === 0 || step === v.steps)) {
        const rate = ((step - startStep) * B) / ((performance.now() - t0) / 1000);
        progress.update(step, {
          loss: (ce / n).toFixed(3),
          'labels right': `${((100 * lab) / n).toFixed(1)}%`,
          'sequences right': `${((100 * seq) / n).toFixed(1)}%`,
          'images/s': Math.round(rate).toLocaleString('en-US'),
        });
        ce = lab = seq = n = 0;
      }
      if ((performance.now() - lastSave) / 1000 >= v.checkpointEvery) {
        save();
        const val = ramSequenceEvaluate(model, test, task, { count: 500, seed: v.testSeed + 1, policy: evalPolicy });
        ctx.log(
          `update ${step}: checkpoint ${ckpt}; on 500 test canvases sequence error ${(100 * val.sequenceError).toFixed(2)}%, per-digit ${(100 * val.digitError).toFixed(2)}%`,
        );
      }
    }
    save();
  } finally {
    progress.done();
    stop.dispose();
  }
  const res = ramSequenceEvaluate(model, test, task, { count: v.testCount, seed: v.testSeed, policy: evalPolicy });
  const total = seconds();
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
