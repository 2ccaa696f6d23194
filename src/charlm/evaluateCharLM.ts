/**
 * The validation loss of a character-level language model on the held-out end of a text, measured exactly as
 * `trainCharLM` measures it: the last `valFraction` of the characters, in char-rnn's layout (B contiguous streams,
 * windows of T steps, state carried across windows from zeros), mean cross-entropy in nats per character.
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { charRnnBatches } from '../train/charRnnBatches.ts';
import { softmaxCrossEntropy } from '../tensor/softmax.ts';
import { EddyError } from '../util/errors.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';
import { Vocabulary } from '../sources/vocabulary.ts';
import { vocabularyOf } from './generateText.ts';

/** Options for `evaluateCharLM`. */
export interface EvaluateCharLMOptions {
  /** Fraction of the text, at its end, that is held out. @default 0.1 */
  valFraction?: number;
  /** T: steps per window. @default 64 */
  window?: number;
  /** B: most streams (fewer when the split is short). @default 32 */
  batch?: number;
  /** Use at most this many characters of the split (from its start); 0 for all. @default 0 */
  maxChars?: number;
}

/** What `evaluateCharLM` returns. */
export interface CharLMEvaluation {
  /** Mean loss in nats per character. */
  nats: number;
  /** The same in bits per character. */
  bits: number;
  /** Characters scored. */
  chars: number;
}

/**
 * @throws EddyError naming the character when the text holds one the model's vocabulary lacks
 */
export function evaluateCharLM(model: RNNModel, text: string, options: EvaluateCharLMOptions = {}): CharLMEvaluation {
  const o = checkObject('options', options);
  const valFraction = checkNumber('options.valFraction', o.valFraction ?? 0.1, 0, 1, { min: true });
  const T = checkInt('options.window', o.window ?? 64, 1);
  const maxB = checkInt('options.batch', o.batch ?? 32, 1);
  const maxChars = checkInt('options.maxChars', o.maxChars ?? 0, 0);
  vocabularyOf(model); // a clear error for a model that is not a char LM
  const vocab = new Vocabulary(model.config.vocab as readonly string[], { unknown: 'error' });
  let ids: Int32Array;
  try {
    ids = vocab.encode(text);
  } catch (err) {
    throw new EddyError(
      'ERR_INVALID_ARG',
      `The text does not match the model's vocabulary: ${(err as Error).message}`,
      { cause: err },
    );
  }
  let val = ids.subarray(Math.floor(ids.length * (1 - valFraction)));
  if (maxChars > 0 && val.length > maxChars) val = val.subarray(0, maxChars);
  if (val.length < T + 1)
    throw new EddyError(
      'ERR_INVALID_ARG',
      `The held-out split has ${val.length} characters, fewer than window + 1 = ${T + 1}`,
    );
  const B = Math.max(1, Math.min(maxB, Math.floor((val.length - 1) / T)));
  const V = vocab.size;
  let state = model.createState(B);
  let sum = 0;
  let count = 0;
  for (const w of charRnnBatches(val, { B, k1: T })) {
    const { y, state: next } = model.forward(w.x, { T, B, state });
    sum += softmaxCrossEntropy(null, y, w.targets, T * B, V, 1);
    count += T * B;
    state = next;
  }
  const nats = sum / count;
  return { nats, bits: nats / Math.LN2, chars: count };
}
