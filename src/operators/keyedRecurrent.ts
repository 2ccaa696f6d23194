/**
 * `keyedRecurrent`: per-key state for many concurrent streams in one source, with micro-batching.
 *
 * ```
 * source:  --(a1 b1 c1)----(a2 a3 b2)--|       a, b, c: keys; elements of one synchronous run arrive together
 * batches:   [a1 b1 c1]    [a2 b2] [a3]        one model.step over [B, X] per batch; a key appears at most
 * result:  --(A1 B1 C1)----(A2 A3 B2)--|       once per batch (a3 waits for a2); outputs keep arrival order
 * ```
 * 1. Micro-batching (`options.microBatch`, default on): an element opens a batch; the elements that arrive
 *    before it closes join it. With `windowMs: 0` the batch closes in a microtask (`asapScheduler`), so it
 *    holds what arrived in the same synchronous run (a burst from one socket read, a `from(array)`); with
 *    `windowMs > 0` it stays open that long. A batch that reaches `maxBatch` elements is stepped at once; the
 *    source's completion steps what is pending first.
 * 2. A batch is split into rounds (the n-th element of each key goes to round n) and rounds into chunks of at
 *    most `min(maxBatch, maxKeys)` keys; each chunk is one `model.step`, gathered from and scattered back to
 *    the keys' states. Rows of a batch never interact, so every output equals stepping its key alone.
 * 3. `maxKeys` bounds the map (LRU eviction), `idleMs` expires idle keys (a sweep on the scheduler at the
 *    oldest key's expiry), and `onEvict(key, state, reason)` receives each evicted state to persist; the keys
 *    left at completion are evicted with `'complete'`. On error or unsubscription states are dropped.
 * 4. A step that throws (a bad input, a throwing `keyOf`) errors the stream.
 *
 * @example
 * ticks$.pipe(keyedRecurrent(model, { keyOf: (t) => t.symbol, inputOf: (t) => t.features, idleMs: 60_000,
 *   onEvict: (k, s) => redis.set(k, JSON.stringify(serializeState(s))) }))
 *
 * @param model the model to step
 * @param options see `KeyedRecurrentOptions`
 * @returns an operator from elements to `{ key, value, output }`
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import { asapScheduler, asyncScheduler, type OperatorFunction, type Subscription } from 'rxjs';
import type { RNNModel } from '../model/rnnModel.ts';
import { resolveKeyedOptions, type KeyedOutput, type KeyedRecurrentOptions } from './keyedOptions.ts';
import { KeyedStepper } from './keyedStepper.ts';
import { operate } from './operate.ts';
import type { StepInput } from './stepper.ts';

export function keyedRecurrent<T, K>(
  model: RNNModel,
  options: KeyedRecurrentOptions<T, K>,
): OperatorFunction<T, KeyedOutput<T, K>> {
  const o = resolveKeyedOptions<T, K>(model, options, false);
  const flushScheduler = o.scheduler ?? (o.windowMs > 0 ? asyncScheduler : asapScheduler);
  const sweepScheduler = o.scheduler ?? asyncScheduler;
  return operate<T, KeyedOutput<T, K>>((out) => {
    const ks = new KeyedStepper<K>(model, o.state, o.batch ? o.maxBatch : 1);
    let values: T[] = [];
    let keys: K[] = [];
    let inputs: StepInput[] = [];
    let flushTask: Subscription | null = null;
    let sweepTask: Subscription | null = null;

    /** Steps everything pending and emits the outputs in arrival order. */
    const flush = (): void => {
      flushTask?.unsubscribe();
      flushTask = null;
      const n = values.length;
      if (n === 0) return;
      const vs = values,
        kk = keys,
        xs = inputs;
      values = [];
      keys = [];
      inputs = [];
      const now = sweepScheduler.now();
      let outputs: Float32Array[] = new Array(n);
      // Round r holds the r-th pending element of each key, so a key's steps stay in order.
      const round = new Int32Array(n);
      const seen = new Map<K, number>();
      let rounds = 0;
      for (let i = 0; i < n; i++) {
        const r = seen.get(kk[i]) ?? 0;
        seen.set(kk[i], r + 1);
        round[i] = r;
        if (r + 1 > rounds) rounds = r + 1;
      }
      const idx: number[] = [];
      const ck: K[] = [];
      const cx: StepInput[] = [];
      const run = (): void => {
        const ys = ks.stepBatch(ck, cx, ck.length, now);
        for (let j = 0; j < ys.length; j++) outputs[idx[j]] = ys[j];
        idx.length = 0;
        ck.length = 0;
        cx.length = 0;
      };
      if (rounds === 1 && n <= ks.capacity)
        outputs = ks.stepBatch(kk, xs, n, now); // distinct keys: one step
      else
        for (let r = 0; r < rounds; r++) {
          for (let i = 0; i < n; i++) {
            if (round[i] !== r) continue;
            idx.push(i);
            ck.push(kk[i]);
            cx.push(xs[i]);
            if (ck.length === ks.capacity) run();
          }
          if (ck.length > 0) run();
        }
      for (let i = 0; i < n && !out.closed; i++) out.next({ key: kk[i], value: vs[i], output: outputs[i] });
      armSweep();
    };

    /** Schedules an idle sweep at the oldest key's expiry, if none is pending. */
    const armSweep = (): void => {
      if (sweepTask !== null || out.closed) return;
      const due = ks.nextExpiry();
      if (due === Infinity) return;
      sweepTask = sweepScheduler.schedule(
        () => {
          sweepTask = null;
          try {
            ks.sweep(sweepScheduler.now());
            armSweep();
          } catch (err) {
            out.error(err);
          }
        },
        Math.max(0, due - sweepScheduler.now()),
      );
    };

    return {
      next(value) {
        keys.push(o.keyOf(value));
        inputs.push(o.inputOf(value));
        values.push(value);
        if (!o.batch || values.length >= o.maxBatch) flush();
        else if (flushTask === null) {
          flushTask = flushScheduler.schedule(() => {
            flushTask = null;
            try {
              flush();
            } catch (err) {
              out.error(err);
            }
          }, o.windowMs);
        }
      },
      complete() {
        flush();
        ks.evictAll('complete');
        out.complete();
      },
      finalize() {
        flushTask?.unsubscribe();
        sweepTask?.unsubscribe();
        values = [];
        keys = [];
        inputs = [];
        ks.release();
      },
    };
  });
}
