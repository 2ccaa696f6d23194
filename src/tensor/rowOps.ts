/**
 * The row operations around the multiplies: bias rows, bias gradients, and the one-hot input projection and its
 * gradient. Each runs the backend's fused kernel when it declares one (`Backend.addBiasRows`, ...) and otherwise
 * its own loop below, which is the reference the fused kernels are checked against.
 *
 * @example
 * addBiasRows(backend, gx, 0, params, bihOffset, T * B, G * H); // gx[r, :] += b_ih for every row
 */
import type { Backend } from './backend.ts';

/**
 * `C[M,N] (+)= A[M,K] · B[N,K]ᵀ` with every row of C independent of M (`Backend.gemmNTRows`, else `gemmNT`, which
 * then has that property): the multiplies of a streaming step.
 */
export function gemmNTRows(
  be: Backend,
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
): void {
  if (be.gemmNTRows) be.gemmNTRows(M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
  else be.gemmNT(M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
}

/** `C[i, :] += bias[bOff, bOff + N)` for each of M rows of `C [M, N]`. */
export function addBiasRows(
  be: Backend,
  C: Float32Array,
  cOff: number,
  bias: Float32Array,
  bOff: number,
  M: number,
  N: number,
): void {
  if (be.addBiasRows) {
    be.addBiasRows(C, cOff, bias, bOff, M, N);
    return;
  }
  for (let r = 0; r < M; r++) {
    const c = cOff + r * N;
    for (let k = 0; k < N; k++) C[c + k] += bias[bOff + k];
  }
}

/** `out[oOff + k] += Σ_i A[i, k]` over `A [M, N]`, the rows added in order (bias gradients). */
export function sumRows(
  be: Backend,
  out: Float32Array,
  oOff: number,
  A: Float32Array,
  aOff: number,
  M: number,
  N: number,
): void {
  if (be.sumRows) {
    be.sumRows(out, oOff, A, aOff, M, N);
    return;
  }
  for (let r = 0; r < M; r++) {
    const a = aOff + r * N;
    for (let k = 0; k < N; k++) out[oOff + k] += A[a + k];
  }
}

/**
 * The one-hot input projection: `out[i, k] = W[k, ids[i]] + bias[k]` for `out [M, N]`, `W [N, V]` (PyTorch's
 * `weight_ih [G·H, V]`), `bias [N]`: the product of one-hot rows with `Wᵀ`, as a gather of columns.
 */
export function gatherColumns(
  be: Backend,
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
): void {
  if (be.gatherColumns) {
    be.gatherColumns(out, oOff, W, wOff, bias, bOff, ids, idOff, M, N, V);
    return;
  }
  for (let r = 0; r < M; r++) {
    const id = ids[idOff + r];
    const o = oOff + r * N;
    for (let k = 0; k < N; k++) out[o + k] = W[wOff + k * V + id] + bias[bOff + k];
  }
}

/** The gradient of `gatherColumns` with respect to W: `W[k, ids[i]] += A[i, k]` for `A [M, N]`, `W [N, V]`. */
export function scatterAddColumns(
  be: Backend,
  W: Float32Array,
  wOff: number,
  A: Float32Array,
  aOff: number,
  ids: Int32Array,
  idOff: number,
  M: number,
  N: number,
  V: number,
): void {
  if (be.scatterAddColumns) {
    be.scatterAddColumns(W, wOff, A, aOff, ids, idOff, M, N, V);
    return;
  }
  for (let r = 0; r < M; r++) {
    const id = ids[idOff + r];
    const a = aOff + r * N;
    for (let k = 0; k < N; k++) W[wOff + k * V + id] += A[a + k];
  }
}
