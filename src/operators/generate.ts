/**
 * `generate`: one-to-many as a source. From a prime (one input or a priming sequence) and optionally a primed
 * state, samples each output and feeds it back, emitting the sampled ids.
 *
 * ```
 * generate(model, { prime: [h, e], maxLength: 4 }):   (l-l-o-!|)     ids, emitted synchronously on subscribe
 * ```
 * 1. Each subscription starts afresh (its own state and its own generator seeded with `options.seed`), so
 *    every subscription emits the same sequence.
 * 2. Stops after `maxLength` ids or at `stopToken` (not emitted); `take` or unsubscribing stops the loop at once.
 * 3. A failing step errors the stream.
 * See `generateCore.ts` for the semantics of sampling and feedback.
 *
 * @example
 * generate(charModel, { prime: vocab.encode('ROMEO:'), temperature: 0.8, topK: 20, seed: 7, maxLength: 200 })
 *   .pipe(toArray()).subscribe((ids) => console.log(vocab.decode(ids)));
 *
 * @param model a model with a head whose ids can be fed back (see `checkGenerative`)
 * @param options see `GenerateOptions`
 * @returns an Observable of ids
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import { Observable } from 'rxjs';
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
import { Stepper } from './stepper.ts';

export function generate(model: RNNModel, options: GenerateOptions): Observable<number> {
  checkGenerative('model', model);
  const opts = checkObject('options', options);
  const o = resolveSampling(model, opts, false);
  const prime = resolveSequence(model, opts.prime, 'options.prime', 1);
  const initial = resolveInitial(model, opts.initialState, 'options.initialState');
  return new Observable<number>((out) => {
    const st = new Stepper(model, initial);
    const sampler = new Sampler(model, o);
    try {
      const y = feedSequence(st, prime) as Float32Array;
      for (const id of sampleLoop(st, y, sampler, o)) {
        out.next(id);
        if (out.closed) return;
      }
      out.complete();
    } catch (err) {
      out.error(err);
    } finally {
      st.release();
      sampler.release();
    }
  });
}
