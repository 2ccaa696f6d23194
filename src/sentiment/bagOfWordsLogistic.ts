/**
 * The bag-of-words baseline for sentence classification: binary word-presence features (lower-cased words of the
 * training texts) and a logistic regression `p = σ(w·x + b)` trained full-batch with Adam on the mean log-loss plus
 * an L2 penalty `λ/2 |w|²`.
 *
 * @example
 * const clf = trainBagOfWordsLogistic(trainTexts, trainLabels, { iterations: 300 });
 * clf.predict(testTexts);   // Int32Array of 0 / 1
 */
import { adam } from '../train/adam.ts';
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';

/** The lower-cased words of a text (letters, digits and inner apostrophes). */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
}

/** Options of `trainBagOfWordsLogistic`. */
export interface BagOfWordsOptions {
  /** Full-batch Adam steps. @default 300 */
  iterations?: number;
  /** Adam's learning rate. @default 0.05 */
  lr?: number;
  /** L2 penalty λ on the weights (not the bias). @default 0.001 */
  l2?: number;
}

/** A trained bag-of-words classifier. */
export interface BagOfWordsClassifier {
  /** The words with a weight. */
  readonly vocabulary: ReadonlyMap<string, number>;
  /** `[W + 1]` weights, the bias last. */
  readonly params: Float32Array;
  /** `[N]` P(label 1) of each text. */
  probabilities(texts: readonly string[]): Float32Array;
  /** `[N]` 0 / 1 predictions (P >= 0.5). */
  predict(texts: readonly string[]): Int32Array;
}

/**
 * Trains the baseline.
 * @param texts `[N]` training texts
 * @param labels `[N]` 0 / 1
 * @throws EddyError ERR_INVALID_ARG naming `labels` or an option
 */
export function trainBagOfWordsLogistic(
  texts: readonly string[],
  labels: ArrayLike<number>,
  options: BagOfWordsOptions = {},
): BagOfWordsClassifier {
  const o = checkObject('options', options);
  const iterations = checkInt('options.iterations', o.iterations ?? 300, 1);
  const lr = checkNumber('options.lr', o.lr ?? 0.05, 0, 10, { min: true });
  const l2 = checkNumber('options.l2', o.l2 ?? 0.001, 0);
  if (!Array.isArray(texts) || labels === null || typeof labels !== 'object' || labels.length !== texts.length)
    throw invalidArg('labels', `${Array.isArray(texts) ? texts.length : '?'} labels (one per text)`, labels);
  for (let i = 0; i < labels.length; i++) checkInt(`labels[${i}]`, labels[i], 0, 1);
  const vocabulary = new Map<string, number>();
  for (const t of texts) for (const w of wordTokens(t)) if (!vocabulary.has(w)) vocabulary.set(w, vocabulary.size);
  const W = vocabulary.size;
  const docs = (ts: readonly string[]): Int32Array[] =>
    ts.map((t) =>
      Int32Array.from(
        new Set(
          wordTokens(t)
            .map((w) => vocabulary.get(w) ?? -1)
            .filter((i) => i >= 0),
        ),
      ),
    );
  const x = docs(texts);
  const params = new Float32Array(W + 1); // [W] weights, then the bias
  const grads = new Float32Array(W + 1);
  const opt = adam({ lr });
  const N = texts.length;
  const score = (d: Int32Array): number => {
    let z = params[W];
    for (let k = 0; k < d.length; k++) z += params[d[k]];
    return 1 / (1 + Math.exp(-z));
  };
  for (let it = 0; it < iterations; it++) {
    for (let j = 0; j < W; j++) grads[j] = l2 * params[j];
    grads[W] = 0;
    for (let i = 0; i < N; i++) {
      const g = (score(x[i]) - labels[i]) / N; // d(mean log-loss)/dz
      const d = x[i];
      for (let k = 0; k < d.length; k++) grads[d[k]] += g;
      grads[W] += g;
    }
    opt.step(params, grads);
  }
  const probabilities = (ts: readonly string[]): Float32Array => Float32Array.from(docs(ts), score);
  return {
    vocabulary,
    params,
    probabilities,
    predict: (ts) => Int32Array.from(probabilities(ts), (p) => (p >= 0.5 ? 1 : 0)),
  };
}
