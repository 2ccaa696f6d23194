/**
 * A handle on the carried state of one live subscription (or iteration): snapshot, restore and reset from
 * outside the stream. Pass it as `options.control` to `recurrent`, `recurrentLast` or their IxJS mirrors; it
 * attaches when the subscription starts and detaches when it ends. One handle serves one live subscription at
 * a time (a second one fails with `ERR_INVALID_ARG`), so a state is never shared.
 *
 * @example
 * const control = new StateControl();
 * const sub = sensor$.pipe(recurrent(model, { control })).subscribe(render);
 * const saved = JSON.stringify(control.serialize());          // later: continue where it left off
 * sensor$.pipe(recurrent(model, { initialState: JSON.parse(saved) }));
 */
import { serializeState, type RecurrentState, type SerializedState } from '../model/recurrentState.ts';
import { EddyError } from '../util/errors.ts';
import type { StateLike, Stepper } from './stepper.ts';

/** Snapshot, restore and reset for the state of one live subscription. */
export class StateControl {
  #stepper: Stepper | null = null;

  /** Whether a live subscription holds this handle. */
  get attached(): boolean {
    return this.#stepper !== null;
  }

  /** A copy of the live state. @throws EddyError ERR_INVALID_ARG when no subscription is live */
  snapshot(): RecurrentState {
    return this.#live().snapshot();
  }

  /** The live state as plain JSON (`serializeState`). @throws EddyError ERR_INVALID_ARG when no subscription is live */
  serialize(): SerializedState {
    return serializeState(this.#live().state);
  }

  /**
   * Copies a state (a snapshot or `serializeState` JSON) into the live state; the next step continues from it.
   * @throws EddyError ERR_INVALID_ARG / ERR_SHAPE naming `state`, or when no subscription is live
   */
  restore(state: StateLike): void {
    this.#live().restore(state, 'state');
  }

  /** Resets the live state to the initial state. @throws EddyError ERR_INVALID_ARG when no subscription is live */
  reset(): void {
    this.#live().reset();
  }

  /** Binds a subscription's stepper (called by the operators). @internal */
  attach(stepper: Stepper): void {
    if (this.#stepper !== null) {
      throw new EddyError(
        'ERR_INVALID_ARG',
        'options.control is already attached to a live subscription; use one StateControl per subscription',
      );
    }
    this.#stepper = stepper;
  }

  /** Unbinds a subscription's stepper (called by the operators when it ends). @internal */
  detach(stepper: Stepper): void {
    if (this.#stepper === stepper) this.#stepper = null;
  }

  #live(): Stepper {
    if (this.#stepper === null)
      throw new EddyError('ERR_INVALID_ARG', 'The StateControl is not attached to a live subscription');
    return this.#stepper;
  }
}
