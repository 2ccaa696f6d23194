/**
 * `trainOnAsync`: the IxJS (pull) mirror of `trainOn`, for epoch training over an async-iterable (or iterable)
 * source of windows: one window is pulled per event requested, trained on, and its event yielded; nothing is
 * read ahead or buffered.
 *
 * 1. Stopping between updates (`break`, `return()`, the signal) leaves the model with the parameters of the
 *    last completed update; the source iterator is returned in `finally`.
 * 2. The `AbortSignal` (`options.signal`, or the one IxJS passes to `[Symbol.asyncIterator]`) is checked on
 *    every pull and ends the iteration with `ERR_ABORTED`.
 * 3. A failed update is thrown from the pull; the trainer is unchanged by it.
 *
 * @example
 * for (let epoch = 0; epoch < 5; epoch++)
 *   for await (const e of trainOnAsync(trainer)(charRnnBatches(ids, { B: 16, k1: 32 }))) log(e);
 *
 * @param trainer the `Trainer` to update
 * @param options `{ signal? }`
 * @throws EddyError `ERR_INVALID_ARG` naming `trainer` or `options.signal`, at the call
 */
import { AsyncIterableX } from 'ix/asynciterable';
import { invalidArg } from '../util/errors.ts';
import { checkObject } from '../util/validate.ts';
import type { Trainer, TrainEvent } from '../train/trainer.ts';
import type { TbpttWindow } from '../train/windows.ts';
import { abortError, checkSignal, checkTrainer, type TrainOnOptions } from './train.ts';

class TrainOnIterable extends AsyncIterableX<TrainEvent> {
  constructor(
    private readonly source: AsyncIterable<TbpttWindow> | Iterable<TbpttWindow>,
    private readonly trainer: Trainer,
    private readonly signal: AbortSignal | undefined,
  ) {
    super();
  }

  async *[Symbol.asyncIterator](signal?: AbortSignal): AsyncGenerator<TrainEvent, void, undefined> {
    const s = combineAbort(this.signal, signal);
    checkAbort(s);
    for await (const window of iterate(this.source, s)) {
      checkAbort(s);
      yield this.trainer.update(window);
      checkAbort(s);
    }
  }
}

export function trainOnAsync(trainer: Trainer, options?: TrainOnOptions): (source: AsyncIterable<TbpttWindow> | Iterable<TbpttWindow>) => AsyncIterableX<TrainEvent> {
  checkTrainer(trainer);
  const signal = checkSignal(checkObject('options', options).signal);
  return (source) => {
    if (source === null || typeof source !== 'object' || (!(Symbol.asyncIterator in source) && !(Symbol.iterator in source))) {
      throw invalidArg('source', 'an async-iterable or iterable of windows', source);
    }
    return new TrainOnIterable(source, trainer, signal);
  };
}

/** Throws `ERR_ABORTED` when the signal has fired. */
export function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Combines two optional signals. */
export function combineAbort(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  return AbortSignal.any([a, b]);
}

/**
 * Pulls a source one element at a time, passing the signal on to IxJS sources, and returns its iterator when
 * the consumer stops early (for-await's `finally`).
 */
export async function* iterate<T>(source: AsyncIterable<T> | Iterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T, void, undefined> {
  if (Symbol.asyncIterator in source) {
    const it = (source as { [Symbol.asyncIterator](signal?: AbortSignal): AsyncIterator<T> })[Symbol.asyncIterator](signal);
    yield* { [Symbol.asyncIterator]: () => it };
  } else {
    yield* source as Iterable<T>;
  }
}
