/**
 * Forward over a window of T steps for B rows: layer by layer, one multiply for the whole window's input
 * projection, then the recurrence step by step. Caches everything backward needs in the workspace.
 */
import type { Backend } from '../tensor/backend.ts';
import type { CellKernel } from '../cells/cellKernel.ts';
import type { ModelConfig } from './modelConfig.ts';
import type { ParamLayout } from './paramLayout.ts';
import type { Workspace } from './workspace.ts';
import type { RecurrentState } from './recurrentState.ts';
import type { Rng } from '../util/rng.ts';
import { addBiasRows, gatherColumns } from '../tensor/rowOps.ts';

/** What a window pass needs from the model. */
export interface ModelCore {
  readonly config: ModelConfig;
  readonly layout: ParamLayout;
  readonly cell: CellKernel;
  readonly backend: Backend;
  readonly params: Float32Array;
  readonly grads: Float32Array;
}

/**
 * Runs the window. `x` is `[T, B, X]` features or `[T, B]` ids (validated by the caller); `state0` is the
 * initial state; the final state is written to `stateOut`; outputs land in `ws.y` `[T, B, Y]`. In training with
 * embedding dropout, `embMask` `[T, B, E]` is the mask to apply, or null to draw it from `rng`.
 */
export function windowForward(
  m: ModelCore,
  ws: Workspace,
  x: Float32Array | Int32Array,
  state0: RecurrentState,
  stateOut: RecurrentState,
  training: boolean,
  rng: Rng | null,
  embMask: Float32Array | null = null,
): void {
  const { config, layout, cell, backend: be, params: P } = m;
  const { T, B } = ws;
  const H = config.hiddenSize;
  const GH = cell.gates * H;
  const TB = T * B;
  const L = config.numLayers;
  const p = training ? config.dropout : 0;
  const pOut = training && config.outputSize > 0 ? (config.outputDropout ?? 0) : 0;
  ws.last.x = x;
  ws.last.training = training;
  ws.last.embDropped = false;

  for (let l = 0; l < L; l++) {
    const lo = layout.layers[l];
    const lc = ws.layers[l];
    // 1. input projection for the whole window: gx [TB, GH] = input · W_ihᵀ + b_ih
    if (l === 0 && config.input === 'onehot') {
      gatherColumns(be, lc.gx, 0, P, lo.wih, P, lo.bih, x as Int32Array, 0, TB, GH, config.inputSize);
    } else {
      let inp: Float32Array;
      let inOff = 0;
      if (l === 0 && config.input === 'embedding') {
        const ids = x as Int32Array;
        const E = config.embeddingSize;
        for (let r = 0; r < TB; r++)
          ws.emb.set(P.subarray(layout.embedding + ids[r] * E, layout.embedding + (ids[r] + 1) * E), r * E);
        // embedding dropout (training only): the mask is drawn before the layers' masks
        const pe = training ? (config.embeddingDropout ?? 0) : 0;
        if (pe > 0 && (rng || embMask)) {
          const scale = 1 / (1 - pe);
          for (let i = 0; i < TB * E; i++) {
            const keep = embMask ? embMask[i] : (rng as Rng).next() >= pe ? scale : 0;
            ws.embMask[i] = keep;
            ws.emb[i] *= keep;
          }
          ws.last.embDropped = true;
        }
        inp = ws.emb;
      } else if (l === 0) {
        inp = x as Float32Array;
      } else {
        const below = ws.layers[l - 1];
        if (below.dropped.length > 0 && p > 0) inp = below.dropped;
        else {
          inp = below.hseq;
          inOff = B * H;
        }
      }
      be.gemmNT(TB, GH, lo.inputWidth, inp, inOff, P, lo.wih, lc.gx, 0, false);
      addBiasRows(be, lc.gx, 0, P, lo.bih, TB, GH);
    }
    // 2. the recurrence
    lc.hseq.set(state0.h.subarray(l * B * H, (l + 1) * B * H), 0);
    if (cell.hasCell) lc.cseq.set((state0.c as Float32Array).subarray(l * B * H, (l + 1) * B * H), 0);
    for (let t = 0; t < T; t++) {
      const prev = t * B * H;
      const cur = prev + B * H;
      be.gemmNT(B, GH, H, lc.hseq, prev, P, lo.whh, ws.gh, 0, false);
      cell.forward(
        lc.hseq,
        cur,
        lc.cseq,
        cur,
        lc.act,
        t * B * GH,
        lc.aux,
        t * B * H,
        lc.gx,
        t * B * GH,
        ws.gh,
        0,
        lc.hseq,
        prev,
        lc.cseq,
        prev,
        P,
        lo.bhh,
        B,
        H,
      );
    }
    stateOut.h.set(lc.hseq.subarray(T * B * H, (T + 1) * B * H), l * B * H);
    if (cell.hasCell) (stateOut.c as Float32Array).set(lc.cseq.subarray(T * B * H, (T + 1) * B * H), l * B * H);
    // 3. dropout on the way to the next layer, or to the head with output dropout (training only)
    const pl = l < L - 1 ? p : pOut;
    if (pl > 0 && rng) {
      const scale = 1 / (1 - pl);
      for (let i = 0; i < TB * H; i++) {
        const keep = rng.next() >= pl ? scale : 0;
        lc.mask[i] = keep;
        lc.dropped[i] = lc.hseq[B * H + i] * keep;
      }
    }
  }
  // 4. the head: y [TB, Y] = top · head.weightᵀ + head.bias (top after output dropout when training with it)
  const top = ws.layers[L - 1].hseq;
  if (config.outputSize > 0) {
    const Y = config.outputSize;
    if (pOut > 0 && rng) be.gemmNT(TB, Y, H, ws.layers[L - 1].dropped, 0, P, layout.headWeight, ws.y, 0, false);
    else be.gemmNT(TB, Y, H, top, B * H, P, layout.headWeight, ws.y, 0, false);
    addBiasRows(be, ws.y, 0, P, layout.headBias, TB, Y);
  } else {
    ws.y.set(top.subarray(B * H, (T + 1) * B * H));
  }
}
