/**
 * `recurrentLast`: many-to-one. Steps every element like `recurrent` but emits only the output of the last
 * step of each sequence (segment): when the source completes, and at each segment boundary given by
 * `options.resetOn`, which also resets the state for the next segment.
 *
 * ```
 * source:   --a--b--c--d--|      resetOn: (x) => x === b (resetPosition 'before': b starts a segment)
 * result:   -----A--------(D|)   A: the output after a; D: the output after b, c, d
 * resetOn$: -----------s-----    a signal value emits the segment's last output at once and resets
 * ```
 * 1. A segment that has no step yet (two boundaries in a row, an empty source) emits nothing.
 * 2. `options.control.reset()` / `restore()` start a new segment without emitting.
 * 3. Errors and cancellation as `recurrent`.
 *
 * @example
 * // one sentiment vector per sentence; '.' ends a sentence
 * ids$.pipe(recurrentLast(model, { resetOn: (id) => id === DOT, resetPosition: 'after' }))
 *
 * @param model the model to step
 * @param options see `RecurrentOptions`
 * @returns an operator from step inputs to one output `Float32Array [Y]` per segment
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { OperatorFunction } from 'rxjs';
import type { RNNModel } from '../model/rnnModel.ts';
import { operate } from './operate.ts';
import { resolveRecurrentOptions, type RecurrentOptions } from './recurrentOptions.ts';
import { Stepper, type StepInput } from './stepper.ts';

export function recurrentLast<T extends StepInput>(
  model: RNNModel,
  options: RecurrentOptions<T> = {},
): OperatorFunction<T, Float32Array> {
  const o = resolveRecurrentOptions<T>(model, options as RecurrentOptions, false);
  return operate<T, Float32Array>((out) => {
    const st = new Stepper(model, o.initialState);
    o.control?.attach(st);
    /** Emits the segment's last output (if it has a step) and resets. */
    const boundary = (): void => {
      const y = st.steps > 0 ? st.output.slice() : null;
      st.reset();
      if (y !== null) out.next(y);
    };
    const resets = o.signal$?.subscribe({ next: boundary, error: (e: unknown) => out.error(e) });
    let index = 0;
    return {
      next(x) {
        const i = index++;
        const hit = o.predicate?.(x, i);
        if (hit && !o.resetAfter) {
          boundary();
          if (out.closed) return; // the emission ended the subscription (take): no more work
        }
        st.step(x);
        o.onState?.(st.state, i);
        if (hit && o.resetAfter) boundary();
      },
      complete() {
        if (st.steps > 0) out.next(st.output.slice());
        out.complete();
      },
      finalize() {
        resets?.unsubscribe();
        o.control?.detach(st);
        st.release();
      },
    };
  });
}
