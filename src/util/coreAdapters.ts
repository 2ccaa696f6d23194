/**
 * The one pair of adapters from an async-generator core `(signal) => AsyncGenerator<T>` to the two stream
 * libraries, shared by every source and every source-like operator (`generate`, `generateText`, ...).
 *
 * 1. `asIterable` calls the core afresh for every iteration, so two iterations never share state; the signal of
 *    the options and the signal IxJS passes to `[Symbol.asyncIterator](signal)` are combined.
 * 2. `asObservable` calls the core afresh for every subscription; unsubscribing aborts the core's signal and
 *    returns the generator, so its `finally` runs.
 *
 * Arguments are validated by the public functions before either adapter is built, so invalid options throw
 * synchronously at the call, never at the first pull.
 */
import { AsyncIterableX } from 'ix/asynciterable/asynciterablex'; // the class alone: the package index loads every operator
import { Observable } from 'rxjs';
import { combineSignals } from './abort.ts';

/** A core: a fresh async generator per iteration or subscription, checking `signal` on every pull. */
export type SourceCore<T> = (signal: AbortSignal | undefined) => AsyncGenerator<T, void, undefined>;

class CoreIterable<T> extends AsyncIterableX<T> {
  readonly #core: SourceCore<T>;
  readonly #signal: AbortSignal | undefined;
  constructor(core: SourceCore<T>, signal: AbortSignal | undefined) {
    super();
    this.#core = core;
    this.#signal = signal;
  }
  [Symbol.asyncIterator](signal?: AbortSignal): AsyncIterator<T> {
    return this.#core(combineSignals(this.#signal, signal));
  }
}

/**
 * Wraps a core as an IxJS async-iterable; each iteration runs the core afresh.
 *
 * @param core the generator core
 * @param signal the `options.signal` of the caller, if any
 */
export function asIterable<T>(core: SourceCore<T>, signal?: AbortSignal): AsyncIterableX<T> {
  return new CoreIterable(core, signal);
}

/**
 * Wraps a core as an RxJS Observable; each subscription runs the core afresh, and unsubscribing aborts it and
 * runs its `finally`.
 *
 * @param core the generator core
 * @param signal the `options.signal` of the caller, if any
 */
export function asObservable<T>(core: SourceCore<T>, signal?: AbortSignal): Observable<T> {
  return new Observable<T>((subscriber) => {
    const stop = new AbortController();
    const it = core(combineSignals(signal, stop.signal));
    void (async () => {
      try {
        while (!subscriber.closed) {
          const r = await it.next();
          if (r.done) break;
          subscriber.next(r.value);
        }
        subscriber.complete();
      } catch (err) {
        subscriber.error(err); // a no-op once the subscriber has unsubscribed
      }
    })();
    return () => {
      stop.abort();
      // Queued behind a pending next(): the core's finally runs once its current await settles.
      it.return(undefined).catch(() => undefined);
    };
  });
}
