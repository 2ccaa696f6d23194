/**
 * Greedy and beam-search decoding over a `TranslatorDecoder`, as generators of target words that yield each word
 * as soon as it is certain: greedy yields every word when it is picked; beam search yields the words on which all
 * the hypotheses still in the running (alive and finished) agree, and the rest of the winner at the end.
 */
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkNumber } from '../util/validate.ts';
import type { TranslatorDecoder } from './translatorDecoder.ts';
import { BOS, EOS } from './wordVocabulary.ts';

/** One decoded target word. */
export interface DecodedWord {
  /** Target vocabulary id. */
  id: number;
  /** `[S]` the attention weights over the source words when this word was produced (null without attention). */
  attention: Float32Array | null;
}

/** Options of `greedyDecode` and `beamDecode`. */
export interface DecodeOptions {
  /** At most this many words (`</s>` excluded). @default 50 */
  maxLength?: number;
  /** Beam width k (beam search only). @default 5 */
  beamWidth?: number;
  /**
   * Length normalisation α: hypotheses are ranked by `log p / length^α` (length counts `</s>`), so that longer
   * sentences are not punished for their extra factors. 0 ranks by plain log-probability. @default 1
   */
  lengthPenalty?: number;
}

/**
 * Greedy decoding: at each step the most probable word, until `</s>` or `maxLength` words.
 * @param source `[S]` source word ids
 */
export function* greedyDecode(
  decoder: TranslatorDecoder,
  source: Int32Array,
  options: DecodeOptions = {},
): Generator<DecodedWord, void, undefined> {
  const maxLength = checkInt('options.maxLength', options.maxLength ?? 50, 1);
  const V = decoder.model.config.targetVocab;
  const S = source.length;
  decoder.encode(source);
  let prev = BOS;
  for (let t = 0; t < maxLength; t++) {
    decoder.step([prev]);
    let best = 0;
    for (let v = 1; v < V; v++) if (decoder.logProbs[v] > decoder.logProbs[best]) best = v;
    if (best === EOS) return;
    yield { id: best, attention: decoder.model.config.attention ? decoder.attention.slice(0, S) : null };
    prev = best;
  }
}

interface Hypothesis {
  words: DecodedWord[];
  logp: number;
  /** Ended with `</s>`. */
  done: boolean;
}

/**
 * Beam search of width k: each step expands every alive hypothesis by every word and keeps the k best of all
 * expansions by log-probability; one that ends in `</s>` is finished. It stops when k hypotheses are finished,
 * or none is alive, or at `maxLength` (the alive ones count as finished then); the finished one with the best
 * `log p / length^α` wins. Width 1 is greedy decoding.
 */
export function* beamDecode(
  decoder: TranslatorDecoder,
  source: Int32Array,
  options: DecodeOptions = {},
): Generator<DecodedWord, void, undefined> {
  const maxLength = checkInt('options.maxLength', options.maxLength ?? 50, 1);
  const k = checkInt('options.beamWidth', options.beamWidth ?? 5, 1);
  if (k > decoder.maxRows) throw invalidArg('options.beamWidth', `at most ${decoder.maxRows} (the decoder's rows)`, k);
  const alpha = checkNumber('options.lengthPenalty', options.lengthPenalty ?? 1, 0);
  const V = decoder.model.config.targetVocab;
  const S = source.length;
  const attention = decoder.model.config.attention;
  const norm = (h: Hypothesis): number => h.logp / (h.words.length + (h.done ? 1 : 0)) ** alpha;
  decoder.encode(source);
  let alive: Hypothesis[] = [{ words: [], logp: 0, done: false }];
  const finished: Hypothesis[] = [];
  let emitted = 0;
  const cand = new Float64Array(k);
  const candIdx = new Int32Array(k);
  for (let t = 0; t < maxLength && alive.length > 0 && finished.length < k; t++) {
    decoder.step(alive.map((h) => (h.words.length === 0 ? BOS : h.words[h.words.length - 1].id)));
    // the k best (row, word) expansions, kept sorted by score (k is small: insertion)
    let n = 0;
    for (let r = 0; r < alive.length; r++) {
      const base = alive[r].logp;
      for (let v = 0; v < V; v++) {
        const s = base + decoder.logProbs[r * V + v];
        if (n === k && s <= cand[k - 1]) continue;
        let i = n < k ? n++ : k - 1;
        while (i > 0 && cand[i - 1] < s) {
          cand[i] = cand[i - 1];
          candIdx[i] = candIdx[i - 1];
          i--;
        }
        cand[i] = s;
        candIdx[i] = r * V + v;
      }
    }
    const next: Hypothesis[] = [];
    const parents: number[] = [];
    for (let i = 0; i < n && finished.length + next.length < k; i++) {
      const r = Math.floor(candIdx[i] / V);
      const v = candIdx[i] % V;
      if (v === EOS) {
        finished.push({ words: alive[r].words, logp: cand[i], done: true });
        continue;
      }
      const att = attention ? decoder.attention.slice(r * S, r * S + S) : null;
      next.push({ words: [...alive[r].words, { id: v, attention: att }], logp: cand[i], done: false });
      parents.push(r);
    }
    alive = next;
    if (alive.length > 0) decoder.reorder(parents, alive.length);
    // stream the words every hypothesis still in the running agrees on
    const all = [...alive, ...finished];
    let agreed = Math.min(...all.map((h) => h.words.length));
    for (let i = emitted; i < agreed; i++) {
      const id = all[0].words[i].id;
      if (all.some((h) => h.words[i].id !== id)) {
        agreed = i;
        break;
      }
    }
    for (; emitted < agreed; emitted++) yield all[0].words[emitted];
  }
  const pool = [...finished, ...alive];
  let best = pool[0];
  for (const h of pool) if (norm(h) > norm(best)) best = h;
  for (; emitted < best.words.length; emitted++) yield best.words[emitted];
}
