/**
 * `eddy train`: trains a character-level language model on a text file or URL, char-rnn style, with progress on
 * stderr, samples, atomic checkpoints (a killed run resumes exactly) and loss plots at the end.
 *
 *   eddy train --input ../shared/data/tinyshakespeare.txt --out runs/tiny.safetensors --minutes 10
 *
 * SIGINT / SIGTERM stop between two updates after writing a checkpoint; a second signal while it is being written
 * (as `npm run` and `timeout` send) does not cut it short.
 */
import { trainCharLM, type TrainCharLMOptions } from '../../src/index.ts';
import { defineCommand } from '../cli/command.ts';
import { stopOnSignals } from '../cli/signals.ts';
import { modelFlag } from '../cli/shippedModels.ts';

const LN2 = Math.log(2);

/** The flags that map one to one onto `trainCharLM` options, and the option each sets. */
export const TRAIN_OPTION_FLAGS = {
  'options.corpus': '--input',
  'options.checkpoint': '--out',
  'options.init': '--init',
  'options.best': '--best',
  'options.backend': '--backend',
  'options.cell': '--cell',
  'options.numLayers': '--layers',
  'options.hiddenSize': '--hidden',
  'options.dropout': '--dropout',
  'options.outputDropout': '--output-dropout',
  'options.input': '--encoding',
  'options.embeddingSize': '--embedding',
  'options.weightDecay': '--weight-decay',
  'options.window': '--window',
  'options.batch': '--batch',
  'options.optimizer': '--optimizer',
  'options.lr': '--lr',
  'options.schedule': '--schedule',
  'options.warmupSteps': '--warmup-steps',
  'options.clipNorm': '--clip-norm',
  'options.seed': '--seed',
  'options.maxSteps': '--steps',
  'options.maxMinutes': '--minutes',
  'options.valFraction': '--val-fraction',
  'options.evalEvery': '--eval-every',
  'options.maxValChars': '--max-val-chars',
  'options.sampleEvery': '--sample-every',
  'options.sampleLength': '--sample-length',
  'options.sampleAt': '--sample-at',
  'options.checkpointEvery': '--checkpoint-every',
  'options.resume': '--no-resume',
} as const;

export const command = defineCommand({
  name: 'train',
  summary: 'train a character-level language model on a text file or URL (resumable)',
  details: `Every setting left out keeps the library's default, or, when resuming, the checkpoint's own; a setting that
differs from the checkpoint's is refused. --init starts from a model file's weights, architecture and vocabulary.
Example: eddy train --input ../shared/data/tinyshakespeare.txt --out runs/tiny.safetensors --layers 2 --hidden 256 \\
  --dropout 0.1 --minutes 30`,
  flags: {
    input: { type: 'input', url: true, required: true, description: 'the corpus: a text file or an http(s) URL' },
    out: {
      type: 'output',
      default: 'runs/charlm.safetensors',
      description: 'training checkpoint (resumed when it exists)',
    },
    init: modelFlag(undefined, 'start from this model file or shipped model (its weights, architecture, vocabulary)'),
    best: { type: 'output', description: 'also keep the model with the lowest validation loss here' },
    backend: {
      type: 'choice',
      choices: ['auto', 'native', 'wasm', 'js'],
      description: 'kernels [default: auto: native where built, else wasm, else js]',
    },
    cell: { type: 'choice', choices: ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'], description: 'cell [default: lstm]' },
    layers: { type: 'integer', min: 1, max: 16, description: 'layers [default: 2]' },
    hidden: { type: 'integer', min: 1, max: 8192, description: 'hidden units per layer [default: 256]' },
    dropout: { type: 'number', min: 0, max: 0.99, description: 'dropout between layers [default: 0]' },
    'output-dropout': { type: 'number', min: 0, max: 0.99, description: 'dropout before the head [default: 0]' },
    encoding: { type: 'choice', choices: ['onehot', 'embedding'], description: 'input encoding [default: onehot]' },
    embedding: {
      type: 'integer',
      min: 1,
      max: 65536,
      description: 'embedding width, with --encoding embedding [default: --hidden]',
    },
    'weight-decay': {
      type: 'number',
      min: 0,
      max: 1,
      description: "the optimizer's weight decay (decoupled for adamw) [default: 0, adamw 0.01]",
    },
    window: { type: 'integer', min: 1, max: 65536, description: 'truncated-BPTT window T [default: 64]' },
    batch: { type: 'integer', min: 1, max: 65536, description: 'B contiguous streams per update [default: 32]' },
    optimizer: {
      type: 'choice',
      choices: ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'],
      description: 'optimizer [default: adam]',
    },
    lr: { type: 'number', min: 0, exclusiveMin: true, max: 10, description: 'learning rate [default: 0.002]' },
    schedule: {
      type: 'choice',
      choices: ['constant', 'cosine'],
      description:
        'learning-rate schedule; cosine decays to lr/10 over --steps, or over --minutes without --steps [default: constant]',
    },
    'warmup-steps': { type: 'integer', min: 0, description: 'linear warm-up updates (cosine) [default: 0]' },
    'clip-norm': { type: 'number', min: 0, description: 'clip gradients to this global norm, 0 off [default: 5]' },
    seed: { type: 'integer', min: 0, max: 0xffffffff, description: 'seed of init, dropout and samples [default: 1]' },
    steps: {
      type: 'integer',
      min: 1,
      description: 'stop after this many updates in all [default: 1000, none with --minutes]',
    },
    minutes: { type: 'number', min: 0, description: 'stop after this many minutes of training in all' },
    'val-fraction': {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      max: 0.9,
      description: 'held-out end of the text [default: 0.1]',
    },
    'eval-every': { type: 'integer', min: 1, description: 'validate every N updates [default: 200]' },
    'max-val-chars': { type: 'integer', min: 0, description: 'validate on at most N characters, 0 all [default: 0]' },
    'sample-every': {
      type: 'integer',
      min: 0,
      description:
        'take a sample (and the validation loss) every N updates into <out stem>.samples.md, 0 never [default: 200]',
    },
    'sample-at': {
      type: 'custom',
      placeholder: 'N,N,...',
      expected: 'update counts separated by commas (e.g. 100,300,1000)',
      parse: (raw: string): number[] => {
        const steps = raw.split(',').map((x) => Number(x.trim()));
        if (steps.length === 0 || steps.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('bad');
        return steps;
      },
      description: 'also take a sample at these update counts',
    },
    'sample-length': { type: 'integer', min: 1, max: 100_000, description: 'characters per sample [default: 200]' },
    'checkpoint-every': { type: 'integer', min: 1, description: 'write the checkpoint every N updates [default: 100]' },
    'no-resume': { type: 'boolean', description: 'start over even when the checkpoint exists' },
    'no-plot': { type: 'boolean', description: 'no loss plots at the end' },
    json: { type: 'boolean', description: 'one JSON line per update on stdout' },
  },
  optionFlags: TRAIN_OPTION_FLAGS,
  async run(f, ctx) {
    const stop = stopOnSignals(ctx);
    const options: TrainCharLMOptions = { corpus: f.input, checkpoint: f.out, signal: stop.signal };
    const set = <K extends keyof TrainCharLMOptions>(k: K, v: TrainCharLMOptions[K] | undefined): void => {
      if (v !== undefined) options[k] = v;
    };
    set('init', f.init);
    set('best', f.best);
    set('backend', f.backend as TrainCharLMOptions['backend']);
    set('cell', f.cell as TrainCharLMOptions['cell']);
    set('numLayers', f.layers);
    set('hiddenSize', f.hidden);
    set('dropout', f.dropout);
    set('outputDropout', f.outputDropout);
    set('input', f.encoding as TrainCharLMOptions['input']);
    set('embeddingSize', f.embedding);
    set('weightDecay', f.weightDecay);
    set('window', f.window);
    set('batch', f.batch);
    set('optimizer', f.optimizer as TrainCharLMOptions['optimizer']);
    set('lr', f.lr);
    set('schedule', f.schedule as TrainCharLMOptions['schedule']);
    set('warmupSteps', f.warmupSteps);
    set('clipNorm', f.clipNorm);
    set('seed', f.seed);
    set('maxSteps', f.steps);
    set('maxMinutes', f.minutes);
    set('valFraction', f.valFraction);
    set('evalEvery', f.evalEvery);
    set('maxValChars', f.maxValChars);
    set('sampleEvery', f.sampleEvery);
    set('sampleLength', f.sampleLength);
    set('sampleAt', f.sampleAt);
    set('checkpointEvery', f.checkpointEvery);
    if (f.noResume) options.resume = false;
    if (f.noPlot) options.plot = false;
    if (ctx.quiet) options.progress = false;
    try {
      const result = await trainCharLM(options, {
        onStart: () => ctx.begin(),
        ...(f.json
          ? {
              onUpdate: (e) =>
                process.stdout.write(
                  `${JSON.stringify({ step: e.step + 1, loss: e.loss, gradNorm: e.gradNorm, lr: e.lr, epoch: e.epoch })}\n`,
                ),
            }
          : {}),
        onCheckpoint: (step, path) => ctx.log(`checkpoint step ${step} -> ${path}`),
      });
      const v = result.valLoss;
      ctx.log(
        `${result.resumed ? 'resumed; ' : ''}stopped (${result.stopped}) after ${result.steps} updates; validation ${v.toFixed(4)} nats/char (${(v / LN2).toFixed(4)} bits/char)`,
      );
      for (const p of result.plots) ctx.log(`plot: ${p}`);
    } finally {
      stop.dispose();
    }
  },
});
