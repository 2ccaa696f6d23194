/**
 * Corpus BLEU-4 (Papineni et al. 2002), over token lists, with any number of references per hypothesis:
 * 1. For n = 1..4, each hypothesis n-gram counts at most as often as it appears in the reference that has most
 *    of it (clipping); the clipped matches and the hypothesis n-grams are summed over the whole corpus: `p_n`.
 * 2. `c` is the total hypothesis length; `r` sums, per hypothesis, the reference length closest to its length
 *    (the shorter one on a tie).
 * 3. `BLEU = BP · exp(Σ_n ¼ log p_n)` with `BP = 1` if `c > r`, else `exp(1 - r / c)`; 0 if any `p_n` is 0.
 * No smoothing, as `sacrebleu` with `smooth_method='none'` and NLTK's `corpus_bleu` do.
 */
import { invalidArg } from '../util/errors.ts';

/** What `corpusBleu` found. */
export interface BleuResult {
  /** BLEU in [0, 1]. */
  bleu: number;
  /** `p_1 .. p_4`. */
  precisions: number[];
  /** The brevity penalty. */
  brevityPenalty: number;
  /** Total hypothesis length `c`. */
  hypothesisLength: number;
  /** Effective reference length `r`. */
  referenceLength: number;
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/**
 * @param hypotheses `[N]` token lists
 * @param references `[N][R_i]` token lists, at least one per hypothesis
 * @param maxN highest n-gram order @default 4
 */
export function corpusBleu(
  hypotheses: readonly (readonly string[])[],
  references: readonly (readonly (readonly string[])[])[],
  maxN = 4,
): BleuResult {
  if (hypotheses.length !== references.length)
    throw invalidArg('references', `an array of ${hypotheses.length} reference lists (one per hypothesis)`, references);
  const matches = new Array<number>(maxN).fill(0);
  const totals = new Array<number>(maxN).fill(0);
  let c = 0;
  let r = 0;
  for (let i = 0; i < hypotheses.length; i++) {
    const hyp = hypotheses[i];
    const refs = references[i];
    if (!Array.isArray(refs) || refs.length === 0) throw invalidArg(`references[${i}]`, 'at least one reference', refs);
    c += hyp.length;
    let best = refs[0].length;
    for (const ref of refs) {
      const d = Math.abs(ref.length - hyp.length);
      const db = Math.abs(best - hyp.length);
      if (d < db || (d === db && ref.length < best)) best = ref.length;
    }
    r += best;
    for (let n = 1; n <= maxN; n++) {
      const h = ngramCounts(hyp, n);
      const maxRef = new Map<string, number>();
      for (const ref of refs) for (const [g, k] of ngramCounts(ref, n)) if (k > (maxRef.get(g) ?? 0)) maxRef.set(g, k);
      for (const [g, k] of h) matches[n - 1] += Math.min(k, maxRef.get(g) ?? 0);
      totals[n - 1] += Math.max(0, hyp.length - n + 1);
    }
  }
  const precisions = matches.map((m, i) => (totals[i] > 0 ? m / totals[i] : 0));
  const brevityPenalty = c === 0 ? 0 : c > r ? 1 : Math.exp(1 - r / c);
  const logMean = precisions.reduce((s, p) => s + Math.log(p), 0) / maxN;
  const bleu = precisions.some((p) => p === 0) ? 0 : brevityPenalty * Math.exp(logMean);
  return { bleu, precisions, brevityPenalty, hypothesisLength: c, referenceLength: r };
}
