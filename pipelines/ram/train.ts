/**
 * `eddy ram train`: trains the recurrent attention model (Mnih et al. 2014) on 28x28 MNIST, 60x60 translated or
 * 60x60 cluttered MNIST drawn from the seeded generators (training digits), with the hybrid loss (cross-entropy +
 * REINFORCE with a learned baseline), or with random glimpses (`--random`, the ablation). Progress on stderr, an
 * atomic checkpoint every `--checkpoint-every` seconds (a killed run resumes where it was), and at the end the test
 * error on the MNIST test digits and the model file.
 *
 *   eddy ram train --task translated --steps 40000 --minutes 25
 */
import { existsSync } from 'node:fs';
import {
  ProgressLine,
  RAM_TASK_NAMES,
  RamModel,
  Rng,
  adam,
  backendByName,
  createRamWorkspace,
  drawRamBatch,
  formatDuration,
  loadMnist,
  loadRamCheckpoint,
  mnistPaths,
  ramEvaluate,
  ramTask,
  ramTrainStep,
  saveRamCheckpoint,
  saveRamModel,
  type RamOptions,
} from '../../src/index.ts';
import { backendFlag, defineCommand, usage } from '../cli/command.ts';
import { stopOnSignals } from '../cli/signals.ts';
import { trainMulti } from './trainMulti.ts';

/** What a checkpoint carries besides the model, optimizer and RNG. */
interface Extra {
  step: number;
  steps: number;
  task: string;
  random: boolean;
  seconds: number;
}

export const command = defineCommand({
  name: 'ram train',
  summary: 'train the recurrent attention model on MNIST, translated or cluttered (resumable)',
  details: `Glimpse sizes default to the paper's: 8x8 at 1 scale on 28x28 MNIST, 12x12 at 3 scales on the 60x60 tasks.
--out gets the final model (default runs/ram-<task>[-random].safetensors) and <out>.ckpt the checkpoint, resumed
when it exists (unless --no-resume). The learning rate follows a cosine from --lr down to --lr/20 over the budget: --steps updates or --minutes of
training, whichever ends first.
Example: eddy ram train --task cluttered --random --steps 30000
--task multi (Ba et al. 2015): --min-digits..--max-digits MNIST digits side by side on a 36 x (28·max + 8) canvas,
read as a sequence of labels and a stop symbol, --glimpses per label (default 3), glimpses 8x8 at 3 scales;
--raster reads a fixed raster of patches instead (the non-attentive baseline, same network and number of steps).
Example: eddy ram train --task multi --max-digits 3 --minutes 20 [--raster]`,
  flags: {
    task: { type: 'choice', choices: [...RAM_TASK_NAMES, 'multi'], default: 'mnist', description: 'the task' },
    data: {
      type: 'input',
      directory: true,
      default: '../shared/data',
      description: 'directory holding the MNIST .gz files',
    },
    out: { type: 'output', description: 'the trained model (default runs/ram-<task>[-random].safetensors)' },
    glimpses: {
      type: 'integer',
      min: 1,
      max: 64,
      description: 'glimpses per image T (default 6); with --task multi per label K (default 3)',
    },
    'glimpse-size': { type: 'integer', min: 1, max: 64, description: 'retina patch side g (default 8 or 12)' },
    scales: { type: 'integer', min: 1, max: 5, description: 'retina scales k (default 1 or 3)' },
    hidden: { type: 'integer', min: 1, max: 4096, default: 256, description: 'core hidden units (and glimpse output)' },
    'glimpse-hidden': { type: 'integer', min: 1, max: 4096, default: 128, description: 'what/where hidden units' },
    cell: { type: 'choice', choices: ['rnn_relu', 'lstm'], default: 'rnn_relu', description: 'the core' },
    std: { type: 'number', min: 0, exclusiveMin: true, default: 0.1, description: 'location policy std' },
    random: { type: 'boolean', description: 'random glimpses (the ablation): the location network is unused' },
    raster: { type: 'boolean', description: '--task multi: a fixed raster of patches (the non-attentive baseline)' },
    'min-digits': { type: 'integer', min: 1, max: 8, description: '--task multi: fewest digits per image (default 2)' },
    'max-digits': { type: 'integer', min: 1, max: 8, description: '--task multi: most digits per image (default 3)' },
    batch: { type: 'integer', min: 1, max: 4096, default: 64, description: 'images per update' },
    lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.001, description: 'peak learning rate (Adam)' },
    steps: { type: 'integer', min: 1, default: 30000, description: 'updates' },
    minutes: {
      type: 'number',
      min: 0,
      default: 0,
      description: 'training time budget, resumed runs included (0: none)',
    },
    'checkpoint-every': { type: 'integer', min: 1, default: 120, description: 'seconds between checkpoints' },
    'no-resume': { type: 'boolean', description: 'start afresh even when the checkpoint exists' },
    'test-count': { type: 'integer', min: 1, default: 10000, description: 'test samples for the final error' },
    'test-seed': { type: 'integer', min: 0, default: 2014, description: 'seed of the test generator' },
    seed: { type: 'integer', min: 0, max: 0xffffffff, default: 1, description: 'seed of init, data and glimpses' },
    backend: backendFlag,
  },
  async run(v, ctx) {
    if (v.task === 'multi') {
      if (v.random) usage('--random is not for --task multi (its baseline is --raster)');
      if ((v.minDigits ?? 2) > (v.maxDigits ?? 3))
        usage(`--min-digits ${v.minDigits ?? 2} is more than --max-digits ${v.maxDigits ?? 3}`);
      return trainMulti(v, ctx);
    }
    if (v.raster || v.minDigits !== undefined || v.maxDigits !== undefined)
      usage('--raster, --min-digits and --max-digits are for --task multi');
    const task = ramTask(v.task as 'mnist');
    const out = v.out ?? `runs/ram-${task.name}${v.random ? '-random' : ''}.safetensors`;
    const ckpt = `${out.replace(/\.safetensors$/, '')}.ckpt`;
    const backend = backendByName(v.backend, { path: '--backend' });
    const [train, test] = await Promise.all([
      loadMnist(mnistPaths(v.data, 'train')),
      loadMnist(mnistPaths(v.data, 'test')),
    ]);
    const wide = task.canvasSize > 28;
    const options: RamOptions = {
      glimpses: v.glimpses ?? 6,
      glimpseSize: v.glimpseSize ?? (wide ? 12 : 8),
      scales: v.scales ?? (wide ? 3 : 1),
      hiddenSize: v.hidden,
      glimpseOutput: v.hidden,
      glimpseHidden: v.glimpseHidden,
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
      if (c.extra.task !== task.name || c.extra.random !== v.random)
        throw new Error(
          `${ckpt} is a checkpoint of ${c.extra.task}${c.extra.random ? ' --random' : ''}; use --no-resume`,
        );
      model = c.model;
      optimizer.setState(c.optimizer);
      rng.setState(c.rng);
      step = c.extra.step;
      secondsBefore = c.extra.seconds;
      ctx.log(`resumed ${ckpt} at update ${step} (${formatDuration(secondsBefore)} of training before)`);
    }
    ctx.begin();
    const policy = v.random ? 'random' : 'sample';
    const cfg = model.config;
    ctx.log(
      `${task.name} ${task.canvasSize}x${task.canvasSize}${task.clutter ? ` with ${task.clutter} pieces of clutter` : ''}: ` +
        `${cfg.glimpses} glimpses of ${cfg.glimpseSize}x${cfg.glimpseSize} at ${cfg.scales} scale(s), ${cfg.cell} core ${cfg.hiddenSize}, ` +
        `${model.numParams.toLocaleString('en-US')} params, ${policy === 'random' ? 'random glimpses' : 'learned policy'}, ` +
        `batch ${v.batch}, ${v.steps} updates on ${backend.name}`,
    );
    const B = v.batch;
    const S = task.canvasSize;
    const ws = createRamWorkspace(model, B);
    const images = new Float32Array(B * S * S); // [B, S, S]
    const labels = new Int32Array(B);
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
        extra: { step, steps: v.steps, task: task.name, random: v.random, seconds: seconds() },
      });
      lastSave = performance.now();
    };
    let ce = 0;
    let acc = 0;
    let base = 0;
    let n = 0;
    try {
      while (step < v.steps) {
        if (stop.signal.aborted) break;
        // the budget is spent by whichever ends first, updates or minutes; the learning rate anneals with it
        const spent = Math.max(step / v.steps, v.minutes > 0 ? seconds() / (60 * v.minutes) : 0);
        if (spent >= 1) {
          ctx.log(`stopping: --minutes ${v.minutes} of training reached at update ${step}`);
          break;
        }
        optimizer.lr = v.lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * spent)));
        drawRamBatch(images, labels, train, rng, task);
        const l = ramTrainStep(model, ws, images, labels, S, optimizer, policy, rng);
        step++;
        ce += l.ce;
        acc += l.correct / B;
        base += l.baseline / cfg.glimpses;
        n++;
        if (!ctx.quiet && (step % 100 === 0 || step === v.steps)) {
          const rate = ((step - startStep) * B) / ((performance.now() - t0) / 1000);
          progress.update(step, {
            loss: (ce / n).toFixed(3),
            'train acc': `${((100 * acc) / n).toFixed(1)}%`,
            'baseline mse': (base / n).toFixed(3),
            'images/s': Math.round(rate).toLocaleString('en-US'),
          });
          ce = acc = base = n = 0;
        }
        if ((performance.now() - lastSave) / 1000 >= v.checkpointEvery) {
          save();
          const val = ramEvaluate(model, test, task, {
            count: 1000,
            seed: v.testSeed + 1,
            policy: v.random ? 'random' : 'mean',
          });
          ctx.log(`update ${step}: checkpoint ${ckpt}; error on 1,000 test samples ${(100 * val.error).toFixed(2)}%`);
        }
      }
      save();
    } finally {
      progress.done();
      stop.dispose();
    }
    const res = ramEvaluate(model, test, task, {
      count: v.testCount,
      seed: v.testSeed,
      policy: v.random ? 'random' : 'mean',
    });
    const total = seconds();
    saveRamModel(out, model, {
      'eddy.task': `RAM on ${task.name} MNIST ${S}x${S}${v.random ? ', random glimpses' : ''}`,
      'eddy.ram.task': task.name,
      'eddy.ram.policy': v.random ? 'random' : 'learned',
      'eddy.ram.testError': String(res.error),
      'eddy.ram.run': JSON.stringify({
        steps: step,
        batch: B,
        lr: v.lr,
        seed: v.seed,
        seconds: Math.round(total),
        testCount: res.count,
        testSeed: v.testSeed,
      }),
    });
    ctx.log(`saved ${out} after ${step} updates (${formatDuration(total)} of training)`);
    process.stdout.write(
      `${task.name}: test error ${(100 * res.error).toFixed(2)}% on ${res.count.toLocaleString('en-US')} test samples (MNIST test digits, seed ${v.testSeed}), ${v.random ? 'random glimpses' : 'learned policy'}, ${step} updates of ${B} in ${formatDuration(total)}\n`,
    );
  },
});
