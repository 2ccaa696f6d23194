/**
 * `translateWords`: an RxJS Observable of the French words of one English sentence, emitted as the decoder decides
 * them (greedy: every step; beam: as soon as all hypotheses agree), then complete.
 * ```
 * translateWords(tr, 'I am cold.'):  -j'-ai-froid-.-|
 * ```
 * 1. The sentence is checked when subscribed: bad input (empty, unknown character, too long) is an `error`.
 * 2. Decoding runs synchronously on subscribe; unsubscribing (or `take(n)`) stops it after the current word.
 *
 * @example
 * translateWords(translator, 'I am cold.', { search: 'greedy' }).subscribe((w) => process.stdout.write(`${w.word} `));
 */
import { Observable } from 'rxjs';
import type { TranslateOptions, TranslatedWord, Translator } from './translator.ts';

export function translateWords(
  translator: Translator,
  text: string,
  options: TranslateOptions = {},
): Observable<TranslatedWord> {
  return new Observable<TranslatedWord>((subscriber) => {
    try {
      for (const w of translator.translate(text, options)) {
        if (subscriber.closed) return;
        subscriber.next(w);
      }
      subscriber.complete();
    } catch (err) {
      subscriber.error(err);
    }
  });
}
