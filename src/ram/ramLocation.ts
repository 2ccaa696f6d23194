/**
 * The location network and the baseline of the recurrent attention model, forward and backward side by side.
 *
 * Forward (`ramLocate`, step 1 of glimpse t): from the core's state `h[t]` `[B, H]`
 *   mu_t = tanh(h[t]·W_lᵀ + b_l)   `[B, 2]`, the policy mean
 *   b_t  = h[t]·W_bᵀ + b_b         `[B]`, the baseline
 *   l_t  = clamp(mu_t + std·N(0, 1), -1, 1) ('sample'), mu_t ('mean'), uniform in [-1, 1]² ('random'), or given
 *          in `ws.loc` ('replay')
 * Backward (`ramLocationBackward`), both terms reading `h[t]` detached:
 *   loss_t = mean_b w_b·[ −(R_b − b_t)·log π(l_t | mu_t) + (R_b − b_t)² ]
 * with `R − b_t` a constant in the REINFORCE term: the location network gets only the first, the baseline only the
 * second.
 */
import type { Rng } from '../util/rng.ts';
import { sumRows } from '../tensor/rowOps.ts';
import type { RamModel } from './ramModel.ts';
import type { RamPolicy, RamWorkspace } from './ramWorkspace.ts';

/** Step 1 of glimpse t: policy mean, baseline and location `l_t` from `h[t]`. */
export function ramLocate(model: RamModel, ws: RamWorkspace, t: number, policy: RamPolicy, rng: Rng | null): void {
  model.checkLive('ramLocate');
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
