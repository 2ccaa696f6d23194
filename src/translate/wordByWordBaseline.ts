/**
 * The trivial baseline: translate word by word, each known English word by its most likely French word, in the
 * English order, unknown words dropped. "Most likely" comes from IBM Model 1 (Brown et al. 1993): a few rounds of
 * EM over the training pairs estimate `t(f | e)`, the probability that English word e is translated as French word
 * f, from co-occurrence alone; raw co-occurrence counts would translate every word as `.` or `je`.
 */
import { checkInt } from '../util/validate.ts';

/** Options of `WordByWordBaseline.fit`. */
export interface WordByWordOptions {
  /** EM rounds. @default 5 */
  iterations?: number;
}

/** English word -> its most likely French word. */
export class WordByWordBaseline {
  readonly dictionary: ReadonlyMap<string, string>;

  constructor(dictionary: ReadonlyMap<string, string>) {
    this.dictionary = dictionary;
  }

  /** Fits IBM Model 1 on token pairs `[english, french]`. */
  static fit(pairs: readonly (readonly [readonly string[], readonly string[]])[], options: WordByWordOptions = {}) {
    const iterations = checkInt('options.iterations', options.iterations ?? 5, 1);
    const eIds = new Map<string, number>();
    const fIds = new Map<string, number>();
    const idOf = (m: Map<string, number>, w: string): number => {
      let id = m.get(w);
      if (id === undefined) {
        id = m.size;
        m.set(w, id);
      }
      return id;
    };
    const data = pairs.map(([e, f]) => [e.map((w) => idOf(eIds, w)), f.map((w) => idOf(fIds, w))] as const);
    const Vf = fIds.size;
    // t(f|e) keyed e·Vf + f, over the pairs that co-occur; uniform start
    let t = new Map<number, number>();
    for (const [e, f] of data) for (const ei of e) for (const fi of f) t.set(ei * Vf + fi, 1);
    for (let it = 0; it < iterations; it++) {
      const count = new Map<number, number>();
      const total = new Float64Array(eIds.size);
      for (const [e, f] of data) {
        for (const fi of f) {
          let z = 0;
          for (const ei of e) z += t.get(ei * Vf + fi) ?? 0;
          for (const ei of e) {
            const k = ei * Vf + fi;
            const c = (t.get(k) ?? 0) / z;
            count.set(k, (count.get(k) ?? 0) + c);
            total[ei] += c;
          }
        }
      }
      for (const [k, c] of count) count.set(k, c / total[Math.floor(k / Vf)]);
      t = count;
    }
    const best = new Map<number, [number, number]>();
    for (const [k, p] of t) {
      const ei = Math.floor(k / Vf);
      const b = best.get(ei);
      if (!b || p > b[1]) best.set(ei, [k % Vf, p]);
    }
    const eWords = [...eIds.keys()];
    const fWords = [...fIds.keys()];
    return new WordByWordBaseline(new Map([...best].map(([ei, [fi]]) => [eWords[ei], fWords[fi]])));
  }

  /** The French tokens of English tokens. */
  translate(english: readonly string[]): string[] {
    const out: string[] = [];
    for (const w of english) {
      const f = this.dictionary.get(w);
      if (f !== undefined) out.push(f);
    }
    return out;
  }
}
