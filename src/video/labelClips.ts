/**
 * Offline labelling of whole clips, for evaluation: each clip is run from the zero state (as a live video
 * would start), frame by frame through the recurrent labeller, or frame by frame through the per-frame
 * baseline; features are computed along each clip (its first difference is zero).
 *
 * @example
 * const rec = labelClips(labeler, testClips);
 * const m = frameMetrics(rec.pred, rec.truth, { classes: 2, positive: 1 });
 */
import { softmaxRows } from '../tensor/softmax.ts';
import { invalidArg } from '../util/errors.ts';
import { sequenceFeatures, type FrameFeatureSpec } from './frameFeatures.ts';
import type { FrameLabeler } from './frameLabeler.ts';
import { checkClips, type LabeledClip } from './joinClips.ts';
import { PerFrameClassifier } from './perFrameClassifier.ts';

/** Predictions over clips, concatenated in clip order. */
export interface ClipPredictions {
  /** Predicted class ids `// [ΣT]`. */
  readonly pred: Int32Array;
  /** Probability of the predicted class `// [ΣT]`. */
  readonly confidence: Float32Array;
  /** True class ids `// [ΣT]`. */
  readonly truth: Int32Array;
  /** The clips' flags (zeros when they have none) `// [ΣT]`. */
  readonly flags: Uint8Array;
}

function collect(
  clips: readonly LabeledClip[],
  Y: number,
  logitsOf: (c: LabeledClip) => Float32Array,
): ClipPredictions {
  const total = clips.reduce((s, c) => s + c.T, 0);
  const pred = new Int32Array(total);
  const confidence = new Float32Array(total);
  const truth = new Int32Array(total);
  const flags = new Uint8Array(total);
  let at = 0;
  for (const c of clips) {
    const y = logitsOf(c); // [T, Y]
    const p = new Float32Array(c.T * Y);
    softmaxRows(p, 0, y, 0, c.T, Y);
    for (let t = 0; t < c.T; t++) {
      let best = 0;
      for (let k = 1; k < Y; k++) if (p[t * Y + k] > p[t * Y + best]) best = k;
      pred[at + t] = best;
      confidence[at + t] = p[t * Y + best];
    }
    truth.set(c.labels, at);
    if (c.flags) flags.set(c.flags, at);
    at += c.T;
  }
  return { pred, confidence, truth, flags };
}

/**
 * Labels every frame of every clip with the recurrent labeller, each clip from the zero state.
 * @throws EddyError ERR_SHAPE naming `clips[i].<field>` for clips of another frame size
 */
export function labelClips(labeler: FrameLabeler, clips: readonly LabeledClip[]): ClipPredictions {
  checkClips(clips, labeler.spec);
  const { model } = labeler;
  return collect(clips, labeler.labels.length, (c) =>
    model.forward(sequenceFeatures(labeler.spec, c.pixels, c.T), { T: c.T, B: 1 }).y.slice(),
  );
}

/**
 * Labels every frame of every clip with the per-frame baseline.
 * @throws EddyError ERR_SHAPE naming `clips[i].<field>`; ERR_INVALID_ARG when the classifier does not fit the spec
 */
export function labelClipsPerFrame(
  classifier: PerFrameClassifier,
  spec: FrameFeatureSpec,
  clips: readonly LabeledClip[],
): ClipPredictions {
  if (!(classifier instanceof PerFrameClassifier)) throw invalidArg('classifier', 'a PerFrameClassifier', classifier);
  if (classifier.inputSize !== spec.size)
    throw invalidArg('classifier', `a classifier of inputSize ${spec.size} (the features' size)`, classifier.inputSize);
  checkClips(clips, spec);
  return collect(clips, classifier.outputSize, (c) =>
    classifier.forward(sequenceFeatures(spec, c.pixels, c.T), c.T).slice(),
  );
}
