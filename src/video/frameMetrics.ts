/**
 * Per-frame evaluation: accuracy, F1 and the confusion matrix of predicted against true class ids, optionally
 * over a subset of frames (a mask: the hidden frames, the visible ones).
 *
 * 1. `accuracy` = correct / counted frames.
 * 2. `f1`: with `positive` set, the binary F1 of that class (precision and recall of "positive"); otherwise the
 *    macro F1, the mean over the classes that occur in the truth or the predictions of each class's F1.
 * 3. A class with no true and no predicted frame is left out of the macro mean; a class with a zero
 *    denominator has F1 0.
 *
 * @example
 * const m = frameMetrics(pred, truth, { classes: 2, positive: 1 });  // speaking = 1
 * console.log(m.accuracy, m.f1);
 */
import { invalidArg, shapeError } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';

/** Options of `frameMetrics`. */
export interface FrameMetricsOptions {
  /** Y: number of classes. Required. */
  classes: number;
  /** The positive class for a binary F1. @default undefined (macro F1) */
  positive?: number;
  /** Count only frames whose mask is non-zero (`// [N]`). @default all frames */
  mask?: Uint8Array;
  /** With `mask`, count the frames whose mask equals this value instead. @default undefined (non-zero) */
  maskValue?: number;
}

/** What `frameMetrics` returns. */
export interface FrameMetrics {
  /** Counted frames. */
  readonly frames: number;
  /** Correct / counted (NaN with no frame). */
  readonly accuracy: number;
  /** Binary F1 of `positive`, or the macro F1. */
  readonly f1: number;
  /** F1 of every class. */
  readonly perClassF1: readonly number[];
  /** `confusion[truth][pred]` frame counts. */
  readonly confusion: readonly (readonly number[])[];
}

/**
 * Scores predictions against the truth.
 * @param pred predicted class ids `// [N]`
 * @param truth true class ids `// [N]` (negative = not counted)
 * @throws EddyError ERR_SHAPE / ERR_INVALID_ARG naming the argument
 */
export function frameMetrics(pred: Int32Array, truth: Int32Array, options: FrameMetricsOptions): FrameMetrics {
  const o = checkObject('options', options);
  const Y = checkInt('options.classes', o.classes, 1);
  const positive = o.positive === undefined ? undefined : checkInt('options.positive', o.positive, 0, Y - 1);
  if (!(truth instanceof Int32Array)) throw invalidArg('truth', 'Int32Array of class ids', truth);
  const N = truth.length;
  if (!(pred instanceof Int32Array) || pred.length !== N)
    throw shapeError(
      'pred',
      `Int32Array of length ${N}`,
      pred instanceof Int32Array ? `length ${pred.length}` : typeof pred,
    );
  if (o.mask !== undefined && (!(o.mask instanceof Uint8Array) || o.mask.length !== N))
    throw shapeError('options.mask', `Uint8Array of length ${N}`, typeof o.mask);
  const confusion = Array.from({ length: Y }, () => new Array<number>(Y).fill(0));
  let frames = 0,
    correct = 0;
  for (let i = 0; i < N; i++) {
    if (truth[i] < 0) continue;
    if (o.mask !== undefined && (o.maskValue === undefined ? o.mask[i] === 0 : o.mask[i] !== o.maskValue)) continue;
    if (truth[i] >= Y || pred[i] < 0 || pred[i] >= Y)
      throw invalidArg(`frame ${i}`, `class ids in [0, ${Y})`, `${truth[i]} / ${pred[i]}`);
    confusion[truth[i]][pred[i]]++;
    frames++;
    if (truth[i] === pred[i]) correct++;
  }
  const perClassF1: number[] = [];
  const present: number[] = [];
  for (let c = 0; c < Y; c++) {
    const tp = confusion[c][c];
    let fp = 0,
      fn = 0;
    for (let k = 0; k < Y; k++)
      if (k !== c) {
        fp += confusion[k][c];
        fn += confusion[c][k];
      }
    perClassF1.push(2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0);
    if (tp + fp + fn > 0) present.push(perClassF1[c]);
  }
  const f1 =
    positive !== undefined
      ? perClassF1[positive]
      : present.length > 0
        ? present.reduce((a, b) => a + b, 0) / present.length
        : 0;
  return { frames, accuracy: frames > 0 ? correct / frames : NaN, f1, perClassF1, confusion };
}
