/**
 * `eddy ram train`: trains the recurrent attention model (Mnih et al. 2014) on 28x28 MNIST, 60x60 translated or
 * 60x60 cluttered MNIST drawn from the seeded generators (training digits), with the hybrid loss (cross-entropy +
 * REINFORCE with a learned baseline), or with random glimpses (`--random`, the ablation). Progress on stderr, an
 * atomic checkpoint every `--checkpoint-every` seconds (a killed run resumes where it was), and at the end the test
 * error on the MNIST test digits and the model file.
 *
 *   eddy ram train --task translated --steps 40000 --minutes 25
 */
import {
  RAM_TASK_NAMES,
  backendByName,
  createRamWorkspace,
  drawRamBatch,
  formatDuration,
  loadMnist,
  mnistPaths,
  ramEvaluate,
  ramTask,
  ramTrainStep,
  saveRamModel,
} from '../../src/index.ts';
import { backendFlag, defineCommand, usage } from '../cli/command.ts';
import { mnistDataFlag, ramOptionsOf } from './ramFlags.ts';
import { type RamLoopExtra, runRamLoop, startRamRun } from './trainLoop.ts';
import { trainMulti } from './trainMulti.ts';

/** What a checkpoint carries besides the model, optimizer, RNG and the loop's keys. */
interface Extra extends RamLoopExtra {
  task: string;
  random: boolean;
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
    data: mnistDataFlag,
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
    const options = ramOptionsOf(v, { glimpses: v.glimpses ?? 6, glimpseSize: wide ? 12 : 8, scales: wide ? 3 : 1 });
    const run = startRamRun<Extra>(
      ckpt,
      v,
      options,
      backend,
      (e) =>
        e.task !== task.name || e.random !== v.random
          ? `${ckpt} is a checkpoint of ${e.task}${e.random ? ' --random' : ''}; use --no-resume`
          : undefined,
      ctx,
    );
    const { model, optimizer, rng } = run;
    const policy = v.random ? 'random' : 'sample';
    const evalPolicy = v.random ? 'random' : 'mean';
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
    const { step, seconds: total } = await runRamLoop<Extra>(
      ckpt,
      run,
      v,
      {
        extra: { task: task.name, random: v.random },
        update: () => {
          drawRamBatch(images, labels, train, rng, task);
          const l = ramTrainStep(model, ws, images, labels, S, optimizer, policy, rng);
          return { ce: l.ce, acc: l.correct / B, base: l.baseline / cfg.glimpses };
        },
        fields: (m) => ({
          loss: m.ce.toFixed(3),
          'train acc': `${(100 * m.acc).toFixed(1)}%`,
          'baseline mse': m.base.toFixed(3),
        }),
        validate: () => {
          // training digits drawn afresh (new placements and clutter), so that no test digit is seen before the end
          const val = ramEvaluate(model, train, task, { count: 1000, seed: v.testSeed + 1, policy: evalPolicy });
          return `error on 1,000 fresh samples of training digits ${(100 * val.error).toFixed(2)}%`;
        },
      },
      ctx,
    );
    const res = ramEvaluate(model, test, task, { count: v.testCount, seed: v.testSeed, policy: evalPolicy });
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
