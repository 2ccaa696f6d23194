/**
 * The incremental windower: steps pushed one at a time (a live stream) come out as truncated-BPTT windows with
 * the geometry of `windows.ts`. It is the core of the `tbpttWindows` operators (RxJS and IxJS); each
 * subscription or iteration owns one.
 *
 * ```
 * push(step) × k2  ──► window 0 (all new, reset)
 * push(step) × k1  ──► window 1 (k2 - k1 context steps + k1 new)
 * ...
 * flush()          ──► the partial last window, per options.partial ('drop' | 'pad' | 'keep')
 * ```
 * A window is emitted as soon as its last step arrives; it owns its buffers (copies), so consumers may keep it.
 * The windower keeps only the last k2 steps.
 */
import { shapeError, describe, invalidArg } from '../util/errors.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { resolveGeometry, type FullWindow, type WindowGeometry, type WindowGeometryOptions } from './windows.ts';

/** One step of B rows: its input and its target. */
export interface TbpttStep {
  /** `Float32Array [B, X]` features, `Int32Array [B]` ids, or one id when B = 1. */
  readonly x: Float32Array | Int32Array | number;
  /** `Int32Array [B]` class ids (negative = ignored), `Float32Array [B, Y]` real targets, or one id when B = 1. */
  readonly target: Int32Array | Float32Array | number;
}

/** Options for `TbpttWindower` and the `tbpttWindows` operators. */
export interface TbpttWindowsOptions extends WindowGeometryOptions {
  /** B: rows per step (parallel streams in lockstep). @default 1 */
  B?: number;
  /**
   * Where targets come from: `'given'` reads `TbpttStep`s; `'next'` reads bare ids (`number` or `Int32Array [B]`)
   * and makes each step's target the next step's input (a language model: N ids give N - 1 steps).
   * @default 'given'
   */
  targets?: 'given' | 'next';
  /**
   * Index of the first window emitted (the data cursor of a resumed stream). With `start > 0` the first window
   * does not reset the state (the trainer's carried state continues); with 0 it does.
   * Resuming a live stream with k1 < k2 is approximate: the trainer's carried state is k2 - k1 steps older
   * than the first new step; array sources (`charRnnBatches`) resume exactly.
   * @default 0
   */
  start?: number;
}

/** Resolved windower options. */
export interface ResolvedWindowsOptions extends WindowGeometry {
  readonly B: number;
  readonly targets: 'given' | 'next';
  readonly start: number;
}

/** Validates `TbpttWindowsOptions` (eagerly, at the operator's call). */
export function resolveWindowsOptions(options: TbpttWindowsOptions): ResolvedWindowsOptions {
  const o = checkObject('options', options);
  const g = resolveGeometry(options);
  const B = checkInt('options.B', o.B ?? 1, 1);
  const targets = checkOneOf('options.targets', o.targets ?? 'given', ['given', 'next'] as const);
  const start = checkInt('options.start', o.start ?? 0, 0);
  return { ...g, B, targets, start };
}

/** Cuts a stream of steps into windows, keeping only the last k2 steps. */
export class TbpttWindower {
  readonly options: ResolvedWindowsOptions;
  private xBuf: Float32Array | Int32Array | null = null; // [k2, B, X] or [k2, B]
  private tBuf: Float32Array | Int32Array | null = null; // [k2, B, Y] or [k2, B]
  private xRow = 0; // B·X
  private tRow = 0; // B·Y
  private filled = 0; // steps in the buffers
  private fresh = 0; // new steps since the last window
  private emitted = 0;
  private seqWindows = 0; // windows emitted in the current sequence (since the last flush)
  private resetNext: boolean; // the current sequence starts from the zero state
  private steps = 0; // steps pushed, for error messages
  private pending: Int32Array | null = null; // 'next' mode: the input waiting for its target

  constructor(options: TbpttWindowsOptions) {
    this.options = resolveWindowsOptions(options);
    this.resetNext = this.options.start === 0;
  }

  /** Index of the next window to be emitted. */
  get nextIndex(): number {
    return this.options.start + this.emitted;
  }

  /**
   * Adds one step (a `TbpttStep`, or with `targets: 'next'` a bare id / `Int32Array [B]`).
   * @returns the window this step completes, or null
   * @throws EddyError `ERR_SHAPE` / `ERR_INVALID_ARG` naming `step[n]` when a step does not match the first one
   */
  push(value: TbpttStep | Int32Array | number): FullWindow | null {
    if (this.options.targets === 'next') {
      const ids = this.ids(value as Int32Array | number, `step[${this.steps}]`);
      const prev = this.pending;
      this.pending = ids.slice();
      this.steps++;
      if (prev === null) return null;
      return this.add(prev, ids);
    }
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) {
      throw invalidArg(`step[${this.steps}]`, 'a step {x, target} (or options.targets = "next" for bare ids)', value);
    }
    const s = value as TbpttStep;
    const x = typeof s.x === 'number' ? this.ids(s.x, `step[${this.steps}].x`) : s.x;
    const target = typeof s.target === 'number' ? this.ids(s.target, `step[${this.steps}].target`) : s.target;
    this.steps++;
    return this.add(x, target);
  }

  /**
   * Ends the stream: the partial last window per `options.partial`, or null.
   * The windower can then start a new sequence: its next window has no context and `reset: true`.
   */
  flush(): FullWindow | null {
    const { k1, k2, partial, B } = this.options;
    const context = this.seqWindows === 0 ? 0 : k2 - k1;
    let w: FullWindow | null = null;
    if (this.fresh > 0 && partial !== 'drop' && this.xBuf !== null && this.tBuf !== null) {
      const steps = this.filled;
      const T = partial === 'pad' ? k2 : steps;
      const x = this.xBuf.slice(0, T * this.xRow);
      const targets = this.tBuf.slice(0, T * this.tRow);
      x.fill(0, steps * this.xRow);
      targets.fill(targets instanceof Int32Array ? -1 : 0, steps * this.tRow);
      w = {
        x,
        targets,
        T,
        B,
        context,
        padding: T - steps,
        carry: steps,
        reset: this.seqWindows === 0 && this.resetNext,
        index: this.nextIndex,
      };
      this.emitted++;
    }
    this.seqWindows = 0;
    this.resetNext = true;
    this.filled = 0;
    this.fresh = 0;
    this.pending = null;
    return w;
  }

  private ids(v: Int32Array | number, name: string): Int32Array {
    const { B } = this.options;
    if (typeof v === 'number') {
      if (B !== 1 || !Number.isInteger(v))
        throw invalidArg(name, B === 1 ? 'integer id' : `Int32Array [B=${B}] (a bare number needs options.B = 1)`, v);
      return Int32Array.of(v);
    }
    if (!(v instanceof Int32Array) || v.length !== B)
      throw shapeError(name, `Int32Array of length ${B} ([B=${B}])`, describe(v));
    return v;
  }

  private add(x: Float32Array | Int32Array, target: Float32Array | Int32Array): FullWindow | null {
    const { k1, k2, B } = this.options;
    const n = this.steps - 1;
    if (this.xBuf === null || this.tBuf === null) {
      if (!(x instanceof Float32Array || x instanceof Int32Array) || x.length === 0 || x.length % B !== 0) {
        throw shapeError(`step[${n}].x`, `Float32Array [B=${B}, X] or Int32Array [B=${B}]`, describe(x));
      }
      if (x instanceof Int32Array && x.length !== B)
        throw shapeError(`step[${n}].x`, `Int32Array of ids of length ${B} ([B=${B}])`, describe(x));
      if (
        !(target instanceof Float32Array || target instanceof Int32Array) ||
        target.length === 0 ||
        target.length % B !== 0
      ) {
        throw shapeError(`step[${n}].target`, `Int32Array [B=${B}] or Float32Array [B=${B}, Y]`, describe(target));
      }
      if (target instanceof Int32Array && target.length !== B)
        throw shapeError(`step[${n}].target`, `Int32Array of ids of length ${B} ([B=${B}])`, describe(target));
      this.xRow = x.length;
      this.tRow = target.length;
      this.xBuf = x instanceof Int32Array ? new Int32Array(k2 * B) : new Float32Array(k2 * x.length);
      this.tBuf = target instanceof Int32Array ? new Int32Array(k2 * B) : new Float32Array(k2 * target.length);
    }
    if (x.constructor !== this.xBuf.constructor || x.length !== this.xRow) {
      throw shapeError(
        `step[${n}].x`,
        `${this.xBuf.constructor.name} of length ${this.xRow} (like step 0)`,
        describe(x),
      );
    }
    if (target.constructor !== this.tBuf.constructor || target.length !== this.tRow) {
      throw shapeError(
        `step[${n}].target`,
        `${this.tBuf.constructor.name} of length ${this.tRow} (like step 0)`,
        describe(target),
      );
    }
    this.xBuf.set(x, this.filled * this.xRow);
    this.tBuf.set(target, this.filled * this.tRow);
    this.filled++;
    this.fresh++;
    if (this.filled < k2 || (this.seqWindows > 0 && this.fresh < k1)) return null;
    const first = this.seqWindows === 0; // nothing replayed: the sequence's first window
    const w: FullWindow = {
      x: this.xBuf.slice(),
      targets: this.tBuf.slice(),
      T: k2,
      B,
      context: first ? 0 : k2 - k1,
      padding: 0,
      carry: k1,
      reset: first && this.resetNext,
      index: this.nextIndex,
    };
    this.emitted++;
    this.seqWindows++;
    // keep the last k2 - k1 steps as the next window's context
    this.xBuf.copyWithin(0, k1 * this.xRow);
    this.tBuf.copyWithin(0, k1 * this.tRow);
    this.filled = k2 - k1;
    this.fresh = 0;
    return w;
  }
}
