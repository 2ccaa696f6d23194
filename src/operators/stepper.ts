/**
 * The `Stepper` core: one model and one carried state (one row, B = 1) for one stream. The step, many-to-one,
 * generation and seq2seq operators all run on it; each subscription (or iteration) builds its own, so two
 * subscribers never share a state.
 *
 * ```
 * x_t ──► step ──► y_t          state: h [L, 1, H] (+ c for an LSTM), updated in place
 *          ▲ │                  reset(): back to the initial state (zeros or options.initialState)
 *          └─┘ state            snapshot() / restore(): copies in and out
 * ```
 */
import { RNNModel } from '../model/rnnModel.ts';
import { outputWidth as widthOf } from '../model/modelConfig.ts';
import { cloneState, copyState, type RecurrentState, type SerializedState } from '../model/recurrentState.ts';
import { EddyError, invalidArg, shapeError } from '../util/errors.ts';
import { firstNonFinite, nonFiniteError } from '../util/finite.ts';

/** One time step of input: a feature vector `Float32Array [X]` (dense models), or a token id (a number or an `Int32Array` of one id). */
export type StepInput = Float32Array | Int32Array | number;

/** A state of one row, as live typed arrays or as `serializeState`'s JSON. */
export type StateLike = RecurrentState | SerializedState;

/** Asserts a model. */
export function checkModel(path: string, value: unknown): RNNModel {
  if (!(value instanceof RNNModel)) throw invalidArg(path, 'an RNNModel', value);
  return value;
}

/** Y: the width of one output row (the head's outputs, or the top layer's h without a head). */
export function outputWidth(model: RNNModel): number {
  return widthOf(model.config);
}

/**
 * Validates a one-row state (typed arrays or serialized arrays) for `model` and returns a fresh copy.
 * @throws EddyError ERR_INVALID_ARG / ERR_SHAPE naming `path`, `path.h` or `path.c`
 */
export function resolveState(model: RNNModel, value: unknown, path: string): RecurrentState {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidArg(path, 'a state {h, c?} (RecurrentState or serializeState output)', value);
  const n = model.config.numLayers * model.config.hiddenSize;
  const shape = `[L=${model.config.numLayers}, B=1, H=${model.config.hiddenSize}]`;
  const s = value as { h?: unknown; c?: unknown };
  const h = vector(s.h, n, `${path}.h`, shape);
  if (model.cell.hasCell) return { h, c: vector(s.c, n, `${path}.c`, `${shape}; an LSTM carries a cell state`) };
  if (s.c !== undefined) throw invalidArg(`${path}.c`, `undefined (a ${model.config.cell} carries no cell state)`, s.c);
  return { h };
}

function vector(v: unknown, n: number, path: string, shape: string): Float32Array {
  const isNumArray = Array.isArray(v) && v.every((e) => typeof e === 'number');
  if (!(v instanceof Float32Array) && !isNumArray)
    throw invalidArg(path, `a Float32Array or an array of finite numbers of length ${n} (${shape})`, v);
  const a = v as ArrayLike<number>;
  if (a.length !== n) throw shapeError(path, `of length ${n} (${shape})`, `length ${a.length}`);
  const bad = firstNonFinite(a);
  if (bad >= 0) throw nonFiniteError(path, `${path}[${bad}]`, a[bad]);
  return v instanceof Float32Array ? v.slice() : Float32Array.from(a); // slice: a memory copy (from iterates)
}

/** A model and one carried state for one stream. */
export class Stepper {
  readonly model: RNNModel;
  /** Y: the width of an output. */
  readonly width: number;
  #state: RecurrentState | null;
  #initial: RecurrentState | null;
  #out: Float32Array | null; // [Y] the latest output
  #id: Int32Array | null; // [1] a number input as ids [B=1]
  #steps = 0;
  #count = 0; // steps since the start (not reset), for messages

  /** @param initial the state to start from and to reset to (copied); null for zeros */
  constructor(model: RNNModel, initial: RecurrentState | null = null) {
    this.model = model;
    this.width = outputWidth(model);
    this.#state = model.createState(1);
    this.#initial = initial ? cloneState(initial) : null;
    if (this.#initial) copyState(this.#state, this.#initial);
    this.#out = new Float32Array(this.width);
    this.#id = new Int32Array(1);
  }

  /** The live state (updated in place by every step). */
  get state(): RecurrentState {
    if (this.#state === null) throw released();
    return this.#state;
  }

  /** The latest output `[Y]` (a live buffer, overwritten by the next step). */
  get output(): Float32Array {
    if (this.#out === null) throw released();
    return this.#out;
  }

  /** Steps since the start, the last reset or the last restore. */
  get steps(): number {
    return this.#steps;
  }

  /**
   * One step: `x` is a `Float32Array [X]` for a dense model, a token id (number or `Int32Array [1]`) otherwise.
   * @returns the output `[Y]`, a live buffer overwritten by the next step (copy it to keep it)
   * @throws EddyError ERR_SHAPE / ERR_INVALID_ARG for an input of the wrong kind, shape or range; ERR_NON_FINITE
   *   naming the step (counted from the start, resets included) and the index of a NaN or infinity
   */
  step(x: StepInput): Float32Array {
    const state = this.state;
    const out = this.#out as Float32Array;
    let input: Float32Array | Int32Array;
    if (typeof x === 'number') {
      const { input: kind, inputSize } = this.model.config;
      if (kind === 'dense')
        throw shapeError(
          'x',
          `Float32Array of length ${inputSize} (a dense model takes feature vectors [X=${inputSize}])`,
          `number ${x}`,
        );
      if (!Number.isInteger(x) || x < 0 || x >= inputSize)
        throw invalidArg('x', `token id (integer in [0, ${inputSize}))`, x);
      const ids = this.#id as Int32Array;
      ids[0] = x;
      input = ids;
    } else {
      input = x;
    }
    try {
      this.model.step(input, state, out); // checks a dense input for NaN and infinities (one pass)
    } catch (err) {
      throw this.#named(err, input);
    }
    this.#steps++;
    this.#count++;
    return out;
  }

  /** The model's non-finite input error, reworded with this stream's step number (the error path only). */
  #named(err: unknown, x: Float32Array | Int32Array): unknown {
    if (!(err instanceof EddyError) || err.code !== 'ERR_NON_FINITE') return err;
    const i = firstNonFinite(x);
    if (i < 0) return err;
    const e = nonFiniteError(`input at step ${this.#count}`, `x[${i}]`, x[i]);
    return new EddyError(e.code, e.message, { cause: err });
  }

  /** Back to the initial state. */
  reset(): void {
    const s = this.state;
    if (this.#initial) copyState(s, this.#initial);
    else {
      s.h.fill(0);
      s.c?.fill(0);
    }
    this.#steps = 0;
  }

  /** A copy of the live state. */
  snapshot(): RecurrentState {
    return cloneState(this.state);
  }

  /** Copies a state (typed arrays or `serializeState` JSON) into the live state. @throws EddyError naming `path` */
  restore(value: StateLike, path = 'state'): void {
    const s = this.state;
    copyState(s, resolveState(this.model, value, path));
    this.#steps = 0;
  }

  /** Drops every buffer; any later use throws. */
  release(): void {
    this.#state = null;
    this.#initial = null;
    this.#out = null;
    this.#id = null;
  }

  /** Whether `release` has run. */
  get released(): boolean {
    return this.#state === null;
  }
}

function released(): EddyError {
  return new EddyError('ERR_INVALID_ARG', 'The stepper was released (its subscription ended)');
}
