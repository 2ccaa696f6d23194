/**
 * The native backend: the wasm backend (its memory, staging, guards and SIMD pointwise kernels) with its three
 * multiplies and every cell's step forward and backward replaced by the optional C++ addon (`native/eddy_native.cc`,
 * `native/eddy_pointwise.h`), plus the softmax cross-entropy and the Adam update (`Backend.softmaxCrossEntropy`,
 * `Backend.adamUpdate`, over any arrays):
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
import { nativeAddon, nativeAddonProblem } from './native/nativeAddon.ts';

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
  });
  return Object.assign(backend, {
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
