/**
 * The `Trainer` core: one truncated-BPTT update per window, carrying the hidden state from window to window.
 * The RxJS and IxJS training operators are thin adapters over it.
 *
 * `update(window)`:
 * 1. forward over the window's T steps from the carried state (the zero state when `window.reset`);
 * 2. the loss over the counted steps `[context, T - padding)` and its gradient `dy`;
 * 3. backward through the window only: no gradient crosses the window's start (truncated BPTT);
 * 4. checks (NaN / Inf in the inputs, the loss or any gradient throw `ERR_NON_FINITE` before anything is
 *    changed), clipping by value then by global norm, the learning rate of the schedule, one optimizer step;
 * 5. the state after the window's first `carry` steps becomes the carried state.
 *
 * With k1 = k2 = T, `carry = T`: the final state is carried. With k1 < k2 (every k1 new steps, BPTT over the
 * last k2), window j covers steps `[j·k1, j·k1 + k2)` and starts from the state saved k2 steps before its end:
 * the forward runs in two parts, `[0, k1)` (whose final state is saved for the next window) and `[k1, k2)`,
 * and the backward goes through both (the first part receives the second's initial-state gradient). Only the
 * last k1 steps' losses count (`context = k2 - k1`), except in window 0 where all k2 are new.
 *
 * An update is all or nothing: when it throws, the parameters, the optimizer, the carried state, the step
 * count and the RNG are as before it (the gradient buffer holds garbage).
 *
 * @example
 * const trainer = new Trainer(model, { optimizer: { name: 'adam', lr: 2e-3 }, k1: 64, clipNorm: 5 });
 * for (const w of charRnnBatches(ids, { B: 32, k1: 64 })) console.log(trainer.update(w).loss);
 */
import type { Backend } from '../tensor/backend.ts';
import { RNNModel } from '../model/rnnModel.ts';
import { outputWidth } from '../model/modelConfig.ts';
import type { RecurrentState } from '../model/recurrentState.ts';
import { WorkspaceCache } from '../model/workspaceCache.ts';
import { EddyError, invalidArg, shapeError, describe } from '../util/errors.ts';
import { Rng, type RngState } from '../util/rng.ts';
import { checkBool, checkInt, checkNumber, checkObject, checkOneOf } from '../util/validate.ts';
import { checkFinite, checkFiniteLoss } from './checkFinite.ts';
import { clipGradNorm, clipGradValue } from './clip.ts';
import { lossFor, type LossName, type Reduction, type SequenceLoss } from './losses.ts';
import { createOptimizer, type OptimizerOptions } from './createOptimizer.ts';
import type { Optimizer, OptimizerState } from './optimizer.ts';
import { createSchedule, type Schedule, type ScheduleOptions } from './schedule.ts';
import type { TbpttWindow } from './windows.ts';

/** Options for `new Trainer(model, options)`. */
export interface TrainerOptions {
  /** An optimizer, or the options of `createOptimizer` (`{ name: 'adam', lr: 1e-3 }`). Required. */
  optimizer: Optimizer | OptimizerOptions;
  /** k1: new steps per window. Required. */
  k1: number;
  /** k2: steps back-propagated through per window (the longest window accepted), >= k1. @default k1 */
  k2?: number;
  /** `'crossEntropy'`, `'manyToOne'`, `'mse'` or a `SequenceLoss` function. @default 'crossEntropy' */
  loss?: LossName | SequenceLoss;
  /** `'mean'` over the counted steps of a window, or `'sum'`. @default 'mean' */
  reduction?: Reduction;
  /** Clip the gradients to this global 2-norm (after `clipValue`). @default undefined (no clipping) */
  clipNorm?: number;
  /** Clamp every gradient to `[-clipValue, clipValue]`. @default undefined (no clamping) */
  clipValue?: number;
  /** A learning-rate schedule (or its options); sets `optimizer.lr` before each update. @default undefined (the optimizer's lr) */
  schedule?: Schedule | ScheduleOptions;
  /** Seed of the RNG that draws dropout masks. @default 0 */
  seed?: number;
  /** Throw `ERR_NON_FINITE` on a NaN / Inf input, target, loss or gradient. @default true */
  checkFinite?: boolean;
  /** The clock in ms that times each update (`elapsedMs`, `tokensPerSecond`; for tests). @default performance.now */
  now?: () => number;
}

/** What one update reports. */
export interface TrainEvent {
  /** 0-based index of this update: the number done before it (what `schedule.lrAt` receives). */
  readonly step: number;
  /** The window's reduced loss. */
  readonly loss: number;
  /** Global 2-norm of the gradient before clipping. */
  readonly gradNorm: number;
  /** The learning rate used. */
  readonly lr: number;
  /** New (counted) steps × rows consumed. */
  readonly tokens: number;
  readonly tokensPerSecond: number;
  /** Wall time of the update. */
  readonly elapsedMs: number;
  /** The window's index (the data cursor), or -1. */
  readonly index: number;
}

/** A trainer's checkpoint (with the model's parameters, saved separately, it resumes a run exactly). */
export interface TrainerState {
  /** Updates done. */
  step: number;
  /** The data cursor: the index of the window to train on next (last window's index + 1). */
  cursor: number;
  /** The carried hidden state `{h [L,B,H], c? [L,B,H]}`, or null (start from zeros). */
  carried: RecurrentState | null;
  optimizer: OptimizerState;
  rng: RngState;
}

/** What `evaluate` returns. */
export interface EvalResult {
  /** Mean loss per counted term over all windows (`'mean'`), or the total (`'sum'`). */
  readonly loss: number;
  readonly sum: number;
  readonly count: number;
  readonly tokens: number;
  readonly windows: number;
}

interface Resolved {
  x: Float32Array | Int32Array;
  targets: Int32Array | Float32Array;
  T: number;
  B: number;
  context: number;
  padding: number;
  carry: number;
  reset: boolean;
  index: number;
}

/** Truncated-BPTT training of an `RNNModel`, one window at a time. */
export class Trainer {
  readonly model: RNNModel;
  readonly optimizer: Optimizer;
  readonly k1: number;
  readonly k2: number;
  private readonly loss: SequenceLoss;
  private readonly reduction: Reduction;
  private readonly clipNorm: number | undefined;
  private readonly clipValue: number | undefined;
  private readonly schedule: Schedule | undefined;
  private readonly checks: boolean;
  private readonly now: () => number;
  private readonly rng: Rng;
  /** the workspaces of a window's first part (or all of it) and of its second part: grow-only, bounded */
  private readonly wsFirst: WorkspaceCache;
  private readonly wsSecond: WorkspaceCache;
  /** `[T, B, Y]` outputs of a split forward and the loss gradient, grown to the largest window seen */
  private yBuf = new Float32Array(0);
  private dyBuf = new Float32Array(0);
  private carried: RecurrentState | null = null;
  private evalCarried: RecurrentState | null = null;
  private steps = 0;
  private nextCursor = 0;

  /** @throws EddyError `ERR_INVALID_ARG` naming `model` or `options.<field>` */
  constructor(model: RNNModel, options: TrainerOptions) {
    if (!(model instanceof RNNModel)) throw invalidArg('model', 'an RNNModel', model);
    const o = checkObject('options', options);
    if (options === undefined) throw invalidArg('options', 'an options object', options);
    this.model = model;
    this.wsFirst = new WorkspaceCache(model.config, model.backend);
    this.wsSecond = new WorkspaceCache(model.config, model.backend);
    this.optimizer = resolveOptimizer(o.optimizer, model.backend);
    this.k1 = checkInt('options.k1', o.k1, 1);
    this.k2 = o.k2 === undefined ? this.k1 : checkInt('options.k2', o.k2, 1);
    if (this.k2 < this.k1) throw invalidArg('options.k2', `integer >= ${this.k1} (options.k1)`, this.k2);
    const loss = o.loss ?? 'crossEntropy';
    this.loss = typeof loss === 'function' ? loss : lossFor(loss, 'options.loss');
    this.reduction = checkOneOf('options.reduction', o.reduction ?? 'mean', ['mean', 'sum'] as const);
    this.clipNorm =
      o.clipNorm === undefined ? undefined : checkNumber('options.clipNorm', o.clipNorm, 0, Infinity, { min: true });
    this.clipValue =
      o.clipValue === undefined ? undefined : checkNumber('options.clipValue', o.clipValue, 0, Infinity, { min: true });
    this.schedule = resolveSchedule(o.schedule);
    this.rng = new Rng(checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff));
    this.checks = checkBool('options.checkFinite', o.checkFinite ?? true);
    if (o.now !== undefined && typeof o.now !== 'function')
      throw invalidArg('options.now', 'a function () => milliseconds', o.now);
    this.now = o.now ?? (() => performance.now());
  }

  /** Updates done. */
  get step(): number {
    return this.steps;
  }

  /** The data cursor: the index of the window to train on next. */
  get cursor(): number {
    return this.nextCursor;
  }

  /**
   * One truncated-BPTT update on a window (see the file comment).
   * @returns the update's event
   * @throws EddyError `ERR_NON_FINITE` naming the step and the tensor (`window.x`, `window.targets`, `loss`,
   *   `grads.<param>`), with nothing changed; `ERR_INVALID_ARG` / `ERR_SHAPE` naming `window.<field>`
   */
  update(window: TbpttWindow): TrainEvent {
    const t0 = this.now();
    const step = this.steps;
    const w = this.resolveWindow(window);
    if (this.checks) {
      if (w.x instanceof Float32Array) checkFinite('window.x', w.x, step);
      if (w.targets instanceof Float32Array) checkFinite('window.targets', w.targets, step);
    }
    const { model } = this;
    const rngState = this.rng.getState();
    try {
      const run = this.forward(w, this.startState(this.carried, w), true);
      const r = this.loss(run.dy, run.y, w.targets, {
        T: w.T,
        B: w.B,
        Y: run.Y,
        fromStep: w.context,
        toStep: w.T - w.padding,
        reduction: this.reduction,
        backend: model.backend,
      });
      if (this.checks) checkFiniteLoss(r.loss, step);
      model.zeroGrads();
      if (run.wsB === null) model.backward(run.wsA, run.dy);
      else {
        const split = w.carry * w.B * run.Y;
        const dMid = model.backward(run.wsB, run.dy.subarray(split));
        model.backward(run.wsA, run.dy.subarray(0, split), dMid);
      }
      const gradNorm = globalNorm(model.grads);
      if (this.checks && !Number.isFinite(gradNorm)) this.throwNonFiniteGrads(step);
      if (this.clipValue !== undefined) clipGradValue(model.grads, this.clipValue);
      if (this.clipNorm !== undefined) clipGradNorm(model.grads, this.clipNorm);
      const lr = this.schedule ? this.schedule.lrAt(step) : this.optimizer.lr;
      this.optimizer.lr = lr;
      this.optimizer.step(model.params, model.grads);
      // committed: nothing below can throw
      this.carried = run.carried;
      this.steps = step + 1;
      if (w.index >= 0) this.nextCursor = w.index + 1;
      const tokens = (w.T - w.context - w.padding) * w.B;
      const elapsedMs = this.now() - t0;
      return {
        step,
        loss: r.loss,
        gradNorm,
        lr,
        tokens,
        tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
        elapsedMs,
        index: w.index,
      };
    } catch (err) {
      this.rng.setState(rngState);
      throw err;
    }
  }

  /**
   * The loss over windows without updating anything, from a carried state of its own (separate from the
   * training state; `reset` windows zero it). No dropout.
   * @throws EddyError `ERR_INVALID_ARG` / `ERR_SHAPE` naming `windows[i].<field>`
   */
  evaluate(windows: Iterable<TbpttWindow>): EvalResult {
    if (
      windows === null ||
      typeof windows !== 'object' ||
      typeof (windows as Iterable<TbpttWindow>)[Symbol.iterator] !== 'function'
    ) {
      throw invalidArg('windows', 'an iterable of windows', windows);
    }
    let sum = 0,
      count = 0,
      tokens = 0,
      n = 0;
    for (const window of windows) {
      const w = this.resolveWindow(window, `windows[${n}]`);
      const run = this.forward(w, this.startState(this.evalCarried, w, `windows[${n}]`), false);
      const r = this.loss(null, run.y, w.targets, {
        T: w.T,
        B: w.B,
        Y: run.Y,
        fromStep: w.context,
        toStep: w.T - w.padding,
        reduction: 'sum',
        backend: this.model.backend,
      });
      this.evalCarried = run.carried;
      sum += r.sum;
      count += r.count;
      tokens += (w.T - w.context - w.padding) * w.B;
      n++;
    }
    const loss = this.reduction === 'sum' ? sum : count > 0 ? sum / count : 0;
    return { loss, sum, count, tokens, windows: n };
  }

  /** Forgets the carried training state: the next window starts from zeros. */
  resetState(): void {
    this.carried = null;
  }

  /** Forgets `evaluate`'s carried state. */
  resetEvalState(): void {
    this.evalCarried = null;
  }

  /** A copy of the trainer's state for a checkpoint (the model's parameters are saved with the model). */
  getState(): TrainerState {
    const c = this.carried;
    return {
      step: this.steps,
      cursor: this.nextCursor,
      carried: c === null ? null : c.c ? { h: c.h.slice(), c: c.c.slice() } : { h: c.h.slice() },
      optimizer: this.optimizer.getState(),
      rng: this.rng.getState(),
    };
  }

  /**
   * Restores a state from `getState()` (copied in): continuing then matches an uninterrupted run bit for bit.
   * @throws EddyError `ERR_INVALID_ARG` / `ERR_SHAPE` naming `state.<field>`; nothing changes on error
   */
  setState(state: TrainerState): void {
    if (state === null || typeof state !== 'object') throw invalidArg('state', 'a TrainerState object', state);
    const step = checkInt('state.step', state.step, 0);
    const cursor = checkInt('state.cursor', state.cursor, 0);
    const carried = state.carried === null ? null : this.checkCarried(state.carried);
    const rng = new Rng(1);
    rng.setState(state.rng); // validates before anything changes
    const saved = this.optimizer.getState();
    try {
      this.optimizer.setState(state.optimizer);
    } catch (err) {
      this.optimizer.setState(saved);
      throw err;
    }
    this.rng.setState(state.rng);
    this.steps = step;
    this.nextCursor = cursor;
    this.carried = carried;
  }

  private checkCarried(s: unknown): RecurrentState {
    const { numLayers: L, hiddenSize: H } = this.model.config;
    const lstm = this.model.cell.hasCell;
    if (s === null || typeof s !== 'object') throw invalidArg('state.carried', 'a state {h, c?} or null', s);
    const { h, c } = s as { h?: unknown; c?: unknown };
    if (!(h instanceof Float32Array) || h.length === 0 || h.length % (L * H) !== 0)
      throw shapeError('state.carried.h', `Float32Array [L=${L}, B, H=${H}]`, describe(h));
    if (lstm && (!(c instanceof Float32Array) || c.length !== h.length))
      throw shapeError(
        'state.carried.c',
        `Float32Array of length ${h.length} (an LSTM carries a cell state)`,
        describe(c),
      );
    return lstm ? { h: h.slice(), c: (c as Float32Array).slice() } : { h: h.slice() };
  }

  private resolveWindow(window: TbpttWindow, path = 'window'): Resolved {
    if (window === null || typeof window !== 'object')
      throw invalidArg(path, 'a window {x, targets, T, B, ...}', window);
    const { k1, k2 } = this;
    const T = checkInt(`${path}.T`, window.T, 1, k2);
    const B = checkInt(`${path}.B`, window.B, 1);
    const reset = checkBool(`${path}.reset`, window.reset ?? false);
    const context = checkInt(`${path}.context`, window.context ?? (reset ? 0 : Math.min(k2 - k1, T - 1)), 0, T - 1);
    const padding = checkInt(`${path}.padding`, window.padding ?? 0, 0, T - context - 1);
    const carry = checkInt(`${path}.carry`, window.carry ?? Math.max(0, T - (k2 - k1)), 0, T);
    const index = checkInt(`${path}.index`, window.index ?? -1, -1);
    const { input, inputSize } = this.model.config;
    const x = window.x;
    if (input === 'dense') {
      if (!(x instanceof Float32Array) || x.length !== T * B * inputSize)
        throw shapeError(
          `${path}.x`,
          `Float32Array of length ${T * B * inputSize} ([T=${T}, B=${B}, X=${inputSize}])`,
          describe(x),
        );
    } else if (!(x instanceof Int32Array) || x.length !== T * B) {
      throw shapeError(`${path}.x`, `Int32Array of token ids of length ${T * B} ([T=${T}, B=${B}])`, describe(x));
    }
    const targets = window.targets;
    if (!(targets instanceof Int32Array || targets instanceof Float32Array))
      throw shapeError(`${path}.targets`, 'Int32Array or Float32Array', describe(targets));
    return { x, targets, T, B, context, padding, carry, reset, index };
  }

  /** The state a window starts from: zeros on `reset` or when nothing is carried. */
  private startState(carried: RecurrentState | null, w: Resolved, path = 'window'): RecurrentState {
    if (w.reset || carried === null) return this.model.createState(w.B);
    const B = carried.h.length / (this.model.config.numLayers * this.model.config.hiddenSize);
    if (B !== w.B)
      throw shapeError(`${path}.B`, `${B} (the rows of the carried state; reset it to change B)`, String(w.B));
    return carried;
  }

  /** Forward over a window, split at `carry` when the carried state is not the final one. */
  private forward(w: Resolved, start: RecurrentState, training: boolean) {
    const { model } = this;
    const Y = outputWidth(model.config);
    const { T, B, carry: a } = w;
    const buf = this.buffer(T * B * Y);
    // the Trainer checks window.x itself (naming the window and step), or was told not to: no second pass
    const opts = { B, training, rng: this.rng, checkFinite: false };
    if (a === 0 || a === T) {
      const wsA = this.wsFirst.get(T, B);
      const f = model.forward(w.x, { ...opts, T, state: start, workspace: wsA });
      return { y: f.y, dy: buf.dy, Y, wsA, wsB: null, carried: a === T ? f.state : start };
    }
    const xRow = w.x.length / T;
    const wsA = this.wsFirst.get(a, B);
    const wsB = this.wsSecond.get(T - a, B);
    const fA = model.forward(w.x.subarray(0, a * xRow), { ...opts, T: a, state: start, workspace: wsA });
    const fB = model.forward(w.x.subarray(a * xRow), { ...opts, T: T - a, state: fA.state, workspace: wsB });
    buf.y.set(fA.y, 0); // [a, B, Y]
    buf.y.set(fB.y, a * B * Y); // [T - a, B, Y]
    return { y: buf.y, dy: buf.dy, Y, wsA, wsB, carried: fA.state };
  }

  private buffer(n: number): { y: Float32Array; dy: Float32Array } {
    if (this.dyBuf.length < n) {
      this.yBuf = new Float32Array(n); // [T, B, Y] of a split forward
      this.dyBuf = new Float32Array(n); // [T, B, Y]
    }
    return { y: this.yBuf.subarray(0, n), dy: this.dyBuf.subarray(0, n) };
  }

  private throwNonFiniteGrads(step: number): never {
    for (const e of this.model.layout.entries) checkFinite(`grads.${e.name}`, this.model.grad(e.name), step);
    throw new EddyError('ERR_NON_FINITE', `Non-finite gradient norm at step ${step}`);
  }
}

/** The global 2-norm, summed in float64 (NaN / Inf when any gradient is). */
function globalNorm(g: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

/** An optimizer, or one created from options (Adam and AdamW on the model's backend's update kernel, if it has one). */
function resolveOptimizer(o: unknown, backend: Backend): Optimizer {
  if (
    o !== null &&
    typeof o === 'object' &&
    typeof (o as Optimizer).step === 'function' &&
    typeof (o as Optimizer).getState === 'function'
  )
    return o as Optimizer;
  if (o === null || typeof o !== 'object')
    throw invalidArg('options.optimizer', 'an Optimizer or optimizer options ({ name, lr, ... })', o);
  try {
    const opts = o as OptimizerOptions;
    const onBackend =
      (opts.name === 'adam' || opts.name === 'adamw') && !('backend' in opts) && backend.adamUpdate
        ? { ...opts, backend }
        : opts;
    return createOptimizer(onBackend);
  } catch (err) {
    // re-root the optimizer's own option paths under options.optimizer
    if (err instanceof EddyError)
      throw new EddyError(err.code, err.message.replace(/ for options\b/, ' for options.optimizer'), { cause: err });
    throw err;
  }
}

function resolveSchedule(s: unknown): Schedule | undefined {
  if (s === undefined) return undefined;
  if (s !== null && typeof s === 'object' && typeof (s as Schedule).lrAt === 'function') return s as Schedule;
  if (s === null || typeof s !== 'object')
    throw invalidArg('options.schedule', 'a Schedule or schedule options ({ kind, lr, ... })', s);
  try {
    return createSchedule(s as ScheduleOptions);
  } catch (err) {
    if (err instanceof EddyError)
      throw new EddyError(err.code, err.message.replace(/ for options\b/, ' for options.schedule'), { cause: err });
    throw err;
  }
}
