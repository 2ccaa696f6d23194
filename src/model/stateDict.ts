/**
 * PyTorch state_dicts <-> eddy models. A state_dict is a map from PyTorch names (`embedding.weight`,
 * `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`) to tensors. Loading infers the cell and sizes from the
 * shapes when no configuration is given: `weight_hh_l0 [G·H, H]` gives H and the cell (G = 4 LSTM, 3 GRU,
 * 1 RNN, tanh unless told `rnn_relu`), the count of `weight_ih_l*` gives the layers, `embedding.weight` the
 * vocabulary, `head.weight` the outputs.
 */
import { EddyError } from '../util/errors.ts';
import { firstNonFinite } from '../util/finite.ts';
import type { Backend } from '../tensor/backend.ts';
import { jsBackend } from '../tensor/jsBackend.ts';
import type { CellKind } from '../cells/cellKernel.ts';
import type { ModelConfig, ModelOptions } from './modelConfig.ts';
import { resolveConfig } from './modelConfig.ts';
import { paramLayout } from './paramLayout.ts';
import { allocParams } from './ownedParams.ts';
import { RNNModel } from './rnnModel.ts';
import { BidirectionalClassifier, bidirectionalParamCount } from './bidirectionalClassifier.ts';

/** A tensor of a state_dict: shape and row-major values. */
export interface StateTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** Options for `modelFromStateDict`. */
export interface FromStateDictOptions {
  /** Configuration fields that shapes cannot tell (e.g. `cell: 'rnn_relu'`, `input: 'onehot'`, `vocab`, `dropout`); they must agree with the shapes. @default {} */
  config?: Partial<ModelOptions>;
  /** Kernels for the model. @default jsBackend */
  backend?: Backend;
  /** Where the tensors came from, for error messages. @default 'state_dict' */
  source?: string;
}

function fail(source: string, what: string): EddyError {
  return new EddyError('ERR_FILE', `Cannot load ${source}: ${what}`);
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** The fields of a configuration (`ModelOptions`), the keys `eddy.config` may hold. */
export const CONFIG_KEYS: readonly string[] = [
  'cell',
  'input',
  'inputSize',
  'embeddingSize',
  'hiddenSize',
  'numLayers',
  'outputSize',
  'dropout',
  'outputDropout',
  'embeddingDropout',
  'vocab',
  'bidirectional',
];

/**
 * Infers the configuration from the shapes, merged with the given fields, each of which must agree with them.
 * @param label what gave the fields, for messages (`metadata eddy.config`, `options.config`)
 * @throws EddyError ERR_FILE naming the source and the first field that contradicts the shapes
 */
export function inferOptions(
  tensors: ReadonlyMap<string, StateTensor>,
  given: Partial<ModelOptions> = {},
  source = 'state_dict',
  label = 'the configuration',
): ModelOptions {
  const hh = tensors.get('rnn.weight_hh_l0');
  const ih = tensors.get('rnn.weight_ih_l0');
  if (!hh || !ih)
    throw fail(
      source,
      `no rnn.weight_hh_l0 / rnn.weight_ih_l0 tensor (names found: ${[...tensors.keys()].slice(0, 12).join(', ') || 'none'})`,
    );
  if (hh.shape.length !== 2 || ih.shape.length !== 2)
    throw fail(
      source,
      `rnn.weight_hh_l0 and rnn.weight_ih_l0 must be 2-D, got ${shapeText(hh.shape)} and ${shapeText(ih.shape)}`,
    );
  const H = hh.shape[1];
  const G = hh.shape[0] / H;
  let cell: CellKind;
  if (G === 4) cell = 'lstm';
  else if (G === 3) cell = 'gru';
  else if (G === 1) cell = given.cell === 'rnn_relu' ? 'rnn_relu' : 'rnn_tanh';
  else
    throw fail(
      source,
      `rnn.weight_hh_l0 has shape ${shapeText(hh.shape)}: rows must be 1, 3 or 4 times the hidden size ${H}`,
    );
  if (given.cell !== undefined && given.cell !== cell)
    throw fail(source, `${label} says cell ${JSON.stringify(given.cell)} but the shapes say "${cell}"`);
  let numLayers = 0;
  while (tensors.has(`rnn.weight_ih_l${numLayers}`)) numLayers++;
  const emb = tensors.get('embedding.weight');
  const head = tensors.get('head.weight');
  const options: ModelOptions = {
    ...given,
    cell,
    input: emb ? 'embedding' : given.input === 'onehot' ? 'onehot' : 'dense',
    inputSize: emb ? (emb.shape[0] ?? 0) : ih.shape[1],
    hiddenSize: H,
    numLayers,
    outputSize: head ? (head.shape[0] ?? 0) : 0,
  };
  if (emb) options.embeddingSize = emb.shape[1] ?? 0;
  else delete options.embeddingSize;
  // Every given field the shapes determine must say what they say (a field of the wrong type never does).
  const agree: [keyof ModelOptions, number][] = [
    ['hiddenSize', H],
    ['numLayers', numLayers],
    ['inputSize', options.inputSize],
    ['outputSize', options.outputSize ?? 0],
  ];
  for (const [key, value] of agree) checkAgrees(given, key, value, source, label);
  if (given.input !== undefined && (given.input === 'embedding') !== (emb !== undefined)) {
    throw fail(
      source,
      emb
        ? `${label} says input ${JSON.stringify(given.input)} but the file has an embedding.weight tensor`
        : `${label} says input "embedding" but there is no embedding.weight tensor`,
    );
  }
  checkAgrees(given, 'embeddingSize', options.embeddingSize ?? 0, source, label); // eddy writes 0 without one
  return options;
}

function checkAgrees(
  given: Partial<ModelOptions>,
  key: keyof ModelOptions,
  value: number,
  source: string,
  label: string,
): void {
  const v = given[key];
  if (v !== undefined && v !== value) {
    const said = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
    throw fail(source, `${label} says ${key} ${said} but the shapes say ${value}`);
  }
}

/**
 * Builds a model from a state_dict. Every tensor the configuration needs must be there with its exact shape,
 * and nothing else may be (a bidirectional or projected LSTM, for one, is refused by name).
 * @throws EddyError ERR_FILE naming the source and the tensor that is missing, extra or of the wrong shape
 */
export function modelFromStateDict(
  tensors: ReadonlyMap<string, StateTensor>,
  options: FromStateDictOptions = {},
): RNNModel {
  const source = options.source ?? 'state_dict';
  const inferred = inferOptions(tensors, options.config ?? {}, source);
  let config: ModelConfig;
  try {
    config = resolveConfig(inferred, 'config');
  } catch (err) {
    throw fail(source, (err as Error).message);
  }
  const layout = paramLayout(config);
  const backend = options.backend ?? jsBackend;
  const params = allocParams(backend, layout.total);
  for (const e of layout.entries) {
    const t = tensors.get(e.name);
    if (!t)
      throw fail(
        source,
        `missing tensor ${e.name} ${shapeText(e.shape)} (a PyTorch module with bias=False is not supported)`,
      );
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      throw fail(source, `tensor ${e.name} has shape ${shapeText(t.shape)}, expected ${shapeText(e.shape)}`);
    }
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw fail(source, `tensor ${e.name} holds a non-finite weight: ${e.name}[${bad}] is ${t.data[bad]}`);
    params.set(t.data, e.offset);
  }
  const known = new Set(layout.entries.map((e) => e.name));
  const extra = [...tensors.keys()].filter((k) => !known.has(k));
  if (extra.length > 0)
    throw fail(
      source,
      `unexpected tensor(s) ${extra.slice(0, 5).join(', ')} (eddy models are unidirectional, without proj_size)`,
    );
  return new RNNModel(config, params, backend);
}

/** The model's parameters as a state_dict (views into the flat buffer, not copies). */
export function stateDictOf(model: RNNModel): Map<string, StateTensor> {
  const out = new Map<string, StateTensor>();
  for (const e of model.layout.entries)
    out.set(e.name, { shape: e.shape, data: model.params.subarray(e.offset, e.offset + e.size) });
  return out;
}

/** Whether a state_dict holds a bidirectional recurrent layer (PyTorch's `_reverse` tensors). */
export function isBidirectionalStateDict(tensors: ReadonlyMap<string, StateTensor>): boolean {
  return tensors.has('rnn.weight_ih_l0_reverse');
}

/**
 * Builds a `BidirectionalClassifier` from a state_dict (PyTorch's `embedding`, `rnn` with `bidirectional=True`
 * and one or more layers, `head` over 2H). The shapes give the configuration as for `modelFromStateDict`; every tensor must
 * be there with its exact shape, and nothing else may be.
 * @throws EddyError ERR_FILE naming the source and the tensor or field that does not fit
 */
export function bidirectionalFromStateDict(
  tensors: ReadonlyMap<string, StateTensor>,
  options: FromStateDictOptions = {},
): BidirectionalClassifier {
  const source = options.source ?? 'state_dict';
  const forwardOnly = new Map([...tensors].filter(([k]) => !k.endsWith('_reverse')));
  const inferred = inferOptions(forwardOnly, options.config ?? {}, source);
  const backend = options.backend ?? jsBackend;
  let model: BidirectionalClassifier;
  try {
    const config = resolveConfig(inferred, 'config');
    model = new BidirectionalClassifier(config, allocParams(backend, bidirectionalParamCount(config)), backend);
  } catch (err) {
    throw fail(source, `not a bidirectional classifier: ${(err as Error).message}`);
  }
  for (const e of model.layout.entries) {
    const t = tensors.get(e.name);
    if (!t) throw fail(source, `missing tensor ${e.name} ${shapeText(e.shape)}`);
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i]))
      throw fail(source, `tensor ${e.name} has shape ${shapeText(t.shape)}, expected ${shapeText(e.shape)}`);
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw fail(source, `tensor ${e.name} holds a non-finite weight: ${e.name}[${bad}] is ${t.data[bad]}`);
    model.params.set(t.data, e.offset);
  }
  const known = new Set(model.layout.entries.map((e) => e.name));
  const extra = [...tensors.keys()].filter((k) => !known.has(k));
  if (extra.length > 0) throw fail(source, `unexpected tensor(s) ${extra.slice(0, 5).join(', ')}`);
  return model;
}
