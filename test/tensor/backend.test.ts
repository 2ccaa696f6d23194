/**
 * Property tests: every backend's multiplies against the naive reference on random shapes, including sizes
 * that are not multiples of any tile or SIMD width, offsets into larger buffers, and accumulate on/off.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/tensor/backend.ts';
import { referenceBackend } from '../../src/tensor/referenceBackend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { createWasmBackend, wasmSimdSupported } from '../../src/tensor/wasmBackend.ts';
import { Rng } from '../../src/util/rng.ts';

const backendsUnderTest: Backend[] = [
  jsBackend,
  ...(wasmSimdSupported() ? [createWasmBackend({ capacity: 64 * 2 ** 20 })] : []),
];

function rand(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

describe.each(backendsUnderTest.map((b) => [b.name, b] as const))('%s backend against the reference', (_name, be) => {
  const rng = new Rng(42);
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 3],
    [2, 2, 2],
    [3, 5, 7],
    [5, 3, 1],
    [8, 16, 4],
    [13, 17, 19],
    [1, 256, 65],
    [32, 33, 31],
    [4, 1, 9],
  ];
  for (let i = 0; i < 10; i++) shapes.push([1 + rng.int(40), 1 + rng.int(40), 1 + rng.int(40)]);
  for (const op of ['gemmNN', 'gemmNT', 'gemmTN'] as const) {
    it(`${op} on ${shapes.length} shapes, offsets and accumulate`, () => {
      for (const [M, N, K] of shapes) {
        for (const accumulate of [false, true]) {
          const aOff = rng.int(5),
            bOff = rng.int(5),
            cOff = rng.int(5);
          const A = rand(rng, aOff + M * K + 3);
          const B = rand(rng, bOff + K * N + 3);
          if (rng.next() < 0.3) for (let i = 0; i < A.length; i += 3) A[i] = 0; // sparse rows take the skip paths
          const C0 = rand(rng, cOff + M * N + 3);
          const want = C0.slice();
          const got = C0.slice();
          referenceBackend[op](M, N, K, A, aOff, B, bOff, want, cOff, accumulate);
          be[op](M, N, K, A, aOff, B, bOff, got, cOff, accumulate);
          for (let i = 0; i < want.length; i++) {
            expect(Math.abs(got[i] - want[i]), `${op} M=${M} N=${N} K=${K} acc=${accumulate} at ${i}`).toBeLessThan(
              1e-5 * Math.max(1, K),
            );
          }
        }
      }
    });
  }
});
