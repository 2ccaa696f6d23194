/**
 * One `WebAssembly.Memory` that never grows, split into three regions:
 *
 * ```
 * 0    64                    bump            stageBase          packBase      capacity
 * |null|  alloc'd views ──►  |   free   |  ◄── staging   |  pack buffers, tmp  |
 * ```
 *
 * 1. `alloc` hands out 16-byte-aligned `Float32Array` views from the bottom (a bump allocator), zeroed. `release`
 *    gives one back: a block just below the bump lowers it (with any released blocks it then reaches), another
 *    waits for an `alloc` of the same size. So code that allocates per stream or per episode and releases at its
 *    end (keyed subscriptions, glimpse episodes) runs forever in bounded memory instead of filling the arena.
 * 2. `stage` reserves room at the top for copies of gemm arguments that live outside the memory; it only ever
 *    grows downwards, and its contents are valid for one call.
 * 3. The pack buffers for the blocked multiply sit above it, sized once.
 *
 * The memory is created at its full capacity and never grown: growing would detach every view handed out so
 * far. The reservation is virtual; the operating system backs pages only when they are first written.
 */
import { EddyError } from '../../util/errors.ts';
import type { WasmApi, WasmMemory } from './wasmApi.ts';

const PAGE = 65536;

/** What the arena does when an allocation does not fit. */
export type WhenFull = 'error' | 'heap';

/** The memory and its allocators. */
export class WasmArena {
  readonly memory: WasmMemory;
  /** The memory's buffer and a view of all of it (valid forever: the memory never grows). */
  readonly buffer: ArrayBuffer;
  readonly f32: Float32Array;
  readonly capacity: number;
  /** Byte address of the pack buffers (`packBytes` of them). */
  readonly packBase: number;
  private bump = 64;
  /** The highest the bump has been: memory above it was never written, below it may hold released data. */
  private high = 64;
  private stageBase: number;
  /** Byte address -> bytes of every alloc'd view not yet released (to refuse a view or a second release). */
  readonly #live = new Map<number, number>();
  /** Bytes -> addresses of released blocks below the bump, waiting for an alloc of that size. */
  readonly #free = new Map<number, number[]>();
  /** End address -> start address of each released block below the bump (to lower the bump over them). */
  readonly #freeEnds = new Map<number, number>();
  #freeBytes = 0;
  private readonly whenFull: WhenFull;

  /** @param shared a shared memory (its buffer a SharedArrayBuffer), for worker threads */
  constructor(api: WasmApi, capacity: number, packBytes: number, whenFull: WhenFull, shared = false) {
    this.capacity = capacity;
    this.memory = new api.Memory({ initial: capacity / PAGE, maximum: capacity / PAGE, shared });
    this.buffer = this.memory.buffer as ArrayBuffer;
    this.f32 = new Float32Array(this.buffer);
    this.packBase = capacity - align16(packBytes);
    this.stageBase = this.packBase;
    this.whenFull = whenFull;
  }

  /** Bytes from the bottom of the memory to the bump: live views and released blocks waiting below it. */
  get used(): number {
    return this.bump - 64;
  }

  /** Bytes of released blocks below the bump (reused by an `alloc` of the same size). */
  get releasedBytes(): number {
    return this.#freeBytes;
  }

  /** True if `x` is a view of this memory (gemm arguments that need no copy). */
  owns(x: Float32Array): boolean {
    return x.buffer === this.buffer;
  }

  /**
   * A zeroed view of `length` floats at a 16-byte boundary.
   * @throws EddyError ERR_INVALID_ARG when the memory is full and `whenFull` is `'error'`
   */
  alloc(length: number): Float32Array {
    const bytes = align16(length * 4);
    const reused = bytes > 0 ? this.#free.get(bytes)?.pop() : undefined;
    if (reused !== undefined) {
      if (this.#free.get(bytes)?.length === 0) this.#free.delete(bytes);
      this.#freeEnds.delete(reused + bytes);
      this.#freeBytes -= bytes;
      this.#live.set(reused, bytes);
      return new Float32Array(this.buffer, reused, length).fill(0);
    }
    if (this.bump + bytes > this.stageBase) {
      if (this.whenFull === 'heap') return new Float32Array(length);
      throw new EddyError(
        'ERR_INVALID_ARG',
        `wasm backend memory exhausted: alloc(${length}) needs ${bytes} bytes but ${this.stageBase - this.bump} of options.capacity ` +
          `${this.capacity} remain (${this.used} allocated, ${this.packBase - this.stageBase} staging, ${this.capacity - this.packBase} pack buffers); ` +
          `create the backend with a larger options.capacity, or options.whenFull: 'heap' to continue with ordinary arrays`,
      );
    }
    const view = new Float32Array(this.buffer, this.bump, length);
    if (this.bump < this.high) view.fill(0); // below the high mark: released data may lie there
    if (bytes > 0) this.#live.set(this.bump, bytes);
    this.bump += bytes;
    if (this.bump > this.high) this.high = this.bump;
    return view;
  }

  /**
   * Gives back a view from `alloc` that nothing will use again. Arrays outside the memory (the heap fallback of
   * `whenFull: 'heap'`) and empty views are ignored.
   * @throws EddyError ERR_INVALID_ARG for part of a view, or a view released already
   */
  release(x: Float32Array): void {
    if (!this.owns(x) || x.length === 0) return;
    const addr = x.byteOffset;
    const bytes = align16(x.byteLength);
    if (this.#live.get(addr) !== bytes)
      throw new EddyError(
        'ERR_INVALID_ARG',
        `Expected a whole buffer from alloc, not released yet, for release but received ${x.length} floats at byte ${addr} ` +
          `(${this.#live.has(addr) ? `that buffer has ${this.#live.get(addr)} bytes` : 'no live buffer starts there'})`,
      );
    this.#live.delete(addr);
    if (addr + bytes !== this.bump) {
      const list = this.#free.get(bytes);
      if (list) list.push(addr);
      else this.#free.set(bytes, [addr]);
      this.#freeEnds.set(addr + bytes, addr);
      this.#freeBytes += bytes;
      return;
    }
    this.bump = addr;
    for (let start = this.#freeEnds.get(this.bump); start !== undefined; start = this.#freeEnds.get(this.bump)) {
      const size = this.bump - start;
      this.#freeEnds.delete(this.bump);
      const list = this.#free.get(size) as number[];
      list.splice(list.indexOf(start), 1);
      if (list.length === 0) this.#free.delete(size);
      this.#freeBytes -= size;
      this.bump = start;
    }
  }

  /**
   * The byte address of `bytes` of staging room, valid until the next call; -1 if it does not fit and
   * `whenFull` is `'heap'`.
   * @throws EddyError ERR_INVALID_ARG when it does not fit and `whenFull` is `'error'`
   */
  stage(bytes: number): number {
    const base = this.packBase - align16(bytes);
    if (base < this.stageBase) {
      if (base < this.bump) {
        if (this.whenFull === 'heap') return -1;
        throw new EddyError(
          'ERR_INVALID_ARG',
          `wasm backend memory exhausted: copying gemm arguments that live outside its memory needs ${bytes} bytes of staging but ` +
            `${this.packBase - this.bump} of options.capacity ${this.capacity} remain; allocate them with backend.alloc or raise options.capacity`,
        );
      }
      this.stageBase = base;
    }
    return base;
  }
}

/** Rounds a byte count up to a multiple of 16. */
export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/** Bytes rounded up to whole 64 KiB pages. */
export function pageAlign(bytes: number): number {
  return Math.ceil(bytes / PAGE) * PAGE;
}
