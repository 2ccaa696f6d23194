/**
 * The kernel interface every cell and model calls. A faster backend (WebAssembly SIMD, worker threads, GPU)
 * implements the same methods and is checked against `referenceBackend` before it is trusted or timed.
 *
 * All matrices are dense, row-major, contiguous, addressed by an array and an element offset, so callers never
 * allocate views in hot loops. `accumulate` adds into C instead of overwriting it.
 */
export interface Backend {
  /** Short name for tables and errors, e.g. `"js"`, `"reference"`, `"wasm-simd"`. */
  readonly name: string;
  /** A zeroed buffer this backend can compute on directly (a wasm backend returns a view of its memory). */
  alloc(length: number): Float32Array;
  /** `C[M,N] (+)= A[M,K] · B[K,N]` */
  gemmNN(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, accumulate: boolean): void;
  /** `C[M,N] (+)= A[M,K] · B[N,K]ᵀ` (B is a PyTorch weight `[out, in]`) */
  gemmNT(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, accumulate: boolean): void;
  /** `C[M,N] (+)= A[K,M]ᵀ · B[K,N]` (weight gradients: `dW += dGᵀ · X`) */
  gemmTN(M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, accumulate: boolean): void;
}
