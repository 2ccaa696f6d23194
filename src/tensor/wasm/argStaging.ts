/**
 * Places the array arguments of one kernel call in the wasm memory: a view of the memory is used in place; any other
 * array (a caller's state, a user's ids) is copied into the arena's staging region, and the ones the kernel writes
 * are copied back after it.
 *
 * 1. `begin()`, then `arg(X, off, len, written)` for each argument the kernel touches. Arguments that are the same
 *    outside array share one staged copy covering all their ranges, so aliasing (`h` = `hPrev`) behaves exactly
 *    as it does in the memory.
 * 2. `place(scratchBytes)` reserves staging for the copies plus scratch, copies the inputs in, and returns false
 *    when it does not fit and the arena says `'heap'` (then run the TypeScript reference instead).
 * 3. `addr(i)` is argument i's byte address; `scratch` the scratch's.
 * 4. `finish()` copies written arguments back and drops the references.
 *
 * Nothing is allocated per call: the tables are fixed-size typed arrays.
 */
import type { WasmArena } from './wasmArena.ts';
import { align16 } from './wasmArena.ts';

type View = Float32Array | Int32Array;

/** Most arguments of one call. */
const MAX_ARGS = 12;

export class ArgStaging {
  private readonly arena: WasmArena;
  private readonly i32: Int32Array;
  private n = 0;
  private slots = 0;
  private readonly argView: (View | null)[] = new Array<View | null>(MAX_ARGS).fill(null);
  private readonly argOff = new Int32Array(MAX_ARGS);
  private readonly argSlot = new Int32Array(MAX_ARGS);
  private readonly slotView: (View | null)[] = new Array<View | null>(MAX_ARGS).fill(null);
  private readonly slotLo = new Int32Array(MAX_ARGS);
  private readonly slotHi = new Int32Array(MAX_ARGS);
  private readonly slotWritten = new Uint8Array(MAX_ARGS);
  private readonly slotAddr = new Int32Array(MAX_ARGS);
  /** Byte address of the scratch reserved by the last `place`. */
  scratch = 0;

  constructor(arena: WasmArena) {
    this.arena = arena;
    this.i32 = new Int32Array(arena.buffer);
  }

  begin(): void {
    this.n = 0;
    this.slots = 0;
  }

  /** Registers an argument; returns its index for `addr`. */
  arg(X: View, off: number, len: number, written: boolean): number {
    const i = this.n++;
    this.argView[i] = X;
    this.argOff[i] = off;
    this.argSlot[i] = -1;
    if (this.arena.owns(X as Float32Array)) return i;
    let s = 0;
    while (s < this.slots && this.slotView[s] !== X) s++;
    if (s === this.slots) {
      this.slots++;
      this.slotView[s] = X;
      this.slotLo[s] = off;
      this.slotHi[s] = off + len;
      this.slotWritten[s] = 0;
    } else {
      this.slotLo[s] = Math.min(this.slotLo[s], off);
      this.slotHi[s] = Math.max(this.slotHi[s], off + len);
    }
    if (written) this.slotWritten[s] = 1;
    this.argSlot[i] = s;
    return i;
  }

  /** Stages the outside arguments and `scratchBytes` of scratch. False if it does not fit ('heap' arenas). */
  place(scratchBytes: number): boolean {
    let need = align16(scratchBytes);
    for (let s = 0; s < this.slots; s++) need += align16(4 * (this.slotHi[s] - this.slotLo[s]));
    if (need === 0) return true;
    let at = this.arena.stage(need);
    if (at < 0) {
      this.release();
      return false;
    }
    this.scratch = at;
    at += align16(scratchBytes);
    for (let s = 0; s < this.slots; s++) {
      const X = this.slotView[s] as View;
      const lo = this.slotLo[s],
        hi = this.slotHi[s];
      this.slotAddr[s] = at;
      (X instanceof Int32Array ? this.i32 : this.arena.f32).set(X.subarray(lo, hi), at >> 2);
      at += align16(4 * (hi - lo));
    }
    return true;
  }

  /** Byte address of argument i. */
  addr(i: number): number {
    const s = this.argSlot[i];
    const X = this.argView[i] as View;
    return s < 0 ? X.byteOffset + 4 * this.argOff[i] : this.slotAddr[s] + 4 * (this.argOff[i] - this.slotLo[s]);
  }

  /** Copies written arguments back to their arrays. */
  finish(): void {
    for (let s = 0; s < this.slots; s++) {
      if (!this.slotWritten[s]) continue;
      const X = this.slotView[s] as View;
      const a = this.slotAddr[s] >> 2;
      X.set(
        (X instanceof Int32Array ? this.i32 : this.arena.f32).subarray(a, a + this.slotHi[s] - this.slotLo[s]),
        this.slotLo[s],
      );
    }
    this.release();
  }

  /** Drops the references to the call's arrays (so staging never keeps a caller's array alive). */
  private release(): void {
    for (let i = 0; i < this.n; i++) this.argView[i] = null;
    for (let s = 0; s < this.slots; s++) this.slotView[s] = null;
    this.n = 0;
    this.slots = 0;
  }
}
