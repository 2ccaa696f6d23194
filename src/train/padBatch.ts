/**
 * Variable-length sequences as one padded, time-major batch for `model.forward(ids, { T, B })`, with the masks
 * the losses read: a negative target is "not counted" for `sequenceCrossEntropy` and `manyToOneCrossEntropy`.
 *
 * ```
 * sequences  [a b c] [d e] [f]          padId 0, labels [7, 8, 9]
 * ids [T=3, B=3]      targets [T, B]       mask [T, B]
 *   t0: a d f           t0: -1 -1  9         1 1 1
 *   t1: b e 0           t1: -1  8 -1         1 1 0
 *   t2: c 0 0           t2:  7 -1 -1         1 0 0
 * ```
 * 1. Rows are padded at the end (right): a recurrent model reads a row's real steps before any padding, so the
 *    output at the row's last real step does not depend on the padding (no state masking is needed).
 * 2. With `labels` (many-to-one), `targets` holds each row's label at its last real step and -1 elsewhere:
 *    `manyToOneCrossEntropy(dy, y, targets, { T, B, Y })` then scores exactly one step per row and writes a zero
 *    gradient at the padding.
 * 3. For per-step targets (one-to-many, language models) pad the target sequences with `padId: -1`.
 *
 * @example
 * const batch = padBatch(names.map(encode), { labels });
 * const { y } = model.forward(batch.ids, { T: batch.T, B: batch.B });
 * const { loss } = manyToOneCrossEntropy(dy, y, batch.targets as Int32Array, { T: batch.T, B: batch.B, Y: C });
 */
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';

/** Options of `padBatch`. */
export interface PadBatchOptions {
  /** The id written after a row's end (any valid input id, or -1 for target sequences). @default 0 */
  padId?: number;
  /** One label per row: `targets` gets it at the row's last real step. @default undefined (no targets) */
  labels?: ArrayLike<number>;
  /** T: pad to at least this many steps (a fixed shape for every batch). @default the longest row */
  minSteps?: number;
}

/** A padded batch, time-major. */
export interface PaddedBatch {
  /** T: steps (the longest row, or `minSteps`). */
  readonly T: number;
  /** B: rows. */
  readonly B: number;
  /** `[T, B]` ids; row b's step t at `t·B + b`. */
  readonly ids: Int32Array;
  /** `[B]` real steps per row. */
  readonly lengths: Int32Array;
  /** `[T, B]` 1 at real steps, 0 at padding. */
  readonly mask: Float32Array;
  /** `[T, B]` the row's label at its last real step, -1 elsewhere (only with `options.labels`). */
  readonly targets: Int32Array | null;
}

/**
 * Pads B sequences of ids to one `[T, B]` batch (see the file header).
 * @param sequences B >= 1 sequences of at least one id each
 * @throws EddyError ERR_INVALID_ARG naming `sequences[b]`, `options.labels` or another option
 */
export function padBatch(sequences: readonly ArrayLike<number>[], options: PadBatchOptions = {}): PaddedBatch {
  if (!Array.isArray(sequences) || sequences.length === 0)
    throw invalidArg('sequences', 'a non-empty array of id sequences', sequences);
  const o = checkObject('options', options);
  const padId = checkInt('options.padId', o.padId ?? 0);
  const B = sequences.length;
  const lengths = new Int32Array(B);
  let T = checkInt('options.minSteps', o.minSteps ?? 1, 1);
  for (let b = 0; b < B; b++) {
    const s = sequences[b];
    if (s === null || typeof s !== 'object' || typeof s.length !== 'number' || s.length < 1)
      throw invalidArg(`sequences[${b}]`, 'a sequence of at least one id', s);
    lengths[b] = s.length;
    if (s.length > T) T = s.length;
  }
  const ids = new Int32Array(T * B).fill(padId); // [T, B]
  const mask = new Float32Array(T * B); // [T, B]
  for (let b = 0; b < B; b++) {
    const s = sequences[b];
    for (let t = 0; t < s.length; t++) {
      ids[t * B + b] = s[t];
      mask[t * B + b] = 1;
    }
  }
  let targets: Int32Array | null = null;
  if (o.labels !== undefined) {
    const labels = o.labels;
    if (labels === null || typeof labels !== 'object' || labels.length !== B)
      throw invalidArg('options.labels', `${B} labels (one per sequence)`, labels);
    targets = new Int32Array(T * B).fill(-1); // [T, B]
    for (let b = 0; b < B; b++) targets[(lengths[b] - 1) * B + b] = checkInt(`options.labels[${b}]`, labels[b]);
  }
  return { T, B, ids, lengths, mask, targets };
}
