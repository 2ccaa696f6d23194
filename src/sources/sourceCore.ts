/**
 * The one shape every source is built from: an async-generator core `(signal) => AsyncGenerator<T>`, wrapped
 * once as an IxJS `AsyncIterableX` (pull) and once as an RxJS `Observable` (push).
 *
 * 1. A core checks its `AbortSignal` on every pull (right after each `yield`) with `checkAborted`, and releases
 *    what it holds (file handles, sockets, timers) in `finally`.
 * 2. `asIterable` calls the core afresh for every iteration, so two iterations never share state; the signal of
 *    the options and the signal IxJS passes to `[Symbol.asyncIterator](signal)` are combined.
 * 3. `asObservable` calls the core afresh for every subscription; unsubscribing aborts the core's signal and
 *    returns the generator, so its `finally` runs.
 *
 * Arguments are validated by the public functions before either wrapper is built, so invalid options throw
 * synchronously at the call, never at the first pull.
 */
import { AsyncIterableX } from 'ix/asynciterable/asynciterablex'; // the class alone: the package index loads every operator
import { Observable } from 'rxjs';
import { EddyError } from '../util/errors.ts';

/** A source's core: a fresh async generator per iteration or subscription. */
export type SourceCore<T> = (signal: AbortSignal | undefined) => AsyncGenerator<T, void, undefined>;

/** Throws `ERR_ABORTED` when the signal has fired. Called by every core on every pull. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

/** The `ERR_ABORTED` error for a fired signal, keeping its reason as the cause. */
export function abortedError(signal: AbortSignal): EddyError {
  return new EddyError('ERR_ABORTED', 'The source was aborted through its AbortSignal', { cause: signal.reason });
}

/** Combines two optional signals into one (or none). */
export function combineSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  return AbortSignal.any([a, b]);
}

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
 * @param core the source's generator core
 * @param signal the `options.signal` of the source, if any
 */
export function asIterable<T>(core: SourceCore<T>, signal?: AbortSignal): AsyncIterableX<T> {
  return new CoreIterable(core, signal);
}

/**
 * Wraps a core as an RxJS Observable; each subscription runs the core afresh, and unsubscribing aborts it and
 * runs its `finally`.
 *
 * @param core the source's generator core
 * @param signal the `options.signal` of the source, if any
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
