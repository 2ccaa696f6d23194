/**
 * Recurrent attention models on disk: a safetensors file with one tensor per entry of the parameter table
 * (`glimpse.rho.weight`, `core.weight_ih_l0`, ...), the configuration in `eddy.ram.config` and any caller metadata
 * (`eddy.task`, test error). A training checkpoint is the same file plus the optimizer's buffers (`optimizer.m`,
 * ...) and, in the metadata, the optimizer's scalars, the RNG state and the caller's JSON; written atomically.
 *
 * @example
 * saveRamModel('ram.safetensors', model, { 'eddy.task': 'MNIST 28x28' });
 * const again = loadRamModel('ram.safetensors');
 */
import { readSafetensors, writeSafetensors, type SafetensorsInput } from '../model/safetensors.ts';
import type { OptimizerState } from '../train/optimizer.ts';
import type { Backend } from '../tensor/backend.ts';
import { removeStaleTemporaries } from '../util/atomicWrite.ts';
import { EddyError } from '../util/errors.ts';
import type { RngState } from '../util/rng.ts';
import { checkOneOf } from '../util/validate.ts';
import { ramLayout, resolveRamConfig, type RamConfig } from './ramConfig.ts';
import { RamModel } from './ramModel.ts';

const CONFIG_KEY = 'eddy.ram.config';
const PREFIX_OPT = 'optimizer.';

function ramTensors(model: RamModel, dtype: 'f32' | 'f16' = 'f32'): Record<string, SafetensorsInput> {
  model.checkLive('saving a RAM model');
  const out: Record<string, SafetensorsInput> = {};
  for (const e of model.layout) {
    const data = Float32Array.from(model.params.subarray(e.offset, e.offset + e.size));
    out[e.name] = dtype === 'f16' ? { shape: [...e.shape], data, dtype: 'F16' } : { shape: [...e.shape], data };
  }
  return out;
}

/** Options of `saveRamModel`. */
export interface SaveRamModelOptions {
  /**
   * How the weights are stored: `'f16'` is half the bytes (rounded to half precision; loaded back to float32,
   * eddy computes in float32 either way). @default 'f32'
   */
  dtype?: 'f32' | 'f16';
}

/**
 * Writes a model atomically, with `metadata` (string values) beside its configuration.
 * @throws EddyError ERR_INVALID_ARG naming the weight when `options.dtype` is `'f16'` and a weight does not fit
 */
export function saveRamModel(
  path: string,
  model: RamModel,
  metadata: Record<string, string> = {},
  options: SaveRamModelOptions = {},
): void {
  const dtype = checkOneOf('options.dtype', options.dtype ?? 'f32', ['f32', 'f16'] as const);
  writeSafetensors(path, ramTensors(model, dtype), { ...metadata, [CONFIG_KEY]: JSON.stringify(model.config) });
}

/** A model and the file's metadata. */
export interface LoadedRamModel {
  model: RamModel;
  metadata: Record<string, string>;
}

function modelFromFile(path: string, file: ReturnType<typeof readSafetensors>, backend: Backend | undefined): RamModel {
  const raw = file.metadata[CONFIG_KEY];
  if (raw === undefined)
    throw new EddyError('ERR_FILE', `Cannot load ${path}: not a recurrent attention model (no ${CONFIG_KEY} metadata)`);
  let config: RamConfig;
  try {
    config = resolveRamConfig(JSON.parse(raw) as RamConfig);
  } catch (err) {
    throw new EddyError('ERR_FILE', `Cannot load ${path}: bad ${CONFIG_KEY}: ${(err as Error).message}`);
  }
  const { entries, size } = ramLayout(config);
  const params = new Float32Array(size);
  for (const e of entries) {
    const t = file.tensors.get(e.name);
    if (!t) throw new EddyError('ERR_FILE', `Cannot load ${path}: tensor ${e.name} is missing`);
    if (t.data.length !== e.size || t.shape.join(',') !== e.shape.join(','))
      throw new EddyError(
        'ERR_FILE',
        `Cannot load ${path}: tensor ${e.name} has shape [${t.shape.join(', ')}], expected [${e.shape.join(', ')}]`,
      );
    params.set(t.data, e.offset);
  }
  return RamModel.fromParams(config, params, backend);
}

/**
 * Reads a model written by `saveRamModel` (or a checkpoint).
 * @throws {EddyError} ERR_FILE naming the file when it is missing, corrupt, or not a recurrent attention model
 */
export function loadRamModel(path: string, options: { backend?: Backend } = {}): LoadedRamModel {
  const file = readSafetensors(path);
  return { model: modelFromFile(path, file, options.backend), metadata: file.metadata };
}

/** What a RAM checkpoint holds besides the model. */
export interface RamCheckpointParts<Extra> {
  optimizer: OptimizerState;
  /** The training RNG (`rng.getState()`). */
  rng: RngState;
  /** Caller data (step, options, history), stored as JSON. */
  extra: Extra;
}

/** Writes a training checkpoint atomically: a crash leaves the previous one intact. */
export function saveRamCheckpoint<Extra>(path: string, model: RamModel, parts: RamCheckpointParts<Extra>): void {
  const tensors = ramTensors(model);
  for (const [k, v] of Object.entries(parts.optimizer.buffers))
    tensors[PREFIX_OPT + k] = { shape: [v.length], data: Float32Array.from(v) };
  writeSafetensors(path, tensors, {
    [CONFIG_KEY]: JSON.stringify(model.config),
    'eddy.checkpoint': '1',
    'eddy.optimizer': JSON.stringify({
      name: parts.optimizer.name,
      step: parts.optimizer.step,
      scalars: parts.optimizer.scalars,
    }),
    'eddy.rng': JSON.stringify(parts.rng),
    'eddy.extra': JSON.stringify(parts.extra),
  });
}

/**
 * Reads a checkpoint written by `saveRamCheckpoint` (removing stale temporaries a killed write left beside it).
 * @throws {EddyError} ERR_FILE naming the file when it is missing, corrupt, or not a RAM checkpoint
 */
export function loadRamCheckpoint<Extra>(
  path: string,
  options: { backend?: Backend } = {},
): RamCheckpointParts<Extra> & { model: RamModel } {
  removeStaleTemporaries(path);
  const file = readSafetensors(path);
  if (file.metadata['eddy.checkpoint'] !== '1')
    throw new EddyError('ERR_FILE', `Cannot load ${path}: not a training checkpoint (no eddy.checkpoint metadata)`);
  const model = modelFromFile(path, file, options.backend);
  let opt: { name: string; step: number; scalars: Record<string, number> };
  let rng: RngState;
  let extra: Extra;
  try {
    opt = JSON.parse(file.metadata['eddy.optimizer'] ?? 'null') as typeof opt;
    rng = JSON.parse(file.metadata['eddy.rng'] ?? 'null') as RngState;
    extra = JSON.parse(file.metadata['eddy.extra'] ?? 'null') as Extra;
  } catch {
    throw new EddyError('ERR_FILE', `Cannot load ${path}: checkpoint metadata is not valid JSON`);
  }
  if (!opt || typeof opt.name !== 'string' || !Array.isArray(rng))
    throw new EddyError('ERR_FILE', `Cannot load ${path}: checkpoint has no optimizer or RNG state`);
  const buffers: Record<string, Float32Array> = {};
  for (const [k, v] of file.tensors) if (k.startsWith(PREFIX_OPT)) buffers[k.slice(PREFIX_OPT.length)] = v.data;
  return { model, optimizer: { ...opt, buffers }, rng, extra };
}
