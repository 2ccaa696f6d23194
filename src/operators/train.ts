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
 * 3. `options.signal` aborts with `ERR_ABORTED` (checked when it fires and before every update).
 * 4. The trainer is the state: two subscriptions through the same trainer train the same model, in turn.
 *
 * @example
 * from(charRnnBatches(ids, { B: 32, k1: 64 })).pipe(trainOn(trainer), take(1000))
 *   .subscribe((e) => console.log(`${e.step} ${e.loss.toFixed(3)}`));
 *
 * @param trainer the `Trainer` to update
 * @param options `{ signal? }`
 * @throws EddyError `ERR_INVALID_ARG` naming `trainer` or `options.signal`, at the call
 */
import { Observable, Subscription, type Observer, type OperatorFunction, type Subscriber } from 'rxjs';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkObject } from '../util/validate.ts';
import { Trainer, type TrainEvent } from '../train/trainer.ts';
import type { TbpttWindow } from '../train/windows.ts';

/** Options of `trainOn`. */
export interface TrainOnOptions {
  /** Stops training with `ERR_ABORTED` (between updates). @default undefined */
  signal?: AbortSignal;
}

export function trainOn(trainer: Trainer, options?: TrainOnOptions): OperatorFunction<TbpttWindow, TrainEvent> {
  checkTrainer(trainer);
  const signal = checkSignal(checkObject('options', options).signal);
  return (source) =>
    new Observable<TrainEvent>((subscriber) => {
      if (signal?.aborted) {
        subscriber.error(abortError(signal));
        return undefined;
      }
      const onAbort = (): void => subscriber.error(abortError(signal as AbortSignal));
      signal?.addEventListener('abort', onAbort, { once: true });
      subscribeChained(source, subscriber, {
        next(window) {
          if (signal?.aborted) return subscriber.error(abortError(signal));
          let event: TrainEvent;
          try {
            event = trainer.update(window);
          } catch (err) {
            return subscriber.error(err);
          }
          subscriber.next(event);
        },
        complete: () => subscriber.complete(),
      });
      return () => signal?.removeEventListener('abort', onAbort);
    });
}

/** Handlers of `subscribeChained`. */
export interface ChainedHandlers<T> {
  next(value: T): void;
  /** @default forwards to the destination */
  error?(err: unknown): void;
  /** @default forwards to the destination */
  complete?(): void;
}

/**
 * Subscribes to `source` with an inner subscriber chained to `destination` (RxJS's operator subscriber, from
 * public parts): when the destination closes (`take`, unsubscribe, an error), the source sees `closed` at once,
 * so a synchronous source stops mid-loop and no window is trained on after the consumer has gone.
 */
export function subscribeChained<T>(source: Observable<T>, destination: Subscriber<unknown>, handlers: ChainedHandlers<T>): void {
  const inner = new ChainedSubscriber(destination, handlers);
  destination.add(inner);
  source.subscribe(inner);
}

class ChainedSubscriber<T> extends Subscription implements Observer<T> {
  constructor(
    private readonly destination: Subscriber<unknown>,
    private readonly handlers: ChainedHandlers<T>,
  ) {
    super();
  }
  next(value: T): void {
    if (!this.closed) this.handlers.next(value);
  }
  error(err: unknown): void {
    if (this.closed) return;
    try {
      if (this.handlers.error) this.handlers.error(err);
      else this.destination.error(err);
    } finally {
      this.unsubscribe();
    }
  }
  complete(): void {
    if (this.closed) return;
    try {
      if (this.handlers.complete) this.handlers.complete();
      else this.destination.complete();
    } finally {
      this.unsubscribe();
    }
  }
}

/** Asserts a `Trainer`. */
export function checkTrainer(trainer: unknown): Trainer {
  if (!(trainer instanceof Trainer)) throw invalidArg('trainer', 'a Trainer', trainer);
  return trainer;
}

/** Asserts an optional `AbortSignal` (`options.signal`). */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArg('options.signal', 'an AbortSignal', signal);
  return signal;
}

/** The `ERR_ABORTED` error of a fired signal, its reason as the cause. */
export function abortError(signal: AbortSignal): EddyError {
  return new EddyError('ERR_ABORTED', 'Training was aborted through its AbortSignal', { cause: signal.reason });
}
