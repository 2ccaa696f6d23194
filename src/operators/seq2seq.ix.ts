/**
 * `seq2seqAsync`: the IxJS (pull) mirror of `seq2seq`: each pulled input sequence yields the decoder's
 * generated ids as one `Int32Array`.
 *
 * @example
 * for await (const ids of from(inputs).pipe(seq2seqAsync(encoder, decoder, { startToken: 1, greedy: true }))) print(ids);
 *
 * @param encoder the model run over each input
 * @param decoder a model with a head, of the encoder's state shape
 * @param options see `Seq2seqOptions` (plus `signal`)
 * @returns an IxJS operator from input sequences to generated id sequences
 * @throws EddyError ERR_INVALID_ARG naming the model or option, at the call
 */
import type { RNNModel } from '../model/rnnModel.ts';
import type { Sequence } from './generateCore.ts';
import { ixOperator, pull, type AsyncOperator } from './ixCore.ts';
import { resolveSeq2seq, Seq2seqRunner, type Seq2seqOptions } from './seq2seqCore.ts';

export function seq2seqAsync(
  encoder: RNNModel,
  decoder: RNNModel,
  options: Seq2seqOptions,
): AsyncOperator<Sequence, Int32Array> {
  const o = resolveSeq2seq(encoder, decoder, options, true);
  return ixOperator<Sequence, Int32Array>(async function* seq2seqCore(source, signal) {
    const runner = new Seq2seqRunner(encoder, decoder, o);
    try {
      for await (const input of pull(source, signal)) yield Int32Array.from(runner.run(input));
    } finally {
      runner.release();
    }
  }, o.sampling.abort);
}
