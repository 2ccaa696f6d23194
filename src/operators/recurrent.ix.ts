/**
 * `recurrentAsync`: the IxJS (pull) mirror of `recurrent`. Each element pulled is one time step; each step yields
 * a copy of its output. The consumer sets the pace, so no backpressure policy is needed.
 *
 * 1. Each iteration builds its own state; two iterations never share one.
 * 2. `options.resetOn` is a predicate (no Observable signals in the pull form); `options.control` resets,
 *    snapshots and restores from outside.
 * 3. `options.signal` (or the signal IxJS passes to the iterator) stops a pending pull at once with
 *    `ERR_ABORTED`; `break`, `take` and errors release the state in `finally`.
 *
 * @example
 * for await (const y of textIdsAsync(path, vocab).pipe(flatMap(from), recurrentAsync(model))) console.log(argmax(y, 0, V));
 *
 * @param model the model to step
 * @param options see `RecurrentOptions`
 * @returns an IxJS operator from step inputs to outputs `Float32Array [Y]`
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { ixOperator, pull, type AsyncOperator } from './ixCore.ts';
import { resolveRecurrentOptions, type RecurrentOptions } from './recurrentOptions.ts';
import { Stepper, type StepInput } from './stepper.ts';

export function recurrentAsync<T extends StepInput>(
  model: RNNModel,
  options: RecurrentOptions<T> = {},
): AsyncOperator<T, Float32Array> {
  const o = resolveRecurrentOptions<T>(model, options as RecurrentOptions, true);
  return ixOperator<T, Float32Array>(async function* recurrentCore(source, signal) {
    const st = new Stepper(model, o.initialState);
    o.control?.attach(st);
    try {
      let index = 0;
      for await (const x of pull(source, signal)) {
        const i = index++;
        const hit = o.predicate?.(x, i);
        if (hit && !o.resetAfter) st.reset();
        const y = st.step(x).slice();
        o.onState?.(st.state, i);
        if (hit && o.resetAfter) st.reset();
        yield y;
      }
    } finally {
      o.control?.detach(st);
      st.release();
    }
  }, o.abort);
}
