/**
 * `recurrentLastAsync`: the IxJS (pull) mirror of `recurrentLast`: yields only the output of the last step of
 * each segment (at a `resetOn` predicate boundary and at the end of the source).
 *
 * @example
 * const [summary] = await toArray(from(ids).pipe(recurrentLastAsync(encoder)));
 *
 * @param model the model to step
 * @param options see `RecurrentOptions` (`resetOn` is a predicate in the pull form)
 * @returns an IxJS operator from step inputs to one output `Float32Array [Y]` per segment
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { ixOperator, pull, type AsyncOperator } from './ixCore.ts';
import { resolveRecurrentOptions, type RecurrentOptions } from './recurrentOptions.ts';
import { Stepper, type StepInput } from './stepper.ts';

export function recurrentLastAsync<T extends StepInput>(
  model: RNNModel,
  options: RecurrentOptions<T> = {},
): AsyncOperator<T, Float32Array> {
  const o = resolveRecurrentOptions<T>(model, options as RecurrentOptions, true);
  return ixOperator<T, Float32Array>(async function* recurrentLastCore(source, signal) {
    const st = new Stepper(model, o.initialState);
    o.control?.attach(st);
    /** The segment's last output (if it has a step), then a reset. */
    const boundary = (): Float32Array | null => {
      const y = st.steps > 0 ? st.output.slice() : null;
      st.reset();
      return y;
    };
    try {
      let index = 0;
      for await (const x of pull(source, signal)) {
        const i = index++;
        const hit = o.predicate?.(x, i);
        if (hit && !o.resetAfter) {
          const y = boundary();
          if (y !== null) yield y;
        }
        st.step(x);
        o.onState?.(st.state, i);
        if (hit && o.resetAfter) {
          const y = boundary();
          if (y !== null) yield y;
        }
      }
      if (st.steps > 0) yield st.output.slice();
    } finally {
      o.control?.detach(st);
      st.release();
    }
  }, o.abort);
}
