/**
 * Gives the Float32Arrays among `values` back to the backend that allocated them (`Backend.release`), so that code
 * which allocates per stream or per episode (a keyed subscription's batch buffers, a glimpse episode's workspace)
 * does not fill a wasm or native backend's memory, which is never returned otherwise. Other values (numbers,
 * Int32Arrays, nulls) are skipped, as is everything on a backend without `release` (ordinary arrays: the garbage
 * collector frees them). Each buffer must be a whole `alloc` view, listed once, and unused afterwards.
 */
import type { Backend } from './backend.ts';

export function releaseBuffers(backend: Backend, values: Iterable<unknown>): void {
  if (backend.release === undefined) return;
  for (const v of values) if (v instanceof Float32Array) backend.release(v);
}

/**
 * A model's `dispose`: gives its `grads` (and `params` when `ownsParams`) back to `backend` and leaves both empty, so
 * that no view of released memory (perhaps another model's next) stays reachable through the model.
 */
export function releaseModelBuffers(
  backend: Backend,
  model: { readonly params: Float32Array; readonly grads: Float32Array },
  ownsParams: boolean,
): void {
  releaseBuffers(backend, ownsParams ? [model.grads, model.params] : [model.grads]);
  const m = model as { params: Float32Array; grads: Float32Array };
  m.params = new Float32Array(0);
  m.grads = new Float32Array(0);
}
