/**
 * `generateAsync`: the IxJS (pull) mirror of `generate`: an async-iterable of sampled ids. Each id is computed
 * when pulled; `options.signal` or leaving the loop stops at once.
 *
 * @example
 * for await (const id of generateAsync(model, { prime: [0], greedy: true, stopToken: EOS })) out.write(vocab.token(id));
 *
 * @param model a model with a head whose ids can be fed back
 * @param options see `GenerateOptions`
 * @returns an AsyncIterableX of ids
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { AsyncIterableX } from 'ix/asynciterable';
import type { RNNModel } from '../model/rnnModel.ts';
import { checkObject } from '../util/validate.ts';
import {
  checkGenerative,
  feedSequence,
  resolveInitial,
  resolveSampling,
  resolveSequence,
  sampleLoop,
  Sampler,
  type GenerateOptions,
} from './generateCore.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable } from '../util/coreAdapters.ts';
import { Stepper } from './stepper.ts';

export function generateAsync(model: RNNModel, options: GenerateOptions): AsyncIterableX<number> {
  checkGenerative('model', model);
  const opts = checkObject('options', options);
  const o = resolveSampling(model, opts, true);
  const prime = resolveSequence(model, opts.prime, 'options.prime', 1);
  const initial = resolveInitial(model, opts.initialState, 'options.initialState');
  return asIterable<number>(async function* generateCore(signal) {
    checkAborted(signal);
    const st = new Stepper(model, initial);
    const sampler = new Sampler(model, o);
    try {
      const y = feedSequence(st, prime) as Float32Array;
      for (const id of sampleLoop(st, y, sampler, o)) {
        yield id;
        checkAborted(signal);
      }
    } finally {
      st.release();
      sampler.release();
    }
  }, o.abort);
}
