/**
 * The one table that lays out every parameter in the flat buffer, under PyTorch's state_dict names:
 * `embedding.weight [V, E]`; per layer l `rnn.weight_ih_l{l} [G·H, In_l]`, `rnn.weight_hh_l{l} [G·H, H]`,
 * `rnn.bias_ih_l{l} [G·H]`, `rnn.bias_hh_l{l} [G·H]`; then `head.weight [Y, H]`, `head.bias [Y]`.
 * Optimizers, clipping and checkpoints see only the flat buffer; cells see named offsets.
 */
import { cellFor } from '../cells/cellFor.ts';
import { invalidArg } from '../util/errors.ts';
import type { ModelConfig } from './modelConfig.ts';

/** One named tensor in the flat buffer. */
export interface ParamEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Offsets of one layer's tensors. */
export interface LayerOffsets {
  readonly wih: number;
  readonly whh: number;
  readonly bih: number;
  readonly bhh: number;
  /** In_l: the layer's input width. */
  readonly inputWidth: number;
}

/** The layout of a model's parameters. */
export interface ParamLayout {
  readonly entries: readonly ParamEntry[];
  readonly total: number;
  readonly layers: readonly LayerOffsets[];
  /** Offset of `embedding.weight`, or -1. */
  readonly embedding: number;
  /** Offsets of `head.weight` and `head.bias`, or -1. */
  readonly headWeight: number;
  readonly headBias: number;
}

/** Builds the layout of a configuration. */
export function paramLayout(config: ModelConfig): ParamLayout {
  const G = cellFor(config.cell).gates;
  const H = config.hiddenSize;
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): number => {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, size });
    offset += size;
    return offset - size;
  };
  const embedding =
    config.input === 'embedding' ? add('embedding.weight', [config.inputSize, config.embeddingSize]) : -1;
  const layers: LayerOffsets[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const inputWidth = l > 0 ? H : config.input === 'embedding' ? config.embeddingSize : config.inputSize;
    const wih = add(`rnn.weight_ih_l${l}`, [G * H, inputWidth]);
    const whh = add(`rnn.weight_hh_l${l}`, [G * H, H]);
    const bih = add(`rnn.bias_ih_l${l}`, [G * H]);
    const bhh = add(`rnn.bias_hh_l${l}`, [G * H]);
    layers.push({ wih, whh, bih, bhh, inputWidth });
  }
  let headWeight = -1;
  let headBias = -1;
  if (config.outputSize > 0) {
    headWeight = add('head.weight', [config.outputSize, H]);
    headBias = add('head.bias', [config.outputSize]);
  }
  return { entries, total: offset, layers, embedding, headWeight, headBias };
}

/**
 * A view of one named tensor of a flat buffer laid out by `entries` (a model's `param(name)` and `grad(name)`).
 * @throws EddyError ERR_INVALID_ARG naming `name` and listing the names there are
 */
export function namedView(entries: readonly ParamEntry[], buffer: Float32Array, name: string): Float32Array {
  const e = entries.find((p) => p.name === name);
  if (!e) throw invalidArg('name', `one of ${entries.map((p) => p.name).join(', ')}`, name);
  return buffer.subarray(e.offset, e.offset + e.size);
}
