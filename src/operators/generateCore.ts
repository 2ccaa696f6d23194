/**
 * The generation core shared by `generate`, `generateEach`, `seq2seq` and their IxJS mirrors: feed a priming
 * sequence, then sample each output and feed the sampled id back.
 *
 * ```
 * prime p0 p1 p2 ──► step ──► step ──► step ─► logits ─► sample ─► id0 ─► step ─► sample ─► id1 ...
 * ```
 * 1. The state starts from `options.initialState` (a primed state) or zeros; the prime (at least one element
 *    for `generate`) is fed step by step; the output after its last element gives the first logits.
 * 2. Each id is drawn from the logits (greedy / temperature / top-k / top-p, `src/tensor/sample.ts`) and fed
 *    back as the next input: as a token id for one-hot and embedding models, as a one-hot vector for dense
 *    models (which then need `inputSize === outputSize`).
 * 3. Generation stops after `maxLength` ids, or when `stopToken` is drawn (the stop token is not emitted).
 * 4. The random generator is seeded with `options.seed` once per subscription (iteration), so a run is the
 *    same every time; greedy decoding draws no random numbers.
 */
import type { RecurrentState } from '../model/recurrentState.ts';
import type { RNNModel } from '../model/rnnModel.ts';
import { createSampleScratch, resolveSampleOptions, sampleResolved, type SampleScratch } from '../tensor/sample.ts';
import { invalidArg, shapeError, describeKind } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkBool, checkInt, checkObject } from '../util/validate.ts';
import { checkSignal } from './ixCore.ts';
import { checkModel, resolveState, type StateLike, type Stepper } from './stepper.ts';

/** A sequence of inputs: token ids (a number, an `Int32Array` or an array of numbers) or, for a dense model, features `Float32Array [T·X]`. */
export type Sequence = number | Int32Array | readonly number[] | Float32Array;

/** How ids are drawn and when generation stops. */
export interface SamplingOptions {
  /** Softmax temperature `> 0`; `0` or `'greedy'` takes the argmax (ties: the lowest id). @default 1 */
  temperature?: number | 'greedy';
  /** Greedy decoding (argmax), whatever the temperature. @default false */
  greedy?: boolean;
  /** Sample among the k most probable ids only; `0` for all. @default 0 */
  topK?: number;
  /** Sample within the smallest most-probable set of mass >= topP, in (0, 1]; `1` for all. @default 1 */
  topP?: number;
  /** Seed of the sampling generator (one per subscription / iteration). @default 0 */
  seed?: number;
  /** An id that ends the generation when drawn (not emitted). @default undefined (none) */
  stopToken?: number;
  /** The most ids generated for one prime. @default 100 */
  maxLength?: number;
  /** IxJS forms only: cancels at once with `ERR_ABORTED`. @default undefined */
  signal?: AbortSignal;
}

/** Options of `generate` / `generateAsync`: sampling plus the start. */
export interface GenerateOptions extends SamplingOptions {
  /** The priming sequence fed before sampling: at least one step (one input is a prime of length 1). Required. */
  prime: Sequence;
  /** A primed state to start from (`{h, c?}` of one row, or `serializeState` JSON). @default zeros */
  initialState?: StateLike;
}

/** Options of `generateEach` / `generateEachAsync`: each element is a prime. */
export interface GenerateEachOptions extends SamplingOptions {
  /** The state each prime starts from. @default zeros */
  initialState?: StateLike;
}

/** Sampling options after validation. `temperature` 0 means greedy; `stopToken` -1 means none. */
export interface ResolvedSampling {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly seed: number;
  readonly stopToken: number;
  readonly maxLength: number;
  readonly abort: AbortSignal | undefined;
}

/** A validated sequence: ids, or dense features of T steps. */
export type ResolvedSequence =
  | { readonly ids: Int32Array; readonly x: null; readonly T: number }
  | { readonly ids: null; readonly x: Float32Array; readonly T: number };

/**
 * Asserts that a model can generate: a head (logits) whose ids can be fed back.
 * @throws EddyError ERR_INVALID_ARG naming `path`
 */
export function checkGenerative(path: string, model: unknown): RNNModel {
  const m = checkModel(path, model);
  const { input, inputSize, outputSize } = m.config;
  if (outputSize === 0)
    throw invalidArg(
      `${path}.config.outputSize`,
      'a head (outputSize > 0) producing logits to sample from',
      outputSize,
    );
  if (input === 'dense' && outputSize !== inputSize) {
    throw invalidArg(
      `${path}.config.outputSize`,
      `${inputSize} (a dense model is fed back one-hot vectors, so inputSize must equal outputSize)`,
      outputSize,
    );
  }
  if (input !== 'dense' && outputSize > inputSize) {
    throw invalidArg(
      `${path}.config.outputSize`,
      `at most inputSize = ${inputSize} (sampled ids are fed back as input ids)`,
      outputSize,
    );
  }
  return m;
}

/** Validates the sampling options. @throws EddyError ERR_INVALID_ARG naming `options.<field>` */
export function resolveSampling(model: RNNModel, options: SamplingOptions, pull: boolean): ResolvedSampling {
  const o = checkObject('options', options);
  const greedy = checkBool('options.greedy', o.greedy ?? false);
  const s = resolveSampleOptions(o, 'options');
  const seed = checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff);
  const V = model.config.outputSize;
  const stopToken = o.stopToken === undefined ? -1 : checkInt('options.stopToken', o.stopToken, 0, V - 1);
  const maxLength = checkInt('options.maxLength', o.maxLength ?? 100, 1);
  const abort = checkSignal('options.signal', o.signal);
  if (abort !== undefined && !pull)
    throw invalidArg('options.signal', 'undefined (RxJS forms cancel by unsubscribing)', o.signal);
  return { temperature: greedy ? 0 : s.temperature, topK: s.topK, topP: s.topP, seed, stopToken, maxLength, abort };
}

/** Resolves an optional one-row initial state. */
export function resolveInitial(model: RNNModel, value: StateLike | undefined, path: string): RecurrentState | null {
  return value === undefined ? null : resolveState(model, value, path);
}

/**
 * Validates a sequence for a model (ids in range, or dense features of a multiple of X).
 * @param minSteps 1 for a prime, 0 for an encoder input
 * @throws EddyError ERR_INVALID_ARG / ERR_SHAPE naming `path`
 */
export function resolveSequence(model: RNNModel, value: unknown, path: string, minSteps: number): ResolvedSequence {
  const { input, inputSize } = model.config;
  if (input === 'dense') {
    if (!(value instanceof Float32Array))
      throw shapeError(
        path,
        `Float32Array [T, X=${inputSize}] (a dense model takes feature vectors)`,
        describeKind(value),
      );
    if (value.length % inputSize !== 0 || value.length < minSteps * inputSize) {
      throw shapeError(
        path,
        `of length T·${inputSize} with T >= ${minSteps} ([T, X=${inputSize}])`,
        `length ${value.length}`,
      );
    }
    return { ids: null, x: value, T: value.length / inputSize };
  }
  let ids: Int32Array;
  if (typeof value === 'number') ids = Int32Array.of(checkId(path, value, inputSize));
  else if (value instanceof Int32Array || Array.isArray(value)) {
    const a = value as ArrayLike<unknown>;
    ids = new Int32Array(a.length);
    for (let i = 0; i < a.length; i++) ids[i] = checkId(`${path}[${i}]`, a[i], inputSize);
  } else throw invalidArg(path, 'token ids (a number, an Int32Array or an array of numbers)', value);
  if (ids.length < minSteps) throw invalidArg(path, `at least ${minSteps} token id`, value);
  return { ids, x: null, T: ids.length };
}

function checkId(path: string, v: unknown, V: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= V)
    throw invalidArg(path, `token id (integer in [0, ${V}))`, v);
  return v;
}

/** Per-subscription sampling state: the seeded generator, scratch buffers and the feedback buffer. */
export class Sampler {
  readonly V: number;
  #rng: Rng | null;
  #scratch: SampleScratch | null;
  #onehot: Float32Array | null; // [X] the fed-back id of a dense model
  readonly #o: ResolvedSampling;

  constructor(model: RNNModel, o: ResolvedSampling) {
    this.V = model.config.outputSize;
    this.#o = o;
    this.#rng = o.temperature > 0 ? new Rng(o.seed) : null;
    this.#scratch = createSampleScratch(this.V);
    this.#onehot = model.config.input === 'dense' ? new Float32Array(model.config.inputSize) : null;
  }

  /** One id from the logits `[V]`. */
  draw(logits: Float32Array): number {
    const o = this.#o;
    return sampleResolved(logits, 0, this.V, o.temperature, o.topK, o.topP, this.#rng, this.#scratch as SampleScratch);
  }

  /** Steps `st` with an id: as an id, or as a one-hot vector for a dense model. */
  feed(st: Stepper, id: number): Float32Array {
    const v = this.#onehot;
    if (v === null) return st.step(id);
    v.fill(0);
    v[id] = 1;
    return st.step(v);
  }

  /** Drops the buffers. */
  release(): void {
    this.#rng = null;
    this.#scratch = null;
    this.#onehot = null;
  }
}

/**
 * Steps through a sequence; returns the output after its last step (a live buffer), or null for T = 0.
 */
export function feedSequence(st: Stepper, seq: ResolvedSequence): Float32Array | null {
  let y: Float32Array | null = null;
  if (seq.ids !== null) for (let t = 0; t < seq.T; t++) y = st.step(seq.ids[t]);
  else {
    const X = st.model.config.inputSize;
    for (let t = 0; t < seq.T; t++) y = st.step(seq.x.subarray(t * X, (t + 1) * X));
  }
  return y;
}

/**
 * Samples from `y` and feeds back until `maxLength` ids or the stop token. A lazy generator: the caller's
 * loop sets the pace, and leaving the loop (`take`, unsubscribe, abort) stops the work at once.
 */
export function* sampleLoop(
  st: Stepper,
  y: Float32Array,
  sampler: Sampler,
  o: ResolvedSampling,
): Generator<number, void, undefined> {
  for (let n = 0; n < o.maxLength; n++) {
    const id = sampler.draw(y);
    if (id === o.stopToken) return;
    yield id;
    if (n + 1 < o.maxLength) y = sampler.feed(st, id);
  }
}
