/**
 * Buffers for one window of T steps over B rows: everything forward caches for backward and the scratch
 * backward needs, as views of one buffer. Allocated once and reused window after window, so training allocates
 * nothing per step; `WorkspaceCache` carves the workspaces of every shape out of one grow-only buffer.
 */
import type { Backend } from '../tensor/backend.ts';
import { outputWidth, type ModelConfig } from './modelConfig.ts';
import { cellFor } from '../cells/cellFor.ts';
import { allocFloats } from '../util/alloc.ts';

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
  /** `[T, B, H]` dropout mask (scaled by 1/(1-p)) on this layer's output, when it feeds a next layer (or the head, with output dropout) */
  readonly mask: Float32Array;
  /** `[T, B, H]` this layer's output after dropout */
  readonly dropped: Float32Array;
}

/** A window workspace; create with `model.createWorkspace(T, B)`. */
export interface Workspace {
  readonly T: number;
  readonly B: number;
  readonly layers: readonly LayerCache[];
  /** `[T, B, E]` embedded inputs (embedding models; after the embedding dropout when training with it) */
  readonly emb: Float32Array;
  /** `[T, B, E]` the embedding dropout's mask (0 or 1/(1-p)), for models with `embeddingDropout`; else empty */
  readonly embMask: Float32Array;
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
  last: { x: Float32Array | Int32Array | null; training: boolean; embDropped?: boolean };
}

/** The lengths of a workspace's buffers for (T, B), in layout order (see `carveWorkspace`). */
function bufferLengths(config: ModelConfig, T: number, B: number): number[] {
  const H = config.hiddenSize;
  const GH = cellFor(config.cell).gates * H;
  const L = config.numLayers;
  const lstm = config.cell === 'lstm';
  const drop = config.dropout > 0;
  const outDrop = (config.outputDropout ?? 0) > 0 && config.outputSize > 0;
  const lengths: number[] = [];
  for (let l = 0; l < L; l++) {
    const feeds = (drop && l < L - 1) || (outDrop && l === L - 1);
    lengths.push(
      T * B * GH, // gx
      T * B * GH, // act
      config.cell === 'lstm' || config.cell === 'gru' ? T * B * H : 0, // aux
      (T + 1) * B * H, // hseq
      lstm ? (T + 1) * B * H : 0, // cseq
      feeds ? T * B * H : 0, // mask
      feeds ? T * B * H : 0, // dropped
    );
  }
  const inWidth = Math.max(H, config.input === 'dense' ? config.inputSize : config.embeddingSize);
  lengths.push(
    config.input === 'embedding' ? T * B * config.embeddingSize : 0, // emb
    (config.embeddingDropout ?? 0) > 0 ? T * B * config.embeddingSize : 0, // embMask
    T * B * outputWidth(config), // y
    B * GH, // gh
    T * B * GH, // dgx
    config.cell === 'gru' ? T * B * GH : 0, // dgh (LSTM and RNN: the two sides are equal, dgh is dgx)
    T * B * inWidth, // dIn
    T * B * H, // dOut
    B * H, // dh
    B * H, // dc
    B * H, // dhPrev
    B * H, // dcPrev
  );
  return lengths;
}

/** Rounds a float count up to a multiple of 4 (16 bytes), so every buffer of a workspace starts 16-byte aligned. */
const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Floats of one buffer holding a whole workspace for (T, B). */
export function workspaceFloats(config: ModelConfig, T: number, B: number): number {
  let n = 0;
  for (const len of bufferLengths(config, T, B)) n += align4(len);
  return n;
}

/**
 * A workspace for (T, B) as views of `pool` (at least `workspaceFloats(config, T, B)` long, 16-byte aligned).
 * Nothing is zeroed: forward writes every cache before reading it, backward every scratch.
 */
export function carveWorkspace(config: ModelConfig, T: number, B: number, pool: Float32Array): Workspace {
  const lengths = bufferLengths(config, T, B);
  let off = 0;
  let i = 0;
  const next = (): Float32Array => {
    const len = lengths[i++];
    const view = pool.subarray(off, off + len);
    off += align4(len);
    return view;
  };
  const layers: LayerCache[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    layers.push({ gx: next(), act: next(), aux: next(), hseq: next(), cseq: next(), mask: next(), dropped: next() });
  }
  const emb = next();
  const embMask = next();
  const y = next();
  const gh = next();
  const dgx = next();
  const dghOwn = next();
  return {
    T,
    B,
    layers,
    emb,
    embMask,
    y,
    gh,
    dgx,
    dgh: config.cell === 'gru' ? dghOwn : dgx,
    dIn: next(),
    dOut: next(),
    dh: next(),
    dc: next(),
    dhPrev: next(),
    dcPrev: next(),
    last: { x: null, training: false },
  };
}

/**
 * Allocates a workspace for windows of T steps over B rows (one backend buffer, carved into views).
 * @throws EddyError ERR_INVALID_ARG naming (T, B) and the bytes when it is too large to allocate
 */
export function createWorkspace(config: ModelConfig, backend: Backend, T: number, B: number): Workspace {
  const n = workspaceFloats(config, T, B);
  const pool = allocFloats(`a workspace for T=${T}, B=${B}`, n, (k) => backend.alloc(k));
  return carveWorkspace(config, T, B, pool);
}
