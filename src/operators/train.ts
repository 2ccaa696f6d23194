/**
 * `trainOn`: an RxJS operator that runs one `Trainer.update` per window and emits its event, learning online
 * from a live stream (with `tbpttWindows`) or over a finite source of windows (an epoch).
 *
 * ```
 * windows:  --w0------w1--w2----|
 * events:   --e0------e1--e2----|      e = { step, loss, gradNorm, lr, tokens, tokensPerSecond, elapsedMs, index }
 * ```
 * 1. Each update runs synchronously inside the window's `next`, so unsubscribing (or an abort) always falls
 *    between two updates: the model holds the parameters of the last completed update, never half of one.
 * 2. A failed update (`ERR_NON_FINITE`, a bad window) becomes the stream's error; the trainer is unchanged by it.
 * 3. `options.signal` ends the stream with `ERR_ABORTED` as soon as it fires (and is checked before every update).
 * 4. The trainer is the state: two subscriptions through the same trainer train the same model, in turn.
 *
 * @example
 * from(charRnnBatches(ids, { B: 32, k1: 64 })).pipe(trainOn(trainer), take(1000))
 *   .subscribe((e) => console.log(`${e.step} ${e.loss.toFixed(3)}`));
 *
 * @param trainer the `Trainer` to update
 * @param options `{ signal? }`
 * @returns an operator from windows to one `TrainEvent` per update
 * @throws EddyError `ERR_INVALID_ARG` naming `trainer` or `options.signal`, at the call
 */
import type { OperatorFunction } from 'rxjs';
import { invalidArg } from '../util/errors.ts';
import { checkObject } from '../util/validate.ts';
import { Trainer, type TrainEvent } from '../train/trainer.ts';
import type { TbpttWindow } from '../train/windows.ts';
import { abortedError, checkAborted } from '../util/abort.ts';
import { checkSignal } from './ixCore.ts';
import { operate } from './operate.ts';

/** Options of `trainOn` and `trainOnAsync`. */
export interface TrainOnOptions {
  /** Stops training with `ERR_ABORTED`, between updates. @default undefined */
  signal?: AbortSignal;
}

export function trainOn(trainer: Trainer, options: TrainOnOptions = {}): OperatorFunction<TbpttWindow, TrainEvent> {
  checkTrainer(trainer);
  const signal = checkSignal('options.signal', checkObject('options', options).signal);
  return operate<TbpttWindow, TrainEvent>((out) => {
    const onAbort = (): void => out.error(abortedError(signal as AbortSignal));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return {
      next(window) {
        checkAborted(signal);
        out.next(trainer.update(window));
      },
      finalize: () => signal?.removeEventListener('abort', onAbort),
    };
  });
}

/** Asserts a `Trainer` (the `trainer` argument of the training operators). */
export function checkTrainer(trainer: unknown): Trainer {
  if (!(trainer instanceof Trainer)) throw invalidArg('trainer', 'a Trainer', trainer);
  return trainer;
}
