/**
 * A frame labeller: a recurrent model (GRU or LSTM, dense input) with a per-frame linear head over the classes,
 * plus what it was trained on: the feature spec (frame size, differences) and the class names. Saved as one
 * safetensors file whose metadata key `eddy.video` holds the spec and labels, so a file trained for another
 * frame size fails with a message naming both sizes.
 *
 * ```
 * frame t ──► features x_t [X] ──► GRU/LSTM (state carried across frames) ──► head ──► logits [Y] ──► label
 * ```
 *
 * @example
 * const labeler = createFrameLabeler({ labels: ['silent', 'speaking'], width: 32, height: 32, hiddenSize: 64 });
 * saveFrameLabeler('video-grid.safetensors', labeler);
 * const again = loadFrameLabeler('video-grid.safetensors');
 */
import type { Backend } from '../tensor/backend.ts';
import type { CellKind } from '../cells/cellKernel.ts';
import { modelFromSafetensors, saveModel } from '../model/modelFile.ts';
import { RNNModel } from '../model/rnnModel.ts';
import { readSafetensors } from '../model/safetensors.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { resolveFeatureSpec, sizeText, type FrameFeatureOptions, type FrameFeatureSpec } from './frameFeatures.ts';

/** The metadata key of a frame labeller's spec and labels. */
export const VIDEO_METADATA_KEY = 'eddy.video';

/** Options of `createFrameLabeler`. */
export interface FrameLabelerOptions extends FrameFeatureOptions {
  /** Class names, one per output (Y = labels.length >= 2). Required. */
  labels: readonly string[];
  /** Recurrent cell. @default 'gru' */
  cell?: Extract<CellKind, 'gru' | 'lstm' | 'rnn_tanh'>;
  /** H: hidden units. @default 64 */
  hiddenSize?: number;
  /** L: stacked layers. @default 1 */
  numLayers?: number;
  /** Seed of the initialisation. @default 0 */
  seed?: number;
  /** Kernels of the model (`backendByName('auto')` picks the fastest here). @default jsBackend */
  backend?: Backend;
}

/** A recurrent model with its feature spec and class names. */
export interface FrameLabeler {
  readonly model: RNNModel;
  readonly spec: FrameFeatureSpec;
  readonly labels: readonly string[];
}

function checkLabels(path: string, labels: unknown): string[] {
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((s) => typeof s === 'string' && s.length > 0)) {
    throw invalidArg(path, 'an array of at least 2 non-empty strings', labels);
  }
  if (new Set(labels).size !== labels.length) throw invalidArg(path, 'distinct strings', labels);
  return [...(labels as string[])];
}

/**
 * A new, untrained frame labeller.
 * @throws EddyError ERR_INVALID_ARG naming `options.<field>`
 */
export function createFrameLabeler(options: FrameLabelerOptions): FrameLabeler {
  const o = checkObject('options', options);
  const labels = checkLabels('options.labels', o.labels);
  const spec = resolveFeatureSpec(o, 'options');
  const cell = checkOneOf('options.cell', o.cell ?? 'gru', ['gru', 'lstm', 'rnn_tanh'] as const);
  const hiddenSize = checkInt('options.hiddenSize', o.hiddenSize ?? 64, 1, 1 << 14);
  const numLayers = checkInt('options.numLayers', o.numLayers ?? 1, 1, 8);
  const seed = checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff);
  const model = RNNModel.create(
    { cell, input: 'dense', inputSize: spec.size, hiddenSize, numLayers, outputSize: labels.length },
    { seed, ...(o.backend ? { backend: o.backend as Backend } : {}) },
  );
  return { model, spec, labels };
}

/** The `eddy.video` metadata of a labeller. */
export function frameLabelerMetadata(labeler: FrameLabeler): Record<string, string> {
  const { width, height, channels, crop, pool, appearance, diff, diffScale, normalize } = labeler.spec;
  return {
    [VIDEO_METADATA_KEY]: JSON.stringify({
      format: 1,
      width,
      height,
      channels,
      crop,
      pool,
      appearance,
      diff,
      diffScale,
      normalize,
      labels: labeler.labels,
    }),
  };
}

/** Saves a labeller as a safetensors model file (atomically), the spec and labels in its metadata. */
export function saveFrameLabeler(path: string, labeler: FrameLabeler, extra: Record<string, string> = {}): void {
  saveModel(path, labeler.model, { ...extra, ...frameLabelerMetadata(labeler) });
}

/** What `loadFrameLabeler` accepts. */
export interface LoadFrameLabelerOptions {
  /** Fail unless the model was trained on frames of this size (`{ width, height }`). @default undefined (any) */
  expect?: { width: number; height: number };
  /** Kernels of the model (`backendByName('auto')` picks the fastest here). @default jsBackend */
  backend?: Backend;
}

/**
 * Loads a labeller saved by `saveFrameLabeler`.
 * @throws EddyError ERR_FILE when the file is missing, is not a frame-labeller model, or its spec does not fit its
 *   weights; ERR_SHAPE when `options.expect` names another frame size than the one it was trained on
 */
export function loadFrameLabeler(path: string, options: LoadFrameLabelerOptions = {}): FrameLabeler {
  const o = checkObject('options', options);
  const file = readSafetensors(path);
  const raw = file.metadata[VIDEO_METADATA_KEY];
  if (raw === undefined) {
    throw new EddyError(
      'ERR_FILE',
      `Cannot load ${path} as a frame labeller: it has no ${VIDEO_METADATA_KEY} metadata (frame size and labels); save it with saveFrameLabeler`,
    );
  }
  let meta: {
    width?: unknown;
    height?: unknown;
    channels?: unknown;
    crop?: unknown;
    pool?: unknown;
    appearance?: unknown;
    diff?: unknown;
    diffScale?: unknown;
    normalize?: unknown;
    labels?: unknown;
  };
  try {
    meta = JSON.parse(raw) as typeof meta;
  } catch {
    throw new EddyError('ERR_FILE', `Cannot load ${path}: metadata ${VIDEO_METADATA_KEY} is not valid JSON`);
  }
  let spec: FrameFeatureSpec;
  let labels: string[];
  try {
    spec = resolveFeatureSpec(meta as FrameFeatureOptions, VIDEO_METADATA_KEY);
    labels = checkLabels(`${VIDEO_METADATA_KEY}.labels`, meta.labels);
  } catch (err) {
    throw new EddyError('ERR_FILE', `Cannot load ${path}: ${(err as Error).message}`, { cause: err });
  }
  const model = modelFromSafetensors(file, path, o.backend ? { backend: o.backend as Backend } : {});
  if (
    model.config.input !== 'dense' ||
    model.config.inputSize !== spec.size ||
    model.config.outputSize !== labels.length
  ) {
    throw new EddyError(
      'ERR_FILE',
      `Cannot load ${path}: its model takes ${model.config.inputSize} inputs and gives ${model.config.outputSize} outputs, but its ${VIDEO_METADATA_KEY} metadata says ${spec.size} features (${sizeText(spec.width, spec.height, 1)} frames, a ${spec.gridWidth}x${spec.gridHeight} grid) and ${labels.length} labels`,
    );
  }
  if (o.expect !== undefined) {
    const w = checkInt('options.expect.width', o.expect.width, 1);
    const h = checkInt('options.expect.height', o.expect.height, 1);
    if (w !== spec.width || h !== spec.height) {
      throw new EddyError(
        'ERR_SHAPE',
        `Model ${path} was trained on ${sizeText(spec.width, spec.height, 1)} frames but ${sizeText(w, h, 1)} frames were expected`,
      );
    }
  }
  return { model, spec, labels };
}
