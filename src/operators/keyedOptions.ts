/**
 * Options of `keyedRecurrent` and `keyedRecurrentAsync`, validated in one place before any subscription.
 */
import type { SchedulerLike } from 'rxjs';
import type { RNNModel } from '../model/rnnModel.ts';
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';
import { checkSignal } from './ixCore.ts';
import { resolveKeyedState, type KeyedStateOptions, type ResolvedKeyedState } from './keyedStepper.ts';
import { checkModel, type StepInput } from './stepper.ts';

/** How elements that arrive together are batched (RxJS form). */
export interface MicroBatchOptions {
  /**
   * How long a batch stays open after its first element: `0` gathers the elements that arrive in the same
   * synchronous run of the event loop (the batch is stepped in a microtask, on `asapScheduler`); `> 0` waits
   * that many milliseconds (on `asyncScheduler`), trading latency for larger batches.
   * @default 0
   */
  windowMs?: number;
  /** The most elements in one batch: a batch this full is stepped at once, synchronously. @default 256 */
  maxBatch?: number;
}

/** Options of the keyed step operators. */
export interface KeyedRecurrentOptions<T, K> extends KeyedStateOptions<K> {
  /** The key (stream id) of an element; keys are compared as `Map` keys. Required. */
  keyOf: (value: T) => K;
  /** The step input of an element: `Float32Array [X]` or a token id. @default the element itself */
  inputOf?: (value: T) => StepInput;
  /**
   * RxJS form: batch elements that arrive together into one `model.step` over `[B, X]` (see
   * `MicroBatchOptions`); `false` steps each element on arrival (B = 1, outputs synchronous). The IxJS form
   * pulls one element at a time and ignores this option.
   * @default true ({ windowMs: 0, maxBatch: 256 })
   */
  microBatch?: boolean | MicroBatchOptions;
  /**
   * RxJS form: the scheduler of batch flushes and idle sweeps (and the clock of `idleMs`).
   * @default asapScheduler for flushes with windowMs 0, asyncScheduler otherwise
   */
  scheduler?: SchedulerLike;
  /** IxJS form: the clock of `idleMs`, in milliseconds. @default Date.now */
  now?: () => number;
  /** IxJS form: cancels at once with `ERR_ABORTED`. @default undefined */
  signal?: AbortSignal;
}

/** One output of a keyed step operator. */
export interface KeyedOutput<T, K> {
  /** The element's key. */
  readonly key: K;
  /** The element itself. */
  readonly value: T;
  /** The step's output `Float32Array [Y]` (a copy). */
  readonly output: Float32Array;
}

/** `KeyedRecurrentOptions` after validation. */
export interface ResolvedKeyedOptions<T, K> {
  readonly state: ResolvedKeyedState<K>;
  readonly keyOf: (value: T) => K;
  readonly inputOf: (value: T) => StepInput;
  readonly batch: boolean;
  readonly windowMs: number;
  readonly maxBatch: number;
  readonly scheduler: SchedulerLike | null;
  readonly now: () => number;
  readonly abort: AbortSignal | undefined;
}

/** Validates the model and options. @throws EddyError ERR_INVALID_ARG naming `model` or `options.<field>` */
export function resolveKeyedOptions<T, K>(
  model: RNNModel,
  options: KeyedRecurrentOptions<T, K>,
  pull: boolean,
): ResolvedKeyedOptions<T, K> {
  checkModel('model', model);
  const o = checkObject('options', options);
  if (typeof o.keyOf !== 'function') throw invalidArg('options.keyOf', 'a function (value) => key', o.keyOf);
  if (o.inputOf !== undefined && typeof o.inputOf !== 'function')
    throw invalidArg('options.inputOf', 'a function (value) => step input', o.inputOf);
  const state = resolveKeyedState(o);
  const mb = o.microBatch ?? true;
  let batch = true;
  let windowMs = 0;
  let maxBatch = 256;
  if (typeof mb === 'boolean') batch = mb;
  else if (mb !== null && typeof mb === 'object' && !Array.isArray(mb)) {
    windowMs = checkNumber('options.microBatch.windowMs', mb.windowMs ?? 0, 0);
    maxBatch = checkInt('options.microBatch.maxBatch', mb.maxBatch ?? 256, 1);
  } else throw invalidArg('options.microBatch', 'a boolean or { windowMs?, maxBatch? }', mb);
  const scheduler = o.scheduler ?? null;
  if (
    scheduler !== null &&
    (typeof scheduler !== 'object' || typeof scheduler.schedule !== 'function' || typeof scheduler.now !== 'function')
  ) {
    throw invalidArg('options.scheduler', 'an RxJS SchedulerLike', scheduler);
  }
  if (o.now !== undefined && typeof o.now !== 'function')
    throw invalidArg('options.now', 'a function () => milliseconds', o.now);
  const abort = checkSignal('options.signal', o.signal);
  if (abort !== undefined && !pull)
    throw invalidArg('options.signal', 'undefined (RxJS forms cancel by unsubscribing)', o.signal);
  return {
    state,
    keyOf: o.keyOf,
    inputOf: o.inputOf ?? ((v: T) => v as unknown as StepInput),
    batch,
    windowMs,
    maxBatch,
    scheduler,
    now: o.now ?? Date.now,
    abort,
  };
}
