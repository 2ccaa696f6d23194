/**
 * The `KeyedStepper` core: one model, one carried state per key (many concurrent streams), an LRU bound and
 * idle expiry, and batched steps. Shared by `keyedRecurrent` (RxJS, micro-batched) and `keyedRecurrentAsync`.
 *
 * ```
 * key -> { state h [L,1,H] (+ c), last seen }          Map in LRU order (least recently stepped first)
 *
 * stepBatch(keys k_0..k_{B-1}, inputs):                 keys distinct, B <= maxBatch
 *   gather   h[l, b, :] = state(k_b).h[l, 0, :]         (and c) into one batch state [L, B, H]
 *   step     model.step(x [B, X] | ids [B], batch state, y [B, Y])
 *   scatter  state(k_b).h[l, 0, :] = h[l, b, :]         rows of one batch never interact, so each output
 *                                                      equals stepping that key alone
 * ```
 * 1. A key seen for the first time starts from `options.initialState(key)` (a persisted state) or zeros.
 * 2. Adding a key beyond `maxKeys` evicts the least recently stepped key: `onEvict(key, state, 'lru')`.
 * 3. `sweep(now)` evicts keys idle for `idleMs` or more: `onEvict(key, state, 'idle')`.
 * 4. The state handed to `onEvict` is the key's own (no longer used by the stepper): keep it or serialize it.
 * 5. The LRU order is a linked list through the entries: stepping a key moves it to the recent end in O(1) and
 *    an eviction takes the list's head, whatever the number of keys.
 * 6. Lazy scatter: after a step the batch's rows stay where they are, the keys "resident" in the batch buffer,
 *    and are written back to the keys' own states only when needed (another set of keys is stepped, a key is
 *    evicted or peeked). When the next batch is exactly the resident keys, in any order (a tick of the same N
 *    streams, all in one batch), it is stepped in place: no gather, no scatter, only each key's input placed at
 *    its row. A 1,000-key W4 tick spent about a tenth of its time in the gather and scatter.
 */
import type { RecurrentState } from '../model/recurrentState.ts';
import type { RNNModel } from '../model/rnnModel.ts';
import { EddyError, invalidArg, shapeError, describeKind } from '../util/errors.ts';
import { checkInt, checkNumber } from '../util/validate.ts';
import { firstNonFinite, nonFiniteError } from '../util/finite.ts';
import { releaseBuffers } from '../tensor/releaseBuffers.ts';
import { outputWidth, resolveState, type StateLike, type StepInput } from './stepper.ts';

/** Why a key's state left the map. */
export type EvictReason = 'lru' | 'idle' | 'complete';

/** Options of the per-key state map. */
export interface KeyedStateOptions<K> {
  /** The most keys held; adding one more evicts the least recently stepped. @default 10000 */
  maxKeys?: number;
  /** Evict a key not stepped for this many milliseconds (> 0). @default undefined (never) */
  idleMs?: number;
  /**
   * Receives each evicted key with its final state (to persist it), and why: `'lru'`, `'idle'`, or
   * `'complete'` for the keys left when the source completes. A throw becomes a stream error.
   * @default undefined
   */
  onEvict?: (key: K, state: RecurrentState, reason: EvictReason) => void;
  /**
   * The state a key starts from when first seen (or seen again after eviction): a one-row state, its
   * `serializeState` JSON, or undefined for zeros.
   * @default undefined (zeros)
   */
  initialState?: (key: K) => StateLike | undefined;
}

/** `KeyedStateOptions` after validation. */
export interface ResolvedKeyedState<K> {
  readonly maxKeys: number;
  readonly idleMs: number; // Infinity: never
  readonly onEvict: ((key: K, state: RecurrentState, reason: EvictReason) => void) | null;
  readonly initialState: ((key: K) => StateLike | undefined) | null;
}

/** Validates the per-key options. @throws EddyError ERR_INVALID_ARG naming `options.<field>` */
export function resolveKeyedState<K>(o: KeyedStateOptions<K>): ResolvedKeyedState<K> {
  const maxKeys = checkInt('options.maxKeys', o.maxKeys ?? 10000, 1);
  const idleMs =
    o.idleMs === undefined ? Infinity : checkNumber('options.idleMs', o.idleMs, 0, Infinity, { min: true });
  if (o.onEvict !== undefined && typeof o.onEvict !== 'function')
    throw invalidArg('options.onEvict', 'a function (key, state, reason) => void', o.onEvict);
  if (o.initialState !== undefined && typeof o.initialState !== 'function')
    throw invalidArg('options.initialState', 'a function (key) => state | undefined', o.initialState);
  return { maxKeys, idleMs, onEvict: o.onEvict ?? null, initialState: o.initialState ?? null };
}

interface Entry<K> {
  key: K;
  state: RecurrentState; // h [L,1,H], c? [L,1,H]; stale while `row >= 0`
  last: number; // time of the last step
  row: number; // its row in the batch buffer when resident (its state is there), else -1
  prev: Entry<K> | null; // the LRU list: toward the least recently stepped
  next: Entry<K> | null; // toward the most recently stepped
}

interface BatchViews {
  state: RecurrentState; // h [L,B,H], c? [L,B,H]
  x: Float32Array | Int32Array; // [B, X] or ids [B]
  y: Float32Array; // [B, Y]
}

/** Per-key states with LRU and idle eviction, stepped in batches. */
export class KeyedStepper<K> {
  readonly model: RNNModel;
  /** The largest batch `stepBatch` accepts. */
  readonly capacity: number;
  readonly #o: ResolvedKeyedState<K>;
  /**
   * Key -> entry (lookup only), and the entries in LRU order as a doubly linked list (`#oldest` first). Moving a
   * key to the recent end is two pointer updates: re-inserting it into the Map instead (delete, then set) left a
   * deleted slot at the Map's front per eviction, which the next eviction's `entries().next()` walked past: with
   * every step an eviction, 100,000 keys over 80,000 places took 82-85 µs a step instead of 3.3-4.2 (`keyedChurn.ts`).
   */
  #entries: Map<K, Entry<K>> | null = new Map();
  #oldest: Entry<K> | null = null;
  #newest: Entry<K> | null = null;
  #buffers: { h: Float32Array; c: Float32Array | null; x: Float32Array | Int32Array; y: Float32Array } | null = null;
  #views: Map<number, BatchViews> | null = new Map();
  /** The entries whose current state is in the batch buffer (row i of a batch of `#resident.length` rows). */
  #resident: Entry<K>[] = [];
  #seen = new Uint8Array(0);

  /** @param maxBatch the largest batch wanted; capped at `maxKeys` so a batch never evicts its own keys */
  constructor(model: RNNModel, o: ResolvedKeyedState<K>, maxBatch: number) {
    this.model = model;
    this.#o = o;
    this.capacity = Math.min(maxBatch, o.maxKeys);
  }

  /** Number of keys held. */
  get size(): number {
    return this.#map().size;
  }

  /** A copy of a key's state, or undefined if it is not held. */
  peek(key: K): RecurrentState | undefined {
    const e = this.#map().get(key);
    if (e !== undefined && e.row >= 0) this.#writeBack();
    return e && (e.state.c ? { h: e.state.h.slice(), c: e.state.c.slice() } : { h: e.state.h.slice() });
  }

  /**
   * One batched step for `n` distinct keys. Returns a copy of each key's output `[Y]` (each with its own buffer).
   * @throws EddyError ERR_SHAPE / ERR_INVALID_ARG for an input of the wrong kind, ERR_NON_FINITE for a NaN or
   *   infinity in one, naming its key; checked before any state is touched
   */
  stepBatch(keys: readonly K[], inputs: readonly StepInput[], n: number, now: number): Float32Array[] {
    if (n < 1 || n > this.capacity)
      throw new EddyError('ERR_INVALID_ARG', `stepBatch: expected 1..${this.capacity} rows but received ${n}`);
    const { numLayers: L, hiddenSize: H, input: kind, inputSize: X } = this.model.config;
    const Y = outputWidth(this.model);
    const v = this.#batch(n);
    for (let b = 0; b < n; b++) {
      // Check every input before touching any state, so a bad element leaves all states as they were.
      const x = inputs[b];
      if (kind === 'dense') {
        if (!(x instanceof Float32Array) || x.length !== X)
          throw shapeError(
            `input of key ${String(keys[b])}`,
            `Float32Array of length ${X} ([X=${X}])`,
            describeKind(x),
          );
        const bad = firstNonFinite(x);
        if (bad >= 0) throw nonFiniteError(`input of key ${String(keys[b])}`, `x[${bad}]`, x[bad]);
      } else {
        const id = typeof x === 'number' ? x : x instanceof Int32Array && x.length === 1 ? x[0] : NaN;
        if (!Number.isInteger(id) || id < 0 || id >= X)
          throw invalidArg(`input of key ${String(keys[b])}`, `token id (integer in [0, ${X}))`, x);
      }
    }
    const entries: Entry<K>[] = new Array(n);
    for (let b = 0; b < n; b++) entries[b] = this.#touch(keys[b], now);
    const outs: Float32Array[] = new Array(n);
    // In place when the keys are exactly the resident ones: as many, each resident, each row once (so every row
    // stepped is one of this batch's keys; callers pass distinct keys, checked here all the same).
    let inPlace = this.#resident.length === n;
    if (inPlace) {
      const seen = this.#rowSeen(n);
      for (let b = 0; inPlace && b < n; b++) {
        const r = entries[b].row;
        inPlace = r >= 0 && seen[r] === 0;
        if (inPlace) seen[r] = 1;
      }
    }
    if (inPlace) {
      for (let b = 0; b < n; b++) {
        const x = inputs[b];
        const r = entries[b].row;
        if (kind === 'dense') (v.x as Float32Array).set(x as Float32Array, r * X);
        else (v.x as Int32Array)[r] = typeof x === 'number' ? x : (x as Int32Array)[0];
      }
      this.model.step(v.x, v.state, v.y);
      for (let b = 0; b < n; b++) {
        const r = entries[b].row;
        outs[b] = v.y.slice(r * Y, (r + 1) * Y); // its own buffer: callers use output.buffer
      }
      return outs;
    }
    this.#writeBack();
    const bh = v.state.h;
    const bc = v.state.c;
    // Gather by TypedArray.set (a memory copy; element loops took a fifth of a W4 tick); no scatter (see 6.).
    for (let b = 0; b < n; b++) {
      const s = entries[b].state;
      if (L === 1) {
        bh.set(s.h, b * H);
        if (bc && s.c) bc.set(s.c, b * H);
      } else {
        for (let l = 0; l < L; l++) {
          bh.set(s.h.subarray(l * H, (l + 1) * H), (l * n + b) * H);
          if (bc && s.c) bc.set(s.c.subarray(l * H, (l + 1) * H), (l * n + b) * H);
        }
      }
      const x = inputs[b];
      if (kind === 'dense') (v.x as Float32Array).set(x as Float32Array, b * X);
      else (v.x as Int32Array)[b] = typeof x === 'number' ? x : (x as Int32Array)[0];
    }
    this.model.step(v.x, v.state, v.y);
    const resident = this.#resident;
    for (let b = 0; b < n; b++) {
      entries[b].row = b;
      resident.push(entries[b]);
      outs[b] = v.y.slice(b * Y, (b + 1) * Y); // its own buffer: callers use output.buffer (views of one batch copy were cheaper, but not that)
    }
    return outs;
  }

  /** A zeroed mark per row, for the in-place check (one buffer, grown to the capacity once). */
  #rowSeen(n: number): Uint8Array {
    if (this.#seen.length < n) this.#seen = new Uint8Array(this.capacity);
    else this.#seen.fill(0, 0, n);
    return this.#seen;
  }

  /** Writes the resident rows back to their keys' own states (the deferred scatter); none is resident after. */
  #writeBack(): void {
    const resident = this.#resident;
    const n = resident.length;
    if (n === 0) return;
    const { numLayers: L, hiddenSize: H } = this.model.config;
    const { h: bh, c: bc } = this.#batch(n).state;
    for (let b = 0; b < n; b++) {
      const e = resident[b];
      const s = e.state;
      for (let l = 0; l < L; l++) {
        const src = (l * n + b) * H;
        s.h.set(bh.subarray(src, src + H), l * H);
        if (bc && s.c) s.c.set(bc.subarray(src, src + H), l * H);
      }
      e.row = -1;
    }
    resident.length = 0;
  }

  /** The time at which the least recently stepped key expires (Infinity without idleMs or keys). */
  nextExpiry(): number {
    if (this.#o.idleMs === Infinity) return Infinity;
    this.#map();
    return this.#oldest === null ? Infinity : this.#oldest.last + this.#o.idleMs;
  }

  /** Evicts the keys idle for `idleMs` or more at time `now`. */
  sweep(now: number): void {
    this.#map();
    for (let e = this.#oldest; e !== null && now - e.last >= this.#o.idleMs; e = this.#oldest) {
      // LRU order: the rest are younger
      if (e.row >= 0) this.#writeBack();
      this.#remove(e);
      this.#o.onEvict?.(e.key, e.state, 'idle');
    }
  }

  /** Evicts every key (with `reason`), least recently stepped first. */
  evictAll(reason: EvictReason): void {
    this.#map();
    this.#writeBack();
    for (let e = this.#oldest; e !== null; e = this.#oldest) {
      this.#remove(e);
      this.#o.onEvict?.(e.key, e.state, reason);
    }
  }

  /**
   * Drops every state without calling `onEvict`, and gives the batch buffers back to the backend: a subscription
   * that ends leaves nothing in a wasm or native backend's memory.
   */
  release(): void {
    if (this.#buffers !== null) releaseBuffers(this.model.backend, Object.values(this.#buffers));
    this.#entries = null;
    this.#oldest = null;
    this.#newest = null;
    this.#buffers = null;
    this.#views = null;
    this.#resident = [];
  }

  #map(): Map<K, Entry<K>> {
    if (this.#entries === null)
      throw new EddyError('ERR_INVALID_ARG', 'The keyed stepper was released (its subscription ended)');
    return this.#entries;
  }

  /** The key's entry, moved to the most recent end of the LRU order; created (evicting the LRU) if absent. */
  #touch(key: K, now: number): Entry<K> {
    const map = this.#map();
    let e = map.get(key);
    if (e !== undefined) this.#unlink(e);
    else {
      const init = this.#o.initialState?.(key);
      const state =
        init === undefined
          ? this.model.createState(1)
          : resolveState(this.model, init, `options.initialState(${String(key)})`);
      e = { key, state, last: now, row: -1, prev: null, next: null };
      const old = this.#oldest;
      if (map.size >= this.#o.maxKeys && old !== null) {
        if (old.row >= 0) this.#writeBack();
        this.#remove(old);
        this.#o.onEvict?.(old.key, old.state, 'lru');
      }
      map.set(key, e);
    }
    e.last = now;
    // append at the recent end
    e.prev = this.#newest;
    e.next = null;
    if (this.#newest !== null) this.#newest.next = e;
    else this.#oldest = e;
    this.#newest = e;
    return e;
  }

  /** Takes an entry out of the LRU list (its key stays in the Map). */
  #unlink(e: Entry<K>): void {
    if (e.prev !== null) e.prev.next = e.next;
    else this.#oldest = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else this.#newest = e.prev;
    e.prev = null;
    e.next = null;
  }

  /** Takes an entry out of the list and its key out of the Map. */
  #remove(e: Entry<K>): void {
    this.#unlink(e);
    this.#map().delete(e.key);
  }

  /** Views of the batch buffers for B rows (allocated once at capacity, views cached per B). */
  #batch(B: number): BatchViews {
    const views = this.#views as Map<number, BatchViews>;
    let v = views.get(B);
    if (v !== undefined) return v;
    const { numLayers: L, hiddenSize: H, input: kind, inputSize: X } = this.model.config;
    const cap = this.capacity;
    if (this.#buffers === null) {
      const n = L * cap * H;
      this.#buffers = {
        h: this.model.backend.alloc(n),
        c: this.model.cell.hasCell ? this.model.backend.alloc(n) : null,
        // x and y in the memory of a wasm or native backend, so that the step reads and writes them in place
        x: kind === 'dense' ? this.model.backend.alloc(cap * X) : new Int32Array(cap),
        y: this.model.backend.alloc(cap * outputWidth(this.model)),
      };
    }
    const buf = this.#buffers;
    const n = L * B * H;
    v = {
      state: buf.c ? { h: buf.h.subarray(0, n), c: buf.c.subarray(0, n) } : { h: buf.h.subarray(0, n) },
      x: buf.x.subarray(0, kind === 'dense' ? B * X : B),
      y: buf.y.subarray(0, B * outputWidth(this.model)),
    };
    views.set(B, v);
    return v;
  }
}
