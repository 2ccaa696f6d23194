/**
 * One episode of the recurrent attention model over B images at once: forward (locate, look, update the core, and
 * classify at the last glimpse) and the backward of the hybrid loss, side by side.
 *
 * Forward, for t = 0..T-1 (`h[0] = 0`; `h[t]` below is the core's state before glimpse t):
 * 1. `ramLocate` (`ramLocation.ts`, with its backward `ramLocationBackward`): `mu_t = tanh(h[t]·W_lᵀ + b_l)` `[B, 2]`, the baseline `b_t = h[t]·W_bᵀ + b_b` `[B]`, and the
 *    location `l_t` by the policy: `'sample'` `clamp(mu_t + std·N(0, 1), -1, 1)` (training), `'mean'` `mu_t`
 *    (evaluation), `'random'` uniform in [-1, 1]² (the ablation), `'replay'` given in `ws.loc` (checks).
 * 2. The caller (or `ramForward`) writes the retina at `l_t` into `ws.rho[t]`.
 * 3. `ramObserve`: the glimpse network and one step of the core: `h[t+1] = cell(g_t, h[t])`.
 * 4. `ramClassify`: logits `h[T]·W_aᵀ + b_a` `[B, Y]`.
 *
 * Backward (`ramBackward`), reward `R = 1` where the argmax of the logits is the label, else 0:
 *   loss = mean_b [ CE(logits, label) + Σ_t −(R − b_t)·log π(l_t | mu_t) + Σ_t (R − b_t)² ]
 * where `R − b_t` is a constant in the REINFORCE term. Cross-entropy flows through classifier, core and glimpse
 * network; the REINFORCE term reaches the location network only, the squared error the baseline only (both read
 * `h[t]` detached, as in most RAM implementations). Locations carry no gradient (the retina is not differentiable).
 * The buffers are a `RamWorkspace` (`ramWorkspace.ts`).
 */
import { backendCell } from '../cells/backendCell.ts';
import { cellFor } from '../cells/cellFor.ts';
import { retina } from '../sources/glimpse.ts';
import { addBiasRows, sumRows } from '../tensor/rowOps.ts';
import { softmaxCrossEntropy } from '../tensor/softmax.ts';
import type { Rng } from '../util/rng.ts';
import { ramGates, ramRetinaSize } from './ramConfig.ts';
import type { RamModel } from './ramModel.ts';
import { ramLocate, ramLocationBackward } from './ramLocation.ts';
import type { RamPolicy, RamWorkspace } from './ramWorkspace.ts';

/** Starts an episode: the core's state `h[0]` (and `c[0]`) to 0. */
export function ramReset(model: RamModel, ws: RamWorkspace): void {
  model.checkLive('ramReset');
  const n = ws.B * model.config.hiddenSize;
  ws.h.fill(0, 0, n);
  if (ws.c.length > 0) ws.c.fill(0, 0, n);
}

/** Step 3 of glimpse t: the glimpse network on `rho[t]`, `loc[t]`, then `h[t+1] = cell(g_t, h[t])`. */
export function ramObserve(model: RamModel, ws: RamWorkspace, t: number): void {
  model.checkLive('ramObserve');
  const c = model.config;
  const { B } = ws;
  const D = ramRetinaSize(c);
  const Hg = c.glimpseHidden;
  const G = c.glimpseOutput;
  const H = c.hiddenSize;
  const GH = ramGates(c) * H;
  const o = model.offsets;
  const P = model.params;
  const be = model.backend;
  const { gx, gh } = ws.scratch;
  const gOff = t * B * Hg;
  be.gemmNT(B, Hg, D, ws.rho, t * B * D, P, o.wRho, ws.hg, gOff, false);
  addBiasRows(be, ws.hg, gOff, P, o.bRho, B, Hg);
  be.gemmNT(B, Hg, 2, ws.loc, t * B * 2, P, o.wLoc, ws.hl, gOff, false);
  addBiasRows(be, ws.hl, gOff, P, o.bLoc, B, Hg);
  for (let i = gOff; i < gOff + B * Hg; i++) {
    if (ws.hg[i] < 0) ws.hg[i] = 0;
    if (ws.hl[i] < 0) ws.hl[i] = 0;
  }
  const ggOff = t * B * G;
  be.gemmNT(B, G, Hg, ws.hg, gOff, P, o.wWhat, ws.g, ggOff, false);
  be.gemmNT(B, G, Hg, ws.hl, gOff, P, o.wWhere, ws.g, ggOff, true);
  addBiasRows(be, ws.g, ggOff, P, o.bWhat, B, G);
  addBiasRows(be, ws.g, ggOff, P, o.bWhere, B, G);
  for (let i = ggOff; i < ggOff + B * G; i++) if (ws.g[i] < 0) ws.g[i] = 0;
  be.gemmNT(B, GH, G, ws.g, ggOff, P, o.wIh, gx, 0, false);
  addBiasRows(be, gx, 0, P, o.bIh, B, GH);
  be.gemmNT(B, GH, H, ws.h, t * B * H, P, o.wHh, gh, 0, false);
  const cell = backendCell(cellFor(c.cell), be);
  cell.forward(
    ws.h,
    (t + 1) * B * H,
    ws.c,
    (t + 1) * B * H,
    ws.act,
    t * B * GH,
    ws.aux,
    t * B * H,
    gx,
    0,
    gh,
    0,
    ws.h,
    t * B * H,
    ws.c,
    t * B * H,
    P,
    o.bHh,
    B,
    H,
  );
}

/** Step 4: the logits `[B, Y]` from `h[T]` into `ws.logits`. */
export function ramClassify(model: RamModel, ws: RamWorkspace): Float32Array {
  model.checkLive('ramClassify');
  const { B, T } = ws;
  const { hiddenSize: H, classes: Y } = model.config;
  model.backend.gemmNT(B, Y, H, ws.h, T * B * H, model.params, model.offsets.wA, ws.logits, 0, false);
  addBiasRows(model.backend, ws.logits, 0, model.params, model.offsets.bA, B, Y);
  return ws.logits;
}

/**
 * A whole episode over B images: T times locate, look (the retina), observe; then classify.
 *
 * @param images `// [B, C, Hi, Wi]` pixels in [0, 1]
 * @param rng draws the sampled or random locations (unused for `'mean'` and `'replay'`)
 * @returns the logits `// [B, Y]` (the workspace's buffer)
 */
export function ramForward(
  model: RamModel,
  ws: RamWorkspace,
  images: Float32Array,
  Hi: number,
  Wi: number,
  policy: RamPolicy,
  rng: Rng | null,
): Float32Array {
  const c = model.config;
  const { B, T } = ws;
  const D = ramRetinaSize(c);
  const size = c.channels * Hi * Wi;
  ramReset(model, ws);
  for (let t = 0; t < T; t++) {
    ramLocate(model, ws, t, policy, rng);
    for (let b = 0; b < B; b++) {
      const k = (t * B + b) * 2;
      const out = ws.rho.subarray((t * B + b) * D, (t * B + b + 1) * D);
      const img = images.subarray(b * size, (b + 1) * size);
      retina(out, img, c.channels, Hi, Wi, ws.loc[k], ws.loc[k + 1], c.glimpseSize, c.scales);
    }
    ramObserve(model, ws, t);
  }
  return ramClassify(model, ws);
}

/** The terms of the hybrid loss (means over the batch) and the correct answers. */
export interface RamLoss {
  /** Cross-entropy of the classifier, nats. */
  ce: number;
  /** The REINFORCE surrogate `Σ_t −(R − b_t)·log π(l_t)` (0 unless the policy was `'sample'` or `'replay'`). */
  reinforce: number;
  /** The baseline's squared error `Σ_t (R − b_t)²`. */
  baseline: number;
  /** Images classified correctly (R = 1). */
  correct: number;
}

/**
 * Backward of the hybrid loss after `ramForward`: accumulates (`+=`) into `model.grads` and returns the loss terms.
 * The location network learns only when the locations came from the policy (`'sample'`, `'replay'`).
 *
 * @param labels `// [B]` class ids < Y
 */
export function ramBackward(model: RamModel, ws: RamWorkspace, labels: Int32Array): RamLoss {
  model.checkLive('ramBackward');
  const c = model.config;
  const { B, T } = ws;
  const { hiddenSize: H, classes: Y } = c;
  const o = model.offsets;
  const P = model.params;
  const dP = model.grads;
  const be = model.backend;
  const s = ws.scratch;
  const inv = 1 / B;

  // 1. reward and classifier: dlogits = (softmax - onehot) / B
  let correct = 0;
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let k = 1; k < Y; k++) if (ws.logits[b * Y + k] > ws.logits[b * Y + best]) best = k;
    ws.reward[b] = best === labels[b] ? 1 : 0;
    correct += ws.reward[b];
  }
  const ce = softmaxCrossEntropy(s.dlogits, ws.logits, labels, B, Y, inv) * inv;
  be.gemmTN(Y, H, B, s.dlogits, 0, ws.h, T * B * H, dP, o.wA, true);
  sumRows(be, dP, o.bA, s.dlogits, 0, B, Y);
  be.gemmNN(B, H, Y, s.dlogits, 0, P, o.wA, s.dh, 0, false);
  s.dc.fill(0);

  // 2. location network (REINFORCE) and baseline, each reading h[t] detached; the same reward at every glimpse
  const learnPolicy = ws.policy === 'sample' || ws.policy === 'replay';
  let reinforce = 0;
  let baseline = 0;
  for (let t = 0; t < T; t++) {
    const r = ramLocationBackward(model, ws, t, ws.reward, null, learnPolicy);
    reinforce += r.reinforce;
    baseline += r.baseline;
  }

  // 3. core and glimpse network, t = T-1..0; s.dh holds dL/dh[t+1] (and s.dc dL/dc[t+1])
  for (let t = T - 1; t >= 0; t--) ramStepBackward(model, ws, t);
  return { ce, reinforce, baseline, correct };
}

/**
 * Backward of glimpse t's core step and glimpse network: reads `ws.scratch.dh` (and `dc`) as dL/dh[t+1], accumulates
 * into `model.grads` and leaves dL/dh[t] (and dL/dc[t]) there. The mirror of `ramObserve`.
 */
export function ramStepBackward(model: RamModel, ws: RamWorkspace, t: number): void {
  model.checkLive('ramStepBackward');
  const c = model.config;
  const { B } = ws;
  const D = ramRetinaSize(c);
  const { hiddenSize: H, glimpseHidden: Hg, glimpseOutput: G } = c;
  const GH = ramGates(c) * H;
  const o = model.offsets;
  const P = model.params;
  const dP = model.grads;
  const be = model.backend;
  const s = ws.scratch;
  const cell = backendCell(cellFor(c.cell), be);
  cell.backward(
    s.dgx,
    0,
    s.dgh,
    0,
    s.dhPrev,
    0,
    s.dcPrev,
    0,
    s.dh,
    0,
    s.dc,
    0,
    ws.act,
    t * B * GH,
    ws.aux,
    t * B * H,
    ws.h,
    t * B * H,
    ws.c,
    t * B * H,
    B,
    H,
  );
  const gOff = t * B * G;
  const hgOff = t * B * Hg;
  be.gemmTN(GH, G, B, s.dgx, 0, ws.g, gOff, dP, o.wIh, true);
  sumRows(be, dP, o.bIh, s.dgx, 0, B, GH);
  be.gemmTN(GH, H, B, s.dgh, 0, ws.h, t * B * H, dP, o.wHh, true);
  sumRows(be, dP, o.bHh, s.dgh, 0, B, GH);
  be.gemmNN(B, H, GH, s.dgh, 0, P, o.wHh, s.dhPrev, 0, true);
  // glimpse network: dg = dgx·W_ih ⊙ [g > 0]
  be.gemmNN(B, G, GH, s.dgx, 0, P, o.wIh, s.dg, 0, false);
  for (let i = 0; i < B * G; i++) if (ws.g[gOff + i] <= 0) s.dg[i] = 0;
  be.gemmTN(G, Hg, B, s.dg, 0, ws.hg, hgOff, dP, o.wWhat, true);
  sumRows(be, dP, o.bWhat, s.dg, 0, B, G);
  be.gemmTN(G, Hg, B, s.dg, 0, ws.hl, hgOff, dP, o.wWhere, true);
  sumRows(be, dP, o.bWhere, s.dg, 0, B, G);
  be.gemmNN(B, Hg, G, s.dg, 0, P, o.wWhat, s.dhg, 0, false);
  be.gemmNN(B, Hg, G, s.dg, 0, P, o.wWhere, s.dhl, 0, false);
  for (let i = 0; i < B * Hg; i++) {
    if (ws.hg[hgOff + i] <= 0) s.dhg[i] = 0;
    if (ws.hl[hgOff + i] <= 0) s.dhl[i] = 0;
  }
  be.gemmTN(Hg, D, B, s.dhg, 0, ws.rho, t * B * D, dP, o.wRho, true);
  sumRows(be, dP, o.bRho, s.dhg, 0, B, Hg);
  be.gemmTN(Hg, 2, B, s.dhl, 0, ws.loc, t * B * 2, dP, o.wLoc, true);
  sumRows(be, dP, o.bLoc, s.dhl, 0, B, Hg);
  s.dh.set(s.dhPrev);
  if (ws.c.length > 0) s.dc.set(s.dcPrev);
}
