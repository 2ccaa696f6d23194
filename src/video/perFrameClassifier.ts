/**
 * The per-frame baseline: the frame labeller without recurrence. The same features go through one tanh hidden
 * layer (or none: softmax regression) and a linear head, one frame at a time, with no state between frames.
 *
 * ```
 * x [N, X] ──► a = x·W1ᵀ + b1 ──► h = tanh(a) ──► y = h·W2ᵀ + b2      // y [N, Y] logits
 * hiddenSize 0:                                    y = x·W2ᵀ + b2
 * ```
 * One flat parameter buffer and one flat gradient buffer with named views (`hidden.weight [H, X]`,
 * `hidden.bias [H]`, `head.weight [Y, H]`, `head.bias [Y]`), so the optimizers of `train/` apply unchanged.
 * Forward and backward sit side by side; backward accumulates (`+=`) into `grads`.
 *
 * @example
 * const mlp = PerFrameClassifier.create({ inputSize: 2048, hiddenSize: 64, outputSize: 2 }, { seed: 1 });
 * const logits = mlp.forward(x, N);          // [N, 2]
 */
import type { Backend } from '../tensor/backend.ts';
import { jsBackend } from '../tensor/jsBackend.ts';
import { shapeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkObject } from '../util/validate.ts';

/** Sizes of a per-frame classifier. */
export interface PerFrameOptions {
  /** X: features per frame. Required. */
  inputSize: number;
  /** H: tanh hidden units; 0 for softmax regression (no hidden layer). @default 64 */
  hiddenSize?: number;
  /** Y: classes. Required. */
  outputSize: number;
}

/** A per-frame MLP classifier (the baseline without recurrence). */
export class PerFrameClassifier {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly backend: Backend;
  /** All parameters: `hidden.weight [H, X]`, `hidden.bias [H]`, `head.weight [Y, H or X]`, `head.bias [Y]`. */
  readonly params: Float32Array;
  /** Gradients, same layout. */
  readonly grads: Float32Array;
  /** Offsets of the named views. */
  readonly offsets: { readonly w1: number; readonly b1: number; readonly w2: number; readonly b2: number };
  #h: Float32Array = new Float32Array(0); // [N, H] cached activations of the last forward
  #x: Float32Array | null = null; // [N, X] the last forward's input
  #n = 0;
  #y: Float32Array = new Float32Array(0); // [N, Y]

  /** A new classifier, initialised as PyTorch's `nn.Linear` (U(-1/√fanIn, 1/√fanIn)). */
  static create(
    options: PerFrameOptions,
    createOptions: { seed?: number; backend?: Backend } = {},
  ): PerFrameClassifier {
    const o = checkObject('options', options);
    const X = checkInt('options.inputSize', o.inputSize, 1);
    const H = checkInt('options.hiddenSize', o.hiddenSize ?? 64, 0);
    const Y = checkInt('options.outputSize', o.outputSize, 1);
    const seed = checkInt('createOptions.seed', createOptions.seed ?? 0, 0, 0xffffffff);
    const m = new PerFrameClassifier(X, H, Y, createOptions.backend ?? jsBackend);
    const rng = new Rng(seed);
    const { w1, w2 } = m.offsets; // each weight and its bias: U(-1/√fanIn, 1/√fanIn)
    const k1 = 1 / Math.sqrt(X);
    for (let i = w1; i < w2; i++) m.params[i] = rng.uniform(-k1, k1);
    const k2 = 1 / Math.sqrt(H > 0 ? H : X);
    for (let i = w2; i < m.params.length; i++) m.params[i] = rng.uniform(-k2, k2);
    return m;
  }

  private constructor(X: number, H: number, Y: number, backend: Backend) {
    this.inputSize = X;
    this.hiddenSize = H;
    this.outputSize = Y;
    this.backend = backend;
    const w1 = 0,
      b1 = H * X,
      w2 = b1 + H,
      b2 = w2 + Y * (H > 0 ? H : X);
    this.offsets = { w1, b1, w2, b2 };
    this.params = backend.alloc(b2 + Y);
    this.grads = backend.alloc(b2 + Y);
  }

  /** Number of parameters. */
  get numParams(): number {
    return this.params.length;
  }

  /**
   * Logits of N frames. The returned buffer `[N, Y]` is reused by the next call (copy it to keep it).
   * @throws EddyError ERR_SHAPE naming `x`
   */
  forward(x: Float32Array, N: number): Float32Array {
    const { inputSize: X, hiddenSize: H, outputSize: Y, backend: be, params: P } = this;
    checkInt('N', N, 1);
    if (!(x instanceof Float32Array) || x.length !== N * X)
      throw shapeError(
        'x',
        `Float32Array of length ${N * X} ([N=${N}, X=${X}])`,
        x instanceof Float32Array ? `length ${x.length}` : typeof x,
      );
    if (this.#y.length < N * Y) this.#y = new Float32Array(N * Y);
    const y = this.#y.length === N * Y ? this.#y : this.#y.subarray(0, N * Y); // [N, Y]
    let top: Float32Array = x;
    let K = X;
    if (H > 0) {
      if (this.#h.length < N * H) this.#h = new Float32Array(N * H);
      const h = this.#h; // [N, H]
      be.gemmNT(N, H, X, x, 0, P, this.offsets.w1, h, 0, false);
      for (let r = 0; r < N; r++)
        for (let j = 0; j < H; j++) h[r * H + j] = Math.tanh(h[r * H + j] + P[this.offsets.b1 + j]);
      top = h;
      K = H;
    }
    be.gemmNT(N, Y, K, top, 0, P, this.offsets.w2, y, 0, false);
    for (let r = 0; r < N; r++) for (let k = 0; k < Y; k++) y[r * Y + k] += P[this.offsets.b2 + k];
    this.#x = x;
    this.#n = N;
    return y;
  }

  /**
   * Backward of the last `forward`: accumulates parameter gradients into `grads` (the input gets none).
   * @param dy `[N, Y]` gradient of the loss with respect to the logits
   */
  backward(dy: Float32Array): void {
    const { inputSize: X, hiddenSize: H, outputSize: Y, backend: be, params: P, grads: G } = this;
    const N = this.#n;
    const x = this.#x;
    if (x === null) throw shapeError('backward', 'a forward pass first', 'none');
    if (!(dy instanceof Float32Array) || dy.length !== N * Y)
      throw shapeError(
        'dy',
        `Float32Array of length ${N * Y} ([N=${N}, Y=${Y}])`,
        dy instanceof Float32Array ? `length ${dy.length}` : typeof dy,
      );
    const { w1, b1, w2, b2 } = this.offsets;
    const top = H > 0 ? this.#h : x;
    const K = H > 0 ? H : X;
    be.gemmTN(Y, K, N, dy, 0, top, 0, G, w2, true); // dW2 [Y, K] += dyᵀ · top
    for (let r = 0; r < N; r++) for (let k = 0; k < Y; k++) G[b2 + k] += dy[r * Y + k];
    if (H === 0) return;
    const da = new Float32Array(N * H); // [N, H]
    be.gemmNN(N, H, Y, dy, 0, P, w2, da, 0, false); // dh = dy · W2
    const h = this.#h;
    for (let i = 0; i < N * H; i++) da[i] *= 1 - h[i] * h[i];
    be.gemmTN(H, X, N, da, 0, x, 0, G, w1, true); // dW1 [H, X] += daᵀ · x
    for (let r = 0; r < N; r++) for (let j = 0; j < H; j++) G[b1 + j] += da[r * H + j];
  }

  /** Zeroes the gradient buffer. */
  zeroGrads(): void {
    this.grads.fill(0);
  }
}
