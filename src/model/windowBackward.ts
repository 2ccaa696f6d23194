/**
 * Backpropagation through time over the window that `windowForward` last ran in the workspace: the mirror of
 * the forward, layer by layer from the top, step by step from the last. Accumulates (`+=`) into the model's
 * flat gradient buffer and returns the gradient of the initial state.
 */
import type { Workspace } from './workspace.ts';
import type { RecurrentState } from './recurrentState.ts';
import type { ModelCore } from './windowForward.ts';
import { scatterAddColumns, sumRows } from '../tensor/rowOps.ts';

/**
 * @param dy `[T, B, Y]` gradient of the loss with respect to the outputs (Y = H without a head)
 * @param dFinal gradient reaching the final state from later windows, or null (truncated BPTT cuts it)
 * @param dState0 receives the gradient of the initial state `[L, B, H]`
 * @param dx null, or (dense input) receives the gradient with respect to the window's input `[T, B, X]`
 */
export function windowBackward(
  m: ModelCore,
  ws: Workspace,
  dy: Float32Array,
  dFinal: RecurrentState | null,
  dState0: RecurrentState,
  dx: Float32Array | null = null,
): void {
  const { config, layout, cell, backend: be, params: P, grads: D } = m;
  const { T, B } = ws;
  const H = config.hiddenSize;
  const GH = cell.gates * H;
  const TB = T * B;
  const L = config.numLayers;
  const x = ws.last.x;
  if (x === null) throw new Error('windowBackward called before windowForward');

  // 1. the head: dOut [TB, H] = dy · W; dW += dyᵀ · top; db += Σ dy (through the output dropout's mask)
  const topCache = ws.layers[L - 1];
  const top = topCache.hseq;
  if (config.outputSize > 0) {
    const Y = config.outputSize;
    const outDropped = ws.last.training && (config.outputDropout ?? 0) > 0 && topCache.dropped.length > 0;
    be.gemmNN(TB, H, Y, dy, 0, P, layout.headWeight, ws.dOut, 0, false);
    if (outDropped) {
      be.gemmTN(Y, H, TB, dy, 0, topCache.dropped, 0, D, layout.headWeight, true);
      for (let i = 0; i < TB * H; i++) ws.dOut[i] *= topCache.mask[i];
    } else be.gemmTN(Y, H, TB, dy, 0, top, B * H, D, layout.headWeight, true);
    sumRows(be, D, layout.headBias, dy, 0, TB, Y);
  } else {
    ws.dOut.set(dy.subarray(0, TB * H));
  }

  for (let l = L - 1; l >= 0; l--) {
    const lo = layout.layers[l];
    const lc = ws.layers[l];
    // 2. the recurrence, backwards: dh carries the gradient from step t+1 into step t
    if (dFinal) ws.dh.set(dFinal.h.subarray(l * B * H, (l + 1) * B * H));
    else ws.dh.fill(0);
    if (cell.hasCell) {
      if (dFinal?.c) ws.dc.set(dFinal.c.subarray(l * B * H, (l + 1) * B * H));
      else ws.dc.fill(0);
    }
    for (let t = T - 1; t >= 0; t--) {
      const prev = t * B * H;
      for (let i = 0; i < B * H; i++) ws.dh[i] += ws.dOut[prev + i];
      cell.backward(
        ws.dgx,
        t * B * GH,
        ws.dgh,
        t * B * GH,
        ws.dhPrev,
        0,
        ws.dcPrev,
        0,
        ws.dh,
        0,
        ws.dc,
        0,
        lc.act,
        t * B * GH,
        lc.aux,
        t * B * H,
        lc.hseq,
        prev,
        lc.cseq,
        prev,
        B,
        H,
      );
      be.gemmNN(B, H, GH, ws.dgh, t * B * GH, P, lo.whh, ws.dhPrev, 0, true);
      ws.dh.set(ws.dhPrev);
      if (cell.hasCell) ws.dc.set(ws.dcPrev);
    }
    dState0.h.set(ws.dh, l * B * H);
    if (cell.hasCell) (dState0.c as Float32Array).set(ws.dc, l * B * H);
    // 3. weight gradients for the whole window in single multiplies
    be.gemmTN(GH, H, TB, ws.dgh, 0, lc.hseq, 0, D, lo.whh, true);
    sumRows(be, D, lo.bhh, ws.dgh, 0, TB, GH);
    sumRows(be, D, lo.bih, ws.dgx, 0, TB, GH);
    // 4. the input side
    if (l === 0 && config.input === 'onehot') {
      scatterAddColumns(be, D, lo.wih, ws.dgx, 0, x as Int32Array, 0, TB, GH, config.inputSize);
      continue;
    }
    let inp: Float32Array;
    let inOff = 0;
    if (l === 0) inp = config.input === 'embedding' ? ws.emb : (x as Float32Array);
    else {
      const below = ws.layers[l - 1];
      if (below.dropped.length > 0 && ws.last.training && config.dropout > 0) inp = below.dropped;
      else {
        inp = below.hseq;
        inOff = B * H;
      }
    }
    be.gemmTN(GH, lo.inputWidth, TB, ws.dgx, 0, inp, inOff, D, lo.wih, true);
    const W = lo.inputWidth;
    if (l === 0 && config.input === 'dense') {
      // the data's own gradient, only when the caller carries it further: dx [TB, X] = dgx · W_ih
      if (dx !== null) {
        be.gemmNN(TB, W, GH, ws.dgx, 0, P, lo.wih, ws.dIn, 0, false);
        dx.set(ws.dIn.subarray(0, TB * W));
      }
      continue;
    }
    be.gemmNN(TB, W, GH, ws.dgx, 0, P, lo.wih, ws.dIn, 0, false);
    if (l === 0) {
      // embedding: scatter the rows back to the table (through the embedding dropout's mask when it dropped)
      const ids = x as Int32Array;
      if (ws.last.embDropped) for (let i = 0; i < TB * W; i++) ws.dIn[i] *= ws.embMask[i];
      for (let r = 0; r < TB; r++) {
        const e = layout.embedding + ids[r] * W;
        for (let k = 0; k < W; k++) D[e + k] += ws.dIn[r * W + k];
      }
    } else {
      const below = ws.layers[l - 1];
      const dropped = below.dropped.length > 0 && ws.last.training && config.dropout > 0;
      for (let i = 0; i < TB * H; i++) ws.dOut[i] = dropped ? ws.dIn[i] * below.mask[i] : ws.dIn[i];
    }
  }
}
