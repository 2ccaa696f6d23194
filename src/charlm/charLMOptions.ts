/**
 * Options of character-level language-model training, resolved and validated in one place. The model and
 * optimisation fields are saved in the checkpoint, so a resumed run continues with the same ones.
 */
import { invalidArg } from '../util/errors.ts';
import { checkBool, checkInt, checkNumber, checkObject, checkOneOf } from '../util/validate.ts';
import { CELL_KINDS, type CellKind } from '../cells/cellKernel.ts';
import { OPTIMIZER_NAMES } from '../train/optimizer.ts';

/** Options for `trainCharLM`. */
export interface TrainCharLMOptions {
  /** Text file path or http(s) URL of the corpus. Required. */
  corpus: string;
  /** Checkpoint file (safetensors) written every `checkpointEvery` steps and at the end. Required. */
  checkpoint: string;
  /** Continue from `checkpoint` when it exists (exactly where it stopped). @default true */
  resume?: boolean;
  /**
   * Start from the weights of this model file instead of a random init. Its architecture (cell, layers, hidden
   * size, input encoding) and vocabulary are the run's: architecture options that are given must agree with it.
   * @default undefined
   */
  init?: string;
  /**
   * Kernels: `'native'` (the optional C++ addon's multiplies on two threads, with the wasm pointwise kernels),
   * `'wasm'` (WebAssembly SIMD, on two threads where there are two cores), `'js'` (plain TypeScript) or `'auto'` (native where the addon is built, else wasm
   * where the runtime has SIMD, else js).
   * Saved with the run: a resumed run keeps its kernels, so its trajectory stays bit for bit the same.
   * @default 'auto'
   */
  backend?: 'auto' | 'native' | 'wasm' | 'js';
  /** @default 'lstm' */
  cell?: CellKind;
  /** @default 2 */
  numLayers?: number;
  /** @default 256 */
  hiddenSize?: number;
  /** Dropout between layers. @default 0 */
  dropout?: number;
  /** Dropout on the top layer's output, before the head. @default 0 */
  outputDropout?: number;
  /** `'onehot'` (a gather of W_ih columns) or `'embedding'`. @default 'onehot' */
  input?: 'onehot' | 'embedding';
  /** E: embedding width, with `input: 'embedding'` only. @default hiddenSize */
  embeddingSize?: number;
  /** TBPTT window T (k1 = k2). @default 64 */
  window?: number;
  /** B contiguous streams trained as one batch. @default 32 */
  batch?: number;
  /** @default 'adam' */
  optimizer?: (typeof OPTIMIZER_NAMES)[number];
  /** @default 0.002 */
  lr?: number;
  /**
   * Weight decay of the optimizer (L2 added to the gradient for sgd, adam, adagrad, rmsprop; decoupled for
   * adamw). @default the optimizer's own: 0, or 0.01 for adamw
   */
  weightDecay?: number;
  /**
   * `'constant'` or `'cosine'`: linear warm-up over `warmupSteps`, then a half cosine down to lr/10 at `maxSteps`;
   * a run limited by `maxMinutes` alone decays over its minutes instead (elapsed training time, across resumes).
   * @default 'constant'
   */
  schedule?: 'constant' | 'cosine';
  /** @default 0 */
  warmupSteps?: number;
  /** Clip gradients to this global norm; 0 turns clipping off. @default 5 */
  clipNorm?: number;
  /** Seed of the initialisation, dropout and samples. @default 1 */
  seed?: number;
  /** Stop after this many updates in all (across resumes). @default 1000, or no limit when `maxMinutes` is set */
  maxSteps?: number;
  /** Stop after this many minutes of training in all (across resumes); 0 for no limit. @default 0 */
  maxMinutes?: number;
  /** Fraction of the text, at its end, held out for validation. @default 0.1 */
  valFraction?: number;
  /** Validate every N updates (and at the end). @default 200 */
  evalEvery?: number;
  /** Use at most this many validation characters (from the start of the split); 0 for all. @default 0 */
  maxValChars?: number;
  /**
   * Take a generated sample every N updates, with the validation loss at that update: printed on stderr and
   * kept in `<stem>.samples.md` next to the checkpoint; 0 for never. @default 200
   */
  sampleEvery?: number;
  /**
   * Also take a sample (and the validation loss) at these update counts, e.g. `[100, 300, 1000]` for the
   * lecture's "at first / train more / train more". @default []
   */
  sampleAt?: readonly number[];
  /** @default 200 */
  sampleLength?: number;
  /** Write a checkpoint every N updates (and at the end). @default 100 */
  checkpointEvery?: number;
  /**
   * Also write the model with the lowest validation loss so far to this path (a plain model file, written
   * atomically at each new best), so that a run that starts to overfit keeps its best weights. @default undefined
   */
  best?: string;
  /** Write loss plots (PNG) next to the checkpoint at the end. @default true */
  plot?: boolean;
  /** Print progress on stderr. @default true */
  progress?: boolean;
  /** Stops training between two updates (a checkpoint is written first). @default undefined */
  signal?: AbortSignal;
}

/** Resolved options. */
export type ResolvedCharLMOptions = Required<
  Omit<TrainCharLMOptions, 'init' | 'signal' | 'best' | 'sampleAt' | 'embeddingSize' | 'weightDecay'>
> & {
  /** Undefined: the model's default (hiddenSize). */
  embeddingSize: number | undefined;
  /** Undefined: the optimizer's default. */
  weightDecay: number | undefined;
  /** Ascending, no repeats. */
  sampleAt: number[];
  init: string | undefined;
  signal: AbortSignal | undefined;
  best: string | undefined;
};

/** The fields that define the run (saved in the checkpoint and reused on resume). */
export const RUN_FIELDS = [
  'backend',
  'cell',
  'numLayers',
  'hiddenSize',
  'dropout',
  'outputDropout',
  'input',
  'embeddingSize',
  'window',
  'batch',
  'optimizer',
  'lr',
  'weightDecay',
  'schedule',
  'warmupSteps',
  'clipNorm',
  'seed',
  'valFraction',
  'maxValChars',
] as const;

/** The fields that define the model's architecture: a resumed or initialised run must agree on them. */
export const ARCHITECTURE_FIELDS = ['cell', 'numLayers', 'hiddenSize', 'input', 'embeddingSize'] as const;

/** Validates and fills in defaults. @throws EddyError ERR_INVALID_ARG naming `options.<field>` */
export function resolveCharLMOptions(options: TrainCharLMOptions): ResolvedCharLMOptions {
  const o = checkObject('options', options);
  if (typeof o.corpus !== 'string' || o.corpus.length === 0)
    throw invalidArg('options.corpus', 'a file path or URL', o.corpus);
  if (typeof o.checkpoint !== 'string' || o.checkpoint.length === 0)
    throw invalidArg('options.checkpoint', 'a file path', o.checkpoint);
  if (o.init !== undefined && (typeof o.init !== 'string' || o.init.length === 0))
    throw invalidArg('options.init', 'a model file path', o.init);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', o.signal);
  if (o.best !== undefined && (typeof o.best !== 'string' || o.best.length === 0 || o.best === o.checkpoint))
    throw invalidArg('options.best', 'a model file path other than options.checkpoint', o.best);
  if (o.embeddingSize !== undefined && o.input !== 'embedding' && o.init === undefined)
    throw invalidArg('options.embeddingSize', 'undefined unless options.input is "embedding"', o.embeddingSize);
  if (o.schedule === 'cosine' && o.maxSteps === undefined && !o.maxMinutes)
    throw invalidArg(
      'options.maxSteps',
      'a number of updates, or options.maxMinutes (the cosine schedule decays over one of them)',
      o.maxSteps,
    );
  return {
    corpus: o.corpus,
    checkpoint: o.checkpoint,
    resume: checkBool('options.resume', o.resume ?? true),
    init: o.init,
    backend: checkOneOf('options.backend', o.backend ?? 'auto', ['auto', 'native', 'wasm', 'js'] as const),
    cell: checkOneOf('options.cell', o.cell ?? 'lstm', CELL_KINDS),
    numLayers: checkInt('options.numLayers', o.numLayers ?? 2, 1, 16),
    hiddenSize: checkInt('options.hiddenSize', o.hiddenSize ?? 256, 1, 8192),
    dropout: checkNumber('options.dropout', o.dropout ?? 0, 0, 1, { max: true }),
    outputDropout: checkNumber('options.outputDropout', o.outputDropout ?? 0, 0, 1, { max: true }),
    input: checkOneOf('options.input', o.input ?? 'onehot', ['onehot', 'embedding'] as const),
    embeddingSize:
      o.embeddingSize === undefined ? undefined : checkInt('options.embeddingSize', o.embeddingSize, 1, 1 << 16),
    window: checkInt('options.window', o.window ?? 64, 1, 1 << 16),
    batch: checkInt('options.batch', o.batch ?? 32, 1, 1 << 16),
    optimizer: checkOneOf('options.optimizer', o.optimizer ?? 'adam', OPTIMIZER_NAMES),
    lr: checkNumber('options.lr', o.lr ?? 0.002, 0, 10, { min: true }),
    weightDecay: o.weightDecay === undefined ? undefined : checkNumber('options.weightDecay', o.weightDecay, 0, 1),
    schedule: checkOneOf('options.schedule', o.schedule ?? 'constant', ['constant', 'cosine'] as const),
    warmupSteps: checkInt('options.warmupSteps', o.warmupSteps ?? 0, 0),
    clipNorm: checkNumber('options.clipNorm', o.clipNorm ?? 5, 0),
    seed: checkInt('options.seed', o.seed ?? 1, 0, 0xffffffff),
    maxSteps: checkInt('options.maxSteps', o.maxSteps ?? (o.maxMinutes ? Number.MAX_SAFE_INTEGER : 1000), 1),
    maxMinutes: checkNumber('options.maxMinutes', o.maxMinutes ?? 0, 0),
    valFraction: checkNumber('options.valFraction', o.valFraction ?? 0.1, 0, 0.9, { min: true }),
    evalEvery: checkInt('options.evalEvery', o.evalEvery ?? 200, 1),
    maxValChars: checkInt('options.maxValChars', o.maxValChars ?? 0, 0),
    sampleEvery: checkInt('options.sampleEvery', o.sampleEvery ?? 200, 0),
    sampleAt: resolveSampleAt(o.sampleAt),
    sampleLength: checkInt('options.sampleLength', o.sampleLength ?? 200, 1, 100_000),
    checkpointEvery: checkInt('options.checkpointEvery', o.checkpointEvery ?? 100, 1),
    best: o.best,
    plot: checkBool('options.plot', o.plot ?? true),
    progress: checkBool('options.progress', o.progress ?? true),
    signal: o.signal,
  };
}

/** `options.sampleAt`: update counts (integers >= 1), ascending without repeats. */
function resolveSampleAt(value: unknown): number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArg('options.sampleAt', 'an array of update counts', value);
  const steps = value.map((v, i) => checkInt(`options.sampleAt[${i}]`, v, 1));
  return [...new Set(steps)].sort((a, b) => a - b);
}
