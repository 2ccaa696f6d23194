/**
 * Truncated-BPTT windows cut from data held in memory, by random access, so a run resumes at any window index
 * (the data cursor): `charRnnBatches` for a corpus of token ids in char-rnn's layout, `sequenceWindows` for
 * time-major sequences `[N, B, ...]`. The geometry (k1, k2, partial last window) is `windows.ts`'s.
 */
import { invalidArg, shapeError, describe } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import {
  resolveGeometry,
  windowSpan,
  type FullWindow,
  type IdWindow,
  type WindowGeometryOptions,
  type WindowSpan,
} from './windows.ts';

/** Options for `charRnnBatches` and `sequenceWindows`. */
export interface ArrayWindowsOptions extends WindowGeometryOptions {
  /** Index of the first window to yield: the data cursor of a resumed run (`event.index + 1`). @default 0 */
  start?: number;
}

/** Options for `charRnnBatches`. */
export interface CharRnnBatchesOptions extends ArrayWindowsOptions {
  /** B: contiguous streams trained as one batch. @default 1 */
  B?: number;
}

/**
 * Char-rnn's layout: one corpus of ids split into B contiguous streams of `len = floor((N - 1) / B)` steps,
 * trained side by side as one batch, the targets being the inputs shifted by one.
 *
 * 1. Stream b is `corpus[b·len, (b+1)·len)` (inputs) and `corpus[b·len + 1, (b+1)·len + 1)` (targets).
 * 2. With k1 = k2 = T, window i holds, for stream b, the ids `[b·len + i·T, b·len + i·T + T)` at `x[t·B + b]`
 *    (`[T, B]`, time-major) and the next ids as targets.
 * 3. Window 0 has `reset: true` (start of the corpus: zero state); with k1 < k2, window i >= 1 starts at
 *    `i·k1` with `k2 - k1` context steps (see `windows.ts`).
 *
 * @example
 * for (let epoch = 0; epoch < 10; epoch++)
 *   for (const w of charRnnBatches(ids, { B: 32, k1: 64 })) trainer.update(w); // w.x: [64, 32]
 *
 * @param corpus token ids `[N]`
 * @param options k1, k2, partial, B, start
 * @returns a fresh iterator of windows (call again for each epoch)
 * @throws EddyError `ERR_INVALID_ARG` naming `corpus` or `options.<field>` (checked at the call, not at the first pull)
 */
export function charRnnBatches(corpus: Int32Array, options: CharRnnBatchesOptions): IterableIterator<IdWindow> {
  if (!(corpus instanceof Int32Array)) throw invalidArg('corpus', 'Int32Array of token ids', corpus);
  const o = checkObject('options', options);
  const B = checkInt('options.B', o.B ?? 1, 1);
  const g = resolveGeometry(options);
  const start = checkInt('options.start', o.start ?? 0, 0);
  const len = Math.floor((corpus.length - 1) / B);
  if (len < 1) throw invalidArg('corpus', `at least ${B + 1} ids for options.B = ${B} streams`, corpus);
  return sliceWindows(
    len,
    B,
    g,
    start,
    (s, x, targets) => {
      for (let t = 0; t < s.steps; t++) {
        for (let b = 0; b < B; b++) {
          const p = b * len + s.start + t;
          x[t * B + b] = corpus[p];
          targets[t * B + b] = corpus[p + 1];
        }
      }
    },
    () => new Int32Array(g.k2 * B),
    () => new Int32Array(g.k2 * B),
  ) as IterableIterator<IdWindow>;
}

/** Data for `sequenceWindows`: N time-major steps of B rows. */
export interface SequenceData {
  /** Inputs `Float32Array [N, B, X]` or ids `Int32Array [N, B]`. */
  x: Float32Array | Int32Array;
  /** Targets `Int32Array [N, B]` class ids or `Float32Array [N, B, Y]`. */
  targets: Int32Array | Float32Array;
  /** N: steps. */
  N: number;
  /** B: rows. @default 1 */
  B?: number;
}

/**
 * Windows over time-major sequences held in memory (frames, features, or ids with explicit targets), with the
 * geometry of `windows.ts`. Padded steps have zero inputs and targets -1 (ids) or 0 (real targets).
 *
 * @example
 * for (const w of sequenceWindows({ x, targets, N: 1000, B: 4 }, { k1: 10, k2: 20 })) trainer.update(w);
 *
 * @throws EddyError `ERR_INVALID_ARG` / `ERR_SHAPE` naming `data.<field>` or `options.<field>`
 */
export function sequenceWindows(data: SequenceData, options: ArrayWindowsOptions): IterableIterator<FullWindow> {
  const d = checkObject('data', data);
  const N = checkInt('data.N', d.N, 1);
  const B = checkInt('data.B', d.B ?? 1, 1);
  const g = resolveGeometry(options);
  const start = checkInt('options.start', checkObject('options', options).start ?? 0, 0);
  const { x, targets } = d;
  if (!(x instanceof Float32Array || x instanceof Int32Array) || x.length === 0 || x.length % (N * B) !== 0) {
    throw shapeError('data.x', `Float32Array [N=${N}, B=${B}, X] or Int32Array [N=${N}, B=${B}]`, describe(x));
  }
  if (x instanceof Int32Array && x.length !== N * B)
    throw shapeError('data.x', `Int32Array of ids of length ${N * B} ([N=${N}, B=${B}])`, describe(x));
  if (
    !(targets instanceof Float32Array || targets instanceof Int32Array) ||
    targets.length === 0 ||
    targets.length % (N * B) !== 0
  ) {
    throw shapeError(
      'data.targets',
      `Int32Array [N=${N}, B=${B}] or Float32Array [N=${N}, B=${B}, Y]`,
      describe(targets),
    );
  }
  if (targets instanceof Int32Array && targets.length !== N * B)
    throw shapeError('data.targets', `Int32Array of ids of length ${N * B} ([N=${N}, B=${B}])`, describe(targets));
  const xRow = x.length / N; // B·X per step
  const tRow = targets.length / N;
  const padTarget = targets instanceof Int32Array ? -1 : 0;
  const makeX = () => (x instanceof Int32Array ? new Int32Array(g.k2 * xRow) : new Float32Array(g.k2 * xRow));
  const makeT = () => (targets instanceof Int32Array ? new Int32Array(g.k2 * tRow) : new Float32Array(g.k2 * tRow));
  return sliceWindows(
    N,
    B,
    g,
    start,
    (s, xo, to) => {
      xo.set(x.subarray(s.start * xRow, (s.start + s.steps) * xRow));
      to.set(targets.subarray(s.start * tRow, (s.start + s.steps) * tRow));
      to.fill(padTarget, s.steps * tRow);
    },
    makeX,
    makeT,
  );
}

type Fill<X, Y> = (span: WindowSpan, x: X, targets: Y) => void;

/** The shared core: spans from `start` on, each filled into fresh buffers trimmed to the span's T. */
function* sliceWindows<X extends Float32Array | Int32Array, Y extends Float32Array | Int32Array>(
  N: number,
  B: number,
  g: ReturnType<typeof resolveGeometry>,
  start: number,
  fill: Fill<X, Y>,
  makeX: () => X,
  makeT: () => Y,
): Generator<FullWindow, void, undefined> {
  for (let i = start; ; i++) {
    const s = windowSpan(i, N, g);
    if (s === null) return;
    let x = makeX();
    let targets = makeT();
    if (targets instanceof Int32Array) targets.fill(-1);
    fill(s, x, targets);
    if (s.T < g.k2) {
      // a 'keep' partial window is shorter
      x = x.subarray(0, (x.length / g.k2) * s.T).slice() as X;
      targets = targets.subarray(0, (targets.length / g.k2) * s.T).slice() as Y;
    }
    yield { x, targets, T: s.T, B, context: s.context, padding: s.padding, carry: s.carry, reset: s.reset, index: i };
  }
}
