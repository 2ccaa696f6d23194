/**
 * Joins labelled clips into long continuous frame streams for truncated-BPTT training, so that nothing about a
 * frame's position in its clip is given away.
 *
 * ```
 * clips:    A [0..75)   B [0..75)   C [0..75)
 * stream b: A[31..60) B[4..75) C[0..22) A[50..75) ...     random clip, random start, random length >= minSegment
 *           └── no reset, no marker: the state runs on across every join; the differences see the cut ──┘
 * ```
 * 1. Each of the B streams is built independently from one seeded `Rng`: pick a clip at random, a start
 *    `s` in `[0, T - minSegment]` and a length in `[minSegment, T - s]`, append those frames, repeat until N.
 * 2. Features are computed along each stream (`sequenceFeatures`), so the difference block at a join is the
 *    real jump between the two clips, as a cut in a live video would be.
 * 3. The result is time-major (`x [N, B, X]`, `targets [N, B]`), ready for `sequenceWindows`.
 *
 * @example
 * const s = joinClips(clips, spec, { length: 1000, streams: 8, rng: new Rng(1) });
 * for (const w of sequenceWindows({ x: s.x, targets: s.targets, N: s.N, B: s.B }, { k1: 25 })) trainer.update(w);
 */
import { invalidArg, shapeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import { sequenceFeatures, type FrameFeatureSpec } from './frameFeatures.ts';

/** One labelled clip of gray frames at the feature grid size. */
export interface LabeledClip {
  /** Frames `// [T, H, W]` in [0, 1] (H, W of the feature spec). */
  pixels: Float32Array;
  /** Class id of every frame, `// [T]`. */
  labels: Int32Array;
  /** T: frames. */
  T: number;
  /** Optional per-frame flags carried along the joins (e.g. 1 = digit hidden), `// [T]`. @default none */
  flags?: Uint8Array;
  /** A name for messages and reports. @default the clip's index */
  name?: string;
}

/** Options of `joinClips`. */
export interface JoinClipsOptions {
  /** N: frames per stream. Required. */
  length: number;
  /** B: independent streams. @default 1 */
  streams?: number;
  /** Shortest segment cut from a clip (clamped to each clip's T). @default 8 */
  minSegment?: number;
  /** The random source (advanced). Required. */
  rng: Rng;
}

/** B joined streams of N frames, time-major. */
export interface JoinedStreams {
  /** Features `// [N, B, X]`. */
  x: Float32Array;
  /** Class ids `// [N, B]`. */
  targets: Int32Array;
  /** The clips' flags `// [N, B]` (zeros when the clips have none). */
  flags: Uint8Array;
  N: number;
  B: number;
  /** X: features per frame. */
  X: number;
  /** Segments cut per stream (joins + 1), for reports. */
  segments: number[];
}

/** Validates clips against a feature spec. @throws EddyError naming `clips[i].<field>` */
export function checkClips(clips: readonly LabeledClip[], spec: FrameFeatureSpec, path = 'clips'): void {
  if (!Array.isArray(clips) || clips.length === 0) throw invalidArg(path, 'a non-empty array of labelled clips', clips);
  const n = spec.width * spec.height;
  clips.forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (c === null || typeof c !== 'object') throw invalidArg(p, 'a clip { pixels, labels, T }', c);
    const T = checkInt(`${p}.T`, c.T, 1);
    if (!(c.pixels instanceof Float32Array) || c.pixels.length !== T * n) {
      throw shapeError(
        `${p}.pixels`,
        `Float32Array of length ${T * n} ([T=${T}, H=${spec.height}, W=${spec.width}], the feature grid)`,
        c.pixels instanceof Float32Array ? `length ${c.pixels.length}` : typeof c.pixels,
      );
    }
    if (!(c.labels instanceof Int32Array) || c.labels.length !== T)
      throw shapeError(
        `${p}.labels`,
        `Int32Array of length ${T}`,
        c.labels instanceof Int32Array ? `length ${c.labels.length}` : typeof c.labels,
      );
    if (c.flags !== undefined && (!(c.flags instanceof Uint8Array) || c.flags.length !== T))
      throw shapeError(`${p}.flags`, `Uint8Array of length ${T}`, typeof c.flags);
  });
}

/**
 * Joins clips at random offsets into B continuous streams of N frames (see the file comment).
 * @throws EddyError ERR_INVALID_ARG / ERR_SHAPE naming `clips[i].<field>` or `options.<field>`
 */
export function joinClips(
  clips: readonly LabeledClip[],
  spec: FrameFeatureSpec,
  options: JoinClipsOptions,
): JoinedStreams {
  checkClips(clips, spec);
  const o = checkObject('options', options);
  const N = checkInt('options.length', o.length, 1);
  const B = checkInt('options.streams', o.streams ?? 1, 1);
  const minSegment = checkInt('options.minSegment', o.minSegment ?? 8, 1);
  if (!(o.rng instanceof Rng)) throw invalidArg('options.rng', 'an Rng', o.rng);
  const rng = o.rng;
  const n = spec.width * spec.height;
  const X = spec.size;
  const x = new Float32Array(N * B * X); // [N, B, X]
  const targets = new Int32Array(N * B); // [N, B]
  const flags = new Uint8Array(N * B); // [N, B]
  const pixels = new Float32Array(N * n); // [N, H, W] one stream at a time
  const labels = new Int32Array(N); // [N]
  const fl = new Uint8Array(N); // [N]
  const segments: number[] = [];
  for (let b = 0; b < B; b++) {
    let t = 0;
    let count = 0;
    while (t < N) {
      const c = clips[rng.int(clips.length)];
      const m = Math.min(minSegment, c.T);
      const s = rng.int(c.T - m + 1);
      const len = Math.min(N - t, m + rng.int(c.T - s - m + 1));
      pixels.set(c.pixels.subarray(s * n, (s + len) * n), t * n);
      labels.set(c.labels.subarray(s, s + len), t);
      if (c.flags) fl.set(c.flags.subarray(s, s + len), t);
      else fl.fill(0, t, t + len);
      t += len;
      count++;
    }
    segments.push(count);
    const feats = sequenceFeatures(spec, pixels, N); // [N, X]
    for (let k = 0; k < N; k++) {
      x.set(feats.subarray(k * X, (k + 1) * X), (k * B + b) * X);
      targets[k * B + b] = labels[k];
      flags[k * B + b] = fl[k];
    }
  }
  return { x, targets, flags, N, B, X, segments };
}
