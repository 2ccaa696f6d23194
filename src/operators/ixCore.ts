/**
 * The pull-based plumbing shared by the IxJS operators (`xxxAsync` in `xxx.ix.ts`): an operator is an async-generator core
 * `(source, signal) => AsyncGenerator<R>` wrapped once as an `AsyncIterableX`.
 *
 * 1. The core runs afresh for every iteration, so two iterations never share state.
 * 2. The signal of the options and the one IxJS passes to `[Symbol.asyncIterator](signal)` are combined.
 * 3. `pull` reads the source racing the signal: an abort stops a pending pull at once with `ERR_ABORTED`, and
 *    the signal is checked again after every `yield`. The source iterator is returned in `finally`.
 */
import { AsyncIterableX } from 'ix/asynciterable/asynciterablex'; // the class alone: the package index loads every operator
import { checkAborted, combineSignals, raceAbort } from '../util/abort.ts';
import { invalidArg } from '../util/errors.ts';

/** An operator's core: a fresh async generator per iteration. */
export type IxCore<T, R> = (
  source: AsyncIterable<T> | Iterable<T>,
  signal: AbortSignal | undefined,
) => AsyncGenerator<R, void, undefined>;

/** An IxJS operator that also takes a synchronous iterable (arrays, generators) as its source. */
export type AsyncOperator<T, R> = (source: AsyncIterable<T> | Iterable<T>) => AsyncIterableX<R>;

/**
 * Iterates a source under a signal: each pull races the signal, and the signal is checked after each yield.
 * The source's iterator gets the signal too (IxJS sources honour it).
 */
export async function* pull<T>(
  source: AsyncIterable<T> | Iterable<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T, void, undefined> {
  checkAborted(signal);
  const it: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in source
      ? (source[Symbol.asyncIterator] as (signal?: AbortSignal) => AsyncIterator<T>).call(source, signal)
      : source[Symbol.iterator]();
  let done = false;
  try {
    for (;;) {
      const r = signal ? await raceAbort(Promise.resolve(it.next()), signal) : await it.next();
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
      checkAborted(signal);
    }
  } finally {
    if (!done && it.return) {
      // After an abort the source may still be inside a pending next(): do not wait for it.
      if (signal?.aborted) Promise.resolve(it.return()).catch(() => undefined);
      else await it.return();
    }
  }
}

class CoreOperator<T, R> extends AsyncIterableX<R> {
  readonly #source: AsyncIterable<T> | Iterable<T>;
  readonly #core: IxCore<T, R>;
  readonly #signal: AbortSignal | undefined;
  constructor(source: AsyncIterable<T> | Iterable<T>, core: IxCore<T, R>, signal: AbortSignal | undefined) {
    super();
    this.#source = source;
    this.#core = core;
    this.#signal = signal;
  }
  [Symbol.asyncIterator](signal?: AbortSignal): AsyncIterator<R> {
    return this.#core(this.#source, combineSignals(this.#signal, signal));
  }
}

/**
 * Wraps a core as an IxJS operator; each iteration of the result runs the core afresh.
 * @param signal the `options.signal` of the operator, if any
 */
export function ixOperator<T, R>(core: IxCore<T, R>, signal?: AbortSignal): AsyncOperator<T, R> {
  return (source) => new CoreOperator(source, core, signal);
}

/** Validates an optional `options.signal`. */
export function checkSignal(path: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalidArg(path, 'an AbortSignal', value);
  return value;
}
