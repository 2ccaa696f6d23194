/**
 * The default kernels in plain TypeScript: loop orders that read memory sequentially and small register
 * tiles (several rows at a time) so each loaded value is used more than once. Checked against
 * `referenceBackend` by the property tests.
 */
import type { Backend } from './backend.ts';

/** `C[M,N] (+)= A[M,K] · B[K,N]`: i-k-j order, two rows of C at a time so each row of B is read once per pair. */
function gemmNN(
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
  if (!accumulate) C.fill(0, cOff, cOff + M * N);
  let i = 0;
  for (; i + 1 < M; i += 2) {
    const c0 = cOff + i * N;
    const c1 = c0 + N;
    const a0 = aOff + i * K;
    const a1 = a0 + K;
    for (let k = 0; k < K; k++) {
      const x0 = A[a0 + k];
      const x1 = A[a1 + k];
      if (x0 === 0 && x1 === 0) continue; // one-hot and ReLU inputs are often sparse
      const b = bOff + k * N;
      for (let j = 0; j < N; j++) {
        const bv = B[b + j];
        C[c0 + j] += x0 * bv;
        C[c1 + j] += x1 * bv;
      }
    }
  }
  for (; i < M; i++) {
    const c0 = cOff + i * N;
    const a0 = aOff + i * K;
    for (let k = 0; k < K; k++) {
      const x0 = A[a0 + k];
      if (x0 === 0) continue;
      const b = bOff + k * N;
      for (let j = 0; j < N; j++) C[c0 + j] += x0 * B[b + j];
    }
  }
}

/** `C[M,N] (+)= A[M,K] · B[N,K]ᵀ`: dot products along contiguous rows, 2x2 tiles with 4 accumulators. */
function gemmNT(
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
  let i = 0;
  for (; i + 1 < M; i += 2) {
    const a0 = aOff + i * K;
    const a1 = a0 + K;
    let j = 0;
    for (; j + 1 < N; j += 2) {
      const b0 = bOff + j * K;
      const b1 = b0 + K;
      let s00 = 0,
        s01 = 0,
        s10 = 0,
        s11 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k],
          x1 = A[a1 + k],
          y0 = B[b0 + k],
          y1 = B[b1 + k];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      const c0 = cOff + i * N + j;
      const c1 = c0 + N;
      if (accumulate) {
        C[c0] += s00;
        C[c0 + 1] += s01;
        C[c1] += s10;
        C[c1 + 1] += s11;
      } else {
        C[c0] = s00;
        C[c0 + 1] = s01;
        C[c1] = s10;
        C[c1 + 1] = s11;
      }
    }
    for (; j < N; j++) {
      const b0 = bOff + j * K;
      let s0 = 0,
        s1 = 0;
      for (let k = 0; k < K; k++) {
        const y = B[b0 + k];
        s0 += A[a0 + k] * y;
        s1 += A[a1 + k] * y;
      }
      const c0 = cOff + i * N + j;
      if (accumulate) {
        C[c0] += s0;
        C[c0 + N] += s1;
      } else {
        C[c0] = s0;
        C[c0 + N] = s1;
      }
    }
  }
  for (; i < M; i++) {
    const a0 = aOff + i * K;
    let j = 0;
    for (; j + 3 < N; j += 4) {
      const b0 = bOff + j * K,
        b1 = b0 + K,
        b2 = b1 + K,
        b3 = b2 + K;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let k = 0; k < K; k++) {
        const x = A[a0 + k];
        s0 += x * B[b0 + k];
        s1 += x * B[b1 + k];
        s2 += x * B[b2 + k];
        s3 += x * B[b3 + k];
      }
      const c0 = cOff + i * N + j;
      if (accumulate) {
        C[c0] += s0;
        C[c0 + 1] += s1;
        C[c0 + 2] += s2;
        C[c0 + 3] += s3;
      } else {
        C[c0] = s0;
        C[c0 + 1] = s1;
        C[c0 + 2] = s2;
        C[c0 + 3] = s3;
      }
    }
    for (; j < N; j++) {
      const b0 = bOff + j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a0 + k] * B[b0 + k];
      const c0 = cOff + i * N + j;
      C[c0] = accumulate ? C[c0] + s : s;
    }
  }
}

/** `C[M,N] (+)= A[K,M]ᵀ · B[K,N]`: a sum of outer products, two k at a time. */
function gemmTN(
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
  if (!accumulate) C.fill(0, cOff, cOff + M * N);
  let k = 0;
  for (; k + 1 < K; k += 2) {
    const ar0 = aOff + k * M;
    const ar1 = ar0 + M;
    const br0 = bOff + k * N;
    const br1 = br0 + N;
    for (let i = 0; i < M; i++) {
      const x0 = A[ar0 + i];
      const x1 = A[ar1 + i];
      if (x0 === 0 && x1 === 0) continue;
      const c = cOff + i * N;
      for (let j = 0; j < N; j++) C[c + j] += x0 * B[br0 + j] + x1 * B[br1 + j];
    }
  }
  for (; k < K; k++) {
    const ar = aOff + k * M;
    const br = bOff + k * N;
    for (let i = 0; i < M; i++) {
      const x = A[ar + i];
      if (x === 0) continue;
      const c = cOff + i * N;
      for (let j = 0; j < N; j++) C[c + j] += x * B[br + j];
    }
  }
}

export const jsBackend: Backend = {
  name: 'js',
  alloc: (length) => new Float32Array(length),
  gemmNN,
  gemmNT,
  gemmTN,
};
