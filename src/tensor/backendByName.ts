/**
 * Picks kernels by name, for command lines and configuration files: `'js'`, `'wasm'`, `'native'` or `'auto'`
 * (native where the optional addon is built, else wasm where the runtime has SIMD, else js).
 *
 * @example
 * const backend = backendByName(flags.backend ?? 'auto');
 * const model = loadModel('model.safetensors', { backend });
 */
import type { Backend } from './backend.ts';
import { jsBackend } from './jsBackend.ts';
import { createWasmBackend, wasmSimdSupported } from './wasmBackend.ts';
import { createNativeBackend, nativeAvailable, nativeProblem } from './nativeBackend.ts';
import { EddyError } from '../util/errors.ts';
import { checkOneOf } from '../util/validate.ts';

/** The names `backendByName` takes. */
export type BackendName = 'auto' | 'native' | 'wasm' | 'js';

/** The names, for help texts and validation. */
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'native', 'wasm', 'js'];

/**
 * A backend for `name`: a fresh wasm or native one (its own memory of `capacity` bytes, default 256 MiB, growing
 * into ordinary arrays when full), or `jsBackend`. `threads` (1 or 2) applies to a wasm backend (`close()` it to end
 * its helper thread); the native one has its own.
 * @param options `capacity`, `threads`, and `path`: what to call the value in an error (a flag or option name)
 * @throws EddyError ERR_INVALID_ARG for an unknown name, or a backend this machine cannot run (saying why)
 */
export function backendByName(
  name: string,
  options: { capacity?: number; path?: string; threads?: number } = {},
): Backend {
  const path = options.path ?? 'backend';
  const n = checkOneOf(path, name, BACKEND_NAMES);
  const capacity = options.capacity ?? 256 * 2 ** 20;
  if (n === 'js') return jsBackend;
  if (n === 'native' || (n === 'auto' && nativeAvailable())) {
    if (!nativeAvailable())
      throw new EddyError(
        'ERR_INVALID_ARG',
        `${path} is "native" but the native addon is ${nativeProblem()}; use "wasm"`,
      );
    return createNativeBackend({ capacity, whenFull: 'heap' });
  }
  if (wasmSimdSupported()) return createWasmBackend({ capacity, whenFull: 'heap', threads: options.threads ?? 1 });
  if (n === 'wasm')
    throw new EddyError('ERR_INVALID_ARG', `${path} is "wasm" but this runtime has no WebAssembly SIMD; use "js"`);
  return jsBackend;
}
