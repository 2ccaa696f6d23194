/**
 * A stacked recurrent model over one flat parameter buffer and one flat gradient buffer:
 * input encoding (dense, one-hot or embedding) -> L layers of RNN / LSTM / GRU -> optional linear head.
 *
 * - `forward(x, { T, B, state })` runs a window `[T, B, X]` and returns per-step outputs and the final state.
 * - `backward(ws, dy)` is BPTT over that window: gradients for every parameter (accumulated into `grads`)
 *   and for the initial state.
 * - `step(x, state, out)` is one streaming step for B rows that updates `state` in place and allocates nothing.
 *
 * @example
 * const model = RNNModel.create({ cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 128, outputSize: 65 }, { seed: 1 });
 * const { y, state } = model.forward(ids, { T: 64, B: 32 });   // y: [64, 32, 65] logits
 */
import type { Backend, LowpWeights, StreamPlan } from '../tensor/backend.ts';
import { jsBackend } from '../tensor/jsBackend.ts';
import type { CellKernel } from '../cells/cellKernel.ts';
import { cellFor } from '../cells/cellFor.ts';
import { backendCell } from '../cells/backendCell.ts';
import { addBiasRows, gatherColumns } from '../tensor/rowOps.ts';
import { Rng } from '../util/rng.ts';
import { EddyError, disposedError, invalidArg, shapeError, describeKind } from '../util/errors.ts';
import { checkBool, checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { outputWidth, resolveConfig, type ModelConfig, type ModelOptions } from './modelConfig.ts';
import { namedView, paramLayout, type ParamLayout } from './paramLayout.ts';
import { createWorkspace, type Workspace } from './workspace.ts';
import { WorkspaceCache } from './workspaceCache.ts';
import { allocFloats } from '../util/alloc.ts';
import { firstNonFinite, nonFiniteError } from '../util/finite.ts';
import type { RecurrentState } from './recurrentState.ts';
import { windowForward, type ModelCore } from './windowForward.ts';
import { windowBackward } from './windowBackward.ts';
import { allocParams, ownsParams } from './ownedParams.ts';
import { releaseModelBuffers } from '../tensor/releaseBuffers.ts';
import { releaseLowp } from '../tensor/lowPrecision.ts';
import type { WeightPrecision } from '../tensor/backend.ts';
import { quantizeModelWeights, weightProduct, type LowpTable } from './lowPrecisionWeights.ts';

/** Options for `RNNModel.create`. */
export interface CreateOptions {
  /** Seed of the initialisation (PyTorch's scheme: U(-1/√H, 1/√H) for the cells, N(0,1) for embeddings). @default 0 */
  seed?: number;
  /** Kernels to compute with. @default jsBackend */
  backend?: Backend;
}

/** Options for one window forward. */
export interface ForwardOptions {
  /** T: steps in the window. Required. */
  T: number;
  /** B: rows (sequences) in the batch. Required. */
  B: number;
  /** Initial state `{h [L,B,H], c? [L,B,H]}`. @default zeros */
  state?: RecurrentState;
  /** Apply dropout (needs `rng`). @default false */
  training?: boolean;
  /** Random source for dropout masks. @default undefined */
  rng?: Rng;
  /**
   * `[T, B, E]` the embedding dropout's mask to use instead of drawing one (0 or `1/(1-p)` per value), in training
   * with `embeddingDropout` only: how `BidirectionalClassifier` gives both directions the same dropped embeddings.
   * @default undefined (drawn from `rng`)
   */
  embeddingMask?: Float32Array;
  /**
   * Refuse NaN and infinities in a dense `x` and in `options.state` (one pass over each, `ERR_NON_FINITE`); false
   * skips the pass (for a caller that checked already, as the Trainer does with its own messages).
   * @default true
   */
  checkFinite?: boolean;
  /**
   * Reuse this workspace (from `createWorkspace(T, B)`) instead of the model's cached one. The cached one is a
   * single buffer shared by every shape (memory stays bounded by the largest): a forward of another shape reuses
   * it, after which `backward` on the older result is refused. Pass your own to keep several windows alive.
   * @default the model's
   */
  workspace?: Workspace;
}

/** What a window forward returns. */
export interface ForwardResult {
  /**
   * `[T, B, Y]` outputs (logits of the head, or the top layer's h without a head). Valid until the workspace is
   * reused (the model's cached one: by the next forward without `options.workspace`).
   */
  readonly y: Float32Array;
  /** The final state (a new object). */
  readonly state: RecurrentState;
  /** The workspace holding the caches `backward` needs. */
  readonly workspace: Workspace;
}

/** A stacked RNN / LSTM / GRU with an input encoding and a linear head. */
export class RNNModel implements ModelCore {
  readonly config: ModelConfig;
  readonly layout: ParamLayout;
  /** The cell's step kernel: the backend's fused one where it has one (`backendCell`), else the TypeScript cell. */
  readonly cell: CellKernel;
  readonly backend: Backend;
  /** All parameters, laid out by `layout`. */
  readonly params: Float32Array;
  /** All gradients, same layout; `backward` accumulates here, `zeroGrads` clears. */
  readonly grads: Float32Array;
  #lowp: LowpTable | null = null;
  #precision: WeightPrecision = 'f32';
  #disposed = false;
  /** forward's workspaces when the caller passes none, and step's scratch: one grow-only buffer each */
  private readonly workspaces: WorkspaceCache;
  private readonly stepScratch: WorkspaceCache;

  /** Wraps existing buffers (see `RNNModel.create` for a fresh model). */
  constructor(config: ModelConfig, params: Float32Array, backend: Backend = jsBackend) {
    this.config = config;
    this.layout = paramLayout(config);
    this.cell = backendCell(cellFor(config.cell), backend);
    this.backend = backend;
    if (!isFloatArray(params) || params.length !== this.layout.total) {
      throw shapeError(
        'params',
        `Float32Array of length ${this.layout.total}`,
        isFloatArray(params) ? `length ${params.length}` : describeKind(params),
      );
    }
    this.params = params;
    this.grads = backend.alloc(this.layout.total);
    this.workspaces = new WorkspaceCache(config, backend);
    const { outputDropout: _noOutputDropout, embeddingDropout: _noEmbeddingDropout, ...noDropout } = config; // a step never drops
    this.stepScratch = new WorkspaceCache({ ...noDropout, dropout: 0 }, backend);
  }

  /** A new model with PyTorch's default initialisation. @throws EddyError ERR_INVALID_ARG naming the option */
  static create(options: ModelOptions, createOptions: CreateOptions = {}): RNNModel {
    const config = resolveConfig(options);
    checkObject('createOptions', createOptions);
    const seed = checkInt('createOptions.seed', createOptions.seed ?? 0, 0, 0xffffffff);
    const backend = createOptions.backend ?? jsBackend;
    const layout = paramLayout(config);
    const params = allocParams(backend, layout.total);
    const rng = new Rng(seed);
    for (const e of layout.entries) {
      if (e.name === 'embedding.weight') for (let i = 0; i < e.size; i++) params[e.offset + i] = rng.normal();
      else {
        const fanIn = e.name.startsWith('head.') ? config.hiddenSize : config.hiddenSize;
        const k = 1 / Math.sqrt(fanIn);
        for (let i = 0; i < e.size; i++) params[e.offset + i] = rng.uniform(-k, k);
      }
    }
    return new RNNModel(config, params, backend);
  }

  /** Number of parameters. */
  get numParams(): number {
    return this.layout.total;
  }

  /** A view of one named parameter (PyTorch state_dict name). @throws EddyError if there is no such name */
  param(name: string): Float32Array {
    this.live('param');
    return namedView(this.layout.entries, this.params, name);
  }

  /** A view of one named gradient. */
  grad(name: string): Float32Array {
    this.live('grad');
    return namedView(this.layout.entries, this.grads, name);
  }

  /** Packed lower-precision weights for streaming steps (`quantizeWeights`), or null for float32. */
  get lowp(): LowpTable | null {
    return this.#lowp;
  }

  /** How the weights are stored for streaming steps: `'f32'`, or `'bf16'` / `'int8'` after `quantizeWeights`. */
  get weightPrecision(): WeightPrecision {
    return this.#precision;
  }

  /**
   * Lower-precision weights for streaming inference: rounds every weight matrix (`W_ih`, `W_hh` of each layer and
   * the head's weight; not biases or embeddings) in place to bf16 (8 bits of mantissa, relative error <= 2^-8) or
   * int8 (a scale per row, `max |w| / 127`), and packs them so that steps read half or a quarter of the bytes on a
   * backend with `gemmNTLowp` (native; per-row products: for streaming's few rows, not large keyed batches). Every other path (forward, training, saving) uses the
   * rounded float32 values, so a saved file holds the weights the model runs with (PyTorch loads it as usual).
   * Once per model: a second call, or one with another precision, is refused.
   * @throws EddyError ERR_INVALID_ARG naming `kind`, or when the weights were already converted
   */
  quantizeWeights(kind: 'bf16' | 'int8'): void {
    this.live('quantizeWeights');
    checkOneOf('kind', kind, ['bf16', 'int8'] as const);
    if (this.#precision !== 'f32')
      throw new EddyError('ERR_INVALID_ARG', `quantizeWeights: the weights are already ${this.#precision}`);
    if (!(this.params instanceof Float32Array))
      throw new EddyError(
        'ERR_INVALID_ARG',
        'quantizeWeights: needs float32 parameters (not the float64 check backend)',
      );
    this.#lowp = quantizeModelWeights(this.config, this.layout, this.cell.gates, this.params, this.backend, kind);
    this.#precision = kind;
  }

  /**
   * Bytes of backend memory the model holds for callers that pass no workspace: `forward`'s cached workspace and
   * `step`'s scratch, each one buffer sized to the largest shape seen (see `WorkspaceCache`).
   */
  get workspaceBytes(): number {
    return this.workspaces.bytes + this.stepScratch.bytes;
  }

  /** Whether `dispose` was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Gives the model's memory back to its backend (a wasm or native backend's memory is otherwise never returned,
   * so a server that loads a model per request must dispose each): the gradients, the cached workspaces and step
   * scratch, the packed low-precision weights, and the parameters when eddy allocated them (`create`, `loadModel`
   * and the other loaders; a buffer passed to the constructor stays the caller's). Afterwards `params` and `grads`
   * are empty and every method that computes refuses; a second call does nothing. On the js backend there is
   * nothing to give back (the garbage collector frees it), and the model is marked disposed all the same.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.workspaces.release();
    this.stepScratch.release();
    if (this.#lowp !== null) for (const w of this.#lowp.values()) releaseLowp(this.backend, w);
    this.#lowp = null;
    releaseModelBuffers(this.backend, this, ownsParams(this.params));
  }

  /** @throws EddyError ERR_INVALID_ARG naming the method once the model is disposed */
  private live(method: string): void {
    if (this.#disposed) throw disposedError(`RNNModel.${method}`, 'model', 'load or create it again');
  }

  /** Zeroes the gradient buffer. */
  zeroGrads(): void {
    this.grads.fill(0);
  }

  /** A zero state for B rows: `h [L, B, H]` and, for an LSTM, `c [L, B, H]`. */
  createState(B: number): RecurrentState {
    checkInt('B', B, 1);
    const n = this.config.numLayers * B * this.config.hiddenSize;
    // caller-owned: plain arrays of the parameters' element type (not backend memory, which is never freed)
    const make = (): Float32Array => allocFloats(`a state for B=${B}`, n, (k) => this.newArray(k));
    return this.cell.hasCell ? { h: make(), c: make() } : { h: make() };
  }

  /** A zeroed caller-owned array of the parameters' element type (Float64Array on the float64 check backend). */
  private newArray(n: number): Float32Array {
    return new (this.params.constructor as Float32ArrayConstructor)(n);
  }

  /**
   * A workspace for windows of T steps over B rows (to hold several windows' caches at once).
   * @throws EddyError ERR_INVALID_ARG naming the bytes when it is too large to allocate
   */
  createWorkspace(T: number, B: number): Workspace {
    this.live('createWorkspace');
    checkInt('T', T, 1);
    checkInt('B', B, 1);
    return createWorkspace(this.config, this.backend, T, B);
  }

  /**
   * Forward over a window. `x` is `Float32Array [T, B, X]` for dense input, `Int32Array [T, B]` of ids otherwise.
   * @throws EddyError ERR_SHAPE naming `x` or `options.state.h` with the expected and received shapes;
   *   ERR_NON_FINITE for a NaN or infinity in a dense `x` (naming the index, step, row and feature) or in
   *   `options.state`
   */
  forward(x: Float32Array | Int32Array, options: ForwardOptions): ForwardResult {
    this.live('forward');
    const o = checkObject('options', options);
    const T = checkInt('options.T', o.T, 1);
    const B = checkInt('options.B', o.B, 1);
    const training = checkBool('options.training', o.training ?? false);
    const c = this.config;
    const embeddingMask = o.embeddingMask;
    if (embeddingMask !== undefined) {
      if (!training || !((c.embeddingDropout ?? 0) > 0))
        throw invalidArg(
          'options.embeddingMask',
          'undefined unless training a model with embeddingDropout',
          describeKind(embeddingMask),
        );
      if (!isFloatArray(embeddingMask) || embeddingMask.length !== T * B * c.embeddingSize)
        throw shapeError(
          'options.embeddingMask',
          `Float32Array of length ${T * B * c.embeddingSize} ([T=${T}, B=${B}, E=${c.embeddingSize}])`,
          describeKind(embeddingMask),
        );
      const bad = firstNonFinite(embeddingMask);
      if (bad >= 0) throw nonFiniteError('options.embeddingMask', `embeddingMask[${bad}]`, embeddingMask[bad]);
    }
    const drops =
      c.dropout > 0 || (c.outputDropout ?? 0) > 0 || ((c.embeddingDropout ?? 0) > 0 && embeddingMask === undefined);
    if (training && drops && !(o.rng instanceof Rng)) {
      throw invalidArg('options.rng', 'an Rng (training with dropout draws masks from it)', o.rng);
    }
    const finite = checkBool('options.checkFinite', o.checkFinite ?? true);
    this.checkInput('x', x, T * B, `[T=${T}, B=${B}]`);
    if (finite) this.checkFiniteInput(x, B, true);
    const state0 = o.state ?? this.createState(B);
    this.checkState('options.state', state0, B);
    if (finite && o.state) this.checkFiniteState('options.state', state0);
    let ws = o.workspace;
    if (ws) {
      if (ws.T !== T || ws.B !== B) throw shapeError('options.workspace', `for T=${T}, B=${B}`, `T=${ws.T}, B=${ws.B}`);
    } else ws = this.workspaces.get(T, B);
    const state = this.createState(B);
    windowForward(this, ws, x, state0, state, training, o.rng ?? null, embeddingMask ?? null);
    return { y: ws.y, state, workspace: ws };
  }

  /**
   * BPTT over the window last run in `ws`. Accumulates parameter gradients into `grads`.
   * @param dy `[T, B, Y]` gradient of the loss with respect to `y`
   * @param dFinal gradient reaching the final state (full BPTT across windows); omit to cut it (truncated BPTT)
   * @param dx a dense-input model only: receives (overwritten) the gradient with respect to the window's `x`
   *   `[T, B, X]`, to carry the gradient into whatever produced `x` (the layer below of a stacked bidirectional
   *   classifier); omit it and none is computed
   * @returns the gradient of the initial state
   * @throws EddyError ERR_SHAPE naming `dy` or `dx`; ERR_INVALID_ARG for `dx` on a model whose input is ids
   */
  backward(ws: Workspace, dy: Float32Array, dFinal?: RecurrentState, dx?: Float32Array): RecurrentState {
    this.live('backward');
    const Y = outputWidth(this.config);
    if (ws.last.x === null)
      throw new EddyError(
        'ERR_INVALID_ARG',
        'backward: the workspace holds no forward pass: call forward first (the model keeps one cached workspace, ' +
          'reused by a forward of any other shape; pass options.workspace from model.createWorkspace(T, B) to keep several)',
      );
    if (!isFloatArray(dy) || dy.length !== ws.T * ws.B * Y) {
      throw shapeError(
        'dy',
        `Float32Array of length ${ws.T * ws.B * Y} ([T=${ws.T}, B=${ws.B}, Y=${Y}])`,
        isFloatArray(dy) ? `length ${dy.length}` : describeKind(dy),
      );
    }
    if (dFinal) {
      this.checkState('dFinal', dFinal, ws.B);
      this.checkFiniteState('dFinal', dFinal);
    }
    if (dx !== undefined) {
      const { input, inputSize: X } = this.config;
      if (input !== 'dense')
        throw invalidArg('dx', `undefined unless the model's input is "dense" (it is "${input}")`, describeKind(dx));
      if (!isFloatArray(dx) || dx.length !== ws.T * ws.B * X)
        throw shapeError(
          'dx',
          `Float32Array of length ${ws.T * ws.B * X} ([T=${ws.T}, B=${ws.B}, X=${X}])`,
          isFloatArray(dx) ? `length ${dx.length}` : describeKind(dx),
        );
    }
    const dState0 = this.createState(ws.B);
    windowBackward(this, ws, dy, dFinal ?? null, dState0, dx ?? null);
    return dState0;
  }

  /**
   * One streaming step for B rows: `x` `[B, X]` (or ids `[B]`), `state` updated in place, outputs written to
   * `out` `[B, Y]` and returned. Allocates nothing while B stays the same (the scratch is one grow-only buffer sized
   * to the largest B seen; another B costs a few small view objects, none for the 8 most recent).
   * A dense `x` is checked for NaN and infinities (one pass over `[B, X]`; ids are range-checked); the state is not:
   * it is checked where it enters (`forward`'s `options.state`, the operators' initial and restored states).
   * @throws EddyError ERR_NON_FINITE naming the index, row and feature of a non-finite input, with `state` untouched
   */
  step(x: Float32Array | Int32Array, state: RecurrentState, out?: Float32Array): Float32Array {
    this.live('step');
    if (state === null || typeof state !== 'object' || !isFloatArray(state.h))
      throw shapeError('state', 'a state {h, c?} of Float32Arrays', describeKind(state));
    const B = state.h.length / (this.config.numLayers * this.config.hiddenSize);
    if (!Number.isInteger(B) || B < 1)
      throw shapeError(
        'state.h',
        `of length L·B·H = ${this.config.numLayers}·B·${this.config.hiddenSize}`,
        `length ${state.h.length}`,
      );
    this.checkInput('x', x, B, `[B=${B}]`);
    this.checkFiniteInput(x, B, false);
    this.checkState('state', state, B);
    const Y = outputWidth(this.config);
    const y = out ?? this.newArray(B * Y);
    if (!isFloatArray(y) || y.length !== B * Y)
      throw shapeError('out', `Float32Array of length ${B * Y} ([B=${B}, Y=${Y}])`, `length ${y.length}`);
    stepForward(this, this.stepScratch.get(1, B), x, state, y);
    return y;
  }

  private checkInput(name: string, x: unknown, rows: number, shape: string): void {
    const { input, inputSize } = this.config;
    if (input === 'dense') {
      // Float64Array rows only on the float64 check backend (whose parameters are Float64Array)
      const floats = x instanceof Float32Array || (x instanceof Float64Array && this.params instanceof Float64Array);
      if (!floats || x.length !== rows * inputSize) {
        const got = x instanceof Float32Array ? `length ${x.length}` : describeKind(x);
        throw shapeError(
          name,
          `Float32Array of length ${rows * inputSize} (${shape.slice(0, -1)}, X=${inputSize}])`,
          got,
        );
      }
      return;
    }
    if (!(x instanceof Int32Array) || x.length !== rows) {
      throw shapeError(
        name,
        `Int32Array of token ids of length ${rows} (${shape})`,
        x instanceof Int32Array ? `length ${x.length}` : describeKind(x),
      );
    }
    for (let i = 0; i < rows; i++) {
      const id = x[i];
      if (id < 0 || id >= inputSize) throw invalidArg(`${name}[${i}]`, `token id in [0, ${inputSize})`, id);
    }
  }

  /**
   * The door check of dense inputs (ids are range-checked by `checkInput`): one pass, nothing allocated.
   * @throws EddyError ERR_NON_FINITE naming the index, and the step (windows), row and feature
   */
  private checkFiniteInput(x: Float32Array | Int32Array, B: number, windowed: boolean): void {
    if (this.config.input !== 'dense') return;
    const i = firstNonFinite(x);
    if (i < 0) return;
    const X = this.config.inputSize;
    const r = Math.floor(i / X);
    const where = windowed ? `step ${Math.floor(r / B)}, row ${r % B}` : `row ${r}`;
    throw nonFiniteError('input x', `x[${i}]`, x[i], `(${where}, feature ${i % X})`);
  }

  /** States that enter from outside (a window's initial state, a gradient) must be finite. */
  private checkFiniteState(name: string, s: RecurrentState): void {
    for (const [part, a] of [
      ['h', s.h],
      ['c', s.c],
    ] as const) {
      if (a === undefined) continue;
      const i = firstNonFinite(a);
      if (i >= 0) throw nonFiniteError(name, `${name}.${part}[${i}]`, a[i]);
    }
  }

  private checkState(name: string, s: RecurrentState, B: number): void {
    const n = this.config.numLayers * B * this.config.hiddenSize;
    const shape = `[L=${this.config.numLayers}, B=${B}, H=${this.config.hiddenSize}]`;
    if (s === null || typeof s !== 'object')
      throw shapeError(name, `a state {h${this.cell.hasCell ? ', c' : ''}}`, describeKind(s));
    if (!isFloatArray(s.h) || s.h.length !== n)
      throw shapeError(
        `${name}.h`,
        `Float32Array of length ${n} (${shape})`,
        isFloatArray(s.h) ? `length ${s.h.length}` : describeKind(s.h),
      );
    if (this.cell.hasCell && (!isFloatArray(s.c) || s.c.length !== n)) {
      throw shapeError(
        `${name}.c`,
        `Float32Array of length ${n} (${shape}; an LSTM carries a cell state)`,
        isFloatArray(s.c) ? `length ${s.c.length}` : describeKind(s.c),
      );
    }
  }
}

/** Float32Array, or the Float64Array buffers of the float64 check backend. */
function isFloatArray(v: unknown): v is Float32Array {
  return v instanceof Float32Array || v instanceof Float64Array;
}

/**
 * One step for B rows in place, through the layers and the head. Its multiplies are `gemmNTRows`: each row's
 * results have the bits of stepping that row alone, whatever B (keyedRecurrent's micro-batches rely on it).
 */
function stepForward(
  m: RNNModel,
  ws: Workspace,
  x: Float32Array | Int32Array,
  state: RecurrentState,
  y: Float32Array,
): void {
  const { config, layout, cell, backend: be, params: P } = m;
  const B = ws.B;
  const H = config.hiddenSize;
  const GH = cell.gates * H;
  const L = config.numLayers;
  if (B === 1 && be.streamStep) {
    // one row: the backend's fused step (one call for the layers and the head), same bits
    let input = x;
    if (config.input === 'embedding') {
      const E = config.embeddingSize;
      const e = layout.embedding + (x as Int32Array)[0] * E;
      for (let k = 0; k < E; k++) ws.emb[k] = P[e + k];
      input = ws.emb;
    }
    if (be.streamStep(streamPlan(m), P, input, state.h, state.c, y)) {
      if (config.outputSize === 0) y.set(state.h.subarray((L - 1) * H, L * H));
      return;
    }
  }
  const c = state.c ?? ws.layers[0].cseq; // unused by non-LSTM cells
  for (let l = 0; l < L; l++) {
    const lo = layout.layers[l];
    const lc = ws.layers[l];
    if (l === 0 && config.input === 'onehot') {
      gatherColumns(be, lc.gx, 0, P, lo.wih, P, lo.bih, x as Int32Array, 0, B, GH, config.inputSize);
    } else {
      let inp: Float32Array;
      let inOff = 0;
      if (l === 0 && config.input === 'embedding') {
        const E = config.embeddingSize;
        for (let b = 0; b < B; b++) {
          const e = layout.embedding + (x as Int32Array)[b] * E;
          for (let k = 0; k < E; k++) ws.emb[b * E + k] = P[e + k];
        }
        inp = ws.emb;
      } else if (l === 0) inp = x as Float32Array;
      else {
        inp = state.h;
        inOff = (l - 1) * B * H;
      }
      weightProduct(be, m.lowp, P, B, GH, lo.inputWidth, inp, inOff, lo.wih, lc.gx);
      addBiasRows(be, lc.gx, 0, P, lo.bih, B, GH);
    }
    const off = l * B * H;
    weightProduct(be, m.lowp, P, B, GH, H, state.h, off, lo.whh, ws.gh);
    cell.forward(state.h, off, c, off, lc.act, 0, lc.aux, 0, lc.gx, 0, ws.gh, 0, state.h, off, c, off, P, lo.bhh, B, H);
  }
  if (config.outputSize > 0) {
    const Y = config.outputSize;
    weightProduct(be, m.lowp, P, B, Y, H, state.h, (L - 1) * B * H, layout.headWeight, y);
    addBiasRows(be, y, 0, P, layout.headBias, B, Y);
  } else {
    y.set(state.h.subarray((L - 1) * B * H, L * B * H));
  }
}

const plans = new WeakMap<RNNModel, { lowp: LowpTable | null; plan: StreamPlan }>();

/** The model's `StreamPlan` for `Backend.streamStep` (built again only when its packed weights change). */
function streamPlan(m: RNNModel): StreamPlan {
  const hit = plans.get(m);
  if (hit !== undefined && hit.lowp === m.lowp) return hit.plan;
  const { config, layout, lowp } = m;
  const packed = (off: number): LowpWeights => {
    const w = lowp?.get(off);
    if (w === undefined) throw new EddyError('ERR_INVALID_ARG', `no packed weight at parameter offset ${off}`);
    return w;
  };
  const plan: StreamPlan = {
    cell: config.cell,
    hiddenSize: config.hiddenSize,
    onehot: config.input === 'onehot',
    layers: layout.layers.map((lo) => ({
      wih: lo.wih,
      bih: lo.bih,
      whh: lo.whh,
      bhh: lo.bhh,
      inputWidth: lo.inputWidth,
    })),
    head: config.outputSize > 0 ? { weight: layout.headWeight, bias: layout.headBias, size: config.outputSize } : null,
    packed:
      lowp === null
        ? null
        : {
            layers: layout.layers.map((lo) => ({ wih: packed(lo.wih), whh: packed(lo.whh) })),
            head: config.outputSize > 0 ? packed(layout.headWeight) : null,
          },
  };
  plans.set(m, { lowp, plan });
  return plan;
}
