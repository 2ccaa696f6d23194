/**
 * Buffers for one window of T steps over B rows: everything forward caches for backward and the scratch
 * backward needs. Allocated once per (T, B) and reused window after window, so training allocates nothing
 * per step.
 */
import type { Backend } from '../tensor/backend.ts';
import { outputWidth, type ModelConfig } from './modelConfig.ts';
import { cellFor } from '../cells/cellFor.ts';

/** Per-layer caches. */
export interface LayerCache {
  /** `[T, B, G·H]` input projections `x · W_ihᵀ + b_ih` */
  readonly gx: Float32Array;
  /** `[T, B, G·H]` gate activations */
  readonly act: Float32Array;
  /** `[T, B, H]` cell-specific cache (LSTM tanh(c), GRU W_hn h + b_hn) */
  readonly aux: Float32Array;
  /** `[T+1, B, H]` h_0 .. h_T */
  readonly hseq: Float32Array;
  /** `[T+1, B, H]` c_0 .. c_T (LSTM; empty otherwise) */
  readonly cseq: Float32Array;
  /** `[T, B, H]` dropout mask (scaled by 1/(1-p)) on this layer's output, when it feeds a next layer */
  readonly mask: Float32Array;
  /** `[T, B, H]` this layer's output after dropout */
  readonly dropped: Float32Array;
}

/** A window workspace; create with `model.createWorkspace(T, B)`. */
export interface Workspace {
  readonly T: number;
  readonly B: number;
  readonly layers: readonly LayerCache[];
  /** `[T, B, E]` embedded inputs (embedding models) */
  readonly emb: Float32Array;
  /** `[T, B, Y]` head outputs (or `[T, B, H]` top h without a head, as a copy) */
  readonly y: Float32Array;
  /** `[B, G·H]` recurrent projection scratch */
  readonly gh: Float32Array;
  /** backward scratch: `[T, B, G·H]` pre-activation gradients, x side and h side */
  readonly dgx: Float32Array;
  readonly dgh: Float32Array;
  /** `[T, B, max(H, E, X)]` gradient reaching a layer's input; `[T, B, H]` gradient reaching a layer's output */
  readonly dIn: Float32Array;
  readonly dOut: Float32Array;
  /** `[B, H]` running gradients of h and c, and the per-step results */
  readonly dh: Float32Array;
  readonly dc: Float32Array;
  readonly dhPrev: Float32Array;
  readonly dcPrev: Float32Array;
  /** What the last forward saw, for backward. */
  last: { x: Float32Array | Int32Array | null; training: boolean };
}

/** Allocates a workspace for windows of T steps over B rows. */
export function createWorkspace(config: ModelConfig, backend: Backend, T: number, B: number): Workspace {
  const H = config.hiddenSize;
  const GH = cellFor(config.cell).gates * H;
  const L = config.numLayers;
  const lstm = config.cell === 'lstm';
  const drop = config.dropout > 0;
  const layers: LayerCache[] = [];
  for (let l = 0; l < L; l++) {
    const feeds = drop && l < L - 1;
    layers.push({
      gx: backend.alloc(T * B * GH),
      act: backend.alloc(T * B * GH),
      aux: backend.alloc(config.cell === 'lstm' || config.cell === 'gru' ? T * B * H : 0),
      hseq: backend.alloc((T + 1) * B * H),
      cseq: backend.alloc(lstm ? (T + 1) * B * H : 0),
      mask: backend.alloc(feeds ? T * B * H : 0),
      dropped: backend.alloc(feeds ? T * B * H : 0),
    });
  }
  const inWidth = Math.max(H, config.input === 'dense' ? config.inputSize : config.embeddingSize);
  const dgx = backend.alloc(T * B * GH);
  return {
    T,
    B,
    layers,
    emb: backend.alloc(config.input === 'embedding' ? T * B * config.embeddingSize : 0),
    y: backend.alloc(T * B * outputWidth(config)),
    gh: backend.alloc(B * GH),
    dgx,
    dgh: config.cell === 'gru' ? backend.alloc(T * B * GH) : dgx, // LSTM and RNN: the two sides are equal
    dIn: backend.alloc(T * B * inWidth),
    dOut: backend.alloc(T * B * H),
    dh: backend.alloc(B * H),
    dc: backend.alloc(B * H),
    dhPrev: backend.alloc(B * H),
    dcPrev: backend.alloc(B * H),
    last: { x: null, training: false },
  };
}
