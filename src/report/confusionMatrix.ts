/**
 * A confusion matrix over K classes and the scores read from it: accuracy, per-class precision / recall / F1 and
 * macro-F1 (the unweighted mean of the per-class F1, so that a small class counts as much as a large one).
 *
 * ```
 *             predicted
 *             0   1   2
 * actual  0 [ 5   1   0 ]     counts[a·K + p]: rows are the true class, columns the prediction
 *         1 [ 2   3   0 ]     recall_c = counts[c,c] / row sum, precision_c = counts[c,c] / column sum
 *         2 [ 0   0   4 ]     F1_c = 2 P R / (P + R), 0 when P + R = 0 (as scikit-learn's zero_division=0)
 * ```
 *
 * @example
 * const m = confusionMatrix(labels, predictions, 18);
 * console.log(m.accuracy, m.macroF1);
 */
import { invalidArg } from '../util/errors.ts';
import { checkInt } from '../util/validate.ts';

/** A confusion matrix and its scores. */
export interface ConfusionMatrix {
  /** K: classes. */
  readonly K: number;
  /** `[K, K]` counts; row = true class, column = predicted class. */
  readonly counts: Int32Array;
  /** N: examples counted. */
  readonly total: number;
  /** Share of examples on the diagonal (0 when N = 0). */
  readonly accuracy: number;
  /** `[K]` precision per class (0 when the class was never predicted). */
  readonly precision: Float64Array;
  /** `[K]` recall per class (0 when the class never occurs). */
  readonly recall: Float64Array;
  /** `[K]` F1 per class. */
  readonly f1: Float64Array;
  /** `[K]` true examples per class (row sums). */
  readonly support: Int32Array;
  /** Mean F1 over the classes that occur (support > 0) or are predicted. */
  readonly macroF1: number;
}

/**
 * Counts predictions against true classes.
 * @param actual `[N]` true classes in `[0, K)`
 * @param predicted `[N]` predicted classes in `[0, K)`
 * @param K the number of classes
 * @throws EddyError ERR_INVALID_ARG naming `predicted` (length), `actual[i]` or `predicted[i]` (out of range)
 */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, K: number): ConfusionMatrix {
  checkInt('K', K, 1, 1 << 14);
  if (actual === null || typeof actual !== 'object' || typeof actual.length !== 'number')
    throw invalidArg('actual', 'an array of class ids', actual);
  if (predicted === null || typeof predicted !== 'object' || predicted.length !== actual.length)
    throw invalidArg('predicted', `an array of ${actual.length} class ids (as many as actual)`, predicted);
  const counts = new Int32Array(K * K);
  const N = actual.length;
  for (let i = 0; i < N; i++) {
    const a = checkInt(`actual[${i}]`, actual[i], 0, K - 1);
    const p = checkInt(`predicted[${i}]`, predicted[i], 0, K - 1);
    counts[a * K + p]++;
  }
  return scoresOf(counts, K);
}

/** The scores of a `[K, K]` count matrix (rows true, columns predicted). */
export function scoresOf(counts: Int32Array, K: number): ConfusionMatrix {
  const precision = new Float64Array(K);
  const recall = new Float64Array(K);
  const f1 = new Float64Array(K);
  const support = new Int32Array(K);
  let total = 0;
  let right = 0;
  let used = 0;
  let f1Sum = 0;
  for (let c = 0; c < K; c++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < K; j++) {
      row += counts[c * K + j];
      col += counts[j * K + c];
    }
    const tp = counts[c * K + c];
    support[c] = row;
    total += row;
    right += tp;
    precision[c] = col > 0 ? tp / col : 0;
    recall[c] = row > 0 ? tp / row : 0;
    const pr = precision[c] + recall[c];
    f1[c] = pr > 0 ? (2 * precision[c] * recall[c]) / pr : 0;
    if (row > 0 || col > 0) {
      used++;
      f1Sum += f1[c];
    }
  }
  return {
    K,
    counts,
    total,
    accuracy: total > 0 ? right / total : 0,
    precision,
    recall,
    f1,
    support,
    macroF1: used > 0 ? f1Sum / used : 0,
  };
}
