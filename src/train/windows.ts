/**
 * Truncated-BPTT windows: the unit the `Trainer` updates on, and the geometry that cuts a stream of N steps
 * (B rows in lockstep) into them.
 *
 * Every k1 new steps, back-propagate through the last k2 steps (1 <= k1 <= k2; k1 = k2 is the usual case):
 * ```
 * steps        0 1 2 3 4 5 6 7 8 9 ...            k1 = 2, k2 = 4
 * window 0    [n n n n]                           all 4 steps new, starts from the zero state (reset)
 * window 1        [c c n n]                       2 context steps (replayed, loss not counted) + 2 new
 * window 2            [c c n n]                   starts from the state after window 1's first k1 steps
 * ```
 * 1. Window 0 covers `[0, k2)`, all new; window j >= 1 covers `[j·k1, j·k1 + k2)`: `context = k2 - k1`
 *    replayed steps, then k1 new ones. Every step's loss is counted exactly once.
 * 2. Window j starts from the state at step `j·k1`, which is the state after the first `carry = k1` steps of
 *    window j - 1: the trainer saves it and carries it forward; the gradient never crosses a window start.
 * 3. A partial last window (fewer than k1 new steps left, or fewer than k2 in all) is a named choice
 *    (`PartialWindow`): `'drop'` it (the default; every window has the same shape), `'pad'` it to k2 steps
 *    (zero inputs, targets -1 or 0, `padding` = the padded steps, whose losses do not count), or `'keep'` it
 *    shorter (`T = context + new steps`). Its `carry` is its last real step.
 *
 * A window's `index` is the data cursor: resume a run at window `index + 1` (see `charRnnBatches`'s `start`).
 */
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';

/** What to do with a last window that has fewer new steps than a full one. */
export type PartialWindow = 'drop' | 'pad' | 'keep';

/** The partial-window policies. */
export const PARTIAL_WINDOWS = ['drop', 'pad', 'keep'] as const;

/**
 * One truncated-BPTT window: T steps of B rows, time-major. Windows from eddy's windowers set every field;
 * hand-made windows may leave the optional ones to the trainer's defaults.
 */
export interface TbpttWindow {
  /** Inputs: `Float32Array [T, B, X]` features, or `Int32Array [T, B]` token ids. */
  readonly x: Float32Array | Int32Array;
  /** Targets: `Int32Array [T, B]` class ids (negative = ignored), `[B]` labels (many-to-one), or `Float32Array [T, B, Y]`. */
  readonly targets: Int32Array | Float32Array;
  /** T: steps in the window. */
  readonly T: number;
  /** B: rows (parallel streams). */
  readonly B: number;
  /** Leading steps replayed as context, whose losses do not count. @default 0 when `reset`, else k2 - k1 */
  readonly context?: number;
  /** Trailing padded steps, whose losses do not count. @default 0 */
  readonly padding?: number;
  /** The state carried to the next window is the one after this many steps. @default T - (k2 - k1), at least 0 */
  readonly carry?: number;
  /** Start from the zero state (the first window of a sequence or epoch). @default false */
  readonly reset?: boolean;
  /** This window's index in its stream: the data cursor. @default -1 (unknown) */
  readonly index?: number;
}

/** A window as eddy's windowers emit it: every field set. */
export type FullWindow = Required<TbpttWindow>;

/** A window of token ids with class-id targets (`charRnnBatches`): `x [T, B]`, `targets [T, B]`. */
export type IdWindow = FullWindow & { readonly x: Int32Array; readonly targets: Int32Array };

/** Window geometry options. */
export interface WindowGeometryOptions {
  /** k1: new steps per window (the stride). Required. */
  k1: number;
  /** k2: steps back-propagated through (the window length), >= k1. @default k1 */
  k2?: number;
  /** What to do with a partial last window. @default 'drop' */
  partial?: PartialWindow;
}

/** Resolved geometry. */
export interface WindowGeometry {
  readonly k1: number;
  readonly k2: number;
  readonly partial: PartialWindow;
}

/** Where one window lies in a stream of N steps. */
export interface WindowSpan {
  /** Index of the window (the data cursor). */
  readonly index: number;
  /** First stream step it covers. */
  readonly start: number;
  /** Steps it holds (including padding). */
  readonly T: number;
  /** Real stream steps it holds: `T - padding`. */
  readonly steps: number;
  readonly context: number;
  readonly padding: number;
  readonly carry: number;
  readonly reset: boolean;
}

/**
 * Validates window geometry options.
 * @param path the option path of the object, for messages (`options`)
 * @throws EddyError `ERR_INVALID_ARG` naming `options.k1`, `options.k2` or `options.partial`
 */
export function resolveGeometry(options: WindowGeometryOptions, path = 'options'): WindowGeometry {
  const o = checkObject(path, options);
  if (options === undefined) throw invalidArg(`${path}.k1`, 'integer >= 1', undefined);
  const k1 = checkInt(`${path}.k1`, o.k1, 1);
  const k2 = o.k2 === undefined ? k1 : checkInt(`${path}.k2`, o.k2, 1);
  if (k2 < k1) throw invalidArg(`${path}.k2`, `integer >= ${k1} (${path}.k1)`, k2);
  const partial = checkOneOf(`${path}.partial`, o.partial ?? 'drop', PARTIAL_WINDOWS);
  return { k1, k2, partial };
}

/** Number of full windows in a stream of N steps. */
function fullWindows(N: number, g: WindowGeometry): number {
  return N < g.k2 ? 0 : 1 + Math.floor((N - g.k2) / g.k1);
}

/**
 * The number of windows a stream of N steps (per row) yields.
 * @param N steps per row
 * @param geometry resolved with `resolveGeometry`
 */
export function countWindows(N: number, geometry: WindowGeometry): number {
  const J = fullWindows(N, geometry);
  const covered = J === 0 ? 0 : geometry.k2 + (J - 1) * geometry.k1;
  return J + (covered < N && geometry.partial !== 'drop' ? 1 : 0);
}

/**
 * Where window `index` of a stream of N steps lies (random access, for resuming at a cursor).
 * @returns the span, or null when the stream has no such window
 */
export function windowSpan(index: number, N: number, geometry: WindowGeometry): WindowSpan | null {
  const { k1, k2, partial } = geometry;
  const J = fullWindows(N, geometry);
  const context = index === 0 ? 0 : k2 - k1;
  if (index < J)
    return { index, start: index * k1, T: k2, steps: k2, context, padding: 0, carry: k1, reset: index === 0 };
  if (index > J || partial === 'drop') return null;
  const start = J * k1; // the next window's start: k1 after the last full one's, or 0
  const steps = N - start;
  if (steps <= context) return null; // no new step left
  const T = partial === 'pad' ? k2 : steps;
  return { index, start, T, steps, context, padding: T - steps, carry: steps, reset: index === 0 };
}
