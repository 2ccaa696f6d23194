/**
 * The training loop `eddy ram train` runs for every task (one image, one label: `train.ts`; several digits read as a
 * sequence: `trainMulti.ts`): resuming from the checkpoint, the budget (`--steps` updates or `--minutes` of
 * training, resumed runs included, whichever ends first) with the learning rate's cosine from `--lr` down to
 * `--lr/20` over it, the progress line on stderr, an atomic checkpoint every `--checkpoint-every` seconds followed by
 * a quick validation, and a clean stop on Ctrl-C (a last checkpoint). The task supplies one update and its numbers.
 */
import { existsSync } from 'node:fs';
import {
  ProgressLine,
  RamModel,
  Rng,
  adam,
  formatDuration,
  loadRamCheckpoint,
  saveRamCheckpoint,
  type Backend,
  type Optimizer,
  type RamOptions,
} from '../../src/index.ts';
import type { CommandContext } from '../cli/command.ts';
import { letSignalsIn, stopOnSignals } from '../cli/signals.ts';

/** The flags of `eddy ram train` the loop reads. */
export interface RamLoopArgs {
  steps: number;
  minutes: number;
  lr: number;
  batch: number;
  checkpointEvery: number;
  noResume: boolean;
  seed: number;
}

/** What every checkpoint carries besides the model, optimizer and RNG; a task adds the keys that name its run. */
export interface RamLoopExtra {
  step: number;
  steps: number;
  seconds: number;
}

/** A run's state: a fresh model, or the one of the checkpoint with its optimizer, RNG, update and time. */
export interface RamRun {
  model: RamModel;
  optimizer: Optimizer;
  rng: Rng;
  step: number;
  secondsBefore: number;
}

/**
 * A fresh run (a model of `options` initialised from `--seed`, Adam at `--lr`, `Rng(--seed)`), or the checkpoint's
 * when it exists (unless `--no-resume`); then the command's work begins (`ctx.begin()`). `mismatch` says why a
 * checkpoint is not this run's (another task or policy), or undefined when it is.
 */
export function startRamRun<E extends RamLoopExtra>(
  ckpt: string,
  v: RamLoopArgs,
  options: RamOptions,
  backend: Backend,
  mismatch: (extra: E) => string | undefined,
  ctx: CommandContext,
): RamRun {
  const run: RamRun = {
    model: RamModel.create(options, { seed: v.seed, backend }),
    optimizer: adam({ lr: v.lr, backend }),
    rng: new Rng(v.seed),
    step: 0,
    secondsBefore: 0,
  };
  if (!v.noResume && existsSync(ckpt)) {
    const c = loadRamCheckpoint<E>(ckpt, { backend });
    const why = mismatch(c.extra);
    if (why !== undefined) throw new Error(why);
    run.model = c.model;
    run.optimizer.setState(c.optimizer);
    run.rng.setState(c.rng);
    run.step = c.extra.step;
    run.secondsBefore = c.extra.seconds;
    ctx.log(`resumed ${ckpt} at update ${run.step} (${formatDuration(run.secondsBefore)} of training before)`);
  }
  ctx.begin();
  return run;
}

/** What a task gives the loop. */
export interface RamLoopTask<E extends RamLoopExtra> {
  /** The checkpoint's task keys (those `startRamRun`'s `mismatch` checks). */
  extra: Omit<E, keyof RamLoopExtra>;
  /** One update on a fresh batch (the optimizer's learning rate is set): the numbers the progress line averages. */
  update(): Record<string, number>;
  /** The progress line's fields from the means of `update`'s numbers since the last line. */
  fields(mean: Record<string, number>): Record<string, string>;
  /** After each periodic checkpoint: a quick validation, in words (the tail of the log line). */
  validate(): string;
}

/**
 * Trains until the budget is spent or a signal stops it, writing the checkpoint at the end too.
 *
 * @returns the updates made in all (resumed runs included) and the seconds of training
 */
export async function runRamLoop<E extends RamLoopExtra>(
  ckpt: string,
  run: RamRun,
  v: RamLoopArgs,
  task: RamLoopTask<E>,
  ctx: CommandContext,
): Promise<{ step: number; seconds: number }> {
  const { optimizer } = run;
  const startStep = run.step;
  const progress = new ProgressLine({ total: v.steps, offset: run.step, minIntervalMs: ctx.quiet ? Infinity : 10_000 });
  const stop = stopOnSignals(ctx);
  const t0 = performance.now();
  let lastSave = t0;
  const seconds = (): number => run.secondsBefore + (performance.now() - t0) / 1000;
  const save = (): void => {
    const extra = { ...task.extra, step: run.step, steps: v.steps, seconds: seconds() } as E;
    saveRamCheckpoint<E>(ckpt, run.model, { optimizer: optimizer.getState(), rng: run.rng.getState(), extra });
    lastSave = performance.now();
  };
  const sums: Record<string, number> = {};
  let n = 0;
  try {
    while (run.step < v.steps) {
      await letSignalsIn();
      if (stop.signal.aborted) break;
      // the budget is spent by whichever ends first, updates or minutes; the learning rate anneals with it
      const spent = Math.max(run.step / v.steps, v.minutes > 0 ? seconds() / (60 * v.minutes) : 0);
      if (spent >= 1) {
        ctx.log(`stopping: --minutes ${v.minutes} of training reached at update ${run.step}`);
        break;
      }
      optimizer.lr = v.lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * spent)));
      for (const [k, x] of Object.entries(task.update())) sums[k] = (sums[k] ?? 0) + x;
      run.step++;
      n++;
      if (!ctx.quiet && (run.step % 100 === 0 || run.step === v.steps)) {
        const rate = ((run.step - startStep) * v.batch) / ((performance.now() - t0) / 1000);
        const mean: Record<string, number> = {};
        for (const k of Object.keys(sums)) {
          mean[k] = sums[k] / n;
          sums[k] = 0;
        }
        n = 0;
        progress.update(run.step, { ...task.fields(mean), 'images/s': Math.round(rate).toLocaleString('en-US') });
      }
      if ((performance.now() - lastSave) / 1000 >= v.checkpointEvery) {
        save();
        ctx.log(`update ${run.step}: checkpoint ${ckpt}; ${task.validate()}`);
      }
    }
    save();
  } finally {
    progress.done();
    stop.dispose();
  }
  return { step: run.step, seconds: seconds() };
}
