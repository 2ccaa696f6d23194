/**
 * Training checkpoints: one safetensors file holding everything a killed run needs to continue exactly as the
 * uninterrupted run would have: the model's parameters (under PyTorch's names, so the file also loads as a
 * model), the optimizer's buffers, the carried hidden state, and in the metadata the optimizer's scalars, the
 * RNG state and any JSON the caller adds (data cursor, step, loss history). Written atomically: a crash
 * leaves the previous checkpoint intact.
 */
import { EddyError } from '../util/errors.ts';
import { removeStaleTemporaries } from '../util/atomicWrite.ts';
import type { RngState } from '../util/rng.ts';
import { RNNModel } from '../model/rnnModel.ts';
import type { BidirectionalClassifier } from '../model/bidirectionalClassifier.ts';
import { classifierFromSafetensors, modelMetadata, modelTensors, type LoadModelOptions } from '../model/modelFile.ts';
import type { SafetensorsFile } from '../model/safetensors.ts';
import { readSafetensors, writeSafetensors, type SafetensorsInput } from '../model/safetensors.ts';
import type { RecurrentState } from '../model/recurrentState.ts';
import type { OptimizerState } from './optimizer.ts';

/** What a checkpoint holds besides the model. */
export interface CheckpointParts<Extra> {
  /** The optimizer's state (`optimizer.getState()`). */
  optimizer: OptimizerState;
  /** The carried hidden state `{h [L,B,H], c?}`, or null. */
  state: RecurrentState | null;
  /** The training RNG's state (`rng.getState()`), or null. */
  rng: RngState | null;
  /** Caller data, stored as JSON (step, data cursor, history, options). */
  extra: Extra;
}

/** A loaded checkpoint (`M`: an `RNNModel`, or either kind of classifier from `loadClassifierCheckpoint`). */
export interface Checkpoint<Extra, M extends RNNModel | BidirectionalClassifier = RNNModel>
  extends CheckpointParts<Extra> {
  model: M;
}

const PREFIX_OPT = 'optimizer.';
const PREFIX_STATE = 'carried.';

/** Writes a checkpoint atomically (of a model, or of a bidirectional classifier: `loadClassifierCheckpoint` reads it). */
export function saveCheckpoint<Extra>(
  path: string,
  model: RNNModel | BidirectionalClassifier,
  parts: CheckpointParts<Extra>,
): void {
  const tensors: Record<string, SafetensorsInput> = modelTensors(model);
  for (const [k, v] of Object.entries(parts.optimizer.buffers))
    tensors[PREFIX_OPT + k] = { shape: [v.length], data: Float32Array.from(v) };
  if (parts.state) {
    tensors[`${PREFIX_STATE}h`] = { shape: [parts.state.h.length], data: Float32Array.from(parts.state.h) };
    if (parts.state.c)
      tensors[`${PREFIX_STATE}c`] = { shape: [parts.state.c.length], data: Float32Array.from(parts.state.c) };
  }
  const meta = modelMetadata(model, {
    'eddy.checkpoint': '1',
    'eddy.optimizer': JSON.stringify({
      name: parts.optimizer.name,
      step: parts.optimizer.step,
      scalars: parts.optimizer.scalars,
    }),
    'eddy.rng': JSON.stringify(parts.rng),
    'eddy.extra': JSON.stringify(parts.extra),
  });
  writeSafetensors(path, tensors, meta);
}

/**
 * Reads a checkpoint written by `saveCheckpoint`. A resume is where a killed write is noticed first: the stale
 * temporaries it left beside `path` are removed (see `removeStaleTemporaries`).
 * @throws EddyError ERR_FILE naming the file when it is missing, truncated, corrupt, not a checkpoint, or holds a
 * bidirectional classifier (`loadClassifierCheckpoint` reads those)
 */
export function loadCheckpoint<Extra>(path: string, options: LoadModelOptions = {}): Checkpoint<Extra> {
  const file = readCheckpointFile(path);
  const model = classifierFromSafetensors(file, path, options); // skips the optimizer and carried-state tensors
  if (!(model instanceof RNNModel))
    throw new EddyError(
      'ERR_FILE',
      `Cannot load ${path}: it holds a bidirectional classifier's checkpoint (load it with loadClassifierCheckpoint)`,
    );
  return { model, ...checkpointParts<Extra>(file, path) };
}

/**
 * `loadCheckpoint` for a classifier's training run: the model is an `RNNModel` or a `BidirectionalClassifier`,
 * whichever the checkpoint holds.
 * @throws EddyError ERR_FILE naming the file when it is missing, truncated, corrupt or not a checkpoint
 */
export function loadClassifierCheckpoint<Extra>(
  path: string,
  options: LoadModelOptions = {},
): Checkpoint<Extra, RNNModel | BidirectionalClassifier> {
  const file = readCheckpointFile(path);
  const model = classifierFromSafetensors(file, path, options);
  return { model, ...checkpointParts<Extra>(file, path) };
}

function readCheckpointFile(path: string): SafetensorsFile {
  removeStaleTemporaries(path);
  const file = readSafetensors(path);
  if (file.metadata['eddy.checkpoint'] !== '1')
    throw new EddyError(
      'ERR_FILE',
      `Cannot load ${path}: not an eddy training checkpoint (no eddy.checkpoint metadata)`,
    );
  return file;
}

/** Everything but the model: the optimizer, the carried state, the RNG and the caller's JSON. */
function checkpointParts<Extra>(file: SafetensorsFile, path: string): CheckpointParts<Extra> {
  let opt: { name: string; step: number; scalars: Record<string, number> };
  let rng: RngState | null;
  let extra: Extra;
  try {
    opt = JSON.parse(file.metadata['eddy.optimizer'] ?? 'null') as typeof opt;
    rng = JSON.parse(file.metadata['eddy.rng'] ?? 'null') as RngState | null;
    extra = JSON.parse(file.metadata['eddy.extra'] ?? 'null') as Extra;
  } catch {
    throw new EddyError('ERR_FILE', `Cannot load ${path}: checkpoint metadata is not valid JSON`);
  }
  if (!opt || typeof opt.name !== 'string')
    throw new EddyError('ERR_FILE', `Cannot load ${path}: checkpoint has no optimizer state`);
  const buffers: Record<string, Float32Array> = {};
  for (const [k, v] of file.tensors) if (k.startsWith(PREFIX_OPT)) buffers[k.slice(PREFIX_OPT.length)] = v.data;
  const h = file.tensors.get(`${PREFIX_STATE}h`);
  const c = file.tensors.get(`${PREFIX_STATE}c`);
  const state: RecurrentState | null = h ? (c ? { h: h.data, c: c.data } : { h: h.data }) : null;
  return { optimizer: { name: opt.name, step: opt.step, scalars: opt.scalars, buffers }, state, rng, extra };
}
