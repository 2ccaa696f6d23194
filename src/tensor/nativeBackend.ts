/**
 * The native backend: the wasm backend (its memory, staging, guards and SIMD pointwise kernels) with its three
 * multiplies and every cell's step forward and backward replaced by the optional C++ addon (`native/eddy_native.cc`,
 * `native/eddy_pointwise.h`), plus the softmax cross-entropy and the Adam update (`Backend.softmaxCrossEntropy`,
 * `Backend.adamUpdate`, over any arrays), and a one-row streaming step in one call (`Backend.streamStep`):
 * vectorised for the machine that built it (AVX-512 or AVX2 with fused multiply-add), the multiplies on both
 * cores, reading the same memory in place.
 *
 * 1. The addon is built by `npm install` when g++, make and Node's headers are present, and never required:
 *    `nativeAvailable()` says whether it loaded, `createNativeBackend` throws a clear error when it did not, and
 *    `backend: 'auto'` choices elsewhere fall back to the wasm backend.
 * 2. Threads are process-wide (one helper thread beside the calling one). A product is split along its output
 *    (rows or columns of C), so every element is computed the same way on any thread: results do not depend on
 *    the thread count or timing. The helper spins for 2 ms after each product (steps come back to back) and then
 *    sleeps; the calling thread does every chunk the helper has not started, so a descheduled helper costs little.
 * 3. Rounding differs from the wasm kernels (fused multiply-add, other summation order): within float32 accuracy,
 *    checked against the reference kernels by the property tests, but not bit-identical to `wasm-simd`.
 *
 * @example
 * import { createNativeBackend, nativeAvailable, wasmBackend } from 'eddy';
 * const backend = nativeAvailable() ? createNativeBackend() : wasmBackend;
 */
import { availableParallelism } from 'node:os';
import { EddyError } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import { CELL_KERNEL_NAMES, createWasmBackendWith, type WasmBackend, type WasmBackendOptions } from './wasmBackend.ts';
import { nativeAddon, nativeAddonProblem, type NativeAddon } from './native/nativeAddon.ts';
import type { LowpWeights } from './backend.ts';
import { gemmNTLowpReference } from './lowPrecision.ts';
import { shapeError } from '../util/errors.ts';

/** Options for `createNativeBackend`: the wasm backend's, and the thread count. */
export interface NativeBackendOptions extends Omit<WasmBackendOptions, 'relaxedSimd'> {
  /**
   * Threads for the multiplies, 1 or 2, process-wide (the last backend created sets it for all).
   * @default 2 when the machine has two cores or more, else 1
   */
  threads?: number;
}

/** True when the native addon is built and loads here (see `nativeProblem` when it is not). */
export function nativeAvailable(): boolean {
  return nativeAddon() !== undefined;
}

/** Why the native addon is not available, or undefined when it is. */
export function nativeProblem(): string | undefined {
  return nativeAddonProblem();
}

/** The addon's instruction set (`avx512`, `avx2-fma`, ...), vector width and threads; undefined when not available. */
export function nativeInfo():
  | { isa: string; vectorFloats: number; threads: number; hardwareThreads: number }
  | undefined {
  return nativeAddon()?.info();
}

/**
 * Bytes per second the addon's threads read (sum) from a buffer of `bytes` (4 KiB .. 1 GB), `reps` times: the
 * weight-streaming limit of the bench's roofline. Undefined when the addon is not available.
 */
export function nativeReadBandwidth(bytes: number, reps = 1): number | undefined {
  return nativeAddon()?.readBandwidth(bytes, reps);
}

/**
 * Creates a backend whose multiplies run in the native addon, over its own wasm memory.
 * @throws EddyError ERR_INVALID_ARG naming the option; or when the addon is not available (the message says why)
 */
export function createNativeBackend(options: NativeBackendOptions = {}): WasmBackend {
  checkObject('options', options);
  const { threads: t, ...wasmOptions } = options;
  const threads = checkInt('options.threads', t ?? Math.min(2, availableParallelism()), 1, 2);
  const addon = nativeAddon();
  if (!addon)
    throw new EddyError(
      'ERR_INVALID_ARG',
      `the native backend is not available: the addon is ${nativeAddonProblem()}; use wasmBackend instead`,
    );
  addon.setThreads(threads);
  const { isa } = addon.info();
  const cells = Object.fromEntries(
    CELL_KERNEL_NAMES.map((n) => [n, addon[n] as (slot: number, ...args: number[]) => void]),
  );
  const backend = createWasmBackendWith(wasmOptions, {
    name: `native-${isa}`,
    bind: (buffer) => addon.bind(buffer),
    gemm: addon.gemm,
    cells,
    gatherColumns: addon.gatherColumns as (slot: number, ...args: number[]) => void,
    scatterAddColumns: addon.scatterAddColumns as (slot: number, ...args: number[]) => void,
    streamStep: addon.streamStep,
  });
  return Object.assign(backend, {
    gemmNTLowp: lowpProduct(addon, backend),
    softmaxCrossEntropy: (
      dlogits: Float32Array | null,
      logits: Float32Array,
      targets: Int32Array,
      N: number,
      V: number,
      scale: number,
    ) => addon.softmaxXent(dlogits, logits, targets, N, V, scale),
    adamUpdate: (params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, coefs: Float64Array) =>
      addon.adamUpdate(params, grads, m, v, coefs),
  });
}

/**
 * `Backend.gemmNTLowp` on the addon: the packed weights are read in place (they must be views of this backend's
 * memory); A and C are staged into the memory when they are the caller's arrays.
 */
function lowpProduct(addon: NativeAddon, backend: WasmBackend): NonNullable<WasmBackend['gemmNTLowp']> {
  const slot = addon.bind(backend.memory.buffer as ArrayBuffer);
  let sa: Float32Array | null = null;
  let sc: Float32Array | null = null;
  const stage = (cur: Float32Array | null, n: number): Float32Array =>
    cur !== null && cur.length >= n ? cur : backend.alloc(Math.max(n, 4096));
  return (M, N, K, A, aOff, W: LowpWeights, C, cOff, accumulate) => {
    if (!(Number.isInteger(M) && M >= 1) || W.N !== N || W.K !== K)
      throw shapeError('gemmNTLowp sizes', `M >= 1 and W of [${N}, ${K}]`, `M ${M}, W [${W.N}, ${W.K}]`);
    if (aOff + M * K > A.length)
      throw shapeError('gemmNTLowp A', `of at least ${aOff + M * K} elements`, `${A.length}`);
    if (cOff + M * N > C.length)
      throw shapeError('gemmNTLowp C', `of at least ${cOff + M * N} elements`, `${C.length}`);
    sa = backend.owns(A) ? sa : stage(sa, M * K);
    sc = backend.owns(C) ? sc : stage(sc, M * N);
    const inMemory = (x: { buffer: ArrayBufferLike }): boolean => x.buffer === backend.memory.buffer;
    if (
      !inMemory(W.data) ||
      (W.scales && !inMemory(W.scales)) ||
      (sa && !backend.owns(sa)) ||
      (sc && !backend.owns(sc))
    )
      return gemmNTLowpReference(M, N, K, A, aOff, W, C, cOff, accumulate); // memory full ('heap'): the slow path
    let a = A.byteOffset + 4 * aOff;
    if (!backend.owns(A)) {
      sa!.set(A.subarray(aOff, aOff + M * K));
      a = sa!.byteOffset;
    }
    const ownC = backend.owns(C);
    let c = C.byteOffset + 4 * cOff;
    if (!ownC) {
      if (accumulate) sc!.set(C.subarray(cOff, cOff + M * N));
      c = sc!.byteOffset;
    }
    const kind = W.kind === 'bf16' ? 1 : 2;
    addon.gemmLowp(slot, kind, M, N, K, a, W.data.byteOffset, W.scales ? W.scales.byteOffset : -1, c, accumulate);
    if (!ownC) C.set(sc!.subarray(0, M * N), cOff);
  };
}
