/**
 * `eddy budget`: the fixed-budget quality check of issue 5: train the benchmark's W1 model from scratch on
 * tinyshakespeare for a fixed wall-clock budget (default 10 minutes) and print the validation loss on the
 * held-out last 10%. W1: one-hot 65, 1-layer LSTM 256, batch 32, window 64, Adam 2e-3, clip 5. Not a test: it
 * takes the budget.
 *
 * A fast backend sees many epochs in the budget and starts to overfit (W1 has no dropout): the model with the
 * lowest validation loss is kept in --best, and both numbers are printed.
 *
 * The shape flags (--layers, --hidden, --dropout, --output-dropout, --encoding, --embedding, --optimizer, --lr, --weight-decay,
 * --batch, --window) default to W1; any other shape is trained from scratch in the same budget.
 */
import { rmSync } from 'node:fs';
import { trainCharLM, type CharLMPoint } from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { stopOnSignals } from '../cli/signals.ts';
import { TRAIN_OPTION_FLAGS } from './train.ts';

export const command = defineCommand({
  name: 'budget',
  summary:
    'train the W1 char-LM (or another shape) from scratch for a fixed number of minutes; print its validation loss',
  flags: {
    input: {
      type: 'input',
      url: true,
      default: '../shared/data/tinyshakespeare.txt',
      description: 'the corpus: a text file or an http(s) URL',
    },
    minutes: { type: 'number', min: 0, exclusiveMin: true, default: 10, description: 'the wall-clock budget' },
    out: { type: 'output', default: 'runs/budget-w1.safetensors', description: 'training checkpoint (overwritten)' },
    best: { type: 'output', default: 'runs/budget-w1.best.safetensors', description: 'the best model (overwritten)' },
    backend: backendFlag,
    layers: { type: 'integer', min: 1, max: 16, default: 1, description: 'layers (W1: 1)' },
    hidden: { type: 'integer', min: 1, max: 8192, default: 256, description: 'hidden units per layer (W1: 256)' },
    dropout: { type: 'number', min: 0, max: 0.99, default: 0, description: 'dropout between layers (W1: 0)' },
    'output-dropout': { type: 'number', min: 0, max: 0.99, default: 0, description: 'dropout before the head (W1: 0)' },
    encoding: {
      type: 'choice',
      choices: ['onehot', 'embedding'],
      default: 'onehot',
      description: 'input (W1: onehot)',
    },
    embedding: {
      type: 'integer',
      min: 1,
      max: 65536,
      description: 'embedding width with --encoding embedding [default: --hidden]',
    },
    optimizer: {
      type: 'choice',
      choices: ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'],
      default: 'adam',
      description: 'optimizer (W1: adam)',
    },
    lr: {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      max: 10,
      default: 2e-3,
      description: 'learning rate (W1: 0.002)',
    },
    'weight-decay': { type: 'number', min: 0, max: 1, description: "the optimizer's weight decay [default: its own]" },
    schedule: {
      type: 'choice',
      choices: ['constant', 'cosine'],
      default: 'constant',
      description: 'learning-rate schedule; cosine decays to lr/10 over the minutes (W1: constant)',
    },
    'warmup-steps': { type: 'integer', min: 0, default: 0, description: 'linear warm-up updates, with cosine' },
    batch: { type: 'integer', min: 1, max: 65536, default: 32, description: 'streams per update (W1: 32)' },
    window: { type: 'integer', min: 1, max: 65536, default: 64, description: 'truncated-BPTT window (W1: 64)' },
    seed: { type: 'integer', min: 0, max: 0xffffffff, default: 1, description: 'seed of the initialisation' },
  },
  optionFlags: TRAIN_OPTION_FLAGS,
  async run(f, ctx) {
    rmSync(f.out, { force: true }); // from scratch, every time
    rmSync(f.best, { force: true });
    const stop = stopOnSignals(ctx);
    const t0 = Date.now();
    try {
      const result = await trainCharLM(
        {
          corpus: f.input,
          checkpoint: f.out,
          resume: false,
          backend: f.backend,
          cell: 'lstm',
          input: f.encoding as 'onehot' | 'embedding',
          ...(f.embedding !== undefined ? { embeddingSize: f.embedding } : {}),
          numLayers: f.layers,
          hiddenSize: f.hidden,
          dropout: f.dropout,
          outputDropout: f.outputDropout,
          batch: f.batch,
          window: f.window,
          optimizer: f.optimizer as 'adam',
          lr: f.lr,
          ...(f.weightDecay !== undefined ? { weightDecay: f.weightDecay } : {}),
          schedule: f.schedule as 'constant' | 'cosine',
          warmupSteps: f.warmupSteps,
          clipNorm: 5,
          maxMinutes: f.minutes,
          evalEvery: 500,
          sampleEvery: 0,
          checkpointEvery: 200,
          seed: f.seed,
          best: f.best,
          progress: !ctx.quiet,
          signal: stop.signal,
        },
        { onStart: () => ctx.begin() },
      );
      const vals = result.history.filter((p: CharLMPoint) => p.valLoss !== undefined).map((p) => p.valLoss as number);
      const best = Math.min(...vals);
      const chars = result.steps * f.batch * f.window;
      const w1 =
        f.layers === 1 &&
        f.hidden === 256 &&
        f.dropout === 0 &&
        f.outputDropout === 0 &&
        f.encoding === 'onehot' &&
        f.optimizer === 'adam' &&
        f.lr === 2e-3 &&
        f.weightDecay === undefined &&
        f.schedule === 'constant' &&
        f.batch === 32 &&
        f.window === 64;
      const shape = w1
        ? 'W1'
        : `${f.layers}-layer LSTM ${f.hidden}${f.dropout ? ` dropout ${f.dropout}` : ''}${f.outputDropout ? ` output dropout ${f.outputDropout}` : ''}${f.encoding === 'embedding' ? ` embedding ${f.embedding ?? f.hidden}` : ''}, ${f.optimizer} ${f.lr}${f.weightDecay !== undefined ? ` wd ${f.weightDecay}` : ''}${f.schedule === 'cosine' ? ` cosine (warm-up ${f.warmupSteps})` : ''}, batch ${f.batch} window ${f.window}`;
      const rate = Math.round(chars / ((Date.now() - t0) / 1000)).toLocaleString('en-US');
      process.stdout.write(
        `${shape} ${f.minutes}-minute budget: ${result.steps} updates, ${chars.toLocaleString('en-US')} training characters ` +
          `(${rate} chars/s including validation); validation ${result.valLoss.toFixed(4)} nats/char ` +
          `(${(result.valLoss / Math.LN2).toFixed(4)} bits/char), best ${best.toFixed(4)} ` +
          `(${(best / Math.LN2).toFixed(4)} bits/char; that model: ${f.best})\n`,
      );
    } finally {
      stop.dispose();
    }
  },
});
