/**
 * `generateEachAsync`: the IxJS (pull) mirror of `generateEach`: each pulled prime yields its generated
 * sequence as one `Int32Array`.
 *
 * @example
 * for await (const ids of from(prompts).pipe(generateEachAsync(model, { greedy: true }))) console.log(ids);
 *
 * @param model a model with a head whose ids can be fed back
 * @param options see `GenerateEachOptions`
 * @returns an IxJS operator from primes to generated id sequences
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
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
  type GenerateEachOptions,
  type Sequence,
} from './generateCore.ts';
import { ixOperator, pull, type AsyncOperator } from './ixCore.ts';
import { Stepper } from './stepper.ts';

export function generateEachAsync(
  model: RNNModel,
  options: GenerateEachOptions = {},
): AsyncOperator<Sequence, Int32Array> {
  checkGenerative('model', model);
  checkObject('options', options);
  const o = resolveSampling(model, options, true);
  const initial = resolveInitial(model, options.initialState, 'options.initialState');
  return ixOperator<Sequence, Int32Array>(async function* generateEachCore(source, signal) {
    const st = new Stepper(model, initial);
    const sampler = new Sampler(model, o);
    try {
      for await (const prime of pull(source, signal)) {
        const seq = resolveSequence(model, prime, 'prime', 1);
        st.reset();
        const y = feedSequence(st, seq) as Float32Array;
        yield Int32Array.from(sampleLoop(st, y, sampler, o));
      }
    } finally {
      st.release();
      sampler.release();
    }
  }, o.abort);
}
