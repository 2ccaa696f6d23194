/**
 * Teacher-forced loss of a batch and its gradient, forward and backward side by side. A batch holds B sentence
 * pairs whose sources have the same length S (the trainer buckets by source length, so the encoder needs no mask);
 * targets are padded to T with -1 (no loss, no gradient).
 *
 * Forward:
 * 1. encoder: `k_s = GRU(E_s[src_s], k_{s-1})`, `k_0 = 0`
 * 2. decoder: `s_t = GRU(E_t[in_t], s_{t-1})`, `s_0 = k_S`, `in = <s> y_1 .. y_{T-1}`
 * 3. attention (if any): `c_t = Σ_j a_tj k_j`  (`dotAttention.ts`)
 * 4. `z_t = tanh(W_c c_t + W_s s_t + b)`, `logits_t = W_o z_t + b_o`, loss = mean cross-entropy over real targets
 * Backward runs 4, 3, 2, 1 in reverse; the decoder's `ds_0` joins the encoder's `dk_S`.
 */
import { backendCell } from '../cells/backendCell.ts';
import { dotAttentionBackward, dotAttentionForward } from '../cells/dotAttention.ts';
import { gruCell } from '../cells/gruCell.ts';
import { addBiasRows, sumRows } from '../tensor/rowOps.ts';
import { softmaxCrossEntropy } from '../tensor/softmax.ts';
import { shapeError } from '../util/errors.ts';
import { releaseBuffers } from '../tensor/releaseBuffers.ts';
import type { TranslatorModel } from './translatorModel.ts';

/** A batch: `source [S, B]` and `target [T, B]` ids, time-major. */
export interface TranslationBatch {
  /** `[S·B]` source ids, row `s·B + b`. */
  source: Int32Array;
  /** `[T·B]` target ids ending with `</s>`, padded with -1. */
  target: Int32Array;
  S: number;
  T: number;
  B: number;
}

/** Buffers of one batch shape (allocated for the largest shape, reused). */
export interface LossWorkspace {
  maxS: number;
  maxT: number;
  maxB: number;
  xs: Float32Array; // [S·B, E] source embeddings
  gxe: Float32Array; // [S·B, 3H]
  he: Float32Array; // [(S+1)·B, H] encoder states, he[0] = 0
  acte: Float32Array; // [S·B, 3H]
  auxe: Float32Array; // [S·B, H]
  xt: Float32Array; // [T·B, E] decoder input embeddings
  inIds: Int32Array; // [T·B]
  gxd: Float32Array; // [T·B, 3H]
  hd: Float32Array; // [(T+1)·B, H] decoder states, hd[0] = he[S]
  actd: Float32Array; // [T·B, 3H]
  auxd: Float32Array; // [T·B, H]
  gh: Float32Array; // [B, 3H]
  ctx: Float32Array; // [T·B, H]
  att: Float32Array; // [T·B, S] attention weights
  z: Float32Array; // [T·B, H]
  logits: Float32Array; // [T·B, V]
  dlogits: Float32Array; // [T·B, V]
  dz: Float32Array; // [T·B, H]
  dctx: Float32Array; // [T·B, H]
  dhd: Float32Array; // [(T+1)·B, H]
  dhe: Float32Array; // [(S+1)·B, H]
  dgx: Float32Array; // [max(S,T)·B, 3H]
  dhp: Float32Array; // [B, H]
  dx: Float32Array; // [max(S,T)·B, E]
  scratch: Float32Array; // [S]
}

/** Gives a loss workspace's buffers back to the model's backend (nothing on the js backend); unusable after. */
export function releaseLossWorkspace(model: TranslatorModel, ws: LossWorkspace): void {
  releaseBuffers(model.backend, Object.values(ws));
}

/** Buffers for batches up to `maxS`, `maxT`, `maxB`, in the model's backend memory. */
export function lossWorkspace(model: TranslatorModel, maxS: number, maxT: number, maxB: number): LossWorkspace {
  model.checkLive('lossWorkspace');
  const { embedSize: E, hiddenSize: H, targetVocab: V } = model.config;
  const a = (n: number): Float32Array => model.backend.alloc(n);
  const L = Math.max(maxS, maxT) * maxB;
  return {
    maxS,
    maxT,
    maxB,
    xs: a(maxS * maxB * E),
    gxe: a(maxS * maxB * 3 * H),
    he: a((maxS + 1) * maxB * H),
    acte: a(maxS * maxB * 3 * H),
    auxe: a(maxS * maxB * H),
    xt: a(maxT * maxB * E),
    inIds: new Int32Array(maxT * maxB),
    gxd: a(maxT * maxB * 3 * H),
    hd: a((maxT + 1) * maxB * H),
    actd: a(maxT * maxB * 3 * H),
    auxd: a(maxT * maxB * H),
    gh: a(maxB * 3 * H),
    ctx: a(maxT * maxB * H),
    att: a(maxT * maxB * maxS),
    z: a(maxT * maxB * H),
    logits: a(maxT * maxB * V),
    dlogits: a(maxT * maxB * V),
    dz: a(maxT * maxB * H),
    dctx: a(maxT * maxB * H),
    dhd: a((maxT + 1) * maxB * H),
    dhe: a((maxS + 1) * maxB * H),
    dgx: a(L * 3 * H),
    dhp: a(maxB * H),
    dx: a(L * E),
    scratch: a(maxS),
  };
}

/** `out[r, :] = W[ids[r], :]` for an embedding `W [V, E]`. */
export function gatherRows(out: Float32Array, W: Float32Array, wOff: number, ids: Int32Array, n: number, E: number) {
  for (let r = 0; r < n; r++) {
    const o = wOff + ids[r] * E;
    for (let k = 0; k < E; k++) out[r * E + k] = W[o + k]; // no subarray: this runs for every word of every batch
  }
}

/** `dW[ids[r], :] += d[r, :]`, the gradient of `gatherRows`. */
function scatterRows(dW: Float32Array, wOff: number, d: Float32Array, ids: Int32Array, n: number, E: number): void {
  for (let r = 0; r < n; r++) {
    const o = wOff + ids[r] * E;
    for (let k = 0; k < E; k++) dW[o + k] += d[r * E + k];
  }
}

/** Encoder forward (step 1) for `src [S·B]`: fills `xs`, `gxe`, `he`, `acte`, `auxe`. Shared with decoding. */
export function encodeForward(model: TranslatorModel, ws: LossWorkspace, src: Int32Array, S: number, B: number) {
  model.checkLive('encodeForward');
  const { embedSize: E, hiddenSize: H } = model.config;
  const be = model.backend;
  const P = model.params;
  const lo = model.layout;
  const cell = backendCell(gruCell, be);
  const G = 3 * H;
  gatherRows(ws.xs, P, lo.encEmb, src, S * B, E);
  be.gemmNT(S * B, G, E, ws.xs, 0, P, lo.encWih, ws.gxe, 0, false);
  addBiasRows(be, ws.gxe, 0, P, lo.encBih, S * B, G);
  ws.he.fill(0, 0, B * H);
  for (let s = 0; s < S; s++) {
    be.gemmNT(B, G, H, ws.he, s * B * H, P, lo.encWhh, ws.gh, 0, false);
    cell.forward(
      ws.he,
      (s + 1) * B * H,
      ws.he,
      0,
      ws.acte,
      s * B * G,
      ws.auxe,
      s * B * H,
      ws.gxe,
      s * B * G,
      ws.gh,
      0,
      ws.he,
      s * B * H,
      ws.he,
      0,
      P,
      lo.encBhh,
      B,
      H,
    );
  }
}

/**
 * Forward (and with `backward`, backward accumulating into `model.grads`) of one batch.
 * @returns the summed loss in nats and the number of target tokens it sums over
 * @throws EddyError ERR_SHAPE when the batch is larger than the workspace or its arrays have the wrong length
 */
export function translatorLoss(
  model: TranslatorModel,
  ws: LossWorkspace,
  batch: TranslationBatch,
  backward: boolean,
): { loss: number; count: number } {
  model.checkLive('translatorLoss');
  const { S, T, B, source, target } = batch;
  if (S < 1 || S > ws.maxS || T < 1 || T > ws.maxT || B < 1 || B > ws.maxB)
    throw shapeError(
      'batch',
      `S in [1, ${ws.maxS}], T in [1, ${ws.maxT}], B in [1, ${ws.maxB}]`,
      `S=${S} T=${T} B=${B}`,
    );
  if (source.length !== S * B) throw shapeError('batch.source', `of length ${S * B} ([S, B])`, `${source.length}`);
  if (target.length !== T * B) throw shapeError('batch.target', `of length ${T * B} ([T, B])`, `${target.length}`);
  const { embedSize: E, hiddenSize: H, targetVocab: V, attention } = model.config;
  const be = model.backend;
  const P = model.params;
  const D = model.grads;
  const lo = model.layout;
  const cell = backendCell(gruCell, be);
  const G = 3 * H;
  const TB = T * B;
  const BH = B * H;

  // 1. encoder
  encodeForward(model, ws, source, S, B);
  // 2. decoder, teacher forced: input t is <s> or the target at t-1 (padding fed as </s>: its loss is masked)
  for (let b = 0; b < B; b++) ws.inIds[b] = 1;
  for (let i = B; i < TB; i++) ws.inIds[i] = target[i - B] < 0 ? 2 : target[i - B];
  gatherRows(ws.xt, P, lo.decEmb, ws.inIds, TB, E);
  be.gemmNT(TB, G, E, ws.xt, 0, P, lo.decWih, ws.gxd, 0, false);
  addBiasRows(be, ws.gxd, 0, P, lo.decBih, TB, G);
  ws.hd.set(ws.he.subarray(S * BH, (S + 1) * BH), 0); // one view per batch
  for (let t = 0; t < T; t++) {
    be.gemmNT(B, G, H, ws.hd, t * BH, P, lo.decWhh, ws.gh, 0, false);
    cell.forward(
      ws.hd,
      (t + 1) * BH,
      ws.hd,
      0,
      ws.actd,
      t * B * G,
      ws.auxd,
      t * BH,
      ws.gxd,
      t * B * G,
      ws.gh,
      0,
      ws.hd,
      t * BH,
      ws.hd,
      0,
      P,
      lo.decBhh,
      B,
      H,
    );
  }
  // 3. attention of every decoder state over the encoder states k_1..k_S
  if (attention)
    for (let t = 0; t < T; t++)
      dotAttentionForward(ws.ctx, t * BH, ws.att, t * B * S, ws.hd, (t + 1) * BH, ws.he, BH, S, B, H);
  // 4. combine, head, loss
  be.gemmNT(TB, H, H, ws.hd, BH, P, lo.combState, ws.z, 0, false);
  if (attention) be.gemmNT(TB, H, H, ws.ctx, 0, P, lo.combCtx, ws.z, 0, true);
  addBiasRows(be, ws.z, 0, P, lo.combBias, TB, H);
  for (let i = 0; i < TB * H; i++) ws.z[i] = Math.tanh(ws.z[i]);
  be.gemmNT(TB, V, H, ws.z, 0, P, lo.headW, ws.logits, 0, false);
  addBiasRows(be, ws.logits, 0, P, lo.headB, TB, V);
  let count = 0;
  for (let i = 0; i < TB; i++) if (target[i] >= 0) count++;
  const loss = softmaxCrossEntropy(backward ? ws.dlogits : null, ws.logits, target, TB, V, 1 / Math.max(1, count), be);
  if (!backward) return { loss, count };

  // 4'. head and combine
  be.gemmTN(V, H, TB, ws.dlogits, 0, ws.z, 0, D, lo.headW, true);
  sumRows(be, D, lo.headB, ws.dlogits, 0, TB, V);
  be.gemmNN(TB, H, V, ws.dlogits, 0, P, lo.headW, ws.dz, 0, false);
  for (let i = 0; i < TB * H; i++) ws.dz[i] *= 1 - ws.z[i] * ws.z[i];
  sumRows(be, D, lo.combBias, ws.dz, 0, TB, H);
  be.gemmTN(H, H, TB, ws.dz, 0, ws.hd, BH, D, lo.combState, true);
  ws.dhd.fill(0, 0, BH);
  be.gemmNN(TB, H, H, ws.dz, 0, P, lo.combState, ws.dhd, BH, false);
  ws.dhe.fill(0, 0, (S + 1) * BH);
  // 3'. attention: into the decoder states and the encoder states
  if (attention) {
    be.gemmTN(H, H, TB, ws.dz, 0, ws.ctx, 0, D, lo.combCtx, true);
    be.gemmNN(TB, H, H, ws.dz, 0, P, lo.combCtx, ws.dctx, 0, false);
    for (let t = 0; t < T; t++)
      dotAttentionBackward(
        ws.dhd,
        (t + 1) * BH,
        ws.dhe,
        BH,
        ws.dctx,
        t * BH,
        ws.att,
        t * B * S,
        ws.hd,
        (t + 1) * BH,
        ws.he,
        BH,
        ws.scratch,
        S,
        B,
        H,
      );
  }
  // 2'. decoder, last step first; dhd[t] collects what reaches s_t from the output and from step t+1
  gruBackward(model, ws, ws.hd, ws.dhd, ws.actd, ws.auxd, T, B, lo.decWhh, lo.decBhh);
  be.gemmTN(G, E, TB, ws.dgx, 0, ws.xt, 0, D, lo.decWih, true);
  sumRows(be, D, lo.decBih, ws.dgx, 0, TB, G);
  be.gemmNN(TB, E, G, ws.dgx, 0, P, lo.decWih, ws.dx, 0, false);
  scatterRows(D, lo.decEmb, ws.dx, ws.inIds, TB, E);
  // 1'. encoder: its last state started the decoder
  for (let i = 0; i < BH; i++) ws.dhe[S * BH + i] += ws.dhd[i];
  gruBackward(model, ws, ws.he, ws.dhe, ws.acte, ws.auxe, S, B, lo.encWhh, lo.encBhh);
  be.gemmTN(G, E, S * B, ws.dgx, 0, ws.xs, 0, D, lo.encWih, true);
  sumRows(be, D, lo.encBih, ws.dgx, 0, S * B, G);
  be.gemmNN(S * B, E, G, ws.dgx, 0, P, lo.encWih, ws.dx, 0, false);
  scatterRows(D, lo.encEmb, ws.dx, source, S * B, E);
  return { loss, count };
}

/**
 * Backward through N GRU steps over states `h [(N+1)·B, H]` with `dh [(N+1)·B, H]` holding the gradient from
 * above at each state: writes `ws.dgx [N·B, 3H]`, accumulates the recurrent weight and bias gradients, and adds
 * each step's `dh_{t-1}` into `dh`.
 */
function gruBackward(
  model: TranslatorModel,
  ws: LossWorkspace,
  h: Float32Array,
  dh: Float32Array,
  act: Float32Array,
  aux: Float32Array,
  N: number,
  B: number,
  whh: number,
  bhh: number,
): void {
  const H = model.config.hiddenSize;
  const G = 3 * H;
  const BH = B * H;
  const be = model.backend;
  const cell = backendCell(gruCell, be);
  for (let t = N - 1; t >= 0; t--) {
    cell.backward(
      ws.dgx,
      t * B * G,
      ws.gh,
      0,
      ws.dhp,
      0,
      ws.dhp,
      0,
      dh,
      (t + 1) * BH,
      dh,
      0,
      act,
      t * B * G,
      aux,
      t * BH,
      h,
      t * BH,
      h,
      0,
      B,
      H,
    );
    be.gemmNN(B, H, G, ws.gh, 0, model.params, whh, ws.dhp, 0, true);
    be.gemmTN(G, H, B, ws.gh, 0, h, t * BH, model.grads, whh, true);
    sumRows(be, model.grads, bhh, ws.gh, 0, B, G);
    for (let i = 0; i < BH; i++) dh[t * BH + i] += ws.dhp[i];
  }
}
