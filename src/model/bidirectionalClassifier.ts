/**
 * A bidirectional recurrent classifier (many-to-one), trained jointly: PyTorch's
 * `embedding -> nn.GRU/LSTM/RNN(bidirectional=True) -> head(cat(h_n[0], h_n[1]))` over padded, masked batches.
 *
 * 1. The forward direction reads each row's valid ids left to right; its state after the row's last valid id is
 *    `h_fwd`. The reverse direction reads each row's OWN valid ids last to first (row b's ids reversed within its
 *    length, then padded at the end); its state after the row's first id is `h_rev` (PyTorch's output of the
 *    reverse direction at position 0, with packed sequences). Padding comes after every row's valid steps in both
 *    readings, so it reaches neither state.
 * 2. The head is linear over `[h_fwd, h_rev]` `[B, 2H]` (`bidirectionalHeadForward`), with the model's
 *    `outputDropout` on that concatenation in training; `embeddingDropout` drops the embedded ids once, the same
 *    mask for both directions (the reverse one reads its rows reversed within their lengths).
 * 2b. The input is ids (`'onehot'` or `'embedding'`, `padBatch`'s `[T, B]`) or dense rows (`'dense'`,
 *    `[T, B, X]`, e.g. a trajectory's points or a clip's frame features), reversed within each row's length alike.
 * 3. The parameters are one flat buffer under PyTorch's names: `embedding.weight` (shared by both directions),
 *    `rnn.weight_ih_l0` ... and `rnn.weight_ih_l0_reverse` ..., `head.weight [K, 2H]`, `head.bias [K]`, so a
 *    saved file loads into PyTorch with `load_state_dict`. Each direction runs as an `RNNModel` without a head
 *    (eddy's cells and kernels); `forward` copies the flat parameters into the two directions and `backward` adds
 *    their gradients back (the embedding's from both).
 * 4. Stacked layers (`numLayers` L >= 2, PyTorch's `num_layers`): layer l >= 1 reads, at each step t of a row, the
 *    concatenation `[out_fwd(l-1)[t], out_rev(l-1)[t]]` `[2H]` of both directions of the layer below at that
 *    position of the name (the reverse direction's output at t is its state after reading from the row's end back
 *    to t), with the model's `dropout` on it in training (PyTorch's dropout between layers; ignored with one
 *    layer, as PyTorch). Its forward direction reads those rows left to right, its reverse one last to first; the
 *    head reads the top layer's two final states (`h_n[-2]`, `h_n[-1]`). Each direction of an upper layer is an
 *    `RNNModel` over dense input `[T, B, 2H]`, whose `backward` hands back the input's gradient.
 *
 * @example
 * const model = BidirectionalClassifier.create({ cell: 'gru', input: 'embedding', inputSize: 60, embeddingSize: 32,
 *   hiddenSize: 96, outputSize: 18 }, { seed: 1 });
 * const batch = padBatch(seqs);
 * const { logits, pass } = model.forward(batch.ids, { T: batch.T, B: batch.B, lengths: batch.lengths });
 * model.backward(pass, dlogits);
 */
import type { Backend } from '../tensor/backend.ts';
import { jsBackend } from '../tensor/jsBackend.ts';
import { EddyError, disposedError, invalidArg, shapeError, describeKind } from '../util/errors.ts';
import { firstNonFinite, nonFiniteError } from '../util/finite.ts';
import { Rng } from '../util/rng.ts';
import { checkBool, checkInt, checkObject } from '../util/validate.ts';
import { bidirectionalHeadBackward, bidirectionalHeadForward } from './bidirectionalHead.ts';
import { resolveConfig, type ModelConfig, type ModelOptions } from './modelConfig.ts';
import { namedView, paramLayout, type ParamEntry } from './paramLayout.ts';
import { RNNModel } from './rnnModel.ts';
import { allocParams, ownsParams } from './ownedParams.ts';
import { releaseModelBuffers } from '../tensor/releaseBuffers.ts';
import type { Workspace } from './workspace.ts';

/** The configuration of a bidirectional classifier: a model configuration (one layer, a head) marked so. */
export type BidirectionalConfig = ModelConfig & { readonly bidirectional: true };

/** Options for `BidirectionalClassifier.create`. */
export interface BidirectionalCreateOptions {
  /** Seed of the initialisation (PyTorch's scheme). @default 0 */
  seed?: number;
  /** Kernels to compute with. @default jsBackend */
  backend?: Backend;
}

/** Options of one forward over a padded batch. */
export interface BidirectionalForwardOptions {
  /** T: steps of the padded batch. Required. */
  T: number;
  /** B: rows. Required. */
  B: number;
  /** `[B]` valid steps of each row, in `[1, T]` (`padBatch`'s `lengths`). Required. */
  lengths: Int32Array;
  /** Apply the output dropout (needs `rng` when the model has some). @default false */
  training?: boolean;
  /** Random source of the dropout mask. @default undefined */
  rng?: Rng;
}

/** What `backward` needs from a forward (valid until the next forward). */
export interface BidirectionalPass {
  readonly T: number;
  readonly B: number;
  readonly lengths: Int32Array;
  /** `[B, 2H]` the (masked) concatenated final states. */
  readonly z: Float32Array;
  /** `[B, 2H]` the head's dropout multipliers, or null. */
  readonly mask: Float32Array | null;
  /** Per layer, bottom first: the forward and the reverse direction's workspaces. */
  readonly workspaces: readonly (readonly [Workspace, Workspace])[];
  /** Per layer l >= 1 (index l - 1): `[T, B, 2H]` the dropout multipliers of its input, or null. */
  readonly layerMasks: readonly (Float32Array | null)[];
}

/** The layout of the flat buffer: PyTorch names, and where each direction's own tensors come from. */
interface BiLayout {
  readonly entries: readonly ParamEntry[];
  readonly total: number;
  readonly headWeight: number;
  readonly headBias: number;
  /**
   * per layer, per direction: [offset in the flat buffer, offset in the direction's model, size] of each of its
   * tensors
   */
  readonly copies: readonly (readonly (readonly [number, number, number])[][])[];
}

const SUFFIX = ['', '_reverse'] as const;

/**
 * Row b's first `lengths[b]` ids reversed, then the padding: `[T, B]` time-major, as `padBatch` lays out ids.
 * @param padId written after each row's valid steps. @default 0
 * @throws EddyError ERR_SHAPE naming `ids` or `lengths`; ERR_INVALID_ARG naming `lengths[b]` outside [0, T]
 */
export function reverseWithinLengths(
  ids: Int32Array,
  lengths: Int32Array,
  T: number,
  B: number,
  padId = 0,
): Int32Array {
  checkInt('T', T, 1);
  checkInt('B', B, 1);
  if (!(ids instanceof Int32Array) || ids.length !== T * B)
    throw shapeError('ids', `Int32Array of length ${T * B} ([T=${T}, B=${B}])`, describeKind(ids));
  if (!(lengths instanceof Int32Array) || lengths.length !== B)
    throw shapeError('lengths', `Int32Array of length ${B}`, describeKind(lengths));
  for (let b = 0; b < B; b++) checkInt(`lengths[${b}]`, lengths[b], 0, T);
  const out = new Int32Array(T * B).fill(padId);
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    for (let t = 0; t < n; t++) out[t * B + b] = ids[(n - 1 - t) * B + b];
  }
  return out;
}

/** A jointly trained bidirectional RNN / LSTM / GRU classifier, of one or more layers (see the file header). */
export class BidirectionalClassifier {
  readonly config: BidirectionalConfig;
  readonly layout: BiLayout;
  readonly backend: Backend;
  /** All parameters under PyTorch's names (`layout.entries`). */
  readonly params: Float32Array;
  /** All gradients, same layout; `backward` accumulates here, `zeroGrads` clears. */
  readonly grads: Float32Array;
  /**
   * Per layer, bottom first, the two directions (no head): their parameters are copies of the flat buffer's,
   * refreshed by `forward`.
   */
  readonly #dirs: readonly (readonly [RNNModel, RNNModel])[];
  #disposed = false;

  /**
   * Wraps a flat parameter buffer (see `create` for a fresh model).
   * @throws EddyError ERR_INVALID_ARG naming the configuration field; ERR_SHAPE naming `params`
   */
  constructor(config: ModelConfig, params: Float32Array, backend: Backend = jsBackend) {
    this.config = checkBidirectional(config, 'config');
    this.backend = backend;
    this.#dirs = directionConfigs(this.config).map((dc) => {
      const direction = (): RNNModel => new RNNModel(dc, allocParams(backend, paramLayout(dc).total), backend);
      return [direction(), direction()] as const;
    });
    this.layout = biLayout(this.config, this.#dirs);
    if (!isFloatArray(params) || params.length !== this.layout.total)
      throw shapeError(
        'params',
        `Float32Array of length ${this.layout.total}`,
        isFloatArray(params) ? `length ${params.length}` : describeKind(params),
      );
    this.params = params;
    this.grads = backend.alloc(this.layout.total);
  }

  /**
   * A new classifier with PyTorch's initialisation: N(0, 1) embeddings, U(-1/√H, 1/√H) for the cells (every
   * layer), U(-1/√(2H), 1/√(2H)) for the head (its fan-in is 2H).
   * @throws EddyError ERR_INVALID_ARG naming the option (no head)
   */
  static create(options: ModelOptions, createOptions: BidirectionalCreateOptions = {}): BidirectionalClassifier {
    const config = resolveConfig(options);
    checkObject('createOptions', createOptions);
    const seed = checkInt('createOptions.seed', createOptions.seed ?? 0, 0, 0xffffffff);
    const backend = createOptions.backend ?? jsBackend;
    const probe = new BidirectionalClassifier(config, allocParams(backend, bidirectionalParamCount(config)), backend);
    const rng = new Rng(seed);
    const P = probe.params;
    for (const e of probe.layout.entries) {
      if (e.name === 'embedding.weight') for (let i = 0; i < e.size; i++) P[e.offset + i] = rng.normal();
      else {
        const k = 1 / Math.sqrt(e.name.startsWith('head.') ? 2 * config.hiddenSize : config.hiddenSize);
        for (let i = 0; i < e.size; i++) P[e.offset + i] = rng.uniform(-k, k);
      }
    }
    return probe;
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

  /** Zeroes the gradient buffer. */
  zeroGrads(): void {
    this.grads.fill(0);
  }

  /** Whether `dispose` was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Gives the classifier's memory back to its backend, as `RNNModel.dispose`: every direction's model, the
   * gradients, and the parameters when eddy allocated them. Afterwards `params` and `grads` are empty and every
   * method that computes refuses; a second call does nothing.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const pair of this.#dirs) for (const m of pair) m.dispose();
    releaseModelBuffers(this.backend, this, ownsParams(this.params));
  }

  /** @throws EddyError ERR_INVALID_ARG naming the method once the classifier is disposed */
  private live(method: string): void {
    if (this.#disposed)
      throw disposedError(`BidirectionalClassifier.${method}`, 'classifier', 'load or create it again');
  }

  /**
   * The two directions of a one-layer classifier as head-less models with the current parameters: `forward` reads
   * ids left to right, `reverse` is meant for each sequence reversed. For streaming (`recurrent(directions().forward)`
   * steps with carried state); pass their final states to `logitsOf`. A stacked classifier has no such form (an
   * upper layer's input at t needs the reverse reading of the whole prefix, which changes with every new id):
   * classify each prefix with `forward` instead.
   * @throws EddyError ERR_INVALID_ARG for a classifier of more than one layer
   */
  directions(): { forward: RNNModel; reverse: RNNModel } {
    this.live('directions');
    if (this.#dirs.length !== 1)
      throw new EddyError(
        'ERR_INVALID_ARG',
        `directions(): a stacked bidirectional classifier (numLayers ${this.#dirs.length}) cannot step with carried ` +
          'state: layer 2 reads the reverse direction over the whole prefix; classify each prefix with forward()',
      );
    this.sync();
    return { forward: this.#dirs[0][0], reverse: this.#dirs[0][1] };
  }

  /**
   * The head over given final states (no dropout): `hf`, `hr` `[B, H]` -> logits `[B, K]` (a new array).
   * @throws EddyError ERR_SHAPE naming `hf` or `hr`
   */
  logitsOf(hf: Float32Array, hr: Float32Array): Float32Array {
    this.live('logitsOf');
    const H = this.config.hiddenSize;
    const B = hf.length / H;
    if (!Number.isInteger(B) || B < 1) throw shapeError('hf', `[B, H=${H}]`, `length ${hf.length}`);
    if (hr.length !== hf.length) throw shapeError('hr', `length ${hf.length} (as hf)`, `length ${hr.length}`);
    const K = this.config.outputSize;
    const logits = this.newArray(B * K);
    const z = this.newArray(B * 2 * H);
    const L = this.layout;
    bidirectionalHeadForward(logits, z, hf, hr, null, this.params, L.headWeight, L.headBias, B, H, K);
    return logits;
  }

  /**
   * Forward over a padded batch: `padBatch`'s `ids [T, B]` (right-padded) for a model over ids, or rows
   * `Float32Array [T, B, X]` (padded at the end the same way, with anything finite) for `input: 'dense'`; and the
   * rows' `lengths`.
   * @returns `logits [B, K]` and the pass `backward` needs
   * @throws EddyError ERR_SHAPE / ERR_INVALID_ARG naming `ids` (or `x`), `options.lengths[b]` or an option;
   *   ERR_NON_FINITE naming the step, row and feature of a NaN or infinity in `x`
   */
  forward(
    ids: Int32Array | Float32Array,
    options: BidirectionalForwardOptions,
  ): { logits: Float32Array; pass: BidirectionalPass } {
    this.live('forward');
    const o = checkObject('options', options);
    const T = checkInt('options.T', o.T, 1);
    const B = checkInt('options.B', o.B, 1);
    const training = checkBool('options.training', o.training ?? false);
    const p = training ? (this.config.outputDropout ?? 0) : 0;
    const pe = training ? (this.config.embeddingDropout ?? 0) : 0;
    const pl = training && this.#dirs.length > 1 ? this.config.dropout : 0;
    if ((p > 0 || pe > 0 || pl > 0) && !(o.rng instanceof Rng))
      throw invalidArg('options.rng', 'an Rng (training with dropout draws masks from it)', o.rng);
    const X = this.config.inputSize;
    if (this.config.input === 'dense') {
      const floats =
        ids instanceof Float32Array || (ids instanceof Float64Array && this.params instanceof Float64Array);
      if (!floats || ids.length !== T * B * X)
        throw shapeError('x', `Float32Array of length ${T * B * X} ([T=${T}, B=${B}, X=${X}])`, describeKind(ids));
      const bad = firstNonFinite(ids);
      if (bad >= 0) {
        const r = Math.floor(bad / X);
        throw nonFiniteError(
          'x',
          `x[${bad}]`,
          ids[bad],
          `(step ${Math.floor(r / B)}, row ${r % B}, feature ${bad % X})`,
        );
      }
    } else if (!(ids instanceof Int32Array) || ids.length !== T * B)
      throw shapeError('ids', `Int32Array of token ids of length ${T * B} ([T=${T}, B=${B}])`, describeKind(ids));
    const lengths = o.lengths;
    if (!(lengths instanceof Int32Array) || lengths.length !== B)
      throw shapeError('options.lengths', `Int32Array of length ${B}`, describeKind(lengths));
    for (let b = 0; b < B; b++) checkInt(`options.lengths[${b}]`, lengths[b], 1, T);
    this.sync();
    const H = this.config.hiddenSize;
    const K = this.config.outputSize;
    // Embedding dropout: one mask over the embedded batch [T, B, E], drawn before any other, that both directions
    // see (the reverse one its own rows reversed within their lengths, as it reads the ids), as PyTorch's
    // nn.Dropout between the embedding and a bidirectional layer.
    let maskF: Float32Array | undefined;
    let maskR: Float32Array | undefined;
    if (pe > 0) {
      const E = this.config.embeddingSize;
      maskF = this.dropMask(T * B * E, pe, o.rng as Rng);
      maskR = this.reverseRows(maskF, lengths, T, B, E);
    }
    // each direction its own workspace, so that both stay valid for backward
    const dirOptions = (mask: Float32Array | undefined) =>
      mask ? { T, B, checkFinite: false, training: true, embeddingMask: mask } : { T, B, checkFinite: false };
    const [fwd0, rev0] = this.#dirs[0];
    let f = fwd0.forward(ids, dirOptions(maskF));
    const reversed =
      ids instanceof Int32Array ? reverseWithinLengths(ids, lengths, T, B) : this.reverseRows(ids, lengths, T, B, X);
    let r = rev0.forward(reversed, dirOptions(maskR));
    const workspaces: (readonly [Workspace, Workspace])[] = [[f.workspace, r.workspace]];
    const layerMasks: (Float32Array | null)[] = [];
    for (let l = 1; l < this.#dirs.length; l++) {
      // layer l's input, in the names' own order: x[t, b] = [out_fwd[t, b], out_rev at position t] [T, B, 2H]
      const x = this.newArray(T * B * 2 * H);
      for (let b = 0; b < B; b++) {
        const n = lengths[b];
        for (let t = 0; t < n; t++) {
          const to = (t * B + b) * 2 * H;
          const from = (t * B + b) * H;
          const fromR = ((n - 1 - t) * B + b) * H;
          x.set(f.y.subarray(from, from + H), to);
          x.set(r.y.subarray(fromR, fromR + H), to + H);
        }
      }
      const mask = pl > 0 ? this.dropMask(T * B * 2 * H, pl, o.rng as Rng) : null;
      if (mask) for (let i = 0; i < x.length; i++) x[i] *= mask[i];
      layerMasks.push(mask);
      const [fwd, rev] = this.#dirs[l];
      f = fwd.forward(x, { T, B, checkFinite: false });
      r = rev.forward(this.reverseRows(x, lengths, T, B, 2 * H), { T, B, checkFinite: false });
      workspaces.push([f.workspace, r.workspace]);
    }
    const hf = this.newArray(B * H);
    const hr = this.newArray(B * H);
    for (let b = 0; b < B; b++) {
      const o2 = ((lengths[b] - 1) * B + b) * H;
      hf.set(f.y.subarray(o2, o2 + H), b * H);
      hr.set(r.y.subarray(o2, o2 + H), b * H);
    }
    const mask = p > 0 ? this.dropMask(B * 2 * H, p, o.rng as Rng) : null;
    const z = this.newArray(B * 2 * H);
    const logits = this.newArray(B * K);
    const L = this.layout;
    bidirectionalHeadForward(logits, z, hf, hr, mask, this.params, L.headWeight, L.headBias, B, H, K);
    const pass: BidirectionalPass = {
      T,
      B,
      lengths: Int32Array.from(lengths),
      z,
      mask,
      workspaces,
      layerMasks,
    };
    return { logits, pass };
  }

  /**
   * Backpropagation from `dlogits [B, K]` through the head and both directions of every layer; accumulates into
   * `grads`.
   * @throws EddyError ERR_SHAPE naming `dlogits`; ERR_INVALID_ARG when `pass` is not the latest forward
   */
  backward(pass: BidirectionalPass, dlogits: Float32Array): void {
    this.live('backward');
    const { T, B, lengths } = pass;
    const H = this.config.hiddenSize;
    const K = this.config.outputSize;
    if (!isFloatArray(dlogits) || dlogits.length !== B * K)
      throw shapeError('dlogits', `Float32Array of length ${B * K} ([B=${B}, K=${K}])`, describeKind(dlogits));
    const bad = firstNonFinite(dlogits);
    if (bad >= 0) throw new EddyError('ERR_NON_FINITE', `dlogits[${bad}] is ${dlogits[bad]}`);
    const ws0 = pass.workspaces[0]?.[0];
    if (pass.workspaces.length !== this.#dirs.length || ws0 === undefined || ws0.T !== T || ws0.B !== B)
      throw new EddyError('ERR_INVALID_ARG', 'backward: the pass is not the latest forward of this model');
    const dhf = this.newArray(B * H); // [B, H] zeroed: the head's backward accumulates
    const dhr = this.newArray(B * H);
    const L = this.layout;
    bidirectionalHeadBackward(
      dhf,
      dhr,
      this.grads,
      dlogits,
      pass.z,
      pass.mask,
      this.params,
      L.headWeight,
      L.headBias,
      B,
      H,
      K,
    );
    // dy of the top layer's directions: only at each row's final position
    let dyF = this.newArray(T * B * H);
    let dyR = this.newArray(T * B * H);
    for (let b = 0; b < B; b++) {
      const o = ((lengths[b] - 1) * B + b) * H;
      dyF.set(dhf.subarray(b * H, b * H + H), o);
      dyR.set(dhr.subarray(b * H, b * H + H), o);
    }
    for (let l = this.#dirs.length - 1; l >= 1; l--) {
      const [fwd, rev] = this.#dirs[l];
      const [wsF, wsR] = pass.workspaces[l];
      const dxF = this.newArray(T * B * 2 * H); // [T, B, 2H] in the names' order
      const dxR = this.newArray(T * B * 2 * H); // [T, B, 2H] in the reversed order
      fwd.backward(wsF, dyF, undefined, dxF);
      rev.backward(wsR, dyR, undefined, dxR);
      // back through the reversal and the dropout, then split between the directions of the layer below
      const mask = pass.layerMasks[l - 1];
      dyF = this.newArray(T * B * H);
      dyR = this.newArray(T * B * H);
      for (let b = 0; b < B; b++) {
        const n = lengths[b];
        for (let t = 0; t < n; t++) {
          const at = (t * B + b) * 2 * H;
          const back = ((n - 1 - t) * B + b) * 2 * H;
          const toF = (t * B + b) * H;
          const toR = ((n - 1 - t) * B + b) * H;
          for (let j = 0; j < H; j++) {
            const mf = mask === null ? 1 : mask[at + j];
            const mr = mask === null ? 1 : mask[at + H + j];
            dyF[toF + j] = (dxF[at + j] + dxR[back + j]) * mf;
            dyR[toR + j] = (dxF[at + H + j] + dxR[back + H + j]) * mr;
          }
        }
      }
    }
    const [fwd0, rev0] = this.#dirs[0];
    fwd0.backward(pass.workspaces[0][0], dyF);
    rev0.backward(pass.workspaces[0][1], dyR);
    for (let l = 0; l < this.#dirs.length; l++)
      for (let d = 0; d < 2; d++) {
        const g = this.#dirs[l][d].grads;
        for (const [flat, own, size] of L.copies[l][d])
          for (let i = 0; i < size; i++) this.grads[flat + i] += g[own + i];
        this.#dirs[l][d].zeroGrads();
      }
  }

  /** Copies the flat parameters into every direction's model. */
  private sync(): void {
    for (let l = 0; l < this.#dirs.length; l++)
      for (let d = 0; d < 2; d++) {
        const P = this.#dirs[l][d].params;
        for (const [flat, own, size] of this.layout.copies[l][d]) P.set(this.params.subarray(flat, flat + size), own);
      }
  }

  /** `n` dropout multipliers drawn from `rng`: 0 with probability `p`, else 1/(1-p). */
  private dropMask(n: number, p: number, rng: Rng): Float32Array {
    const m = this.newArray(n);
    for (let i = 0; i < n; i++) m[i] = rng.next() >= p ? 1 / (1 - p) : 0;
    return m;
  }

  /** `[T, B, W]` rows of `a` reversed within each row's length (`reverseWithinLengths` for vectors); zeros after. */
  private reverseRows(a: Float32Array, lengths: Int32Array, T: number, B: number, W: number): Float32Array {
    const out = this.newArray(T * B * W);
    for (let b = 0; b < B; b++) {
      const n = lengths[b];
      for (let t = 0; t < n; t++) {
        const from = ((n - 1 - t) * B + b) * W;
        out.set(a.subarray(from, from + W), (t * B + b) * W);
      }
    }
    return out;
  }

  /** A zeroed array of the parameters' element type (Float64Array on the float64 check backend). */
  private newArray(n: number): Float32Array {
    return new (this.params.constructor as Float32ArrayConstructor)(n);
  }
}

/**
 * The configuration of each layer's directions, bottom first: layer 0 reads the classifier's input (one-hot or
 * embedding, with its embedding dropout), layer l >= 1 dense rows `[2H]`; one layer each, no head, no dropout.
 */
function directionConfigs(c: BidirectionalConfig): ModelConfig[] {
  const { outputDropout: _od, bidirectional: _bi, ...rest } = c;
  const first: ModelConfig = { ...rest, numLayers: 1, outputSize: 0, dropout: 0 };
  const upper = resolveConfig({
    cell: c.cell,
    input: 'dense',
    inputSize: 2 * c.hiddenSize,
    hiddenSize: c.hiddenSize,
    numLayers: 1,
    outputSize: 0,
  });
  return Array.from({ length: c.numLayers }, (_, l) => (l === 0 ? first : upper));
}

/** Validates a bidirectional configuration. */
function checkBidirectional(config: ModelConfig, path: string): BidirectionalConfig {
  const { bidirectional: _bi, embeddingSize, ...rest } = config as ModelConfig & { bidirectional?: unknown };
  const c = resolveConfig({ ...rest, ...(rest.input === 'embedding' ? { embeddingSize } : {}) } as ModelOptions, path);
  if (c.outputSize < 1) throw invalidArg(`${path}.outputSize`, 'a head (outputSize >= 1)', c.outputSize);
  return { ...c, bidirectional: true };
}

/**
 * The flat layout, in PyTorch's state_dict order: the shared embedding; per layer l, the forward direction's four
 * tensors (`rnn.weight_ih_l<l>` ...) and the reverse one's (`..._l<l>_reverse`); the head.
 */
function biLayout(config: BidirectionalConfig, dirs: readonly (readonly [RNNModel, RNNModel])[]): BiLayout {
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: readonly number[]): number => {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, size });
    offset += size;
    return offset - size;
  };
  const copies: [number, number, number][][][] = dirs.map(() => [[], []]);
  const emb = dirs[0][0].layout.entries.find((e) => e.name === 'embedding.weight');
  if (emb) {
    const at = add(emb.name, emb.shape);
    for (const c of copies[0]) c.push([at, emb.offset, emb.size]);
  }
  dirs.forEach(([dir], l) => {
    for (let d = 0; d < 2; d++)
      for (const e of dir.layout.entries) {
        if (e.name === 'embedding.weight') continue;
        // each direction is a one-layer model: its `_l0` tensors are the classifier's `_l<l>`
        copies[l][d].push([add(`${e.name.replace(/_l0$/, `_l${l}`)}${SUFFIX[d]}`, e.shape), e.offset, e.size]);
      }
  });
  const K = config.outputSize;
  const headWeight = add('head.weight', [K, 2 * config.hiddenSize]);
  const headBias = add('head.bias', [K]);
  return { entries, total: offset, headWeight, headBias, copies };
}

/**
 * The number of parameters of a bidirectional classifier of this configuration.
 * @throws EddyError ERR_INVALID_ARG naming the configuration field
 */
export function bidirectionalParamCount(config: ModelConfig): number {
  const c = checkBidirectional(config, 'config');
  const emb = c.input === 'embedding' ? c.inputSize * c.embeddingSize : 0;
  let n = emb + c.outputSize * (2 * c.hiddenSize + 1);
  for (const dc of directionConfigs(c)) n += 2 * (paramLayout(dc).total - (dc.input === 'embedding' ? emb : 0));
  return n;
}

/** Float32Array, or the Float64Array buffers of the float64 check backend. */
function isFloatArray(v: unknown): v is Float32Array {
  return v instanceof Float32Array || v instanceof Float64Array;
}
