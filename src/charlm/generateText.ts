/**
 * Streaming character generation from a character-level language model: prime the state with a text, then
 * sample one character at a time, feed it back, repeat. Characters are emitted as they are sampled.
 *
 * `generateTextAsync(model, options)` is a pull-based IxJS async-iterable of one-character strings;
 * `generateText(model, options)` the same as an RxJS Observable. Each iteration or subscription has its own
 * state and its own RNG seeded from `options.seed`, so the same seed gives the same text every run.
 *
 * @example
 * for await (const ch of generateTextAsync(loadModel('shakespeare.safetensors'), { prime: 'ROMEO:', length: 200, temperature: 0.8 }))
 *   process.stdout.write(ch);
 */
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import type { RNNModel } from '../model/rnnModel.ts';
import { Rng } from '../util/rng.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import { createSampleScratch, resolveSampleOptions, sampleResolved } from '../tensor/sample.ts';
import { Vocabulary } from '../sources/vocabulary.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable, asObservable } from '../util/coreAdapters.ts';

/** Options for `generateTextAsync`. */
export interface GenerateTextOptions {
  /** Text fed through the model before sampling starts; every character must be in the model's vocabulary. @default '\n' (or the first vocabulary entry when there is no newline) */
  prime?: string;
  /** Characters to generate (not counting the prime). @default 500 */
  length?: number;
  /** Softmax temperature > 0, or 0 / `'greedy'` for the argmax. @default 1 */
  temperature?: number | 'greedy';
  /** Keep only the k most probable characters; 0 keeps all. @default 0 */
  topK?: number;
  /** Nucleus sampling mass in (0, 1]. @default 1 */
  topP?: number;
  /** Seed of the sampling RNG. @default 0 */
  seed?: number;
  /** Stop after emitting this character (e.g. '\n'). @default undefined */
  stopAt?: string;
  /** Cancels generation; the next pull fails with ERR_ABORTED. @default undefined */
  signal?: AbortSignal;
}

/** The model's vocabulary as a `Vocabulary`, or a clear error. */
export function vocabularyOf(model: RNNModel): Vocabulary {
  const v = model.config.vocab;
  if (!v)
    throw new EddyError(
      'ERR_INVALID_ARG',
      'The model has no vocabulary (config.vocab): it was not trained as a character-level language model',
    );
  if (model.config.input === 'dense' || model.config.outputSize !== v.length) {
    throw new EddyError(
      'ERR_INVALID_ARG',
      `The model is not a character-level language model: it needs token-id input and ${v.length} outputs, it has input "${model.config.input}" and ${model.config.outputSize} outputs`,
    );
  }
  return new Vocabulary(v, { unknown: 'error' });
}

function core(model: RNNModel, options: GenerateTextOptions) {
  const o = checkObject('options', options);
  const vocab = vocabularyOf(model);
  const V = vocab.size;
  const length = checkInt('options.length', o.length ?? 500, 0);
  const seed = checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff);
  const s = resolveSampleOptions({ temperature: o.temperature ?? 1, topK: o.topK ?? 0, topP: o.topP ?? 1 }, 'options');
  const defaultPrime = vocab.has('\n') ? '\n' : (model.config.vocab as readonly string[])[0];
  const primeText = o.prime ?? defaultPrime;
  if (typeof primeText !== 'string') throw invalidArg('options.prime', 'a string', primeText);
  if (primeText.length === 0)
    throw invalidArg('options.prime', 'a non-empty string (generation needs a first input)', primeText);
  let prime: Int32Array;
  try {
    prime = vocab.encode(primeText);
  } catch (err) {
    throw new EddyError('ERR_INVALID_ARG', `options.prime: ${(err as Error).message}`, { cause: err });
  }
  let stopId = -1;
  if (o.stopAt !== undefined) {
    if (typeof o.stopAt !== 'string' || !vocab.has(o.stopAt))
      throw invalidArg('options.stopAt', 'one character of the model vocabulary', o.stopAt);
    stopId = vocab.idOf(o.stopAt);
  }
  return async function* generate(signal: AbortSignal | undefined): AsyncGenerator<string, void, undefined> {
    const rng = new Rng(seed);
    const scratch = createSampleScratch(V);
    const state = model.createState(1);
    const out = new Float32Array(V); // [1, V] logits
    const x = new Int32Array(1);
    for (let i = 0; i < prime.length; i++) {
      x[0] = prime[i];
      model.step(x, state, out);
    }
    for (let n = 0; n < length; n++) {
      checkAborted(signal);
      const id = sampleResolved(out, 0, V, s.temperature, s.topK, s.topP, s.temperature === 0 ? null : rng, scratch);
      yield vocab.decode(Int32Array.of(id));
      if (id === stopId) return;
      x[0] = id;
      model.step(x, state, out);
    }
  };
}

/** Generated characters as an IxJS async-iterable (pull: one step per character pulled). */
export function generateTextAsync(model: RNNModel, options: GenerateTextOptions = {}): AsyncIterableX<string> {
  return asIterable(core(model, options), options.signal);
}

/** Generated characters as an RxJS Observable. */
export function generateText(model: RNNModel, options: GenerateTextOptions = {}): Observable<string> {
  return asObservable(core(model, options), options.signal);
}
