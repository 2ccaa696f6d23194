/**
 * Cross-entropy against soft targets at a temperature, the loss of knowledge distillation (Hinton, Vinyals and
 * Dean 2015): a student's logits `z [B, K]` are scored against a teacher's probabilities `p [B, K]` (one
 * distribution per row, e.g. an ensemble's averaged `classifyEnsemble(...).probs`, softened by
 * `softenProbabilities`) as `T² · sum_k -p_k log softmax(z / T)_k` per row. The `T²` keeps the gradient's size
 * independent of T, so a soft loss mixes with a hard one at a fixed weight; its gradient is `T (softmax(z/T) - p)`.
 *
 * @example
 * const teacher = softenProbabilities(classifyEnsemble(members, train.seqs).probs, K, 2);
 * trainClassifierEpoch(student, train, { optimizer, rng, distill: { probs: teacher, weight: 0.5, temperature: 2 } });
 */
import { invalidArg, shapeError, describe } from '../util/errors.ts';
import { checkInt, checkNumber } from '../util/validate.ts';

/**
 * `sum over rows of T² · (-sum_k p_k log softmax(z_r / T)_k)`, times `scale`; writes `dz` (when not null) with
 * `scale · T · (softmax(z_r / T) - p_r)` (overwritten, not accumulated).
 *
 * @param dz `[B, K]` the gradient, or null for the loss only
 * @param z `[B, K]` logits
 * @param p `[B, K]` target probabilities (each row non-negative, summing to 1)
 * @param B rows
 * @param K classes
 * @param temperature T > 0 (1: plain cross-entropy against soft targets)
 * @param scale multiplies the loss and the gradient (1 / B for a mean over rows)
 * @returns the scaled sum
 * @throws EddyError ERR_SHAPE naming `z`, `dz` or `p`; ERR_INVALID_ARG for a bad temperature or a row of `p`
 *   that is not a distribution
 */
export function softTargetCrossEntropy(
  dz: Float32Array | null,
  z: Float32Array,
  p: Float32Array,
  B: number,
  K: number,
  temperature = 1,
  scale = 1,
): number {
  checkInt('B', B, 1);
  checkInt('K', K, 1);
  const T = checkNumber('temperature', temperature, 0, Infinity, { min: true });
  checkNumber('scale', scale);
  const n = B * K;
  if (!(z instanceof Float32Array) || z.length !== n)
    throw shapeError('z', `Float32Array of length ${n} ([B=${B}, K=${K}])`, describe(z));
  if (!(p instanceof Float32Array) || p.length !== n)
    throw shapeError('p', `Float32Array of length ${n} ([B=${B}, K=${K}])`, describe(p));
  if (dz !== null && (!(dz instanceof Float32Array) || dz.length !== n))
    throw shapeError('dz', `Float32Array of length ${n} ([B=${B}, K=${K}]) or null`, describe(dz));
  let total = 0;
  for (let r = 0; r < B; r++) {
    const o = r * K;
    let sumP = 0;
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      const pk = p[o + k];
      if (!(pk >= 0)) throw invalidArg(`p[${r}, ${k}]`, 'a probability (>= 0)', pk);
      sumP += pk;
      const zk = z[o + k] / T;
      if (zk > max) max = zk;
    }
    if (Math.abs(sumP - 1) > 1e-3) throw invalidArg(`p[${r}]`, 'a distribution (a row summing to 1)', sumP);
    let sumE = 0;
    for (let k = 0; k < K; k++) sumE += Math.exp(z[o + k] / T - max);
    const logSum = max + Math.log(sumE);
    let row = 0;
    for (let k = 0; k < K; k++) {
      const logQ = z[o + k] / T - logSum;
      if (p[o + k] > 0) row -= p[o + k] * logQ;
      if (dz !== null) dz[o + k] = scale * T * (Math.exp(logQ) - p[o + k]);
    }
    total += scale * T * T * row;
  }
  return total;
}

/**
 * A teacher's probabilities at temperature T: each row `p^(1/T)`, renormalized (for a single model, exactly
 * `softmax(z / T)`; for an ensemble's averaged probabilities, the same softening applied to the average). Returns
 * a new array.
 *
 * @param probs `[N, K]` rows of probabilities
 * @param K classes
 * @param temperature T > 0; above 1 flattens, below 1 sharpens
 */
export function softenProbabilities(probs: Float32Array, K: number, temperature: number): Float32Array {
  checkInt('K', K, 1);
  const T = checkNumber('temperature', temperature, 0, Infinity, { min: true });
  if (!(probs instanceof Float32Array) || probs.length % K !== 0)
    throw shapeError('probs', `Float32Array of [N, K=${K}] probabilities`, describe(probs));
  const out = new Float32Array(probs.length);
  for (let o = 0; o < probs.length; o += K) {
    // in the log domain, shifted by the row's largest log-probability: no underflow to an all-zero row
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      const pk = probs[o + k];
      if (!(pk >= 0)) throw invalidArg(`probs[${o / K}, ${k}]`, 'a probability (>= 0)', pk);
      if (pk > 0) max = Math.max(max, Math.log(pk) / T);
    }
    if (max === -Infinity) throw invalidArg(`probs[${o / K}]`, 'a row with some positive probability', 0);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const pk = probs[o + k];
      const e = pk > 0 ? Math.exp(Math.log(pk) / T - max) : 0;
      out[o + k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) out[o + k] /= sum;
  }
  return out;
}
