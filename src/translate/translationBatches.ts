/**
 * Training batches for the translator: pairs are bucketed by source length (so the encoder needs no padding),
 * each bucket is cut into batches of at most `batchSize` pairs, and the batches are shuffled with the seeded
 * generator. Each target gets `</s>` appended and is padded with -1 to its batch's longest.
 */
import { checkInt } from '../util/validate.ts';
import type { Rng } from '../util/rng.ts';
import type { TranslationBatch } from './translatorLoss.ts';
import { EOS } from './wordVocabulary.ts';

/** One training pair as ids (the target without `</s>`). */
export interface IdPair {
  source: Int32Array;
  target: Int32Array;
}

/**
 * @param rng shuffles pairs within buckets and the order of the batches; null keeps file order (evaluation)
 * @returns batches whose `source [S·B]` and `target [T·B]` are time-major
 */
export function translationBatches(pairs: readonly IdPair[], batchSize: number, rng: Rng | null): TranslationBatch[] {
  checkInt('batchSize', batchSize, 1);
  const buckets = new Map<number, IdPair[]>();
  for (const p of pairs) {
    const b = buckets.get(p.source.length);
    if (b) b.push(p);
    else buckets.set(p.source.length, [p]);
  }
  const shuffle = <T>(a: T[]): T[] => {
    if (rng)
      for (let i = a.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [a[i], a[j]] = [a[j], a[i]];
      }
    return a;
  };
  const batches: TranslationBatch[] = [];
  for (const S of [...buckets.keys()].sort((a, b) => a - b)) {
    const bucket = shuffle(buckets.get(S) ?? []);
    for (let i = 0; i < bucket.length; i += batchSize) {
      const group = bucket.slice(i, i + batchSize);
      const B = group.length;
      const T = Math.max(...group.map((p) => p.target.length)) + 1;
      const source = new Int32Array(S * B);
      const target = new Int32Array(T * B).fill(-1);
      group.forEach((p, b) => {
        for (let s = 0; s < S; s++) source[s * B + b] = p.source[s];
        for (let t = 0; t < p.target.length; t++) target[t * B + b] = p.target[t];
        target[p.target.length * B + b] = EOS;
      });
      batches.push({ source, target, S, T, B });
    }
  }
  return shuffle(batches);
}
