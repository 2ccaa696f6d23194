/**
 * One episode of the recurrent attention model over B images at once: forward (locate, look, update the core, and
 * classify at the last glimpse) and the backward of the hybrid loss, side by side.
 *
 * Forward, for t = 0..T-1 (`h[0] = 0`; `h[t]` below is the core's state before glimpse t):
 * 1. `ramLocate`: `mu_t = tanh(h[t]·W_lᵀ + b_l)` `[B, 2]`, the baseline `b_t = h[t]·W_bᵀ + b_b` `[B]`, and the
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
 */
import { backendCell } from '../cells/backendCell.ts';
import { cellFor } from '../cells/cellFor.ts';
import { retina } from '../sources/glimpse.ts';
import { addBiasRows, sumRows } from '../tensor/rowOps.ts';
import { softmaxCrossEntropy } from '../tensor/softmax.ts';
import type { Rng } from '../util/rng.ts';
import { ramGates, ramRetinaSize } from './ramConfig.ts';
import type { RamModel } from './ramModel.ts';

/** Where the locations come from. */
export type RamPolicy = 'sample' | 'mean' | 'random' | 'replay';

/** The buffers of one episode of B images (allocated once, reused by every batch of that size). */
export interface RamWorkspace {
  readonly B: number;
  readonly T: number;
  /** Locations looked at, `// [T, B, 2]` (x, y in [-1, 1]). */
  readonly loc: Float32Array;
  /** Policy means, `// [T, B, 2]`. */
  readonly mu: Float32Array;
  /** Baselines, `// [T, B]`. */
  readonly base: Float32Array;
  /** Retina outputs, `// [T, B, D]`. */
  readonly rho: Float32Array;
  /** "What" and "where" hidden layers, `// [T, B, Hg]` each. */
  readonly hg: Float32Array;
  readonly hl: Float32Array;
  /** Glimpse network outputs, `// [T, B, G]`. */
  readonly g: Float32Array;
  /** Core states, `// [T+1, B, H]` (`h[0] = 0`); `c` the same for an LSTM, else empty. */
  readonly h: Float32Array;
  readonly c: Float32Array;
  /** Cell caches, `// [T, B, GH]` and `// [T, B, H]`. */
  readonly act: Float32Array;
  readonly aux: Float32Array;
  /** Logits at the last glimpse, `// [B, Y]`. */
  readonly logits: Float32Array;
  /** Rewards of the last backward, `// [B]`. */
  readonly reward: Float32Array;
  /** Scratch: `gx`, `gh`, `dgx`, `dgh` `[B, GH]`; `dh`, `dc`, `dhPrev`, `dcPrev` `[B, H]`; the rest as named. */
  readonly scratch: {
    gx: Float32Array;
    gh: Float32Array;
    dgx: Float32Array;
    dgh: Float32Array;
    dh: Float32Array;
    dc: Float32Array;
    dhPrev: Float32Array;
    dcPrev: Float32Array;
    dg: Float32Array; // [B, G]
    dhg: Float32Array; // [B, Hg]
    dhl: Float32Array; // [B, Hg]
    dlogits: Float32Array; // [B, Y]
    dz: Float32Array; // [B, 2]
    db: Float32Array; // [B, 1]
  };
  /** The policy of the last `ramLocate`. */
  policy: RamPolicy;
}

/** Buffers for episodes of B images with the model's sizes. */
export function createRamWorkspace(model: RamModel, B: number): RamWorkspace {
  const c = model.config;
  const T = c.glimpses;
  const H = c.hiddenSize;
  const GH = ramGates(c) * H;
  const lstm = c.cell === 'lstm';
  const a = (n: number): Float32Array => model.backend.alloc(n);
  return {
    B,
    T,
    loc: a(T * B * 2),
    mu: a(T * B * 2),
    base: a(T * B),
    rho: a(T * B * ramRetinaSize(c)),
    hg: a(T * B * c.glimpseHidden),
    hl: a(T * B * c.glimpseHidden),
    g: a(T * B * c.glimpseOutput),
    h: a((T + 1) * B * H),
    c: a(lstm ? (T + 1) * B * H : 0),
    act: a(T * B * GH),
    aux: a(T * B * H),
    logits: a(B * c.classes),
    reward: a(B),
    scratch: {
      gx: a(B * GH),
      gh: a(B * GH),
      dgx: a(B * GH),
      dgh: a(B * GH),
      dh: a(B * H),
      dc: a(B * H),
      dhPrev: a(B * H),
      dcPrev: a(B * H),
      dg: a(B * c.glimpseOutput),
      dhg: a(B * c.glimpseHidden),
      dhl: a(B * c.glimpseHidden),
      dlogits: a(B * c.classes),
      dz: a(B * 2),
      db: a(B),
    },
    policy: 'mean',
  };
}

/** Starts an episode: the core's state `h[0]` (and `c[0]`) to 0. */
export function ramReset(model: RamModel, ws: RamWorkspace): void {
  const n = ws.B * model.config.hiddenSize;
  ws.h.fill(0, 0, n);
  if (ws.c.length > 0) ws.c.fill(0, 0, n);
}

/** Step 1 of glimpse t: policy mean, baseline and location `l_t` from `h[t]`. */
export function ramLocate(model: RamModel, ws: RamWorkspace, t: number, policy: RamPolicy, rng: Rng | null): void {
  const { B } = ws;
  const H = model.config.hiddenSize;
  const std = model.config.locationStd;
  const o = model.offsets;
  const P = model.params;
  const be = model.backend;
  const hOff = t * B * H;
  const lOff = t * B * 2;
  be.gemmNT(B, 2, H, ws.h, hOff, P, o.wL, ws.mu, lOff, false);
  be.gemmNT(B, 1, H, ws.h, hOff, P, o.wB, ws.base, t * B, false);
  for (let b = 0; b < B; b++) {
    ws.base[t * B + b] += P[o.bB];
    for (let d = 0; d < 2; d++) {
      const k = lOff + b * 2 + d;
      const mu = Math.tanh(ws.mu[k] + P[o.bL + d]);
      ws.mu[k] = mu;
      if (policy === 'mean') ws.loc[k] = mu;
      else if (policy === 'sample') ws.loc[k] = Math.min(1, Math.max(-1, mu + std * (rng as Rng).normal()));
      else if (policy === 'random') ws.loc[k] = (rng as Rng).uniform(-1, 1);
      // 'replay': ws.loc[k] was written by the caller
    }
  }
  ws.policy = policy;
}

/** Step 3 of glimpse t: the glimpse network on `rho[t]`, `loc[t]`, then `h[t+1] = cell(g_t, h[t])`. */
export function ramObserve(model: RamModel, ws: RamWorkspace, t: number): void {
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
 * The location network's REINFORCE term and the baseline's squared error at glimpse t, each reading `h[t]`
 * detached: accumulates into `model.grads` (`+=`) and returns the terms' means over the batch.
 *   loss_t = mean_b w_b·[ −(R_b − b_t)·log π(l_t | mu_t) + (R_b − b_t)² ]
 *
 * @param reward `R` `// [B]` at this glimpse
 * @param weight `w` `// [B]` (0 leaves an image out, e.g. after its stop symbol), or null for all 1
 * @param learnPolicy false: the location network gets no gradient (random or fixed locations)
 */
export function ramLocationBackward(
  model: RamModel,
  ws: RamWorkspace,
  t: number,
  reward: Float32Array,
  weight: Float32Array | null,
  learnPolicy: boolean,
): { reinforce: number; baseline: number } {
  const c = model.config;
  const { B } = ws;
  const H = c.hiddenSize;
  const o = model.offsets;
  const dP = model.grads;
  const be = model.backend;
  const s = ws.scratch;
  const inv = 1 / B;
  const std2 = c.locationStd * c.locationStd;
  let reinforce = 0;
  let baseline = 0;
  for (let b = 0; b < B; b++) {
    const w = weight === null ? 1 : weight[b];
    const adv = reward[b] - ws.base[t * B + b];
    baseline += w * adv * adv * inv;
    s.db[b] = -2 * w * adv * inv;
    let logp = 0;
    for (let d = 0; d < 2; d++) {
      const k = (t * B + b) * 2 + d;
      const diff = ws.loc[k] - ws.mu[k];
      logp -= (diff * diff) / (2 * std2);
      // d(−adv·log π)/dmu = −adv·(l − mu)/std², through tanh
      s.dz[b * 2 + d] = learnPolicy ? ((-w * adv * diff) / std2) * inv * (1 - ws.mu[k] * ws.mu[k]) : 0;
    }
    if (learnPolicy) reinforce -= w * adv * logp * inv;
  }
  be.gemmTN(1, H, B, s.db, 0, ws.h, t * B * H, dP, o.wB, true);
  sumRows(be, dP, o.bB, s.db, 0, B, 1);
  if (learnPolicy) {
    be.gemmTN(2, H, B, s.dz, 0, ws.h, t * B * H, dP, o.wL, true);
    sumRows(be, dP, o.bL, s.dz, 0, B, 2);
  }
  return { reinforce, baseline };
}

/**
 * Backward of glimpse t's core step and glimpse network: reads `ws.scratch.dh` (and `dc`) as dL/dh[t+1], accumulates
 * into `model.grads` and leaves dL/dh[t] (and dL/dc[t]) there. The mirror of `ramObserve`.
 */
export function ramStepBackward(model: RamModel, ws: RamWorkspace, t: number): void {
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
