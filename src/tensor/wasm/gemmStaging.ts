/**
 * What every wasm (and native) multiply does before its kernel runs: shape guards, the empty cases, and placing
 * A, B and C in the backend's memory. Operands that already live in the memory are used where they are; others
 * are copied into a staging area for the call (and C copied back after it). When staging does not fit under the
 * `'heap'` policy, the multiply runs on `jsBackend` instead.
 *
 * The resolved byte addresses are fields (`a`, `b`, `c`), not a returned array: a multiply runs at every time step.
 */
import { shapeError } from '../../util/errors.ts';
import { jsBackend } from '../jsBackend.ts';
import { type WasmArena, align16 } from './wasmArena.ts';

export type GemmOp = 'gemmNN' | 'gemmNT' | 'gemmTN';

export class GemmStaging {
  /** Byte address of A for the current call. */
  a = 0;
  /** Byte address of B for the current call. */
  b = 0;
  /** Byte address of C for the current call. */
  c = 0;
  #cStaged = false;
  readonly #arena: WasmArena;

  constructor(arena: WasmArena) {
    this.#arena = arena;
  }

  /**
   * Guards, the empty cases, placement, and the `'heap'` fallback (jsBackend) when staging is full. True if the
   * kernel should run at `a`, `b`, `c` (then `leave` after it).
   */
  enter(
    op: GemmOp,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    aOff: number,
    B: Float32Array,
    bOff: number,
    C: Float32Array,
    cOff: number,
    accumulate: boolean,
  ): boolean {
    checkGemm(op, M, N, K, A, aOff, B, bOff, C, cOff);
    if (M === 0 || N === 0) return false;
    if (K === 0) {
      if (!accumulate) C.fill(0, cOff, cOff + M * N);
      return false;
    }
    if (this.#place(A, aOff, M * K, B, bOff, N * K, C, cOff, M * N, accumulate)) return true;
    jsBackend[op](M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
    return false;
  }

  /** Copies a staged C back to the caller's array. */
  leave(C: Float32Array, cOff: number, cLen: number): void {
    if (this.#cStaged) C.set(this.#arena.f32.subarray(this.c >> 2, (this.c >> 2) + cLen), cOff);
  }

  /** Resolves A, B, C to byte addresses, staging any outside the memory. False if staging did not fit ('heap'). */
  #place(
    A: Float32Array,
    aOff: number,
    aLen: number,
    B: Float32Array,
    bOff: number,
    bLen: number,
    C: Float32Array,
    cOff: number,
    cLen: number,
    accumulate: boolean,
  ): boolean {
    const arena = this.#arena;
    const f32 = arena.f32;
    const aIn = arena.owns(A);
    const bIn = arena.owns(B);
    const cIn = arena.owns(C);
    let need = 0;
    if (!aIn) need += align16(aLen * 4);
    if (!bIn) need += align16(bLen * 4);
    if (!cIn) need += align16(cLen * 4);
    let s = 0;
    if (need > 0) {
      s = arena.stage(need);
      if (s < 0) return false;
    }
    if (aIn) this.a = A.byteOffset + 4 * aOff;
    else {
      this.a = s;
      f32.set(A.subarray(aOff, aOff + aLen), s >> 2);
      s += align16(aLen * 4);
    }
    if (bIn) this.b = B.byteOffset + 4 * bOff;
    else {
      this.b = s;
      f32.set(B.subarray(bOff, bOff + bLen), s >> 2);
      s += align16(bLen * 4);
    }
    this.#cStaged = !cIn;
    if (cIn) this.c = C.byteOffset + 4 * cOff;
    else {
      this.c = s;
      if (accumulate) f32.set(C.subarray(cOff, cOff + cLen), s >> 2);
    }
    return true;
  }
}

/** Shape guards at kernel entry (cheap; an out-of-range offset would otherwise read a neighbouring buffer). */
function checkGemm(
  op: string,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  B: Float32Array,
  bOff: number,
  C: Float32Array,
  cOff: number,
): void {
  if (!isCount(M) || !isCount(N) || !isCount(K))
    throw shapeError(`${op} sizes`, 'non-negative integers M, N, K', `M=${M}, N=${N}, K=${K}`);
  if (!fits(A, aOff, M * K))
    throw shapeError(`${op} A`, `of at least ${aOff} + ${M * K} elements`, `length ${A.length}`);
  if (!fits(B, bOff, N * K))
    throw shapeError(`${op} B`, `of at least ${bOff} + ${N * K} elements`, `length ${B.length}`);
  if (!fits(C, cOff, M * N))
    throw shapeError(`${op} C`, `of at least ${cOff} + ${M * N} elements`, `length ${C.length}`);
}

function isCount(x: number): boolean {
  return Number.isInteger(x) && x >= 0;
}

/** `X[off, off + len)` exists. */
function fits(X: Float32Array, off: number, len: number): boolean {
  return isCount(off) && off + len <= X.length;
}
