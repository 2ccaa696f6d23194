/**
 * `seq2seq`: encoder-decoder. Each element is an input sequence (token ids, or dense features `[T, X]` for a
 * dense encoder); the encoder's final state initializes the decoder, which generates from `startToken`; each
 * element emits its generated ids as one `Int32Array`.
 *
 * ```
 * source:  --s----t---|
 * result:  --S----T---|        S = decode(encode(s)): ids until stopToken (excluded) or maxLength
 * ```
 * 1. Each input starts the encoder from `options.initialState` (or zeros): inputs are independent.
 * 2. The sampling generator is seeded once per subscription (`options.seed`) and continues across inputs.
 * 3. An invalid input errors the stream; unsubscribing releases both states.
 * See `seq2seqCore.ts` for the state hand-over.
 *
 * @example
 * questions$.pipe(map((q) => vocab.encode(q)), seq2seq(encoder, decoder, { startToken: BOS, stopToken: EOS, greedy: true }))
 *
 * @param encoder the model run over each input
 * @param decoder a model with a head, of the encoder's state shape
 * @param options see `Seq2seqOptions`
 * @returns an operator from input sequences to generated id sequences
 * @throws EddyError ERR_INVALID_ARG naming the model or option, at the call
 */
import type { OperatorFunction } from 'rxjs';
import type { RNNModel } from '../model/rnnModel.ts';
import type { Sequence } from './generateCore.ts';
import { operate } from './operate.ts';
import { resolveSeq2seq, Seq2seqRunner, type Seq2seqOptions } from './seq2seqCore.ts';

export function seq2seq(
  encoder: RNNModel,
  decoder: RNNModel,
  options: Seq2seqOptions,
): OperatorFunction<Sequence, Int32Array> {
  const o = resolveSeq2seq(encoder, decoder, options, false);
  return operate<Sequence, Int32Array>((out) => {
    const runner = new Seq2seqRunner(encoder, decoder, o);
    return {
      next(input) {
        out.next(Int32Array.from(runner.run(input)));
      },
      finalize() {
        runner.release();
      },
    };
  });
}
