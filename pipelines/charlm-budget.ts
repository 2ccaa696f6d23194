/**
 * The fixed-budget quality check of issue 5: train the benchmark's W1 model from scratch on tinyshakespeare for
 * a fixed wall-clock budget (default 10 minutes) and print the validation loss on the held-out last 10%.
 * W1: one-hot 65, 1-layer LSTM 256, batch 32, window 64, Adam 2e-3, clip 5. Not a test: it takes the budget.
 *
 *   npm run charlm:budget -- [--corpus ../shared/data/tinyshakespeare.txt] [--minutes 10] [--out runs/budget-w1.safetensors]
 *                            [--best runs/budget-w1.best.safetensors] [--backend auto|native|wasm|js]
 *
 * A fast backend sees many epochs in the budget and starts to overfit (W1 has no dropout): the model with the
 * lowest validation loss is kept in --best, and both numbers are printed.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { trainCharLM } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: '../shared/data/tinyshakespeare.txt' },
    minutes: { type: 'string', default: '10' },
    out: { type: 'string', default: 'runs/budget-w1.safetensors' },
    best: { type: 'string', default: 'runs/budget-w1.best.safetensors' },
    backend: { type: 'string', default: 'auto' },
  },
});
const minutes = Number(values.minutes);
rmSync(values.out, { force: true }); // from scratch, every time
rmSync(values.best, { force: true });
const t0 = Date.now();
const result = await trainCharLM({
  corpus: values.corpus,
  checkpoint: values.out,
  resume: false,
  backend: values.backend as 'auto' | 'native' | 'wasm' | 'js',
  cell: 'lstm',
  input: 'onehot',
  numLayers: 1,
  hiddenSize: 256,
  batch: 32,
  window: 64,
  optimizer: 'adam',
  lr: 2e-3,
  clipNorm: 5,
  maxSteps: 1_000_000,
  maxMinutes: minutes,
  evalEvery: 500,
  sampleEvery: 0,
  checkpointEvery: 200,
  seed: 1,
  best: values.best,
});
const best = Math.min(...result.history.filter((p) => p.valLoss !== undefined).map((p) => p.valLoss as number));
const chars = result.steps * 32 * 64;
process.stdout.write(
  `W1 ${minutes}-minute budget: ${result.steps} updates, ${chars.toLocaleString('en-US')} training characters ` +
    `(${Math.round(chars / ((Date.now() - t0) / 1000)).toLocaleString('en-US')} chars/s including validation); ` +
    `validation ${result.valLoss.toFixed(4)} nats/char (${(result.valLoss / Math.LN2).toFixed(4)} bits/char), best ${best.toFixed(4)} ` +
    `(${(best / Math.LN2).toFixed(4)} bits/char; that model: ${values.best})\n`,
);
