/**
 * Class-weighted softmax cross-entropy (PyTorch's `CrossEntropyLoss(weight=w)`): each counted step's loss is
 * multiplied by the weight of its target class, and `'mean'` divides by the sum of those weights, so that rare
 * classes count more when a data set is unbalanced (the surnames: Russian and English are 70% of the names).
 *
 * 1. Targets `[T, B]` with -1 at uncounted steps (`padBatch`'s many-to-one `targets`, or padded per-step targets),
 *    or `[B]` labels scored at the last counted step, as `manyToOneCrossEntropy`.
 * 2. `balancedClassWeights(labels, K)` gives scikit-learn's `'balanced'` weights `N / (K · n_c)`, raised to
 *    `power` (0: all ones, 1: fully balanced, 0.5 in between).
 *
 * @example
 * const loss = weightedCrossEntropy(balancedClassWeights(train.labels, 18, 0.5));
 * const { loss: l } = loss(dy, y, batch.targets, { T, B, Y: 18 });
 */
import { softmaxCrossEntropy } from '../tensor/softmax.ts';
import { invalidArg, shapeError, describe } from '../util/errors.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';
import type { LossResult, LossShape, SequenceLoss } from './losses.ts';

/**
 * A cross-entropy loss with one weight per class.
 * @param weights `[K]` finite weights >= 0 (K = the shape's Y)
 * @returns a `SequenceLoss`
 * @throws EddyError ERR_INVALID_ARG naming `weights[k]`; when called, ERR_SHAPE naming `y`, `dy` or `targets`
 */
export function weightedCrossEntropy(weights: ArrayLike<number>): SequenceLoss {
  if (weights === null || typeof weights !== 'object' || !(weights.length >= 1))
    throw invalidArg('weights', 'a non-empty array of class weights', weights);
  const w = Float64Array.from({ length: weights.length }, (_, k) =>
    checkNumber(`weights[${k}]`, weights[k], 0, Number.MAX_VALUE),
  );
  const one = new Int32Array(1);
  return (dy, y, targets, shape: LossShape): LossResult => {
    const s = checkObject('shape', shape);
    const T = checkInt('shape.T', s.T, 1);
    const B = checkInt('shape.B', s.B, 1);
    const V = checkInt('shape.Y', s.Y, 1);
    if (V !== w.length) throw shapeError('weights', `of length Y = ${V}`, `length ${w.length}`);
    const from = checkInt('shape.fromStep', s.fromStep ?? 0, 0, T);
    const to = checkInt('shape.toStep', s.toStep ?? T, from, T);
    const mean = (s.reduction ?? 'mean') === 'mean';
    if (!(y instanceof Float32Array) || y.length !== T * B * V)
      throw shapeError('y', `Float32Array of length ${T * B * V} ([T=${T}, B=${B}, Y=${V}])`, describe(y));
    if (dy !== null && (!(dy instanceof Float32Array) || dy.length !== T * B * V))
      throw shapeError('dy', `Float32Array of length ${T * B * V} or null`, describe(dy));
    const perStep = targets instanceof Int32Array && targets.length === T * B && T > 1;
    if (!(targets instanceof Int32Array) || (!perStep && targets.length !== B))
      throw shapeError('targets', `Int32Array [T=${T}, B=${B}] or [B=${B}]`, describe(targets));
    // the target of (t, b), or -1 when the step does not count
    const target = (t: number, b: number): number => {
      if (t < from || t >= to) return -1;
      const id = perStep ? targets[t * B + b] : t === to - 1 ? targets[b] : -1;
      if (id >= V) throw invalidArg(`targets[${perStep ? t * B + b : b}]`, `class id < ${V}`, id);
      return id;
    };
    let wSum = 0;
    let count = 0;
    for (let t = from; t < to; t++)
      for (let b = 0; b < B; b++) {
        const id = target(t, b);
        if (id >= 0) {
          wSum += w[id];
          count++;
        }
      }
    if (dy !== null) dy.fill(0);
    if (count === 0 || wSum === 0) return { loss: 0, sum: 0, count };
    const norm = mean ? 1 / wSum : 1;
    let sum = 0;
    for (let t = from; t < to; t++)
      for (let b = 0; b < B; b++) {
        const id = target(t, b);
        if (id < 0) continue;
        one[0] = id;
        const o = (t * B + b) * V;
        const l = softmaxCrossEntropy(
          dy === null ? null : dy.subarray(o, o + V),
          y.subarray(o, o + V),
          one,
          1,
          V,
          w[id] * norm,
        );
        sum += w[id] * l;
      }
    return { loss: sum * norm, sum, count };
  };
}

/**
 * scikit-learn's `'balanced'` class weights `N / (K · n_c)`, raised to `power`; a class with no example gets 0.
 * @param labels `[N]` class ids in `[0, K)`
 * @param K classes
 * @param power 1 for fully balanced, 0 for all ones. @default 1
 */
export function balancedClassWeights(labels: ArrayLike<number>, K: number, power = 1): Float32Array {
  checkInt('K', K, 1);
  checkNumber('power', power, 0, 4);
  const n = new Float64Array(K);
  for (let i = 0; i < labels.length; i++) n[checkInt(`labels[${i}]`, labels[i], 0, K - 1)]++;
  const out = new Float32Array(K);
  for (let k = 0; k < K; k++) out[k] = n[k] > 0 ? (labels.length / (K * n[k])) ** power : 0;
  return out;
}
