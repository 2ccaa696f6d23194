/**
 * `trainOnAsync`: the IxJS (pull) mirror of `trainOn`, for epoch training over an async-iterable (or iterable)
 * source of windows: one window is pulled per event requested, trained on, and its event yielded; nothing is
 * read ahead or buffered.
 *
 * 1. Stopping between updates (`break`, `return()`, the signal) leaves the model with the parameters of the
 *    last completed update; the source iterator is returned in `finally`.
 * 2. The `AbortSignal` (`options.signal`, or the one IxJS passes to `[Symbol.asyncIterator]`) stops a pending
 *    pull at once and is checked on every pull, ending the iteration with `ERR_ABORTED`.
 * 3. A failed update is thrown from the pull; the trainer is unchanged by it.
 *
 * @example
 * for (let epoch = 0; epoch < 5; epoch++)
 *   for await (const e of trainOnAsync(trainer)(charRnnBatches(ids, { B: 16, k1: 32 }))) log(e);
 *
 * @param trainer the `Trainer` to update
 * @param options `{ signal? }`
 * @returns an IxJS operator from windows to one `TrainEvent` per update
 * @throws EddyError `ERR_INVALID_ARG` naming `trainer`, `options.signal` or `source`, at the call
 */
import type { Trainer, TrainEvent } from '../train/trainer.ts';
import type { TbpttWindow } from '../train/windows.ts';
import { invalidArg } from '../util/errors.ts';
import { checkObject } from '../util/validate.ts';
import { checkSignal, ixOperator, pull, type AsyncOperator } from './ixCore.ts';
import { checkTrainer, type TrainOnOptions } from './train.ts';

export function trainOnAsync(trainer: Trainer, options: TrainOnOptions = {}): AsyncOperator<TbpttWindow, TrainEvent> {
  checkTrainer(trainer);
  const signal = checkSignal('options.signal', checkObject('options', options).signal);
  const op = ixOperator<TbpttWindow, TrainEvent>(async function* trainOnCore(source, s) {
    for await (const window of pull(source, s)) yield trainer.update(window);
  }, signal);
  return (source) => op(checkSource(source));
}

/** Asserts an async-iterable or iterable source (the argument of an IxJS operator). */
export function checkSource<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterable<T> | Iterable<T> {
  if (
    source === null ||
    typeof source !== 'object' ||
    (!(Symbol.asyncIterator in source) && !(Symbol.iterator in source))
  ) {
    throw invalidArg('source', 'an async-iterable or iterable', source);
  }
  return source;
}
