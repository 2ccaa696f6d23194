/**
 * `bounded`: a bounded queue with a drop policy in front of a busy consumer, for push sources that do not slow
 * down (sensors, sockets, UI events). The IxJS forms pull, so they never need it.
 *
 * ```
 * source:  -a-b-c-d-e-f-g-h-|             capacity 2, ready: () => timer(5) (the consumer is busy 5 frames)
 * oldest:  -a----b----e----g----(h|)     'drop-oldest' drops c, d, f
 * newest:  -a----b----c----d----(g|)     'drop-newest' drops e, f, h
 * error:   -a----b--#                    'error' fails when e finds the queue [c, d] full
 * ```
 * 1. An element arriving while the consumer is idle is emitted at once; the downstream (a `recurrent` step,
 *    a sink) runs synchronously inside that emission.
 * 2. After each emission the consumer counts as busy until `options.ready(value, index)` settles (its first
 *    value or its completion, for a Promise or an Observable); without `ready`, the consumer is idle again
 *    when the emission returns, and the queue never fills.
 * 3. Elements arriving while the consumer is busy wait in a FIFO of `capacity`. When it is full:
 *    `'drop-oldest'` drops the head and queues the new one, `'drop-newest'` drops the new one, `'error'`
 *    errors the stream with `ERR_BACKPRESSURE`. The element being consumed is not in the queue, so at most
 *    `capacity + 1` elements are held whatever the producer's rate.
 * 4. Every drop is counted in `options.stats` (`dropped`) and reported to `options.onDrop`; under `'error'`, the
 *    queued elements and the one that found the queue full are dropped (oldest first) before the stream fails.
 * 5. Completion waits for the queue to drain (not for the last element's `ready`); an error from the source
 *    is forwarded at once (the queue is dropped). Unsubscribing clears the queue and cancels the pending `ready`.
 *
 * @example
 * const stats = createBoundedStats();
 * sensor$.pipe(bounded({ capacity: 64, policy: 'drop-oldest', stats, ready: () => sink.drained() }), recurrent(model))
 *
 * @param options see `BoundedOptions`
 * @returns an operator that emits the surviving elements in order
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import { from, type MonoTypeOperatorFunction, type ObservableInput, type Subscription } from 'rxjs';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { operate } from './operate.ts';

/** What to do when an element arrives and the queue is full. */
export type BackpressurePolicy = 'drop-oldest' | 'drop-newest' | 'error';

/** Running counts of a bounded queue (updated in place). */
export interface BoundedStats {
  /** Elements received from the source. */
  received: number;
  /** Elements emitted downstream. */
  emitted: number;
  /** Elements dropped by the policy (under `'error'`: also the queued ones and the one that overflowed). */
  dropped: number;
  /** Elements waiting now. */
  queued: number;
  /** The most elements that waited at once. */
  maxQueued: number;
}

/** Zeroed counts for `options.stats`. */
export function createBoundedStats(): BoundedStats {
  return { received: 0, emitted: 0, dropped: 0, queued: 0, maxQueued: 0 };
}

/** Options of `bounded`. */
export interface BoundedOptions<T> {
  /** The most elements waiting while the consumer is busy. Required. */
  capacity: number;
  /** What to do when full. @default 'drop-oldest' */
  policy?: BackpressurePolicy;
  /**
   * When the consumer is ready for the next element after `value` was emitted: a Promise or Observable that
   * settles (first value or completion) when it is; a plain return means ready at once. A rejection or
   * error errors the stream.
   * @default undefined (ready when the emission returns)
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing means ready at once
  ready?: (value: T, index: number) => ObservableInput<unknown> | void;
  /** Counts updated in place (shared by every subscription that is given it). @default undefined */
  stats?: BoundedStats;
  /** Called with each dropped element. A throw errors the stream. @default undefined */
  onDrop?: (value: T) => void;
}

export function bounded<T>(options: BoundedOptions<T>): MonoTypeOperatorFunction<T> {
  const o = checkObject('options', options);
  const capacity = checkInt('options.capacity', o.capacity, 1);
  const policy = checkOneOf('options.policy', o.policy ?? 'drop-oldest', [
    'drop-oldest',
    'drop-newest',
    'error',
  ] as const);
  if (o.ready !== undefined && typeof o.ready !== 'function')
    throw invalidArg('options.ready', 'a function (value, index) => Promise | Observable | void', o.ready);
  if (o.onDrop !== undefined && typeof o.onDrop !== 'function')
    throw invalidArg('options.onDrop', 'a function (value) => void', o.onDrop);
  const stats = o.stats;
  if (stats !== undefined && (stats === null || typeof stats !== 'object' || typeof stats.dropped !== 'number')) {
    throw invalidArg('options.stats', 'a BoundedStats object (createBoundedStats())', stats);
  }
  const { ready, onDrop } = o;
  return operate<T, T>((out) => {
    let ring: (T | undefined)[] = new Array<T | undefined>(capacity); // FIFO of `capacity` slots
    let head = 0;
    let size = 0;
    let busy = false;
    let done = false;
    let index = 0;
    let waiting: Subscription | null = null;

    const drop = (value: T): void => {
      if (stats) stats.dropped++;
      onDrop?.(value);
    };
    const shift = (): T => {
      const v = ring[head] as T;
      ring[head] = undefined;
      head = (head + 1) % capacity;
      size--;
      if (stats) stats.queued = size;
      return v;
    };

    /** Emits queued elements while the consumer is idle; completes once the source ended and the queue is empty. */
    const drain = (): void => {
      while (!busy && size > 0 && !out.closed) emit(shift());
      if (done && size === 0 && !out.closed) out.complete();
    };

    const emit = (value: T): void => {
      const i = index++;
      if (stats) stats.emitted++;
      out.next(value);
      const r = ready?.(value, i);
      if (r === undefined || r === null || out.closed) return;
      busy = true;
      let settled = false;
      let subscribing = true;
      const onReady = (): void => {
        if (settled) return;
        settled = true;
        waiting?.unsubscribe();
        waiting = null;
        busy = false;
        // Settled during subscribe: the drain loop that called emit goes on; no recursion.
        if (subscribing) return;
        try {
          drain();
        } catch (err) {
          out.error(err);
        }
      };
      const sub = from(r).subscribe({ next: onReady, complete: onReady, error: (e: unknown) => out.error(e) });
      subscribing = false;
      if (!settled) waiting = sub;
      else sub.unsubscribe();
    };

    return {
      next(value) {
        if (stats) stats.received++;
        if (!busy && size === 0) {
          emit(value);
          return;
        }
        if (size === capacity) {
          if (policy === 'error') {
            // the stream ends here: the queued elements and this one are discarded, so they count as dropped
            while (size > 0) drop(shift());
            drop(value);
            throw new EddyError(
              'ERR_BACKPRESSURE',
              `bounded: the queue of capacity ${capacity} is full (options.policy 'error')`,
            );
          }
          if (policy === 'drop-newest') {
            drop(value);
            return;
          }
          drop(shift());
        }
        ring[(head + size) % capacity] = value;
        size++;
        if (stats) {
          stats.queued = size;
          if (size > stats.maxQueued) stats.maxQueued = size;
        }
      },
      complete() {
        done = true;
        drain();
      },
      finalize() {
        waiting?.unsubscribe();
        waiting = null;
        ring = [];
        size = 0;
        if (stats) stats.queued = 0;
      },
    };
  });
}
