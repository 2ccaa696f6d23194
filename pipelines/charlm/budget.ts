/**
 * `eddy budget`: the fixed-budget quality check of issue 5: train the benchmark's W1 model from scratch on
 * tinyshakespeare for a fixed wall-clock budget (default 10 minutes) and print the validation loss on the
 * held-out last 10%. W1: one-hot 65, 1-layer LSTM 256, batch 32, window 64, Adam 2e-3, clip 5. Not a test: it
 * takes the budget.
 *
 * A fast backend sees many epochs in the budget and starts to overfit (W1 has no dropout): the model with the
 * lowest validation loss is kept in --best, and both numbers are printed.
 */
import { rmSync } from 'node:fs';
import { trainCharLM, type CharLMPoint } from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { stopOnSignals } from '../cli/signals.ts';
import { TRAIN_OPTION_FLAGS } from './train.ts';

export const command = defineCommand({
  name: 'budget',
  summary: 'train the W1 char-LM from scratch for a fixed number of minutes; print its validation loss',
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
          input: 'onehot',
          numLayers: 1,
          hiddenSize: 256,
          batch: 32,
          window: 64,
          optimizer: 'adam',
          lr: 2e-3,
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
      const chars = result.steps * 32 * 64;
      const rate = Math.round(chars / ((Date.now() - t0) / 1000)).toLocaleString('en-US');
      process.stdout.write(
        `W1 ${f.minutes}-minute budget: ${result.steps} updates, ${chars.toLocaleString('en-US')} training characters ` +
          `(${rate} chars/s including validation); validation ${result.valLoss.toFixed(4)} nats/char ` +
          `(${(result.valLoss / Math.LN2).toFixed(4)} bits/char), best ${best.toFixed(4)} ` +
          `(${(best / Math.LN2).toFixed(4)} bits/char; that model: ${f.best})\n`,
      );
    } finally {
      stop.dispose();
    }
  },
});
