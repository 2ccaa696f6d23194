/**
 * The kernel interface every cell and model calls. A faster backend (WebAssembly SIMD, worker threads, GPU)
 * implements the same methods and is checked against `referenceBackend` before it is trusted or timed.
 *
 * All matrices are dense, row-major, contiguous, addressed by an array and an element offset, so callers never
 * allocate views in hot loops. `accumulate` adds into C instead of overwriting it.
 *
 * The three multiplies are required. The pointwise work around them (a cell's step, bias rows, one-hot columns) is
 * optional: a backend that fuses it (the wasm backend) declares the methods, and wherever one is absent the model
 * runs the TypeScript reference (`src/cells/*Cell.ts`, `rowOps.ts`), which every such method must match to float32
 * rounding.
 */
export interface Backend {
  /** Short name for tables and errors, e.g. `"js"`, `"reference"`, `"wasm-simd"`. */
  readonly name: string;
  /** A zeroed buffer this backend can compute on directly (a wasm backend returns a view of its memory). */
  alloc(length: number): Float32Array;
  /**
   * Gives back a whole buffer from `alloc` that nothing uses any more, so that a later `alloc` reuses its memory
   * (a wasm or native backend's memory is never returned to the system otherwise). Optional: over ordinary arrays
   * the garbage collector frees them. Call it through `releaseBuffers`.
   */
  release?(x: Float32Array): void;
  /** `C[M,N] (+)= A[M,K] · B[K,N]` */
  gemmNN(
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    aOff: number,
    B: Float32Array,
    bOff: number,
    C: Float32Array,
    cOff: number,
    accumulate: boolean,
  ): void;
  /** `C[M,N] (+)= A[M,K] · B[N,K]ᵀ` (B is a PyTorch weight `[out, in]`) */
  gemmNT(
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    aOff: number,
    B: Float32Array,
    bOff: number,
    C: Float32Array,
    cOff: number,
    accumulate: boolean,
  ): void;
  /**
   * Optional: `gemmNT` computed so that row i of C has the same bits whatever M is (the 1-row product of A's row i):
   * what a streaming step of B rows needs so that each row equals stepping it alone. A backend whose `gemmNT`
   * already has this property (js, wasm, the reference) need not declare it; the native one does, because its
   * faster blocked `gemmNT` sums in another order from 5 rows on.
   */
  gemmNTRows?(
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    aOff: number,
    B: Float32Array,
    bOff: number,
    C: Float32Array,
    cOff: number,
    accumulate: boolean,
  ): void;
  /** `C[M,N] (+)= A[K,M]ᵀ · B[K,N]` (weight gradients: `dW += dGᵀ · X`) */
  gemmTN(
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    aOff: number,
    B: Float32Array,
    bOff: number,
    C: Float32Array,
    cOff: number,
    accumulate: boolean,
  ): void;

  /**
   * Optional: `CellKernel.forward` of the cell `kind`, same arguments and aliasing rules (`h` may be `hPrev`, `c` `cPrev`).
   * @returns false if it could not run this time (e.g. its memory is full): the caller then runs the TypeScript cell
   */
  cellForward?(
    kind: CellKind,
    h: Float32Array,
    hOff: number,
    c: Float32Array,
    cOff: number,
    act: Float32Array,
    actOff: number,
    aux: Float32Array,
    auxOff: number,
    gx: Float32Array,
    gxOff: number,
    gh: Float32Array,
    ghOff: number,
    hPrev: Float32Array,
    hpOff: number,
    cPrev: Float32Array,
    cpOff: number,
    bhh: Float32Array,
    bOff: number,
    B: number,
    H: number,
  ): boolean;
  /** Optional: `CellKernel.backward` of the cell `kind`, same arguments (`dgh` may be `dgx`). @returns as `cellForward` */
  cellBackward?(
    kind: CellKind,
    dgx: Float32Array,
    dgxOff: number,
    dgh: Float32Array,
    dghOff: number,
    dhPrev: Float32Array,
    dhpOff: number,
    dcPrev: Float32Array,
    dcpOff: number,
    dh: Float32Array,
    dhOff: number,
    dc: Float32Array,
    dcOff: number,
    act: Float32Array,
    actOff: number,
    aux: Float32Array,
    auxOff: number,
    hPrev: Float32Array,
    hpOff: number,
    cPrev: Float32Array,
    cpOff: number,
    B: number,
    H: number,
  ): boolean;
  /** Optional: `C[i, :] += bias[0, N)` for each of M rows `C [M, N]`. */
  addBiasRows?(C: Float32Array, cOff: number, bias: Float32Array, bOff: number, M: number, N: number): void;
  /** Optional: `out[0, N) += Σ_i A[i, :]` over `A [M, N]`, rows added into `out` in order (bias gradients). */
  sumRows?(out: Float32Array, oOff: number, A: Float32Array, aOff: number, M: number, N: number): void;
  /** Optional: the one-hot projection `out[i, :] = W[:, ids[i]] + bias` for `out [M, N]`, `W [N, V]`, `bias [N]`. */
  gatherColumns?(
    out: Float32Array,
    oOff: number,
    W: Float32Array,
    wOff: number,
    bias: Float32Array,
    bOff: number,
    ids: Int32Array,
    idOff: number,
    M: number,
    N: number,
    V: number,
  ): void;
  /**
   * Optional: `softmaxCrossEntropy` (`softmax.ts`) of rows `[N, V]`, same arguments and result, over any arrays;
   * the caller has checked the shapes and targets (< V). Used when the caller passes this backend.
   */
  softmaxCrossEntropy?(
    dlogits: Float32Array | null,
    logits: Float32Array,
    targets: Int32Array,
    N: number,
    V: number,
    scale: number,
  ): number;
  /**
   * Optional: one Adam update in place over equally long `params`, `grads`, `m`, `v` (any arrays), with
   * `coefs` = [beta1, beta2, 1 - beta1, 1 - beta2, stepSize, sqrt(1 - beta2^t), eps, decay, l2] (see `adam.ts`).
   */
  adamUpdate?(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, coefs: Float64Array): void;
  /**
   * Optional: `C[M, N] (+)= A[M, K] · Wᵀ` for lower-precision weights `W [N, K]` (`lowPrecision.ts`: packed in this
   * backend's memory), each row of C independent of M (streaming steps); accumulated in float32.
   */
  gemmNTLowp?(
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    aOff: number,
    W: LowpWeights,
    C: Float32Array,
    cOff: number,
    accumulate: boolean,
  ): void;
  /**
   * Optional: one streaming step of ONE row through every layer and the head in one call (`RNNModel.step` with
   * B = 1; the products read `plan.packed` where the weights are packed), with the bits of the step done method by
   * method (which are those of any row of a batched step). `P` holds the weights at `plan`'s offsets; `x` is the token id `[1]` (`plan.onehot`) or the
   * dense input `[plan.layers[0].inputWidth]`; `h`, `c` `[L, H]` are updated in place; `y` `[Y]` receives the
   * head's output (untouched when `plan.head` is null).
   * @returns false when it could not run (e.g. `P` is not in this backend's memory): the caller steps as usual
   */
  streamStep?(
    plan: StreamPlan,
    P: Float32Array,
    x: Float32Array | Int32Array,
    h: Float32Array,
    c: Float32Array | undefined,
    y: Float32Array,
  ): boolean;
  /** Optional: its gradient `W[:, ids[i]] += A[i, :]` for `A [M, N]`, `W [N, V]`. */
  scatterAddColumns?(
    W: Float32Array,
    wOff: number,
    A: Float32Array,
    aOff: number,
    ids: Int32Array,
    idOff: number,
    M: number,
    N: number,
    V: number,
  ): void;
}

/** A model's shape and where its weights lie in its parameter array (element offsets), for `Backend.streamStep`. */
export interface StreamPlan {
  readonly cell: CellKind;
  readonly hiddenSize: number;
  /** true: layer 0 reads a token id (a column of its `wih`); false: a dense row of `layers[0].inputWidth` floats */
  readonly onehot: boolean;
  /** per layer: `wih [G·H, inputWidth]`, `bih [G·H]`, `whh [G·H, H]`, `bhh [G·H]` (G gates in PyTorch's order) */
  readonly layers: readonly { wih: number; bih: number; whh: number; bhh: number; inputWidth: number }[];
  /** the head's `weight [size, H]` and `bias [size]`, or null when the output is the top layer's h */
  readonly head: { weight: number; bias: number; size: number } | null;
  /**
   * The products' packed lower-precision weights (`RNNModel.quantizeWeights`: every layer's `wih` and `whh` and the
   * head's weight, one kind for all), or null: float32. A one-hot gather reads the float32 (rounded) `wih`.
   */
  readonly packed: {
    readonly layers: readonly { readonly wih: LowpWeights; readonly whh: LowpWeights }[];
    readonly head: LowpWeights | null;
  } | null;
}

/** The recurrent cells eddy implements, named as PyTorch's modules and `nonlinearity` are (declared here, below the cells, so a backend can name them). */
export type CellKind = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

/** How a model's weights are stored for its streaming steps: float32, bf16, or int8 with a scale per row. */
export type WeightPrecision = 'f32' | 'bf16' | 'int8';

/** A weight `[N, K]` packed in lower precision (bf16 bits, or int8 with `scales [N]`), in a backend's memory. */
export interface LowpWeights {
  readonly kind: 'bf16' | 'int8';
  readonly data: Uint16Array | Int8Array;
  readonly scales: Float32Array | null;
  readonly N: number;
  readonly K: number;
}
