/**
 * The workspaces a model keeps for callers that pass none (`forward` without `options.workspace`, and `step`'s
 * scratch): every shape's workspace is carved out of one grow-only buffer, so memory stays bounded by the largest
 * shape seen however many distinct (T, B) arrive.
 *
 * 1. A shape that fits the buffer reuses it: only the small view objects are new (and a few are kept, LRU).
 * 2. A larger shape grows the buffer to at least twice its size (or exactly what is needed when the doubled size
 *    cannot be allocated), so a run of growing lengths allocates O(log) times. The wasm and native arenas never
 *    free, so what they hold is at most about 4x the largest workspace; on the js backend the old buffer is garbage.
 * 3. The buffer is shared: handing it to a new shape clears the previous holder's record of its forward pass, so
 *    `backward` on that older workspace is refused instead of reading another window's caches.
 */
import type { Backend } from '../tensor/backend.ts';
import { allocFloats } from '../util/alloc.ts';
import { releaseBuffers } from '../tensor/releaseBuffers.ts';
import type { ModelConfig } from './modelConfig.ts';
import { carveWorkspace, workspaceFloats, type Workspace } from './workspace.ts';

/** View sets kept for shapes seen recently (small: they hold no memory of their own). */
const MAX_VIEWS = 8;

/** One grow-only buffer and the workspaces carved out of it. */
export class WorkspaceCache {
  readonly #config: ModelConfig;
  readonly #backend: Backend;
  #pool: Float32Array | null = null;
  readonly #views = new Map<string, Workspace>(); // LRU order, least recently used first
  #holder: Workspace | null = null; // the workspace that ran last

  constructor(config: ModelConfig, backend: Backend) {
    this.#config = config;
    this.#backend = backend;
  }

  /** Bytes of the current buffer. */
  get bytes(): number {
    return this.#pool === null ? 0 : this.#pool.length * this.#pool.BYTES_PER_ELEMENT;
  }

  /**
   * The workspace for (T, B), valid until a call for another shape.
   * @throws EddyError ERR_INVALID_ARG naming (T, B) and the bytes when it is too large to allocate
   */
  get(T: number, B: number): Workspace {
    const held = this.#holder;
    if (held !== null && held.T === T && held.B === B) return held; // the streaming path: no allocation
    const need = workspaceFloats(this.#config, T, B);
    let pool = this.#pool;
    if (pool === null || pool.length < need) {
      pool = this.#grow(pool === null ? 0 : pool.length, need, T, B);
      this.#pool = pool;
      this.#views.clear();
    }
    const key = `${T}x${B}`;
    let ws = this.#views.get(key);
    if (ws === undefined) {
      ws = carveWorkspace(this.#config, T, B, pool);
      if (this.#views.size >= MAX_VIEWS) this.#views.delete(this.#views.keys().next().value as string);
    } else this.#views.delete(key);
    this.#views.set(key, ws);
    if (held !== null) held.last.x = null; // its caches are about to be overwritten
    this.#holder = ws;
    return ws;
  }

  /**
   * Gives the buffer back to the backend (`dispose`); the workspaces handed out are invalid after it (their
   * forward is forgotten, so `backward` refuses them). The next `get` allocates afresh.
   */
  release(): void {
    if (this.#holder !== null) this.#holder.last.x = null;
    this.#holder = null;
    this.#views.clear();
    if (this.#pool !== null) releaseBuffers(this.#backend, [this.#pool]);
    this.#pool = null;
  }

  #grow(old: number, need: number, T: number, B: number): Float32Array {
    const what = `a workspace for T=${T}, B=${B}`;
    const make = (n: number): Float32Array => this.#backend.alloc(n);
    const doubled = Math.ceil((2 * old) / 4) * 4;
    if (doubled > need) {
      try {
        return allocFloats(what, doubled, make);
      } catch {
        // no room for the doubled size: take exactly what is needed (below, with its own error)
      }
    }
    return allocFloats(what, need, make);
  }
}
