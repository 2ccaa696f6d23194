/**
 * The configuration of a recurrent model: input encoding, cell stack and output head.
 * Resolved and validated in one place (`resolveConfig`), stored in the safetensors metadata.
 */
import { CELL_KINDS, type CellKind } from '../cells/cellKernel.ts';
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkNumber, checkObject, checkOneOf } from '../util/validate.ts';

/** How step inputs reach the first layer. */
export type InputKind = 'dense' | 'onehot' | 'embedding';

/** Options for a model (see `resolveConfig` for the defaults). */
export interface ModelOptions {
  /** Recurrent cell: `'lstm'`, `'gru'`, `'rnn_tanh'` or `'rnn_relu'`. @default 'lstm' */
  cell?: CellKind;
  /**
   * Input encoding: `'dense'` takes `Float32Array [T, B, X]` features; `'onehot'` and `'embedding'` take token ids
   * `Int32Array [T, B]` in `[0, inputSize)`. A one-hot input is computed as a gather of `W_ih` columns (no multiply).
   * @default 'dense'
   */
  input?: InputKind;
  /** X: features per step (dense), or the vocabulary size V (onehot, embedding). Required. */
  inputSize: number;
  /** E: embedding width, for `input: 'embedding'` only. @default hiddenSize */
  embeddingSize?: number;
  /** H: hidden units per layer. Required. */
  hiddenSize: number;
  /** L: stacked layers. @default 1 */
  numLayers?: number;
  /** Y: outputs of the linear head `head`; 0 for no head (outputs are the top layer's h). @default 0 */
  outputSize?: number;
  /** Dropout on the outputs of every layer but the last, in training only (as PyTorch's `dropout`). @default 0 */
  dropout?: number;
  /**
   * Dropout on the top layer's output where it enters the head (`nn.Dropout` before `head` in PyTorch), in
   * training only; needs a head. @default 0
   */
  outputDropout?: number;
  /**
   * Dropout on the embedded inputs where they enter the first layer (`nn.Dropout` after `nn.Embedding` in
   * PyTorch), in training only; for `input: 'embedding'` only. @default 0
   */
  embeddingDropout?: number;
  /** Token strings (one per id) saved with the model, for text models. @default undefined */
  vocab?: readonly string[];
}

/** A fully resolved configuration. */
export interface ModelConfig {
  readonly cell: CellKind;
  readonly input: InputKind;
  readonly inputSize: number;
  readonly embeddingSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly outputSize: number;
  readonly dropout: number;
  /** Present only when > 0 (files and configs of models without it stay as they were). */
  readonly outputDropout?: number;
  /** Present only when > 0, as `outputDropout`. */
  readonly embeddingDropout?: number;
  readonly vocab?: readonly string[];
}

/** Validates options and fills in defaults. @throws EddyError ERR_INVALID_ARG naming `options.<field>` */
export function resolveConfig(options: ModelOptions, path = 'options'): ModelConfig {
  checkObject(path, options);
  const cell = checkOneOf(`${path}.cell`, options.cell ?? 'lstm', CELL_KINDS);
  const input = checkOneOf(`${path}.input`, options.input ?? 'dense', ['dense', 'onehot', 'embedding'] as const);
  const inputSize = checkInt(`${path}.inputSize`, options.inputSize, 1, 1 << 24);
  const hiddenSize = checkInt(`${path}.hiddenSize`, options.hiddenSize, 1, 1 << 16);
  const numLayers = checkInt(`${path}.numLayers`, options.numLayers ?? 1, 1, 64);
  const outputSize = checkInt(`${path}.outputSize`, options.outputSize ?? 0, 0, 1 << 24);
  const dropout = checkNumber(`${path}.dropout`, options.dropout ?? 0, 0, 1, { max: true });
  if (options.embeddingSize !== undefined && input !== 'embedding') {
    throw invalidArg(`${path}.embeddingSize`, `undefined unless ${path}.input is "embedding"`, options.embeddingSize);
  }
  const embeddingSize =
    input === 'embedding' ? checkInt(`${path}.embeddingSize`, options.embeddingSize ?? hiddenSize, 1, 1 << 16) : 0;
  const config: { -readonly [K in keyof ModelConfig]: ModelConfig[K] } = {
    cell,
    input,
    inputSize,
    embeddingSize,
    hiddenSize,
    numLayers,
    outputSize,
    dropout,
  };
  const outputDropout = checkNumber(`${path}.outputDropout`, options.outputDropout ?? 0, 0, 1, { max: true });
  if (outputDropout > 0) {
    if (outputSize === 0)
      throw invalidArg(`${path}.outputDropout`, `0 for a model without a head (${path}.outputSize 0)`, outputDropout);
    config.outputDropout = outputDropout;
  }
  const embeddingDropout = checkNumber(`${path}.embeddingDropout`, options.embeddingDropout ?? 0, 0, 1, { max: true });
  if (embeddingDropout > 0) {
    if (input !== 'embedding')
      throw invalidArg(
        `${path}.embeddingDropout`,
        `0 unless ${path}.input is "embedding" (received input "${input}")`,
        embeddingDropout,
      );
    config.embeddingDropout = embeddingDropout;
  }
  if (options.vocab !== undefined) {
    const v = options.vocab;
    if (!Array.isArray(v) || v.length !== inputSize || !v.every((s) => typeof s === 'string')) {
      throw invalidArg(`${path}.vocab`, `an array of ${inputSize} strings (one per input id)`, v);
    }
    if (new Set(v).size !== v.length) throw invalidArg(`${path}.vocab`, 'distinct strings', v);
    config.vocab = [...v];
  }
  return config;
}

/** Y, the width of a model's per-step output: the head's size, or H when the model has no head. */
export function outputWidth(config: ModelConfig): number {
  return config.outputSize > 0 ? config.outputSize : config.hiddenSize;
}
