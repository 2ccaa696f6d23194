/**
 * `keyedRecurrentAsync`: the IxJS (pull) mirror of `keyedRecurrent`: per-key state with the LRU bound, idle
 * expiry and `onEvict`. Elements are pulled and stepped one at a time (B = 1): a pull source has no "arrive
 * together", so there is no micro-batching. Idle keys are swept before each step, by `options.now`.
 *
 * @example
 * for await (const { key, output } of events.pipe(keyedRecurrentAsync(model, { keyOf: (e) => e.user }))) ...
 *
 * @param model the model to step
 * @param options see `KeyedRecurrentOptions` (`microBatch` and `scheduler` do not apply)
 * @returns an IxJS operator from elements to `{ key, value, output }`
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { ixOperator, pull, type AsyncOperator } from './ixCore.ts';
import { resolveKeyedOptions, type KeyedOutput, type KeyedRecurrentOptions } from './keyedOptions.ts';
import { KeyedStepper } from './keyedStepper.ts';

export function keyedRecurrentAsync<T, K>(
  model: RNNModel,
  options: KeyedRecurrentOptions<T, K>,
): AsyncOperator<T, KeyedOutput<T, K>> {
  const o = resolveKeyedOptions<T, K>(model, options, true);
  return ixOperator<T, KeyedOutput<T, K>>(async function* keyedRecurrentCore(source, signal) {
    const ks = new KeyedStepper<K>(model, o.state, 1);
    const key: K[] = [];
    const input: ReturnType<typeof o.inputOf>[] = [];
    try {
      for await (const value of pull(source, signal)) {
        key[0] = o.keyOf(value);
        input[0] = o.inputOf(value);
        const now = o.now();
        ks.sweep(now);
        const [output] = ks.stepBatch(key, input, 1, now);
        yield { key: key[0], value, output: output as Float32Array };
      }
      ks.evictAll('complete');
    } finally {
      ks.release();
    }
  }, o.abort);
}
