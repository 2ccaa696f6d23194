/**
 * The slice of the WebAssembly JavaScript API this backend uses, typed locally: the project compiles against
 * `lib: ES2023` and `@types/node` 20, neither of which declares the `WebAssembly` global. Reading it from
 * `globalThis` (rather than declaring a global) cannot clash with typings a later lib or @types/node brings.
 */

/** `WebAssembly.Memory`: `buffer` is replaced (and old views detached) only by `grow`, which eddy never calls. */
export interface WasmMemory {
  /** An ArrayBuffer, or a SharedArrayBuffer for a shared memory. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** `WebAssembly.Instance` */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** The `WebAssembly` namespace object. */
export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
}

/** The runtime's `WebAssembly`, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}
