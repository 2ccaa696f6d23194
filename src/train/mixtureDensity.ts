/**
 * A mixture density head for real-valued sequence outputs (Bishop 1994; Graves 2013 for pen strokes): at each step
 * the model's Y = K·(1 + 2D) outputs are read as K mixture logits, K means `[D]` and K log standard deviations `[D]`
 * of diagonal Gaussians, and the loss is the negative log-likelihood of the target point. Unlike MSE, which learns
 * the conditional mean (one averaged stroke per digit), the mixture can be sampled: varied, sharp trajectories.
 *
 * ```
 * y_t [K logits π | K·D means μ | K·D log σ]      p(x) = Σ_k softmax(π)_k Π_d N(x_d; μ_kd, σ_kd)
 * loss = −log p(x_t)   (mean over counted steps and rows)
 * ```
 * 1. Gradients (with r_k the posterior of component k): `dπ_k = w_k − r_k`, `dμ_kd = −r_k (x_d − μ_kd) / σ²`,
 *    `dlogσ_kd = r_k (1 − (x_d − μ_kd)² / σ²)`; log σ is clamped to [−7, 7] in the forward.
 * 2. Steps outside `[fromStep, toStep)` get a zero gradient, as the other losses.
 * 3. `sampleMixture` draws one point from a step's outputs (temperature scales σ and sharpens π).
 *
 * @example
 * const loss = mixtureDensityLoss(3, 2);   // 3 components over (x, y): Y = 15
 * const { loss: nll } = loss(dy, y, targets, { T, B, Y: 15 });
 */
import { invalidArg, shapeError, describe } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import type { LossResult, LossShape, SequenceLoss } from './losses.ts';

const LOG_2PI = Math.log(2 * Math.PI);
const clampLog = (v: number): number => (v < -7 ? -7 : v > 7 ? 7 : v);

/**
 * The mixture density loss for K components over D dimensions.
 * @param K components >= 1
 * @param D dimensions of a point >= 1
 * @returns a `SequenceLoss` over `y [T, B, K(1+2D)]` and `targets [T, B, D]`
 */
export function mixtureDensityLoss(K: number, D: number): SequenceLoss {
  checkInt('K', K, 1, 256);
  checkInt('D', D, 1, 256);
  const Y = K * (1 + 2 * D);
  const w = new Float64Array(K); // mixture weights
  const lp = new Float64Array(K); // log w_k + log N_k
  return (dy, y, targets, shape: LossShape): LossResult => {
    const s = checkObject('shape', shape);
    const T = checkInt('shape.T', s.T, 1);
    const B = checkInt('shape.B', s.B, 1);
    if (s.Y !== Y) throw shapeError('shape.Y', `${Y} (K=${K} components, D=${D}: K(1+2D))`, String(s.Y));
    const from = checkInt('shape.fromStep', s.fromStep ?? 0, 0, T);
    const to = checkInt('shape.toStep', s.toStep ?? T, from, T);
    if (!(y instanceof Float32Array) || y.length !== T * B * Y)
      throw shapeError('y', `Float32Array of length ${T * B * Y} ([T, B, Y=${Y}])`, describe(y));
    if (!(targets instanceof Float32Array) || targets.length !== T * B * D)
      throw shapeError('targets', `Float32Array of length ${T * B * D} ([T, B, D=${D}])`, describe(targets));
    if (dy !== null && (!(dy instanceof Float32Array) || dy.length !== y.length))
      throw shapeError('dy', `Float32Array of length ${y.length} or null`, describe(dy));
    if (dy !== null) dy.fill(0);
    const count = (to - from) * B;
    const scale = (s.reduction ?? 'mean') === 'mean' && count > 0 ? 1 / count : 1;
    let sum = 0;
    for (let t = from; t < to; t++)
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * Y;
        const x = (t * B + b) * D;
        let max = -Infinity;
        for (let k = 0; k < K; k++) if (y[o + k] > max) max = y[o + k];
        let z = 0;
        for (let k = 0; k < K; k++) z += Math.exp(y[o + k] - max);
        let best = -Infinity;
        for (let k = 0; k < K; k++) {
          w[k] = Math.exp(y[o + k] - max) / z;
          let l = Math.log(w[k]);
          for (let d = 0; d < D; d++) {
            const ls = clampLog(y[o + K + K * D + k * D + d]);
            const e = (targets[x + d] - y[o + K + k * D + d]) * Math.exp(-ls);
            l -= 0.5 * e * e + ls + 0.5 * LOG_2PI;
          }
          lp[k] = l;
          if (l > best) best = l;
        }
        let tot = 0;
        for (let k = 0; k < K; k++) tot += Math.exp(lp[k] - best);
        const logp = best + Math.log(tot);
        if (!Number.isFinite(logp)) throw invalidArg(`y[${o}]`, 'outputs giving a finite likelihood', logp);
        sum -= logp;
        if (dy === null) continue;
        for (let k = 0; k < K; k++) {
          const r = Math.exp(lp[k] - logp); // posterior of component k
          dy[o + k] = scale * (w[k] - r);
          for (let d = 0; d < D; d++) {
            const raw = y[o + K + K * D + k * D + d];
            const ls = clampLog(raw);
            const inv = Math.exp(-ls);
            const e = (targets[x + d] - y[o + K + k * D + d]) * inv;
            dy[o + K + k * D + d] = scale * (-r * e * inv);
            dy[o + K + K * D + k * D + d] = raw === ls ? scale * r * (1 - e * e) : 0;
          }
        }
      }
    return { loss: sum * scale, sum, count };
  };
}

/**
 * Draws one point `[D]` from a step's mixture outputs `[K(1+2D)]`.
 * @param temperature > 0: divides the logits and multiplies σ by √temperature. @default 1
 */
export function sampleMixture(
  out: Float32Array,
  K: number,
  D: number,
  rng: Rng,
  temperature = 1,
  point: Float32Array = new Float32Array(D),
): Float32Array {
  if (out.length < K * (1 + 2 * D)) throw shapeError('out', `of length ${K * (1 + 2 * D)}`, `length ${out.length}`);
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (out[k] / temperature > max) max = out[k] / temperature;
  let z = 0;
  for (let k = 0; k < K; k++) z += Math.exp(out[k] / temperature - max);
  let u = rng.next() * z;
  let k = 0;
  for (; k < K - 1; k++) {
    u -= Math.exp(out[k] / temperature - max);
    if (u <= 0) break;
  }
  for (let d = 0; d < D; d++) {
    const sigma = Math.exp(clampLog(out[K + K * D + k * D + d])) * Math.sqrt(temperature);
    point[d] = out[K + k * D + d] + sigma * rng.normal();
  }
  return point;
}
