/**
 * Loads eddy's optional native addon (`eddy_native.cc`, built by `npm install` with node-gyp when a C++ compiler
 * and Node's headers are present; `npm run build:native` rebuilds it). Nothing requires it: when it is missing,
 * failed to build, or `EDDY_NATIVE=0` is set, `nativeAddon()` returns undefined and `nativeAddonProblem()` says why.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What the addon exports (see `eddy_native.cc`). */
export interface NativeAddon {
  /** Registers a buffer that later calls address by byte offsets; returns its slot. */
  bind(buffer: ArrayBuffer): number;
  /** `C (+)= op(A, B)` for op 0 NN, 1 NT, 2 TN (the `Backend` multiplies), operands at byte offsets in slot's buffer. */
  gemm(
    slot: number,
    op: 0 | 1 | 2 | 3,
    M: number,
    N: number,
    K: number,
    a: number,
    b: number,
    c: number,
    accumulate: boolean,
  ): void;
  /** The LSTM step forward, as the wasm kernel of that name (byte addresses after the slot). */
  lstmForward(
    slot: number,
    h: number,
    c: number,
    act: number,
    aux: number,
    gx: number,
    gh: number,
    cPrev: number,
    bhh: number,
    B: number,
    H: number,
  ): void;
  /** The LSTM step backward, as the wasm kernel of that name. */
  lstmBackward(
    slot: number,
    dgx: number,
    dgh: number,
    dhPrev: number,
    dcPrev: number,
    dh: number,
    dc: number,
    act: number,
    aux: number,
    cPrev: number,
    B: number,
    H: number,
  ): void;
  /** The GRU step forward and backward, and the vanilla RNN's (tanh, relu), as the wasm kernels of those names. */
  gruForward(slot: number, ...addrsThenBH: number[]): void;
  gruBackward(slot: number, ...addrsThenBH: number[]): void;
  rnnTanhForward(slot: number, ...addrsThenBH: number[]): void;
  rnnReluForward(slot: number, ...addrsThenBH: number[]): void;
  rnnTanhBackward(slot: number, ...addrsThenBH: number[]): void;
  rnnReluBackward(slot: number, ...addrsThenBH: number[]): void;
  /** `softmaxCrossEntropy` over any arrays (not only bound ones); returns the summed loss. */
  softmaxXent(
    dlogits: Float32Array | null,
    logits: Float32Array,
    targets: Int32Array,
    N: number,
    V: number,
    scale: number,
  ): number;
  /** One Adam update in place; `coefs` = [beta1, beta2, 1 - beta1, 1 - beta2, stepSize, sqrt(1 - beta2^t), eps, decay, l2]. */
  adamUpdate(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, coefs: Float64Array): void;
  /** `C (+)= A · Wᵀ` with W in bf16 (kind 1) or int8 (kind 2, scales at byte address `scales`, else -1), row by row. */
  gemmLowp(
    slot: number,
    kind: 1 | 2,
    M: number,
    N: number,
    K: number,
    a: number,
    w: number,
    scales: number,
    c: number,
    accumulate: boolean,
  ): void;
  /**
   * The one-hot input projection `out [M, N] = W [N, V]` column `ids[i]` + `bias [N]` per row, as the wasm kernel
   * of that name (byte addresses after the slot; ids an Int32Array in the buffer, each checked in [0, V)).
   */
  gatherColumns(slot: number, out: number, w: number, bias: number, ids: number, M: number, N: number, V: number): void;
  /** Its gradient `W [N, V]` column `ids[i]` += `A [M, N]` row i (rows in order), as the wasm kernel of that name. */
  scatterAddColumns(slot: number, w: number, a: number, ids: number, M: number, N: number, V: number): void;
  /**
   * One streaming step of one row through every layer and the head (`eddy_native.cc`'s StreamStep: the layout of
   * `args`, byte addresses in the bound buffer, is written there); h and c in place.
   */
  streamStep(slot: number, args: Int32Array): void;
  /** Bytes per second read by summing a buffer of `bytes` `reps` times on the pool's threads. */
  readBandwidth(bytes: number, reps: number): number;
  /** Sets the process-wide thread count (1 or 2); returns the count in effect. */
  setThreads(n: number): number;
  /** The instruction set it was compiled for, its vector width in floats and its thread counts. */
  info(): { isa: string; vectorFloats: number; threads: number; hardwareThreads: number };
}

/**
 * Where `npm install` leaves the compiled addon: beside this file's source, `src/tensor/native/build/`, found
 * from the sources and from the compiled package (`dist/src/tensor/native/` -> `src/tensor/native/`).
 */
export const NATIVE_ADDON_PATH =
  [
    new URL('./build/Release/eddy_native.node', import.meta.url),
    new URL('../../../../src/tensor/native/build/Release/eddy_native.node', import.meta.url),
  ]
    .map((u) => fileURLToPath(u))
    .find((p) => existsSync(p)) ?? fileURLToPath(new URL('./build/Release/eddy_native.node', import.meta.url));

let loaded: NativeAddon | undefined;
let problem: string | undefined;
let tried = false;

/** The addon, loaded once; undefined when it is absent, unloadable or disabled by `EDDY_NATIVE=0`. */
export function nativeAddon(): NativeAddon | undefined {
  if (tried) return loaded;
  tried = true;
  if (process.env.EDDY_NATIVE === '0') {
    problem = 'disabled by EDDY_NATIVE=0';
  } else if (!existsSync(NATIVE_ADDON_PATH)) {
    problem = `not built (${NATIVE_ADDON_PATH} is missing; run npm run build:native, which needs g++, make and Node's headers)`;
  } else {
    try {
      loaded = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    } catch (err) {
      problem = `could not be loaded from ${NATIVE_ADDON_PATH}: ${(err as Error).message} (rebuild it with npm run build:native)`;
    }
  }
  return loaded;
}

/** Why `nativeAddon()` is undefined (undefined when it loaded). */
export function nativeAddonProblem(): string | undefined {
  nativeAddon();
  return problem;
}
