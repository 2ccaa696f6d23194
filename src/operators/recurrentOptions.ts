/**
 * Options shared by the step operators (`recurrent`, `recurrentLast`, their IxJS mirrors and
 * `recurrentTransform`), resolved and validated in one place before any subscription.
 */
import { isObservable, type Observable } from 'rxjs';
import type { RecurrentState } from '../model/recurrentState.ts';
import type { RNNModel } from '../model/rnnModel.ts';
import { invalidArg } from '../util/errors.ts';
import { checkObject, checkOneOf } from '../util/validate.ts';
import { checkSignal } from './ixCore.ts';
import { StateControl } from './stateControl.ts';
import { checkModel, resolveState, type StateLike, type StepInput } from './stepper.ts';

/** A reset rule: a predicate on each element, or (RxJS only) a signal Observable whose every value resets. */
export type ResetOn<T> = ((value: T, index: number) => boolean) | Observable<unknown>;

/** Options of the step operators. */
export interface RecurrentOptions<T extends StepInput = StepInput> {
  /**
   * The state each subscription starts from and every reset returns to: a one-row state `{h [L,1,H], c?}` as
   * typed arrays or as `serializeState` JSON (copied).
   * @default zeros
   */
  initialState?: StateLike;
  /**
   * When to reset the state: a predicate `(value, index) => boolean` on each element, or an Observable whose
   * every value resets at once (RxJS forms only; the IxJS forms take a predicate). In `recurrentLast` a reset
   * also closes the current segment.
   * @default undefined (never)
   */
  resetOn?: ResetOn<T>;
  /**
   * Where a predicate's reset falls: `'before'` the matching element (it starts a new sequence, as a
   * begin-of-sequence marker) or `'after'` it (it ends the sequence, as an end-of-sequence marker).
   * @default 'before'
   */
  resetPosition?: 'before' | 'after';
  /**
   * Called after every step with the live state (valid during the call only: copy it with `cloneState` or
   * `serializeState` to keep it) and the element's index. A throw becomes a stream error.
   * @default undefined
   */
  onState?: (state: RecurrentState, index: number) => void;
  /** A handle to snapshot, restore or reset the live subscription's state from outside. @default undefined */
  control?: StateControl;
  /** IxJS forms only: cancels the iteration (with `ERR_ABORTED`) at once. @default undefined */
  signal?: AbortSignal;
}

/** `RecurrentOptions` after validation. */
export interface ResolvedRecurrentOptions<T> {
  readonly initialState: RecurrentState | null;
  readonly predicate: ((value: T, index: number) => boolean) | null;
  readonly signal$: Observable<unknown> | null;
  readonly resetAfter: boolean;
  readonly onState: ((state: RecurrentState, index: number) => void) | null;
  readonly control: StateControl | null;
  readonly abort: AbortSignal | undefined;
}

/**
 * Validates the model and the options.
 * @param pull true for the IxJS forms (which take no reset Observable)
 * @throws EddyError ERR_INVALID_ARG naming `model` or `options.<field>`
 */
export function resolveRecurrentOptions<T>(
  model: RNNModel,
  options: RecurrentOptions<StepInput> | undefined,
  pull: boolean,
): ResolvedRecurrentOptions<T> {
  checkModel('model', model);
  const o = checkObject('options', options);
  const initialState =
    o.initialState === undefined ? null : resolveState(model, o.initialState, 'options.initialState');
  let predicate: ((value: T, index: number) => boolean) | null = null;
  let signal$: Observable<unknown> | null = null;
  if (typeof o.resetOn === 'function') predicate = o.resetOn as (value: T, index: number) => boolean;
  else if (!pull && isObservable(o.resetOn)) signal$ = o.resetOn;
  else if (o.resetOn !== undefined) {
    throw invalidArg(
      'options.resetOn',
      pull ? 'a predicate (value, index) => boolean' : 'a predicate (value, index) => boolean or an Observable',
      o.resetOn,
    );
  }
  const resetAfter =
    checkOneOf('options.resetPosition', o.resetPosition ?? 'before', ['before', 'after'] as const) === 'after';
  if (o.onState !== undefined && typeof o.onState !== 'function')
    throw invalidArg('options.onState', 'a function (state, index) => void', o.onState);
  if (o.control !== undefined && !(o.control instanceof StateControl))
    throw invalidArg('options.control', 'a StateControl', o.control);
  const abort = checkSignal('options.signal', o.signal);
  if (abort !== undefined && !pull)
    throw invalidArg('options.signal', 'undefined (RxJS forms cancel by unsubscribing)', o.signal);
  return {
    initialState,
    predicate,
    signal$,
    resetAfter,
    onState: o.onState ?? null,
    control: o.control ?? null,
    abort,
  };
}
