/**
 * A model's weights in lower precision for streaming steps (`RNNModel.quantizeWeights`, `loadModel(path,
 * { weights })`): each layer's `W_ih` and `W_hh` and the head's weight are rounded in place to bf16 or int8 (a
 * scale per row) and packed beside the parameters; biases, embeddings and states stay float32. Steps read the
 * packed copies where the backend has `gemmNTLowp` (the native one; a per-row kernel, so meant for streaming's
 * few rows: large keyed batches run faster on float32), and every other path reads the rounded float32 values: the same weights everywhere, half (bf16) or a quarter (int8) of the bytes per step.
 */
import type { Backend, LowpWeights, WeightPrecision } from '../tensor/backend.ts';
import { quantizeRows } from '../tensor/lowPrecision.ts';
import { gemmNTRows } from '../tensor/rowOps.ts';
import type { ModelConfig } from './modelConfig.ts';
import type { ParamLayout } from './paramLayout.ts';

/** The packed weights of a model, by the parameter offset of each float32 weight. */
export type LowpTable = ReadonlyMap<number, LowpWeights>;

/** Rounds the model's weight matrices in `P` in place and returns their packed copies. */
export function quantizeModelWeights(
  config: ModelConfig,
  layout: ParamLayout,
  gates: number,
  P: Float32Array,
  backend: Backend,
  kind: Exclude<WeightPrecision, 'f32'>,
): LowpTable {
  const out = new Map<number, LowpWeights>();
  const H = config.hiddenSize;
  const GH = gates * H;
  for (const lo of layout.layers) {
    out.set(lo.wih, quantizeRows(backend, P, lo.wih, GH, lo.inputWidth, kind));
    out.set(lo.whh, quantizeRows(backend, P, lo.whh, GH, H, kind));
  }
  if (config.outputSize > 0)
    out.set(layout.headWeight, quantizeRows(backend, P, layout.headWeight, config.outputSize, H, kind));
  return out;
}

/**
 * `C[B, N] = A[B, K] · Wᵀ` for the weight at parameter offset `wOff`, every row independent of B: the packed copy
 * on a backend that reads it (`gemmNTLowp`), else the (rounded) float32 parameters (`gemmNTRows`).
 */
export function weightProduct(
  backend: Backend,
  table: LowpTable | null,
  P: Float32Array,
  B: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  wOff: number,
  C: Float32Array,
): void {
  const q = table?.get(wOff);
  if (q && backend.gemmNTLowp) backend.gemmNTLowp(B, N, K, A, aOff, q, C, 0, false);
  else gemmNTRows(backend, B, N, K, A, aOff, P, wOff, C, 0, false);
}
