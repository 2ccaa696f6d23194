/**
 * Parameter buffers that eddy's own factories allocated (`create`, the file and state_dict loaders, a bidirectional
 * classifier's directions): `dispose` gives those back to the backend. A buffer a caller passed to a constructor
 * stays the caller's and is never released by the model.
 */
import type { Backend } from '../tensor/backend.ts';

const owned = new WeakSet<Float32Array>();

/** `backend.alloc(n)`, remembered as the model's own (released by its `dispose`). */
export function allocParams(backend: Backend, n: number): Float32Array {
  const p = backend.alloc(n);
  owned.add(p);
  return p;
}

/** Whether `params` came from `allocParams`. */
export function ownsParams(params: Float32Array): boolean {
  return owned.has(params);
}
