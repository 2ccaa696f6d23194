/**
 * Sequence losses over a window's outputs `y [T, B, Y]`: each returns the loss and writes its gradient `dy`
 * (same shape, written, not accumulated), ready for `model.backward(ws, dy)`.
 *
 * 1. `sequenceCrossEntropy`: softmax cross-entropy at every step against integer targets `[T, B]`
 *    (a negative target is ignored: padding, or a step without a label).
 * 2. `manyToOneCrossEntropy`: one label per row `[B]`, scored at the last counted step only (or, with targets
 *    `[T, B]`, at the steps whose target is >= 0).
 * 3. `sequenceMse`: mean squared error against real targets `[T, B, Y]` (regression).
 *
 * Only steps in `[fromStep, toStep)` count: a truncated-BPTT window with k1 < k2 replays `k2 - k1` context
 * steps whose losses were already counted by the window before (`fromStep`), and a padded last window ends in
 * steps that are not data (`toStep`). Steps outside the range get a zero gradient.
 *
 * Reduction `'mean'` (the default) divides by the number of counted terms: counted (step, row) pairs for the
 * cross-entropies, counted elements (step, row, output) for MSE, as PyTorch's `reduction='mean'` does. With
 * no counted term the loss is 0 and `dy` is zero. `'sum'` adds them up.
 *
 * @example
 * const dy = new Float32Array(T * B * V);
 * const { loss } = sequenceCrossEntropy(dy, y, targets, { T, B, Y: V }); // mean nats per counted step
 * model.backward(workspace, dy);
 */
import type { Backend } from '../tensor/backend.ts';
import { softmaxCrossEntropy } from '../tensor/softmax.ts';
import { invalidArg, shapeError, describe } from '../util/errors.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';

/** How per-term losses are combined. */
export type Reduction = 'mean' | 'sum';

/** The shape of a window's outputs and which of its steps count. */
export interface LossShape {
  /** T: steps in the window. Required. */
  T: number;
  /** B: rows. Required. */
  B: number;
  /** Y: outputs per step (the vocabulary V for the cross-entropies). Required. */
  Y: number;
  /** First step whose loss counts. @default 0 */
  fromStep?: number;
  /** One past the last step whose loss counts. @default T */
  toStep?: number;
  /** `'mean'` over counted terms or `'sum'`. @default 'mean' */
  reduction?: Reduction;
  /**
   * Kernels for the cross-entropies where they have one (`Backend.softmaxCrossEntropy`: the native backend; the
   * Trainer passes its model's). @default undefined (the TypeScript loop)
   */
  backend?: Backend;
}

/** What a loss returns. */
export interface LossResult {
  /** The reduced loss (what `dy` is the gradient of). */
  readonly loss: number;
  /** The summed loss over counted terms (for averaging over several windows). */
  readonly sum: number;
  /** The number of counted terms. */
  readonly count: number;
}

/**
 * A sequence loss: writes `dy [T, B, Y]` (when not null) and returns the loss of `y [T, B, Y]` against `targets`.
 * The built-in losses and user-supplied ones share this signature.
 */
export type SequenceLoss = (
  dy: Float32Array | null,
  y: Float32Array,
  targets: Int32Array | Float32Array,
  shape: LossShape,
) => LossResult;

/** Names of the built-in losses, for `lossFor` and `TrainerOptions.loss`. */
export const LOSS_NAMES = ['crossEntropy', 'manyToOne', 'mse'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

interface Resolved {
  T: number;
  B: number;
  Y: number;
  from: number;
  to: number;
  mean: boolean;
  backend: Backend | undefined;
}

function resolveShape(shape: LossShape, y: Float32Array, dy: Float32Array | null): Resolved {
  const s = checkObject('shape', shape);
  const T = checkInt('shape.T', s.T, 1);
  const B = checkInt('shape.B', s.B, 1);
  const Y = checkInt('shape.Y', s.Y, 1);
  const from = checkInt('shape.fromStep', s.fromStep ?? 0, 0, T);
  const to = checkInt('shape.toStep', s.toStep ?? T, from, T);
  const mean = checkOneOf('shape.reduction', s.reduction ?? 'mean', ['mean', 'sum'] as const) === 'mean';
  const n = T * B * Y;
  if (!(y instanceof Float32Array) || y.length !== n)
    throw shapeError('y', `Float32Array of length ${n} ([T=${T}, B=${B}, Y=${Y}])`, describe(y));
  if (dy !== null && (!(dy instanceof Float32Array) || dy.length !== n)) {
    throw shapeError('dy', `Float32Array of length ${n} ([T=${T}, B=${B}, Y=${Y}]) or null`, describe(dy));
  }
  return { T, B, Y, from, to, mean, backend: s.backend };
}

function checkIds(targets: unknown, length: number, shape: string, V: number, from: number, to: number): Int32Array {
  if (!(targets instanceof Int32Array) || targets.length !== length)
    throw shapeError('targets', `Int32Array of class ids of length ${length} (${shape})`, describe(targets));
  for (let i = from; i < to; i++) {
    if (targets[i] >= V) throw invalidArg(`targets[${i}]`, `class id < ${V} (negative = ignored)`, targets[i]);
  }
  return targets;
}

/**
 * Softmax cross-entropy at every step in `[fromStep, toStep)` against integer targets `[T, B]`; negative
 * targets are ignored. `'mean'` averages over the counted (step, row) pairs.
 *
 * @param dy `[T, B, V]` written with the gradient, or null for the loss only
 * @param y `[T, B, V]` logits
 * @param targets `[T, B]` class ids in `[0, V)`, or negative to ignore
 * @param shape `{ T, B, Y: V, fromStep?, toStep?, reduction? }`
 * @throws EddyError `ERR_SHAPE` naming `y`, `dy` or `targets`; `ERR_INVALID_ARG` for a target >= V
 */
export function sequenceCrossEntropy(
  dy: Float32Array | null,
  y: Float32Array,
  targets: Int32Array | Float32Array,
  shape: LossShape,
): LossResult {
  const { T, B, Y: V, from, to, mean, backend } = resolveShape(shape, y, dy);
  const t = checkIds(targets, T * B, `[T=${T}, B=${B}]`, V, from * B, to * B);
  return crossEntropyRange(dy, y, t, B, V, from, to, T, mean, backend);
}

function crossEntropyRange(
  dy: Float32Array | null,
  y: Float32Array,
  targets: Int32Array,
  B: number,
  V: number,
  from: number,
  to: number,
  T: number,
  mean: boolean,
  backend: Backend | undefined,
): LossResult {
  const r0 = from * B; // first counted row of [T·B, V]
  const r1 = to * B;
  let count = 0;
  for (let r = r0; r < r1; r++) if (targets[r] >= 0) count++;
  const scale = mean && count > 0 ? 1 / count : 1;
  const sum = softmaxCrossEntropy(
    dy === null ? null : dy.subarray(r0 * V, r1 * V),
    y.subarray(r0 * V, r1 * V),
    targets.subarray(r0, r1),
    r1 - r0,
    V,
    scale,
    backend,
  );
  if (dy !== null) {
    dy.fill(0, 0, r0 * V);
    dy.fill(0, r1 * V, T * B * V);
  }
  return { loss: mean ? (count > 0 ? sum / count : 0) : sum, sum, count };
}

/**
 * A many-to-one cross-entropy: with targets `[B]`, row b's label is scored at the last counted step
 * (`toStep - 1`) only; with targets `[T, B]`, at the steps whose target is >= 0 (a label per segment end).
 * `'mean'` averages over the scored rows.
 *
 * @param dy `[T, B, V]` written with the gradient (zero at the unscored steps), or null
 * @param y `[T, B, V]` logits
 * @param targets `[B]` labels, or `[T, B]` with -1 at the unlabelled steps
 * @param shape `{ T, B, Y: V, fromStep?, toStep?, reduction? }`
 */
export function manyToOneCrossEntropy(
  dy: Float32Array | null,
  y: Float32Array,
  targets: Int32Array | Float32Array,
  shape: LossShape,
): LossResult {
  const { T, B, Y: V, from, to, mean, backend } = resolveShape(shape, y, dy);
  if (targets instanceof Int32Array && targets.length === T * B && T > 1)
    return sequenceCrossEntropy(dy, y, targets, shape);
  const labels = checkIds(targets, B, `[B=${B}] (one label per row) or [T=${T}, B=${B}]`, V, 0, B);
  if (to === from) {
    if (dy !== null) dy.fill(0);
    return { loss: 0, sum: 0, count: 0 };
  }
  const last = to - 1; // the only scored step
  let count = 0;
  for (let b = 0; b < B; b++) if (labels[b] >= 0) count++;
  const scale = mean && count > 0 ? 1 / count : 1;
  const o = last * B * V;
  const sum = softmaxCrossEntropy(
    dy === null ? null : dy.subarray(o, o + B * V),
    y.subarray(o, o + B * V),
    labels,
    B,
    V,
    scale,
    backend,
  );
  if (dy !== null) {
    dy.fill(0, 0, o);
    dy.fill(0, o + B * V);
  }
  return { loss: mean ? (count > 0 ? sum / count : 0) : sum, sum, count };
}

/**
 * Mean squared error against real targets `[T, B, Y]` over the steps in `[fromStep, toStep)`:
 * `sum (y - t)^2`, divided by the counted elements for `'mean'` (PyTorch's `MSELoss`).
 *
 * @param dy `[T, B, Y]` written with `scale · 2 (y - t)`, or null
 * @param y `[T, B, Y]` outputs
 * @param targets `[T, B, Y]` targets
 * @param shape `{ T, B, Y, fromStep?, toStep?, reduction? }`
 */
export function sequenceMse(
  dy: Float32Array | null,
  y: Float32Array,
  targets: Int32Array | Float32Array,
  shape: LossShape,
): LossResult {
  const { T, B, Y, from, to, mean } = resolveShape(shape, y, dy);
  const n = T * B * Y;
  if (!(targets instanceof Float32Array) || targets.length !== n)
    throw shapeError('targets', `Float32Array of length ${n} ([T=${T}, B=${B}, Y=${Y}])`, describe(targets));
  const i0 = from * B * Y;
  const i1 = to * B * Y;
  const count = i1 - i0;
  const scale = mean && count > 0 ? 1 / count : 1;
  let sum = 0;
  for (let i = i0; i < i1; i++) {
    const d = y[i] - targets[i];
    sum += d * d;
    if (dy !== null) dy[i] = 2 * scale * d;
  }
  if (dy !== null) {
    dy.fill(0, 0, i0);
    dy.fill(0, i1, n);
  }
  return { loss: mean ? (count > 0 ? sum / count : 0) : sum, sum, count };
}

/**
 * The built-in loss of a name.
 * @param name `'crossEntropy'` (`sequenceCrossEntropy`), `'manyToOne'` (`manyToOneCrossEntropy`) or `'mse'` (`sequenceMse`)
 * @param path the option path for the error message
 * @throws EddyError `ERR_INVALID_ARG` for another name
 */
export function lossFor(name: LossName, path = 'name'): SequenceLoss {
  switch (checkOneOf(path, name, LOSS_NAMES)) {
    case 'crossEntropy':
      return sequenceCrossEntropy;
    case 'manyToOne':
      return manyToOneCrossEntropy;
    case 'mse':
      return sequenceMse;
  }
}
