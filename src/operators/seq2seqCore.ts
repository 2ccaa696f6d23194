/**
 * The encoder-decoder core shared by `seq2seq` and `seq2seqAsync`.
 *
 * ```
 * x0 x1 .. x_{T-1} ──► encoder ──► state_T ──copy──► decoder ◄── start, id0, id1, ...
 *                                                       └──► sample ──► id0, id1, ... (until stop / maxLength)
 * ```
 * 1. The encoder runs over the whole input sequence from its initial state (`options.initialState` or zeros);
 *    an empty sequence leaves it there.
 * 2. Its final state `{h, c?}` becomes the decoder's initial state, so both models must carry states of the
 *    same shape: same cell family (LSTM or not), `numLayers` and `hiddenSize`.
 * 3. The decoder is fed `options.startToken`, then generates as `generate` does (same sampling options).
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { copyState, type RecurrentState } from '../model/recurrentState.ts';
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import {
  checkGenerative,
  feedSequence,
  resolveInitial,
  resolveSampling,
  resolveSequence,
  sampleLoop,
  Sampler,
  type ResolvedSampling,
  type SamplingOptions,
} from './generateCore.ts';
import { checkModel, Stepper, type StateLike } from './stepper.ts';

/** Options of `seq2seq` / `seq2seqAsync`. */
export interface Seq2seqOptions extends SamplingOptions {
  /** The decoder's first input id (a begin-of-sequence token), in `[0, decoder.inputSize)`. Required. */
  startToken: number;
  /** The encoder's initial state (one row, typed arrays or `serializeState` JSON). @default zeros */
  initialState?: StateLike;
}

/** `Seq2seqOptions` after validation. */
export interface ResolvedSeq2seq {
  readonly sampling: ResolvedSampling;
  readonly startToken: number;
  readonly initial: RecurrentState | null;
}

/**
 * Validates the two models and the options.
 * @throws EddyError ERR_INVALID_ARG naming `encoder`, `decoder` or `options.<field>`
 */
export function resolveSeq2seq(
  encoder: RNNModel,
  decoder: RNNModel,
  options: Seq2seqOptions,
  pull: boolean,
): ResolvedSeq2seq {
  const enc = checkModel('encoder', encoder);
  const dec = checkGenerative('decoder', decoder);
  const same = (field: 'numLayers' | 'hiddenSize'): void => {
    if (enc.config[field] !== dec.config[field]) {
      throw invalidArg(
        `decoder.config.${field}`,
        `${enc.config[field]} (the encoder's; its final state initializes the decoder)`,
        dec.config[field],
      );
    }
  };
  same('numLayers');
  same('hiddenSize');
  if (enc.cell.hasCell !== dec.cell.hasCell) {
    throw invalidArg(
      'decoder.config.cell',
      `a cell with${enc.cell.hasCell ? '' : 'out'} a cell state, as the encoder's "${enc.config.cell}"`,
      dec.config.cell,
    );
  }
  const o = checkObject('options', options);
  const sampling = resolveSampling(dec, o, pull);
  const startToken = checkInt('options.startToken', o.startToken, 0, dec.config.inputSize - 1);
  const initial = resolveInitial(enc, o.initialState, 'options.initialState');
  return { sampling, startToken, initial };
}

/** Per-subscription encoder and decoder states. */
export class Seq2seqRunner {
  readonly #encoder: Stepper;
  readonly #decoder: Stepper;
  readonly #sampler: Sampler;
  readonly #o: ResolvedSeq2seq;

  constructor(encoder: RNNModel, decoder: RNNModel, o: ResolvedSeq2seq) {
    this.#encoder = new Stepper(encoder, o.initial);
    this.#decoder = new Stepper(decoder);
    this.#sampler = new Sampler(decoder, o.sampling);
    this.#o = o;
  }

  /** Encodes one input sequence and decodes from its final state; a lazy generator of ids. */
  *run(input: unknown): Generator<number, void, undefined> {
    const seq = resolveSequence(this.#encoder.model, input, 'input', 0);
    this.#encoder.reset();
    feedSequence(this.#encoder, seq);
    copyState(this.#decoder.state, this.#encoder.state);
    const y = this.#sampler.feed(this.#decoder, this.#o.startToken);
    yield* sampleLoop(this.#decoder, y, this.#sampler, this.#o.sampling);
  }

  /** Drops the buffers. */
  release(): void {
    this.#encoder.release();
    this.#decoder.release();
    this.#sampler.release();
  }
}
