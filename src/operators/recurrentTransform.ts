/**
 * `recurrentTransform`: the step operator as a Node `Transform` (object mode), for `stream.pipeline` users.
 * Each written chunk is one time step (a `Float32Array [X]` or a token id); each step pushes a copy of its
 * output `Float32Array [Y]`. Node's own backpressure (highWaterMark) paces the writer.
 *
 * 1. The transform owns one state (`options.initialState` or zeros); a new transform starts afresh.
 * 2. A step that throws destroys the stream with that error (as any Transform error); `destroy()` releases
 *    the state's buffers.
 *
 * @example
 * await pipeline(featureStream, recurrentTransform(model), labelWriter);
 *
 * @param model the model to step
 * @param options see `RecurrentOptions` (`resetOn` as a predicate; no `signal`: pass one to `pipeline`)
 * @returns a Transform in object mode
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import { Transform } from 'node:stream';
import type { RNNModel } from '../model/rnnModel.ts';
import { resolveRecurrentOptions, type RecurrentOptions } from './recurrentOptions.ts';
import { Stepper, type StepInput } from './stepper.ts';

export function recurrentTransform<T extends StepInput>(
  model: RNNModel,
  options: Omit<RecurrentOptions<T>, 'signal'> = {},
): Transform {
  const o = resolveRecurrentOptions<T>(model, options as RecurrentOptions, true);
  const st = new Stepper(model, o.initialState);
  o.control?.attach(st);
  let index = 0;
  return new Transform({
    objectMode: true,
    transform(chunk: T, _encoding, callback) {
      let y: Float32Array;
      try {
        const i = index++;
        const hit = o.predicate?.(chunk, i);
        if (hit && !o.resetAfter) st.reset();
        y = st.step(chunk).slice();
        o.onState?.(st.state, i);
        if (hit && o.resetAfter) st.reset();
      } catch (err) {
        callback(err as Error);
        return;
      }
      callback(null, y);
    },
    destroy(err, callback) {
      o.control?.detach(st);
      st.release();
      callback(err);
    },
  });
}
