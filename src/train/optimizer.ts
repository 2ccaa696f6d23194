/**
 * The optimizer contract shared by SGD, Adam, AdamW, Adagrad and RMSProp, and the small helpers every optimizer
 * uses for argument checks and checkpoint state (`createOptimizer.ts` picks one by name).
 *
 * Every optimizer works on one flat parameter buffer and one flat gradient buffer of the same length
 * (convention 3). Its buffers (moments, accumulators) are allocated on the first `step()`, sized to
 * `params.length`, and reused for every later step: the update loops allocate nothing.
 */
import { describe, invalidArg, shapeError } from '../util/errors.ts';
import { checkInt, checkNumber } from '../util/validate.ts';

/** The optimizers eddy implements, by name. */
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'] as const;

/** An optimizer over one flat parameter buffer. */
export interface Optimizer {
  readonly name: 'sgd' | 'adam' | 'adamw' | 'adagrad' | 'rmsprop';
  /** Current learning rate (a schedule may set it before each step). */
  lr: number;
  /** One update: params -= f(grads). Does not zero grads. */
  step(params: Float32Array, grads: Float32Array): void;
  /** Serializable state: plain JSON-able scalars + named Float32Array buffers (e.g. {m, v}), for checkpoints. */
  getState(): OptimizerState;
  setState(state: OptimizerState): void; // validates names/lengths, clear errors
}

/**
 * An optimizer's checkpoint: `step` is the number of updates done, `scalars.lr` the learning rate, and
 * `buffers` its named buffers, each `[P]` (empty before the first step). `getState` returns copies, and
 * `setState` copies in, so a state never aliases an optimizer's live buffers.
 */
export interface OptimizerState {
  name: string;
  step: number;
  scalars: Record<string, number>;
  buffers: Record<string, Float32Array>;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers shared by the optimizer files (not part of the public door).

/** Rejects option names an optimizer does not know, so a typo (`momentun`) is not silently ignored. */
export function checkOptionKeys(options: object, known: readonly string[], optimizer: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw invalidArg(
        `options.${key}`,
        `no such ${optimizer} option (known: ${known.join(', ')})`,
        (options as Record<string, unknown>)[key],
      );
    }
  }
}

/** Validates a learning rate set on a live optimizer (`opt.lr = x`, usually by a schedule). */
export function checkLr(value: unknown): number {
  return checkNumber('optimizer.lr', value, 0);
}

/**
 * Checks the arguments of `step()`: both Float32Arrays, `grads` as long as `params`, and `params` as long as
 * the optimizer's buffers once they exist (`size >= 0`).
 * @returns the parameter count P.
 */
export function checkStepArgs(params: unknown, grads: unknown, size: number): number {
  if (!(params instanceof Float32Array)) throw shapeError('params', 'a Float32Array', describe(params));
  if (size >= 0 && params.length !== size) {
    throw shapeError(
      'params',
      `of length ${size} ([P=${size}], the length of the optimizer's buffers)`,
      `length ${params.length}`,
    );
  }
  const n = params.length;
  if (!(grads instanceof Float32Array))
    throw shapeError('grads', `Float32Array of length ${n} ([P=${n}], same as params)`, describe(grads));
  if (grads.length !== n)
    throw shapeError('grads', `of length ${n} ([P=${n}], same as params)`, `length ${grads.length}`);
  return n;
}

/** Builds an `OptimizerState` holding copies of the given buffers (those that are `null` are left out). */
export function snapshotState(
  name: string,
  step: number,
  lr: number,
  buffers: Record<string, Float32Array | null>,
): OptimizerState {
  const out: Record<string, Float32Array> = {};
  for (const [key, buf] of Object.entries(buffers)) if (buf !== null) out[key] = buf.slice();
  return { name, step, scalars: { lr }, buffers: out };
}

/** A validated state, as `readState` returns it; `buffers` is `null` before the first step. */
export interface ReadState {
  step: number;
  lr: number | undefined;
  buffers: Record<string, Float32Array> | null;
}

/**
 * Validates a state for `setState`: the optimizer's name, a step count, and, after the first step, exactly
 * the buffers this configuration keeps, all Float32Arrays of one length. Returns the buffers as given (the
 * caller copies them).
 * @throws EddyError `ERR_INVALID_ARG` naming `state.<field>`, or `ERR_SHAPE` for buffers of unequal length.
 */
export function readState(state: unknown, name: string, bufferNames: readonly string[]): ReadState {
  if (state === null || typeof state !== 'object' || Array.isArray(state))
    throw invalidArg('state', 'an OptimizerState object', state);
  const s = state as Partial<OptimizerState>;
  if (s.name !== name) throw invalidArg('state.name', `${JSON.stringify(name)} (the optimizer's name)`, s.name);
  const step = checkInt('state.step', s.step, 0);
  const scalars = s.scalars === undefined ? {} : s.scalars;
  if (scalars === null || typeof scalars !== 'object' || Array.isArray(scalars))
    throw invalidArg('state.scalars', 'an object of numbers', scalars);
  const lr = scalars.lr === undefined ? undefined : checkNumber('state.scalars.lr', scalars.lr, 0);
  const buffers = s.buffers === undefined ? {} : s.buffers;
  if (buffers === null || typeof buffers !== 'object' || Array.isArray(buffers))
    throw invalidArg('state.buffers', 'an object of Float32Arrays', buffers);
  const keys = Object.keys(buffers);
  // Before the first step an optimizer has no buffers; afterwards it has all of them.
  const expected = step === 0 ? [] : bufferNames;
  const list = expected.length === 0 ? 'none' : expected.join(', ');
  for (const key of keys) {
    if (!expected.includes(key))
      throw invalidArg(`state.buffers.${key}`, `no such buffer (${name} at step ${step} keeps: ${list})`, buffers[key]);
  }
  if (expected.length === 0) return { step, lr, buffers: null };
  let size = -1;
  for (const key of expected) {
    const buf = buffers[key];
    if (!(buf instanceof Float32Array))
      throw invalidArg(`state.buffers.${key}`, `Float32Array (${name} at step ${step} keeps: ${list})`, buf);
    if (size < 0) size = buf.length;
    else if (buf.length !== size)
      throw shapeError(
        `state.buffers.${key}`,
        `of length ${size} ([P=${size}], like state.buffers.${expected[0]})`,
        `length ${buf.length}`,
      );
  }
  return { step, lr, buffers };
}

/** Copies `src` into `dst` when the lengths agree (no allocation), else returns a fresh copy. */
export function copyInto(dst: Float32Array | null, src: Float32Array): Float32Array {
  if (dst !== null && dst.length === src.length) {
    dst.set(src);
    return dst;
  }
  return src.slice();
}
