/**
 * Character-level language-model training, char-rnn style: the corpus is encoded with a vocabulary of its
 * characters (space, punctuation and newline included), the first 90% is split into B contiguous streams
 * trained as one batch with truncated BPTT over windows of T steps (state carried across windows, gradient
 * not), and the last 10% is the validation split.
 *
 * 1. Resume: when the checkpoint file exists (and `resume` is on), the run continues exactly where it stopped:
 *    weights, optimizer buffers, RNG, carried state, data cursor, epoch and loss history all come from it, so
 *    a run killed at any moment continues as the uninterrupted run would have.
 * 2. Each update: one window, forward, BPTT, clipping, one optimizer step (`Trainer`).
 * 3. Every `evalEvery` updates: the validation loss in nats/char (and bits/char) over the held-out split.
 * 4. Every `sampleEvery` updates: a short generated sample on stderr (seeded by the step, so it does not
 *    disturb training). Every `checkpointEvery` updates and at the end: an atomic checkpoint.
 * 5. At the end: PNG plots of training and validation loss against steps and against time.
 *
 * @example
 * const result = await trainCharLM({ corpus: 'tinyshakespeare.txt', checkpoint: 'runs/tiny.safetensors', maxMinutes: 10 });
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { RNNModel } from '../model/rnnModel.ts';
import type { Backend } from '../tensor/backend.ts';
import { availableParallelism } from 'node:os';
import { wasmSimdSupported, type WasmBackend } from '../tensor/wasmBackend.ts';
import { nativeAvailable } from '../tensor/nativeBackend.ts';
import { backendByName } from '../tensor/backendByName.ts';
import { loadModel, saveModel } from '../model/modelFile.ts';
import { Trainer, type TrainEvent } from '../train/trainer.ts';
import { charRnnBatches } from '../train/charRnnBatches.ts';
import { saveCheckpoint, loadCheckpoint } from '../train/checkpoint.ts';
import { createOptimizer } from '../train/createOptimizer.ts';
import { EddyError } from '../util/errors.ts';
import { ProgressLine, formatDuration } from '../util/progress.ts';
import { Vocabulary } from '../sources/vocabulary.ts';
import { writeLinePlot } from '../report/linePlot.ts';
import { readCorpus } from './readCorpus.ts';
import { generateTextAsync } from './generateText.ts';
import {
  resolveCharLMOptions,
  RUN_FIELDS,
  type ResolvedCharLMOptions,
  type TrainCharLMOptions,
} from './charLMOptions.ts';

/** One point of the loss history. */
export interface CharLMPoint {
  /** Updates done after this one (1-based). */
  step: number;
  /** Training time so far, across resumes. */
  elapsedMs: number;
  /** This update's mean training loss, nats/char. */
  trainLoss: number;
  /** Validation loss in nats/char, on the steps where it was measured. */
  valLoss?: number;
}

/** What a run returns. */
export interface TrainCharLMResult {
  model: RNNModel;
  /** Updates done in all. */
  steps: number;
  history: CharLMPoint[];
  /** Last measured validation loss in nats/char (NaN if never measured). */
  valLoss: number;
  checkpoint: string;
  /** PNG files written. */
  plots: string[];
  /** Why it stopped. */
  stopped: 'steps' | 'time' | 'signal';
  /** True when this run continued from an existing checkpoint. */
  resumed: boolean;
}

/** Hooks for callers that want every update (tests, UIs). */
export interface TrainCharLMHooks {
  onUpdate?(event: TrainEvent & { epoch: number }): void;
  onCheckpoint?(step: number, path: string): void;
  onValidate?(step: number, valLoss: number): void;
}

interface Extra {
  run: Record<string, unknown>;
  step: number;
  cursor: number;
  epoch: number;
  elapsedMs: number;
  history: CharLMPoint[];
}

const LN2 = Math.log(2);

/** Trains (or resumes training) a character-level language model. See the file comment. */
export async function trainCharLM(
  options: TrainCharLMOptions,
  hooks: TrainCharLMHooks = {},
): Promise<TrainCharLMResult> {
  const opened: WasmBackend[] = [];
  try {
    return await train(options, hooks, opened);
  } finally {
    for (const b of opened) b.close(); // ends a wasm helper thread; the returned model still computes, on one thread
  }
}

async function train(
  options: TrainCharLMOptions,
  hooks: TrainCharLMHooks,
  opened: WasmBackend[],
): Promise<TrainCharLMResult> {
  let o = resolveCharLMOptions(options);
  const text = await readCorpus(o.corpus, o.signal ? { signal: o.signal } : {});
  try {
    mkdirSync(dirname(o.checkpoint), { recursive: true }); // fail now, not after the first hour of training
    if (o.best !== undefined) mkdirSync(dirname(o.best), { recursive: true });
  } catch (err) {
    throw new EddyError(
      'ERR_FILE',
      `Cannot create the directory of checkpoint ${o.checkpoint}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const resumed = o.resume && existsSync(o.checkpoint);
  let model: RNNModel;
  let extra: Extra;
  let trainer: Trainer;
  if (resumed) {
    const peek = loadCheckpoint<Extra>(o.checkpoint);
    if (!peek.extra || !Array.isArray(peek.extra.history))
      throw new EddyError('ERR_FILE', `Cannot resume from ${o.checkpoint}: it is not a char-LM training checkpoint`);
    o = { ...o, ...(peek.extra.run as Partial<ResolvedCharLMOptions>) }; // the run continues with its own settings
    const ck = o.backend === 'js' ? peek : loadCheckpoint<Extra>(o.checkpoint, { backend: backendFor(o, opened) });
    model = ck.model;
    extra = ck.extra;
    trainer = makeTrainer(model, o);
    trainer.setState({
      step: extra.step,
      cursor: extra.cursor,
      carried: ck.state,
      optimizer: ck.optimizer,
      rng: ck.rng ?? [1, 2, 3, 4],
    });
  } else {
    if (o.backend === 'auto') o = { ...o, backend: nativeAvailable() ? 'native' : wasmSimdSupported() ? 'wasm' : 'js' };
    const vocab = Vocabulary.fromText(text);
    model = RNNModel.create(
      {
        cell: o.cell,
        input: o.input,
        inputSize: vocab.size,
        hiddenSize: o.hiddenSize,
        numLayers: o.numLayers,
        dropout: o.dropout,
        outputSize: vocab.size,
        vocab: vocab.toJSON(),
      },
      { seed: o.seed, backend: backendFor(o, opened) },
    );
    if (o.init) {
      const init = loadModel(o.init);
      if (JSON.stringify(init.config) !== JSON.stringify(model.config)) {
        throw new EddyError(
          'ERR_FILE',
          `Cannot start from ${o.init}: its configuration ${JSON.stringify({ ...init.config, vocab: undefined })} or vocabulary differs from this run's ${JSON.stringify({ ...model.config, vocab: undefined })}`,
        );
      }
      model.params.set(init.params);
    }
    const run: Record<string, unknown> = {};
    for (const k of RUN_FIELDS) run[k] = o[k];
    extra = { run, step: 0, cursor: 0, epoch: 0, elapsedMs: 0, history: [] };
    trainer = makeTrainer(model, o);
  }

  // encode with the model's vocabulary: a corpus with characters it has never seen is refused by name
  const vocab = new Vocabulary(model.config.vocab as readonly string[], { unknown: 'error' });
  let ids: Int32Array;
  try {
    ids = vocab.encode(text);
  } catch (err) {
    throw new EddyError(
      'ERR_INVALID_ARG',
      `Corpus ${o.corpus} does not match the vocabulary of ${resumed ? `checkpoint ${o.checkpoint}` : 'the model'}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const split = Math.floor(ids.length * (1 - o.valFraction));
  const trainIds = ids.subarray(0, split);
  let valIds = ids.subarray(split);
  if (o.maxValChars > 0 && valIds.length > o.maxValChars) valIds = valIds.subarray(0, o.maxValChars);
  const T = o.window,
    B = o.batch;
  if (trainIds.length < B * T + 1) {
    throw new EddyError(
      'ERR_INVALID_ARG',
      `Corpus ${o.corpus} is too short: its training split has ${trainIds.length} characters, batch ${B} × window ${T} needs at least ${B * T + 1}`,
    );
  }
  const valB = Math.max(1, Math.min(B, Math.floor((valIds.length - 1) / T)));
  const canValidate = valIds.length >= T + 1;

  // a time-limited run counts down its minutes; a step-limited one its steps
  const progress = o.progress
    ? new ProgressLine({ total: o.maxMinutes > 0 ? 0 : o.maxSteps, offset: extra.step })
    : null;
  const validate = (): number => {
    trainer.resetEvalState();
    return trainer.evaluate(charRnnBatches(valIds, { B: valB, k1: T })).loss;
  };
  let lastVal = NaN;
  for (let i = extra.history.length - 1; i >= 0; i--) {
    const v = extra.history[i].valLoss;
    if (v !== undefined) {
      lastVal = v;
      break;
    }
  }
  // the lowest validation loss so far (a resumed run continues from its history)
  let bestVal = Math.min(Infinity, ...extra.history.map((p) => p.valLoss ?? Infinity));
  const keepBest = (step: number, val: number): void => {
    if (o.best === undefined || !(val < bestVal)) return;
    bestVal = val;
    saveModel(o.best, model, {
      'eddy.valLoss': String(val),
      'eddy.steps': String(step),
      'eddy.source': basename(o.checkpoint),
    });
  };
  const save = () => {
    const st = trainer.getState();
    extra.step = st.step;
    extra.cursor = st.cursor;
    saveCheckpoint(o.checkpoint, model, { optimizer: st.optimizer, state: st.carried, rng: st.rng, extra });
    hooks.onCheckpoint?.(st.step, o.checkpoint);
  };

  let stopped: TrainCharLMResult['stopped'] = 'steps';
  let windows = charRnnBatches(trainIds, { B, k1: T, start: trainer.cursor });
  const t0 = Date.now();
  const elapsedBefore = extra.elapsedMs;
  let rate = 0;
  while (trainer.step < o.maxSteps) {
    await yieldToEventLoop(); // lets SIGINT handlers and abort signals run between two updates
    if (o.signal?.aborted) {
      stopped = 'signal';
      break;
    }
    if (o.maxMinutes > 0 && elapsedBefore + (Date.now() - t0) >= o.maxMinutes * 60_000) {
      stopped = 'time';
      break;
    }
    let next = windows.next();
    if (next.done) {
      extra.epoch++;
      windows = charRnnBatches(trainIds, { B, k1: T });
      next = windows.next();
    }
    const event = trainer.update(next.value);
    rate = rate === 0 ? event.tokensPerSecond : 0.9 * rate + 0.1 * event.tokensPerSecond;
    const step = trainer.step;
    const point: CharLMPoint = { step, elapsedMs: elapsedBefore + (Date.now() - t0), trainLoss: event.loss };
    const last = step >= o.maxSteps;
    if (canValidate && (step % o.evalEvery === 0 || last)) {
      lastVal = validate();
      point.valLoss = lastVal;
      hooks.onValidate?.(step, lastVal);
      keepBest(step, lastVal);
    }
    extra.history.push(point);
    extra.elapsedMs = point.elapsedMs;
    hooks.onUpdate?.({ ...event, epoch: extra.epoch });
    if (progress) {
      const fields: Record<string, string> = { epoch: String(extra.epoch), loss: event.loss.toFixed(3) };
      if (!Number.isNaN(lastVal)) fields.val = `${lastVal.toFixed(3)} nats/char (${(lastVal / LN2).toFixed(3)} bits)`;
      fields['chars/s'] = Math.round(rate).toLocaleString('en-US');
      if (o.maxMinutes > 0)
        fields['time left'] = formatDuration(Math.max(0, o.maxMinutes * 60 - point.elapsedMs / 1000));
      progress.update(step, fields, point.valLoss !== undefined);
      if (o.sampleEvery > 0 && step % o.sampleEvery === 0) {
        let s = '';
        for await (const ch of generateTextAsync(model, {
          length: o.sampleLength,
          temperature: 0.8,
          seed: (o.seed + step) >>> 0,
        }))
          s += ch;
        progress.log(`--- sample at step ${step} ---\n${s}\n---`);
      }
    }
    if (step % o.checkpointEvery === 0 || last) save();
  }
  if (stopped !== 'steps' && extra.history.length > 0) {
    if (canValidate && extra.history[extra.history.length - 1].valLoss === undefined) {
      lastVal = validate();
      extra.history[extra.history.length - 1].valLoss = lastVal;
      keepBest(extra.history[extra.history.length - 1].step, lastVal);
    }
    save();
  }
  progress?.done();
  const plots: string[] = [];
  if (o.plot && extra.history.length > 0) plots.push(...(await writePlots(o.checkpoint, extra.history, o.corpus)));
  return {
    model,
    steps: trainer.step,
    history: extra.history,
    valLoss: lastVal,
    checkpoint: o.checkpoint,
    plots,
    stopped,
    resumed,
  };
}

/** Resolves on the next turn of the event loop (after pending I/O and signal callbacks). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The kernels of a run: one WebAssembly memory per run (its buffers live as long as the model). The wasm backend
 * runs on two threads where there are two cores (1.5x on batched training here); `opened` collects it to close.
 */
function backendFor(o: ResolvedCharLMOptions, opened: WasmBackend[]): Backend {
  const backend = backendByName(o.backend, { path: 'options.backend', threads: availableParallelism() >= 2 ? 2 : 1 });
  if ('close' in backend) opened.push(backend as WasmBackend);
  return backend;
}

function makeTrainer(model: RNNModel, o: ResolvedCharLMOptions): Trainer {
  const optimizer = createOptimizer(
    o.optimizer === 'sgd' ? { name: 'sgd', lr: o.lr, momentum: 0.9 } : { name: o.optimizer, lr: o.lr },
  );
  return new Trainer(model, {
    optimizer,
    k1: o.window,
    seed: o.seed,
    ...(o.clipNorm > 0 ? { clipNorm: o.clipNorm } : {}),
    ...(o.schedule === 'cosine'
      ? {
          schedule: {
            kind: 'cosine' as const,
            lr: o.lr,
            warmupSteps: o.warmupSteps,
            totalSteps: o.maxSteps,
            minLr: o.lr / 10,
          },
        }
      : {}),
  });
}

/**
 * Writes `<stem>.loss-steps.png` and `<stem>.loss-time.png` next to `checkpoint`: training loss (smoothed) and
 * validation loss against updates and against minutes of training.
 * @returns the two paths
 */
export async function writePlots(
  checkpoint: string,
  history: readonly CharLMPoint[],
  corpus: string,
): Promise<string[]> {
  const stem = join(dirname(checkpoint), basename(checkpoint).replace(/\.safetensors$/, ''));
  let ema = history[0].trainLoss;
  const smooth = history.map((p) => (ema = 0.95 * ema + 0.05 * p.trainLoss));
  const val = history.filter((p) => p.valLoss !== undefined);
  const title = `char-LM on ${basename(corpus)}`;
  const bySteps = `${stem}.loss-steps.png`;
  const byTime = `${stem}.loss-time.png`;
  await writeLinePlot(
    bySteps,
    [
      { name: 'train (smoothed)', points: history.map((p, i) => [p.step, smooth[i]] as const) },
      { name: 'validation', points: val.map((p) => [p.step, p.valLoss as number] as const) },
    ],
    { title, xLabel: 'updates', yLabel: 'loss (nats/char)' },
  );
  await writeLinePlot(
    byTime,
    [
      { name: 'train (smoothed)', points: history.map((p, i) => [p.elapsedMs / 60_000, smooth[i]] as const) },
      { name: 'validation', points: val.map((p) => [p.elapsedMs / 60_000, p.valLoss as number] as const) },
    ],
    { title, xLabel: 'minutes of training', yLabel: 'loss (nats/char)' },
  );
  return [bySteps, byTime];
}
