/**
 * Several classifiers in one safetensors file (an ensemble whose probabilities `classifyEnsemble` averages).
 * Member i's tensors are stored under `members.<i>.` (e.g. `members.0.rnn.weight_ih_l0`), and the metadata
 * `eddy.ensemble` is a JSON array with each member's configuration, vocabulary and reading direction.
 * `loadEnsemble` also reads a single-model file as an ensemble of one (reversed when its metadata `eddy.reverse`
 * is `"1"`), so one loader serves both.
 *
 * @example
 * saveEnsemble('names.safetensors', [{ model: a, reverse: false }, { model: b, reverse: true }]);
 * const { members } = loadEnsemble('names.safetensors');
 */
import { EddyError, invalidArg } from '../util/errors.ts';
import type { RNNModel } from './rnnModel.ts';
import type { BidirectionalClassifier } from './bidirectionalClassifier.ts';
import {
  classifierFromSafetensors,
  modelMetadata,
  modelTensors,
  type LoadModelOptions,
  type SaveModelOptions,
} from './modelFile.ts';
import { readSafetensors, writeSafetensors, type SafetensorsInput, type SafetensorsTensor } from './safetensors.ts';

/** One model of an ensemble and the direction it reads sequences in. */
export interface EnsembleMember {
  /** A classifier (a model with a head of K outputs, or a bidirectional classifier). */
  readonly model: RNNModel | BidirectionalClassifier;
  /** Reads each sequence right to left (last id first). */
  readonly reverse: boolean;
}

/** The metadata key of an ensemble file. */
export const ENSEMBLE_KEY = 'eddy.ensemble';

/** The metadata key that marks a single model as reading right to left. */
export const REVERSE_KEY = 'eddy.reverse';

/** What `loadEnsemble` returns. */
export interface LoadedEnsemble {
  /** The members, in the order saved. */
  readonly members: EnsembleMember[];
  /** The file's metadata (the caller's extra keys included). */
  readonly metadata: Record<string, string>;
}

interface MemberEntry {
  config: string;
  vocab?: string;
  reverse: boolean;
}

/**
 * Saves an ensemble atomically; `extra` metadata is kept beside eddy's own; `options.dtype: 'f16'` halves the file,
 * `'i8'` quarters its weight matrices (`SaveModelOptions.dtype`).
 * @throws EddyError ERR_INVALID_ARG naming `members` when it is empty, or a weight that does not fit f16
 */
export function saveEnsemble(
  path: string,
  members: readonly EnsembleMember[],
  extra: Record<string, string> = {},
  options: SaveModelOptions = {},
): void {
  if (!Array.isArray(members) || members.length === 0)
    throw invalidArg('members', 'a non-empty array of ensemble members', members);
  const tensors: Record<string, SafetensorsInput> = {};
  const entries: MemberEntry[] = members.map((m, i) => {
    for (const [name, t] of Object.entries(modelTensors(m.model, options))) tensors[`members.${i}.${name}`] = t;
    const meta = modelMetadata(m.model);
    const entry: MemberEntry = { config: meta['eddy.config'], reverse: m.reverse === true };
    if (meta['eddy.vocab'] !== undefined) entry.vocab = meta['eddy.vocab'];
    return entry;
  });
  writeSafetensors(path, tensors, { ...extra, 'eddy.format': '1', [ENSEMBLE_KEY]: JSON.stringify(entries) });
}

/**
 * Loads an ensemble saved by `saveEnsemble`, or a single model file as an ensemble of one.
 * @throws EddyError ERR_FILE naming the file when it is missing, corrupt, or a member does not fit its tensors
 */
export function loadEnsemble(path: string, options: LoadModelOptions = {}): LoadedEnsemble {
  const file = readSafetensors(path);
  const raw = file.metadata[ENSEMBLE_KEY];
  if (raw === undefined) {
    const model = classifierFromSafetensors(file, path, options);
    return { members: [{ model, reverse: file.metadata[REVERSE_KEY] === '1' }], metadata: file.metadata };
  }
  let entries: MemberEntry[];
  try {
    entries = JSON.parse(raw) as MemberEntry[];
  } catch {
    throw new EddyError('ERR_FILE', `Cannot load ${path}: metadata ${ENSEMBLE_KEY} is not valid JSON`);
  }
  if (!Array.isArray(entries) || entries.length === 0)
    throw new EddyError('ERR_FILE', `Cannot load ${path}: metadata ${ENSEMBLE_KEY} is not a non-empty array`);
  const members = entries.map((e, i) => {
    const prefix = `members.${i}.`;
    const tensors = new Map<string, SafetensorsTensor>();
    for (const [name, t] of file.tensors) if (name.startsWith(prefix)) tensors.set(name.slice(prefix.length), t);
    if (tensors.size === 0 || typeof e?.config !== 'string')
      throw new EddyError('ERR_FILE', `Cannot load ${path}: ensemble member ${i} has no tensors or no config`);
    const metadata: Record<string, string> = { 'eddy.config': e.config };
    if (typeof e.vocab === 'string') metadata['eddy.vocab'] = e.vocab;
    const model = classifierFromSafetensors({ tensors, metadata }, `${path} (member ${i})`, options);
    return { model, reverse: e.reverse === true };
  });
  return { members, metadata: file.metadata };
}
