/**
 * Trains a character-level language model on a text file or URL, char-rnn style, with progress on stderr,
 * samples, atomic checkpoints (a killed run resumes exactly) and loss plots at the end.
 *
 *   npm run train:charlm -- --corpus ../shared/data/tinyshakespeare.txt --checkpoint runs/tiny.safetensors --minutes 10
 *
 * Every option of `trainCharLM` is a flag in kebab-case: --backend auto|native|wasm|js, --cell lstm|gru|rnn_tanh|rnn_relu, --layers, --hidden,
 * --dropout, --input onehot|embedding, --window, --batch, --optimizer, --lr, --schedule constant|cosine,
 * --warmup-steps, --clip-norm, --seed, --steps, --minutes, --val-fraction, --eval-every, --max-val-chars,
 * --sample-every, --sample-length, --checkpoint-every, --no-resume, --no-plot, --init MODEL, --best MODEL (also keep
 * the model with the lowest validation loss there), --json (print one
 * JSON line per update on stdout). SIGINT/SIGTERM stop between two updates after writing a checkpoint.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { trainCharLM, EddyError, type TrainCharLMOptions } from '../src/index.ts';

const LN2 = Math.log(2);

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      corpus: { type: 'string' },
      checkpoint: { type: 'string' },
      init: { type: 'string' },
      best: { type: 'string' },
      backend: { type: 'string' },
      cell: { type: 'string' },
      layers: { type: 'string' },
      hidden: { type: 'string' },
      dropout: { type: 'string' },
      input: { type: 'string' },
      window: { type: 'string' },
      batch: { type: 'string' },
      optimizer: { type: 'string' },
      lr: { type: 'string' },
      schedule: { type: 'string' },
      'warmup-steps': { type: 'string' },
      'clip-norm': { type: 'string' },
      seed: { type: 'string' },
      steps: { type: 'string' },
      minutes: { type: 'string' },
      'val-fraction': { type: 'string' },
      'eval-every': { type: 'string' },
      'max-val-chars': { type: 'string' },
      'sample-every': { type: 'string' },
      'sample-length': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'no-resume': { type: 'boolean', default: false },
      'no-plot': { type: 'boolean', default: false },
      'no-progress': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const num = (flag: string): number | undefined => {
    const v = (values as Record<string, string | boolean | undefined>)[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n))
      throw new EddyError('ERR_INVALID_ARG', `Expected a number for --${flag} but received ${JSON.stringify(v)}`);
    return n;
  };
  if (!values.corpus)
    throw new EddyError('ERR_INVALID_ARG', 'Expected --corpus PATH_OR_URL (e.g. ../shared/data/tinyshakespeare.txt)');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const options: TrainCharLMOptions = {
    corpus: values.corpus,
    checkpoint: values.checkpoint ?? 'runs/charlm.safetensors',
    signal: controller.signal,
  };
  const set = <K extends keyof TrainCharLMOptions>(k: K, v: TrainCharLMOptions[K] | undefined) => {
    if (v !== undefined) options[k] = v;
  };
  set('init', values.init);
  set('best', values.best);
  set('cell', values.cell as TrainCharLMOptions['cell']);
  set('backend', values.backend as TrainCharLMOptions['backend']);
  set('input', values.input as TrainCharLMOptions['input']);
  set('optimizer', values.optimizer as TrainCharLMOptions['optimizer']);
  set('schedule', values.schedule as TrainCharLMOptions['schedule']);
  set('numLayers', num('layers'));
  set('hiddenSize', num('hidden'));
  set('dropout', num('dropout'));
  set('window', num('window'));
  set('batch', num('batch'));
  set('lr', num('lr'));
  set('warmupSteps', num('warmup-steps'));
  set('clipNorm', num('clip-norm'));
  set('seed', num('seed'));
  set('maxSteps', num('steps'));
  set('maxMinutes', num('minutes'));
  set('valFraction', num('val-fraction'));
  set('evalEvery', num('eval-every'));
  set('maxValChars', num('max-val-chars'));
  set('sampleEvery', num('sample-every'));
  set('sampleLength', num('sample-length'));
  set('checkpointEvery', num('checkpoint-every'));
  if (values['no-resume']) options.resume = false;
  if (values['no-plot']) options.plot = false;
  if (values['no-progress']) options.progress = false;
  const result = await trainCharLM(options, {
    onUpdate: values.json
      ? (e) =>
          process.stdout.write(
            `${JSON.stringify({ step: e.step + 1, loss: e.loss, gradNorm: e.gradNorm, lr: e.lr, epoch: e.epoch })}\n`,
          )
      : undefined,
    onCheckpoint: (step, path) => process.stderr.write(`checkpoint step ${step} -> ${path}\n`),
  } as Parameters<typeof trainCharLM>[1]);
  const v = result.valLoss;
  process.stderr.write(
    `${result.resumed ? 'resumed; ' : ''}stopped (${result.stopped}) after ${result.steps} updates; validation ${v.toFixed(4)} nats/char (${(v / LN2).toFixed(4)} bits/char)\n`,
  );
  for (const p of result.plots) process.stderr.write(`plot: ${p}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`train-charlm: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
