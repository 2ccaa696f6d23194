/**
 * `generateEach`: one-to-many as an operator. Each element is a prime (a token id, ids, or dense features
 * `[T, X]`); each emits its whole generated sequence as one `Int32Array`.
 *
 * ```
 * source:  --p----q---|
 * result:  --P----Q---|       P: the ids generated from prime p (from the initial state, stop token excluded)
 * ```
 * 1. Every prime starts from `options.initialState` (or zeros): primes are independent.
 * 2. The sampling generator is seeded once per subscription and continues from prime to prime, so a
 *    subscription's outputs are the same every run.
 * 3. An invalid prime (empty, an id out of range, a wrong shape) errors the stream.
 *
 * @example
 * prompts$.pipe(map((s) => vocab.encode(s)), generateEach(model, { temperature: 0.7, maxLength: 80, stopToken: NL }))
 *
 * @param model a model with a head whose ids can be fed back
 * @param options see `GenerateEachOptions`
 * @returns an operator from primes to generated id sequences
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { OperatorFunction } from 'rxjs';
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
import { operate } from './operate.ts';
import { Stepper } from './stepper.ts';

export function generateEach(
  model: RNNModel,
  options: GenerateEachOptions = {},
): OperatorFunction<Sequence, Int32Array> {
  checkGenerative('model', model);
  checkObject('options', options);
  const o = resolveSampling(model, options, false);
  const initial = resolveInitial(model, options.initialState, 'options.initialState');
  return operate<Sequence, Int32Array>((out) => {
    const st = new Stepper(model, initial);
    const sampler = new Sampler(model, o);
    return {
      next(prime) {
        const seq = resolveSequence(model, prime, 'prime', 1);
        st.reset();
        const y = feedSequence(st, seq) as Float32Array;
        out.next(Int32Array.from(sampleLoop(st, y, sampler, o)));
      },
      finalize() {
        st.release();
        sampler.release();
      },
    };
  });
}
