/**
 * The naive reference kernels: plain triple loops accumulated in float64, written to be obviously right.
 * They are the judge every faster backend is checked against; never optimise this file.
 */
import type { Backend } from './backend.ts';

export const referenceBackend: Backend = {
  name: 'reference',
  alloc: (length) => new Float32Array(length),
  gemmNN(M, N, K, A, aOff, B, bOff, C, cOff, accumulate) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = accumulate ? C[cOff + i * N + j] : 0;
        for (let k = 0; k < K; k++) s += A[aOff + i * K + k] * B[bOff + k * N + j];
        C[cOff + i * N + j] = s;
      }
    }
  },
  gemmNT(M, N, K, A, aOff, B, bOff, C, cOff, accumulate) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = accumulate ? C[cOff + i * N + j] : 0;
        for (let k = 0; k < K; k++) s += A[aOff + i * K + k] * B[bOff + j * K + k];
        C[cOff + i * N + j] = s;
      }
    }
  },
  gemmTN(M, N, K, A, aOff, B, bOff, C, cOff, accumulate) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = accumulate ? C[cOff + i * N + j] : 0;
        for (let k = 0; k < K; k++) s += A[aOff + k * M + i] * B[bOff + k * N + j];
        C[cOff + i * N + j] = s;
      }
    }
  },
};
