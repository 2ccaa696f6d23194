/**
 * `translateWordsAsync`: the IxJS (pull) mirror of `translateWords`: an async iterable of the French words of one
 * sentence, each decoded when pulled; `options.signal` is checked on every pull.
 *
 * @example
 * for await (const w of translateWordsAsync(translator, 'I am cold.')) process.stdout.write(`${w.word} `);
 */
import { AsyncIterableX } from 'ix/asynciterable/asynciterablex'; // the class alone, as ixCore.ts
import { EddyError } from '../util/errors.ts';
import type { TranslateOptions, TranslatedWord, Translator } from './translator.ts';

export function translateWordsAsync(
  translator: Translator,
  text: string,
  options: TranslateOptions & { signal?: AbortSignal } = {},
): AsyncIterableX<TranslatedWord> {
  const { signal, ...decode } = options;
  return AsyncIterableX.from(
    (async function* words(): AsyncGenerator<TranslatedWord> {
      if (signal?.aborted) throw new EddyError('ERR_ABORTED', 'translateWordsAsync was aborted');
      for (const w of translator.translate(text, decode)) {
        if (signal?.aborted) throw new EddyError('ERR_ABORTED', 'translateWordsAsync was aborted');
        yield w;
        // let other work (a timer, a socket) run between two words
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })(),
  );
}
