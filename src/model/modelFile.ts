/**
 * Saving and loading models as safetensors files that PyTorch reads with `load_state_dict` (names of a module
 * with submodules `embedding`, `rnn`, `head`), with eddy's configuration and vocabulary in the metadata:
 * `eddy.config` (JSON of the resolved configuration without the vocabulary) and `eddy.vocab` (JSON array).
 * A file saved by PyTorch with no metadata loads too: the configuration follows from the shapes.
 */
import { EddyError } from '../util/errors.ts';
import type { Backend, WeightPrecision } from '../tensor/backend.ts';
import { checkOneOf } from '../util/validate.ts';
import type { ModelOptions } from './modelConfig.ts';
import { RNNModel } from './rnnModel.ts';
import { INT8_SCALE_SUFFIX, dequantizeInt8Rows, quantizeRowsInt8 } from './int8Rows.ts';
import type { BidirectionalClassifier } from './bidirectionalClassifier.ts';
import {
  readSafetensorsAsync,
  readSafetensors,
  writeSafetensors,
  writeSafetensorsAsync,
  type SafetensorsFile,
  type SafetensorsInput,
} from './safetensors.ts';
import {
  CONFIG_KEYS,
  bidirectionalFromStateDict,
  inferOptions,
  isBidirectionalStateDict,
  modelFromStateDict,
} from './stateDict.ts';

/** Options for loading a model file. */
export interface LoadModelOptions {
  /** Configuration fields the file does not say (e.g. `cell: 'rnn_relu'` or `input: 'onehot'` for a bare PyTorch file). @default {} */
  config?: Partial<ModelOptions>;
  /** Kernels for the model. @default jsBackend */
  backend?: Backend;
  /**
   * Weights for streaming inference: `'bf16'` or `'int8'` rounds and packs them (`RNNModel.quantizeWeights`): on the
   * native backend a step reads half or a quarter of the bytes. Outputs differ from float32 by the rounding (see
   * the README's Performance section for the measured tolerance and char-LM losses).
   * @default 'f32'
   */
  weights?: WeightPrecision;
}

/** Options for saving a model file. */
export interface SaveModelOptions {
  /**
   * How the weights are stored: `'f32'`, `'f16'` (IEEE half precision, half the bytes; PyTorch loads it as
   * float16 tensors, eddy converts to float32 on load and computes in float32; a weight beyond the half range
   * (|x| > 65504) is refused), or `'i8'`: each 2-D weight as int8 with a float32 scale per row (`<name>.int8_scale`,
   * `max |w| / 127`), a quarter of the bytes; 1-D tensors (biases) stay float32. eddy multiplies back on load;
   * PyTorch reads int8 tensors and their scales (`w = q.float() * scale[:, None]`). @default 'f32'
   */
  dtype?: 'f32' | 'f16' | 'i8';
}

/** The metadata eddy writes for a model, merged with `extra` (string values). */
export function modelMetadata(
  model: RNNModel | BidirectionalClassifier,
  extra: Record<string, string> = {},
): Record<string, string> {
  const { vocab, ...config } = model.config;
  const meta: Record<string, string> = { ...extra, 'eddy.format': '1', 'eddy.config': JSON.stringify(config) };
  if (vocab) meta['eddy.vocab'] = JSON.stringify(vocab);
  return meta;
}

/** The tensors of a model, ready for `encodeSafetensors` (stored as `options.dtype`). */
export function modelTensors(
  model: RNNModel | BidirectionalClassifier,
  options: SaveModelOptions = {},
): Record<string, SafetensorsInput> {
  const dtype = checkOneOf('options.dtype', options.dtype ?? 'f32', ['f32', 'f16', 'i8'] as const);
  if (model.disposed)
    throw new EddyError('ERR_INVALID_ARG', 'Cannot save the model: it was disposed (its parameters are gone)');
  const out: Record<string, SafetensorsInput> = {};
  for (const e of model.layout.entries) {
    const data = Float32Array.from(model.params.subarray(e.offset, e.offset + e.size));
    if (dtype === 'i8' && e.shape.length === 2) {
      const { q, scale } = quantizeRowsInt8(data, e.shape[0], e.shape[1], e.name);
      out[e.name] = { shape: [...e.shape], data: q };
      out[e.name + INT8_SCALE_SUFFIX] = { shape: [e.shape[0]], data: scale };
    } else out[e.name] = dtype === 'f16' ? { shape: [...e.shape], data, dtype: 'F16' } : { shape: [...e.shape], data };
  }
  return out;
}

/**
 * Saves a model atomically (temporary file, then rename). `extra` metadata is kept beside eddy's own.
 * @throws EddyError ERR_INVALID_ARG naming the weight when `options.dtype` is `'f16'` and a weight does not fit
 */
export function saveModel(
  path: string,
  model: RNNModel | BidirectionalClassifier,
  extra: Record<string, string> = {},
  options: SaveModelOptions = {},
): void {
  writeSafetensors(path, modelTensors(model, options), modelMetadata(model, extra));
}

/** Async `saveModel`. */
export async function saveModelAsync(
  path: string,
  model: RNNModel | BidirectionalClassifier,
  extra: Record<string, string> = {},
  options: SaveModelOptions = {},
): Promise<void> {
  await writeSafetensorsAsync(path, modelTensors(model, options), modelMetadata(model, extra));
}

/** Builds a model from a decoded safetensors file (see `loadModel`). */
export function modelFromSafetensors(file: SafetensorsFile, source: string, options: LoadModelOptions = {}): RNNModel {
  const model = classifierFromSafetensors(file, source, options);
  if (model instanceof RNNModel) return model;
  throw new EddyError(
    'ERR_FILE',
    `Cannot load ${source}: it holds a bidirectional classifier (load it with loadClassifier or loadEnsemble)`,
  );
}

/**
 * Builds a model or, when the file says `bidirectional` (or holds PyTorch's `_reverse` tensors), a
 * `BidirectionalClassifier` from a decoded safetensors file (see `loadClassifier`).
 */
export function classifierFromSafetensors(
  file: SafetensorsFile,
  source: string,
  options: LoadModelOptions = {},
): RNNModel | BidirectionalClassifier {
  const fromMeta: Partial<ModelOptions> & { bidirectional?: unknown } = {};
  const rawConfig = file.metadata['eddy.config'];
  if (rawConfig !== undefined) Object.assign(fromMeta, parseConfig(rawConfig, source));
  else if (file.metadata.nonlinearity === 'relu') {
    fromMeta.cell = 'rnn_relu';
  }
  const rawVocab = file.metadata['eddy.vocab'];
  if (rawVocab !== undefined) {
    try {
      fromMeta.vocab = JSON.parse(rawVocab) as string[];
    } catch {
      throw new EddyError('ERR_FILE', `Cannot load ${source}: metadata eddy.vocab is not valid JSON`);
    }
  }
  // a training checkpoint is also a model file: its optimizer buffers and carried state are not parameters
  const tensors = dequantizeInt8Rows(
    file.metadata['eddy.checkpoint'] === '1'
      ? new Map([...file.tensors].filter(([k]) => !k.startsWith('optimizer.') && !k.startsWith('carried.')))
      : file.tensors,
    source,
  );
  const weights = checkOneOf('options.weights', options.weights ?? 'f32', ['f32', 'bf16', 'int8'] as const);
  const { bidirectional, ...given } = fromMeta;
  if (bidirectional !== undefined && bidirectional !== true)
    throw new EddyError(
      'ERR_FILE',
      `Cannot load ${source}: metadata eddy.config says bidirectional ${JSON.stringify(bidirectional)} (true or absent)`,
    );
  if (bidirectional === true || isBidirectionalStateDict(tensors)) {
    if (weights !== 'f32')
      throw new EddyError(
        'ERR_INVALID_ARG',
        `options.weights: a bidirectional classifier (${source}) computes in float32 only`,
      );
    const args: FromArgs = { config: { ...given, ...(options.config ?? {}) }, source };
    if (options.backend) args.backend = options.backend;
    return bidirectionalFromStateDict(tensors, args);
  }
  // each source of configuration must agree with the shapes on its own, so a message names the one that does not
  inferOptions(tensors, given, source, 'metadata eddy.config');
  if (options.config) inferOptions(tensors, options.config, source, 'options.config');
  const fromArgs: FromArgs = { config: { ...given, ...(options.config ?? {}) }, source };
  if (options.backend) fromArgs.backend = options.backend;
  const model = modelFromStateDict(tensors, fromArgs);
  if (weights !== 'f32') model.quantizeWeights(weights);
  return model;
}

/** The `eddy.config` metadata: a JSON object of known configuration keys (values are checked against the shapes). */
function parseConfig(raw: string, source: string): Partial<ModelOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EddyError('ERR_FILE', `Cannot load ${source}: metadata eddy.config is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new EddyError(
      'ERR_FILE',
      `Cannot load ${source}: metadata eddy.config is not a JSON object (${raw.slice(0, 40)})`,
    );
  for (const key of Object.keys(parsed)) {
    if (!CONFIG_KEYS.includes(key))
      throw new EddyError(
        'ERR_FILE',
        `Cannot load ${source}: metadata eddy.config has an unknown key ${JSON.stringify(key)} (known: ${CONFIG_KEYS.join(', ')})`,
      );
  }
  return parsed as Partial<ModelOptions>;
}
type FromArgs = Parameters<typeof modelFromStateDict>[1] & {};

/**
 * Loads a model saved by eddy or a state_dict saved by PyTorch as safetensors.
 * @throws EddyError ERR_FILE naming the file when it is missing, truncated, corrupt or does not fit a model
 */
export function loadModel(path: string, options: LoadModelOptions = {}): RNNModel {
  return modelFromSafetensors(readSafetensors(path), path, options);
}

/**
 * Loads a classifier: a model as `loadModel` does, or a `BidirectionalClassifier` (saved by eddy, or a PyTorch
 * state_dict with a one-layer bidirectional `rnn` and a `head` over 2H).
 * @throws EddyError ERR_FILE naming the file when it is missing, truncated, corrupt or does not fit
 */
export function loadClassifier(path: string, options: LoadModelOptions = {}): RNNModel | BidirectionalClassifier {
  return classifierFromSafetensors(readSafetensors(path), path, options);
}

/** Async `loadModel`. */
export async function loadModelAsync(path: string, options: LoadModelOptions = {}): Promise<RNNModel> {
  return modelFromSafetensors(await readSafetensorsAsync(path), path, options);
}
