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
 * 4. Every `sampleEvery` updates: a short generated sample (seeded by the step, so it does not disturb training)
 *    with the validation loss at that update, on stderr and in `<stem>.samples.md` next to the checkpoint
 *    (rewritten atomically from the run's record, so a resumed run continues it). Every `checkpointEvery`
 *    updates and at the end: an atomic checkpoint.
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
import { createSchedule, type Schedule } from '../train/schedule.ts';
import { EddyError } from '../util/errors.ts';
import { ProgressLine, formatDuration } from '../util/progress.ts';
import { Vocabulary } from '../sources/vocabulary.ts';
import { writeLinePlot } from '../report/linePlot.ts';
import { readCorpus } from './readCorpus.ts';
import { generateTextAsync } from './generateText.ts';
import { charLMSamplesPath, writeCharLMSamples, type CharLMSample } from './charLMSamples.ts';
import {
  ARCHITECTURE_FIELDS,
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
  /** The samples taken, across resumes (`sampleEvery`), and the Markdown file they are in (undefined when none). */
  samples: CharLMSample[];
  samplesFile: string | undefined;
  /** True when this run continued from an existing checkpoint. */
  resumed: boolean;
}

/** Hooks for callers that want every update (tests, UIs). */
export interface TrainCharLMHooks {
  onUpdate?(event: TrainEvent & { epoch: number }): void;
  onCheckpoint?(step: number, path: string): void;
  onValidate?(step: number, valLoss: number): void;
  /** Called once the corpus is read and the model opened, before the first update (`step`: updates done). */
  onStart?(step: number): void;
  /** Called at each sample point, after the samples file is written. */
  onSample?(sample: CharLMSample, file: string): void;
}

interface Extra {
  run: Record<string, unknown>;
  /** The corpus the run was trained on (path or URL), for plots and listings. */
  corpus?: string;
  step: number;
  cursor: number;
  epoch: number;
  elapsedMs: number;
  history: CharLMPoint[];
  /** The samples taken so far (absent in checkpoints written before samples were kept). */
  samples?: CharLMSample[];
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

/** A run opened from a checkpoint (resumed) or from scratch (or `init`). */
interface OpenedRun {
  o: ResolvedCharLMOptions;
  model: RNNModel;
  extra: Extra;
  trainer: Trainer;
  resumed: boolean;
}

/** The corpus as ids of the model's vocabulary, split into training and validation. */
interface Splits {
  trainIds: Int32Array;
  valIds: Int32Array;
  /** Validation batch: as many streams as fit, at most the training batch. */
  valB: number;
  canValidate: boolean;
}

async function train(
  options: TrainCharLMOptions,
  hooks: TrainCharLMHooks,
  opened: WasmBackend[],
): Promise<TrainCharLMResult> {
  const resolved = resolveCharLMOptions(options);
  const text = await readCorpus(resolved.corpus, resolved.signal ? { signal: resolved.signal } : {});
  makeDirectories(resolved);
  const run = openRun(options, resolved, text, opened);
  const splits = splitCorpus(run, text);
  hooks.onStart?.(run.trainer.step);
  const stopped = await trainLoop(run, splits, hooks);
  const { o, extra, trainer, model } = run;
  const plots: string[] = [];
  if (o.plot && extra.history.length > 0) plots.push(...(await writePlots(o.checkpoint, extra.history, o.corpus)));
  return {
    model,
    steps: trainer.step,
    history: extra.history,
    valLoss: lastValLoss(extra.history),
    checkpoint: o.checkpoint,
    plots,
    stopped,
    resumed: run.resumed,
    samples: extra.samples ?? [],
    samplesFile: extra.samples?.length ? charLMSamplesPath(o.checkpoint) : undefined,
  };
}

/** Creates the directories of the checkpoint and the best model now, not after the first hour of training. */
function makeDirectories(o: ResolvedCharLMOptions): void {
  for (const path of [o.checkpoint, o.best]) {
    if (path === undefined) continue;
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new EddyError('ERR_FILE', `Cannot create the directory of ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

/**
 * Step 1: the model, its trainer and the run's record. A resumed run continues with the settings saved in its
 * checkpoint; options that were given and differ from them are refused (they would be ignored). A new run
 * takes its architecture and vocabulary from `init` when given, else from the options and the corpus.
 */
function openRun(
  options: TrainCharLMOptions,
  resolved: ResolvedCharLMOptions,
  text: string,
  opened: WasmBackend[],
): OpenedRun {
  let o = resolved;
  if (o.resume && existsSync(o.checkpoint)) {
    const peek = loadCheckpoint<Extra>(o.checkpoint);
    if (!peek.extra || !Array.isArray(peek.extra.history))
      throw new EddyError('ERR_FILE', `Cannot resume from ${o.checkpoint}: it is not a char-LM training checkpoint`);
    const saved = peek.extra.run as Partial<ResolvedCharLMOptions>;
    const differing = RUN_FIELDS.filter((k) => {
      const given = options[k];
      return (
        given !== undefined && saved[k] !== undefined && given !== saved[k] && !(k === 'backend' && given === 'auto')
      );
    });
    if (differing.length > 0) {
      const list = differing.map(
        (k) => `options.${k} ${JSON.stringify(options[k])} (the checkpoint's: ${JSON.stringify(saved[k])})`,
      );
      throw new EddyError(
        'ERR_INVALID_ARG',
        `Cannot resume ${o.checkpoint} with ${list.join(', ')}: a run continues with its own settings; leave them out, write to another checkpoint, or start over with options.resume false`,
      );
    }
    o = { ...o, ...saved }; // the run continues with its own settings
    const ck = o.backend === 'js' ? peek : loadCheckpoint<Extra>(o.checkpoint, { backend: backendFor(o, opened) });
    const trainer = makeTrainer(ck.model, o, ck.extra);
    trainer.setState({
      step: ck.extra.step,
      cursor: ck.extra.cursor,
      carried: ck.state,
      optimizer: ck.optimizer,
      rng: ck.rng ?? [1, 2, 3, 4],
    });
    return { o, model: ck.model, extra: ck.extra, trainer, resumed: true };
  }
  if (o.backend === 'auto') o = { ...o, backend: nativeAvailable() ? 'native' : wasmSimdSupported() ? 'wasm' : 'js' };
  let model: RNNModel;
  if (o.init !== undefined) {
    const init = loadModel(o.init);
    const differing = ARCHITECTURE_FIELDS.filter((k) => options[k] !== undefined && options[k] !== init.config[k]);
    if (differing.length > 0) {
      const list = differing.map(
        (k) => `options.${k} ${JSON.stringify(options[k])} (${o.init}: ${JSON.stringify(init.config[k])})`,
      );
      throw new EddyError(
        'ERR_INVALID_ARG',
        `Cannot start from ${o.init} with ${list.join(', ')}: the architecture comes from the model file; leave these out`,
      );
    }
    if (!init.config.vocab)
      throw new EddyError('ERR_FILE', `Cannot start from ${o.init}: it has no vocabulary (not a char-LM)`);
    o = {
      ...o,
      cell: init.config.cell,
      numLayers: init.config.numLayers,
      hiddenSize: init.config.hiddenSize,
      input: init.config.input === 'embedding' ? 'embedding' : 'onehot',
      embeddingSize: init.config.input === 'embedding' ? init.config.embeddingSize : undefined,
    };
    const { embeddingSize, ...config } = init.config;
    model = RNNModel.create(
      {
        ...config,
        ...(config.input === 'embedding' ? { embeddingSize } : {}),
        dropout: o.dropout,
        outputDropout: o.outputDropout,
      },
      { seed: o.seed, backend: backendFor(o, opened) },
    );
    model.params.set(init.params);
  } else {
    const vocab = Vocabulary.fromText(text);
    model = RNNModel.create(
      {
        cell: o.cell,
        input: o.input,
        ...(o.embeddingSize !== undefined ? { embeddingSize: o.embeddingSize } : {}),
        inputSize: vocab.size,
        hiddenSize: o.hiddenSize,
        numLayers: o.numLayers,
        dropout: o.dropout,
        outputDropout: o.outputDropout,
        outputSize: vocab.size,
        vocab: vocab.toJSON(),
      },
      { seed: o.seed, backend: backendFor(o, opened) },
    );
  }
  const run: Record<string, unknown> = {};
  for (const k of RUN_FIELDS) run[k] = o[k];
  const extra: Extra = {
    run,
    corpus: o.corpus,
    step: 0,
    cursor: 0,
    epoch: 0,
    elapsedMs: 0,
    history: [],
    samples: [],
  };
  return { o, model, extra, trainer: makeTrainer(model, o, extra), resumed: false };
}

/** Step 2: the corpus encoded with the model's vocabulary (unseen characters are refused by name), split. */
function splitCorpus(run: OpenedRun, text: string): Splits {
  const { o, model } = run;
  const vocab = new Vocabulary(model.config.vocab as readonly string[], { unknown: 'error' });
  let ids: Int32Array;
  try {
    ids = vocab.encode(text);
  } catch (err) {
    const of = run.resumed ? `checkpoint ${o.checkpoint}` : o.init !== undefined ? o.init : 'the model';
    throw new EddyError(
      'ERR_INVALID_ARG',
      `Corpus ${o.corpus} does not match the vocabulary of ${of}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const split = Math.floor(ids.length * (1 - o.valFraction));
  const trainIds = ids.subarray(0, split);
  let valIds = ids.subarray(split);
  if (o.maxValChars > 0 && valIds.length > o.maxValChars) valIds = valIds.subarray(0, o.maxValChars);
  const T = o.window;
  const B = o.batch;
  if (trainIds.length < B * T + 1) {
    throw new EddyError(
      'ERR_INVALID_ARG',
      `Corpus ${o.corpus} is too short: its training split has ${trainIds.length} characters, batch ${B} × window ${T} needs at least ${B * T + 1}`,
    );
  }
  return {
    trainIds,
    valIds,
    valB: Math.max(1, Math.min(B, Math.floor((valIds.length - 1) / T))),
    canValidate: valIds.length >= T + 1,
  };
}

/** The last validation loss of a history (NaN when none was measured). */
function lastValLoss(history: readonly CharLMPoint[]): number {
  for (let i = history.length - 1; i >= 0; i--) {
    const v = history[i].valLoss;
    if (v !== undefined) return v;
  }
  return Number.NaN;
}

/**
 * Step 3: updates until the step or time budget is spent or the signal fires; validation, the best model,
 * samples and checkpoints on their schedules; a last validation and checkpoint when stopped early.
 */
async function trainLoop(
  run: OpenedRun,
  splits: Splits,
  hooks: TrainCharLMHooks,
): Promise<TrainCharLMResult['stopped']> {
  const { o, model, extra, trainer } = run;
  const { trainIds, valIds, valB, canValidate } = splits;
  const T = o.window;
  const B = o.batch;
  // a time-limited run counts down its minutes; a step-limited one its steps
  const progress = o.progress
    ? new ProgressLine({ total: o.maxMinutes > 0 ? 0 : o.maxSteps, offset: extra.step })
    : null;
  const validate = (): number => {
    trainer.resetEvalState();
    return trainer.evaluate(charRnnBatches(valIds, { B: valB, k1: T })).loss;
  };
  let lastVal = lastValLoss(extra.history);
  // the lowest validation loss so far (a resumed run continues from its history)
  let bestVal = Math.min(Infinity, ...extra.history.map((p) => p.valLoss ?? Infinity));
  const keepBest = (step: number, val: number): void => {
    if (o.best === undefined || !(val < bestVal)) return;
    bestVal = val;
    saveModel(o.best, model, {
      'eddy.valLoss': String(val),
      'eddy.steps': String(step),
      'eddy.source': basename(o.checkpoint),
      'eddy.corpus': basename(o.corpus),
    });
  };
  const save = (): void => {
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
    const sampleNow = (o.sampleEvery > 0 && step % o.sampleEvery === 0) || o.sampleAt.includes(step);
    // a sample point is also a validation point, so that each sample has its loss
    if (canValidate && (step % o.evalEvery === 0 || last || sampleNow)) {
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
    }
    if (sampleNow) {
      const sample: CharLMSample = {
        step,
        valLoss: point.valLoss ?? Number.NaN,
        elapsedMs: point.elapsedMs,
        text: await sampleText(model, o, step),
      };
      extra.samples = [...(extra.samples ?? []).filter((s) => s.step < step), sample];
      const c = model.config;
      const file = writeCharLMSamples(
        o.checkpoint,
        o.corpus,
        `${c.numLayers}-layer ${c.cell.toUpperCase()} ${c.hiddenSize}, ${c.vocab?.length ?? 0} characters; ` +
          `${o.sampleLength} characters at each sample point${o.sampleEvery > 0 ? ` (every ${o.sampleEvery} updates)` : ''}, ` +
          `temperature 0.8, seed ${o.seed} + the update count.`,
        extra.samples,
      );
      progress?.log(`--- sample at step ${step} (${file}) ---\n${sample.text}\n---`);
      hooks.onSample?.(sample, file);
    }
    if (step % o.checkpointEvery === 0 || last) save();
  }
  if (stopped !== 'steps' && extra.history.length > 0) {
    const lastPoint = extra.history[extra.history.length - 1];
    if (canValidate && lastPoint.valLoss === undefined) {
      lastPoint.valLoss = validate();
      keepBest(lastPoint.step, lastPoint.valLoss);
    }
    save();
  }
  progress?.done();
  return stopped;
}

/** A short sample, seeded by the step so that it does not disturb training. */
async function sampleText(model: RNNModel, o: ResolvedCharLMOptions, step: number): Promise<string> {
  let s = '';
  for await (const ch of generateTextAsync(model, {
    length: o.sampleLength,
    temperature: 0.8,
    seed: (o.seed + step) >>> 0,
  }))
    s += ch;
  return s;
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

function makeTrainer(model: RNNModel, o: ResolvedCharLMOptions, extra: Extra): Trainer {
  const decay = o.weightDecay === undefined ? {} : { weightDecay: o.weightDecay };
  const optimizer = createOptimizer(
    o.optimizer === 'sgd'
      ? { name: 'sgd', lr: o.lr, momentum: 0.9, ...decay }
      : o.optimizer === 'adam' || o.optimizer === 'adamw'
        ? { name: o.optimizer, lr: o.lr, backend: model.backend, ...decay } // the native Adam update where the backend has it
        : { name: o.optimizer, lr: o.lr, ...decay },
  );
  return new Trainer(model, {
    optimizer,
    k1: o.window,
    seed: o.seed,
    ...(o.clipNorm > 0 ? { clipNorm: o.clipNorm } : {}),
    ...(o.schedule === 'cosine' ? { schedule: cosineSchedule(o, extra) } : {}),
  });
}

/**
 * The cosine schedule of a run: over `maxSteps` updates, or, for a run limited by minutes alone, over the minutes:
 * the fraction of the budget spent (`extra.elapsedMs`, kept across resumes) takes the place of step / totalSteps,
 * after the same warm-up in updates. Down to lr/10 either way.
 */
function cosineSchedule(o: ResolvedCharLMOptions, extra: Extra): Schedule {
  const minLr = o.lr / 10;
  const W = o.warmupSteps;
  if (o.maxMinutes === 0 || o.maxSteps !== Number.MAX_SAFE_INTEGER)
    return createSchedule({ kind: 'cosine', lr: o.lr, warmupSteps: W, totalSteps: o.maxSteps, minLr });
  const budgetMs = o.maxMinutes * 60_000;
  return {
    kind: 'cosine',
    lrAt(step: number): number {
      if (step < W) return (o.lr * (step + 1)) / W;
      const f = Math.min(1, extra.elapsedMs / budgetMs);
      return minLr + ((o.lr - minLr) * (1 + Math.cos(Math.PI * f))) / 2;
    },
  };
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
