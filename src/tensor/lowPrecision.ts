/**
 * Lower-precision weights for streaming steps (issue 17): a weight matrix `W [N, K]` kept as bf16 (the high 16
 * bits of a float32, rounded to nearest even: 8 bits of mantissa, relative error <= 2^-8) or int8 (per row,
 * `w = q · scale[j]` with `scale[j] = max_k |W[j, k]| / 127`, error <= scale/2), half or a quarter of the bytes a
 * step reads. The float32 weights are rounded in place to the same values, so every path (forward, the reference
 * kernels, a saved file) computes with the weights the fast kernel reads.
 *
 * ```
 * W [N, K] float32 --round--> W (same shape, representable values)  +  data [N, K] u16 | i8, scales [N] (int8)
 * ```
 */
import type { Backend, LowpWeights, WeightPrecision } from './backend.ts';
import { releaseBuffers } from './releaseBuffers.ts';

/** One float32 and its bits, for the conversions (no allocation per element). */
const bits = new Uint32Array(1);
const float = new Float32Array(bits.buffer);

/** The bf16 bits of a float32 (round to nearest even; NaN stays NaN). */
export function toBf16(x: number): number {
  float[0] = x;
  const u = bits[0];
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return (u >>> 16) | 0x40; // a quiet NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The float32 value of bf16 bits. */
export function fromBf16(h: number): number {
  bits[0] = h << 16;
  return float[0];
}

/**
 * Rounds `W [N, K]` (at `off` in `P`) in place to `kind` and returns the packed copy, allocated in `backend`'s
 * memory (so its kernels read it in place).
 */
export function quantizeRows(
  backend: Backend,
  P: Float32Array,
  off: number,
  N: number,
  K: number,
  kind: Exclude<WeightPrecision, 'f32'>,
): LowpWeights {
  const n = N * K;
  if (kind === 'bf16') {
    const f = backend.alloc(Math.ceil(n / 2));
    const data = new Uint16Array(f.buffer, f.byteOffset, n);
    for (let i = 0; i < n; i++) {
      data[i] = toBf16(P[off + i]);
      P[off + i] = fromBf16(data[i]);
    }
    return { kind, data, scales: null, N, K };
  }
  const f = backend.alloc(Math.ceil(n / 4));
  const data = new Int8Array(f.buffer, f.byteOffset, n);
  const scales = backend.alloc(N);
  for (let j = 0; j < N; j++) {
    let m = 0;
    for (let k = 0; k < K; k++) m = Math.max(m, Math.abs(P[off + j * K + k]));
    const s = Math.fround(m / 127);
    scales[j] = s;
    for (let k = 0; k < K; k++) {
      const i = j * K + k;
      const q = s > 0 ? Math.max(-127, Math.min(127, Math.round(P[off + i] / s))) : 0;
      data[i] = q;
      P[off + i] = Math.fround(q * s);
    }
  }
  return { kind, data, scales, N, K };
}

/** Gives `quantizeRows`'s buffers back to `backend` (`Backend.release`; nothing on a backend without it). */
export function releaseLowp(backend: Backend, W: LowpWeights): void {
  const n = W.N * W.K;
  const floats = Math.ceil(n / (W.kind === 'bf16' ? 2 : 4)); // the alloc that `data` views
  releaseBuffers(backend, [new Float32Array(W.data.buffer, W.data.byteOffset, floats), W.scales]);
}

/** The value of element `i` of packed weights. */
function valueAt(W: LowpWeights, i: number, row: number): number {
  return W.kind === 'bf16' ? fromBf16(W.data[i]) : W.data[i] * W.scales![row];
}

/**
 * The reference of `Backend.gemmNTLowp`: `C[M, N] (+)= A[M, K] · Wᵀ`, summed in float64 (the judge of the native
 * kernel, and its fallback where staging does not fit).
 */
export function gemmNTLowpReference(
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  W: LowpWeights,
  C: Float32Array,
  cOff: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[aOff + i * K + k] * valueAt(W, j * K + k, j);
      C[cOff + i * N + j] = (accumulate ? C[cOff + i * N + j] : 0) + s;
    }
}
