/**
 * `recurrent`: the step operator (synced many-to-many). Each element is one time step; the state is carried
 * from step to step; each step emits a copy of its output.
 *
 * ```
 * source:   --x0----x1----x2--|          x: Float32Array [X], or a token id (number / Int32Array [1])
 * result:   --y0----y1----y2--|          y: Float32Array [Y], y_t = model(x_t, state_{t-1})
 * resetOn:  ----------r-------           a signal value (or a predicate match) resets the state
 * ```
 * 1. Each subscription builds its own state (`options.initialState` or zeros); two subscribers never share one.
 * 2. `options.resetOn`: a predicate resets before (or, with `resetPosition: 'after'`, after) a matching
 *    element; an Observable resets at each of its values.
 * 3. A step that throws (an input of the wrong shape, a bad id, an `onState` that throws) errors the stream.
 * 4. Unsubscribing (or `take`) stops at once and drops the state's buffers.
 *
 * @example
 * frames$.pipe(map(features), recurrent(model, { resetOn: sceneCut$ }), map(argmaxLabel)).subscribe(show);
 *
 * @param model the model to step (shared read-only; never trained by this operator)
 * @param options see `RecurrentOptions`
 * @returns an operator from step inputs to outputs `Float32Array [Y]`
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call (before any subscription)
 */
import type { OperatorFunction } from 'rxjs';
import type { RNNModel } from '../model/rnnModel.ts';
import { operate } from './operate.ts';
import { resolveRecurrentOptions, type RecurrentOptions } from './recurrentOptions.ts';
import { Stepper, type StepInput } from './stepper.ts';

export function recurrent<T extends StepInput>(
  model: RNNModel,
  options: RecurrentOptions<T> = {},
): OperatorFunction<T, Float32Array> {
  const o = resolveRecurrentOptions<T>(model, options as RecurrentOptions, false);
  return operate<T, Float32Array>((out) => {
    const st = new Stepper(model, o.initialState);
    o.control?.attach(st);
    const resets = o.signal$?.subscribe({ next: () => st.reset(), error: (e: unknown) => out.error(e) });
    let index = 0;
    return {
      next(x) {
        const i = index++;
        const hit = o.predicate?.(x, i);
        if (hit && !o.resetAfter) st.reset();
        const y = st.step(x);
        o.onState?.(st.state, i);
        const copy = y.slice();
        if (hit && o.resetAfter) st.reset();
        out.next(copy);
      },
      finalize() {
        resets?.unsubscribe();
        o.control?.detach(st);
        st.release();
      },
    };
  });
}
