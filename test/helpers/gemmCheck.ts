/** Shared by the backend property tests: random data, differences, and one multiply checked against the reference. */
import { expect } from 'vitest';
import type { Backend } from '../../src/tensor/backend.ts';
import { referenceBackend } from '../../src/tensor/referenceBackend.ts';
import type { Rng } from '../../src/util/rng.ts';

export const gemmOps = ['gemmNN', 'gemmNT', 'gemmTN'] as const;
export type GemmOp = (typeof gemmOps)[number];

/** Fills `x` with uniform values in [-1, 1). */
export function fill(rng: Rng, x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
  return x;
}

/** Largest absolute elementwise difference. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * One multiply on `be` and on the reference, at random offsets, with C checked whole (so writes past the
 * result or before its offset fail too); each of A, B, C inside the backend's memory or not, as `inside` says.
 */
export function checkOp(
  be: Backend,
  rng: Rng,
  op: GemmOp,
  M: number,
  N: number,
  K: number,
  accumulate: boolean,
  inside: () => boolean,
): void {
  const aOff = rng.int(5),
    bOff = rng.int(5),
    cOff = rng.int(5);
  const make = (len: number): Float32Array => fill(rng, inside() ? be.alloc(len) : new Float32Array(len));
  const A = make(aOff + M * K + 3);
  const B = make(bOff + K * N + 3);
  const C = make(cOff + M * N + 3);
  if (rng.next() < 0.3) for (let i = 0; i < A.length; i += 3) A[i] = 0;
  const want = C.slice();
  referenceBackend[op](M, N, K, A, aOff, B, bOff, want, cOff, accumulate);
  be[op](M, N, K, A, aOff, B, bOff, C, cOff, accumulate);
  const tol = 1e-5 * Math.max(1, K);
  const d = maxDiff(C, want);
  if (!(d < tol))
    expect.fail(
      `${be.name} ${op} M=${M} N=${N} K=${K} acc=${accumulate} aOff=${aOff} bOff=${bOff} cOff=${cOff}: max error ${d} > ${tol}`,
    );
}
