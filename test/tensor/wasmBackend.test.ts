/**
 * The wasm SIMD backend against the naive reference (random shapes with odd sizes, offsets, accumulate on and off,
 * arguments inside and outside its memory, sizes that cross every cache block), whole models against jsBackend,
 * and its memory limits and option errors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/tensor/backend.ts';
import { referenceBackend } from '../../src/tensor/referenceBackend.ts';
import { checkOp, fill, gemmOps, maxDiff } from '../helpers/gemmCheck.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { createWasmBackend, wasmBackend, wasmSimdSupported, type WasmBackend } from '../../src/tensor/wasmBackend.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { EddyError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const MiB = 2 ** 20;
const ops = gemmOps;

describe.runIf(wasmSimdSupported())('wasm backend against the reference', () => {
  const be = createWasmBackend({ capacity: 256 * MiB });
  const rng = new Rng(2024);
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 3],
    [4, 8, 4],
    [5, 9, 3],
    [3, 5, 7],
    [13, 17, 19],
    [1, 256, 65],
    [32, 33, 31],
    [4, 1, 9],
    [2, 13, 7],
  ];
  for (let i = 0; i < 40; i++) shapes.push([1 + rng.int(40), 1 + rng.int(40), 1 + rng.int(40)]);
  for (const op of ops) {
    it(`${op} on ${shapes.length} random shapes (1..40), offsets, accumulate on/off, arguments inside and outside its memory`, () => {
      for (const [M, N, K] of shapes)
        for (const accumulate of [false, true]) checkOp(be, rng, op, M, N, K, accumulate, () => rng.next() < 0.5);
    });
  }
  // the model's shapes, and sizes that cross the MC=128, KC=256, NC=1024 blocks and the B-in-place rule
  const large: [number, number, number][] = [
    [1, 1024, 256],
    [32, 1024, 256],
    [5, 1024, 7],
    [32, 256, 300],
    [130, 1030, 261],
    [257, 40, 70],
    [3, 2050, 5],
  ];
  for (const op of ops) {
    it(`${op} on large and block-crossing shapes`, () => {
      for (const [M, N, K] of large) {
        checkOp(be, rng, op, M, N, K, false, () => true);
        checkOp(be, rng, op, M, N, K, true, () => rng.next() < 0.5);
      }
    });
  }

  it('K = 0 leaves or zeroes C; M = 0 and N = 0 touch nothing', () => {
    const C = be.alloc(6).fill(3);
    be.gemmNT(2, 3, 0, be.alloc(0), 0, be.alloc(0), 0, C, 0, true);
    expect([...C]).toEqual([3, 3, 3, 3, 3, 3]);
    be.gemmNN(2, 3, 0, be.alloc(0), 0, be.alloc(0), 0, C, 0, false);
    expect([...C]).toEqual([0, 0, 0, 0, 0, 0]);
    be.gemmTN(0, 3, 4, be.alloc(0), 0, be.alloc(12), 0, C, 0, false);
  });

  it('guards shapes at entry', () => {
    const A = be.alloc(5),
      B = be.alloc(6),
      C = be.alloc(4);
    expect(() => be.gemmNN(2, 2, 3, A, 0, B, 0, C, 0, false)).toThrow(/gemmNN A/);
    expect(() => be.gemmNT(2, 2, 3, be.alloc(6), 0, B, 1, C, 0, false)).toThrow(/gemmNT B/);
    expect(() => be.gemmTN(2, 2, 1, be.alloc(2), 0, be.alloc(2), 0, C, 1, false)).toThrow(/gemmTN C/);
  });

  it('the lazy default `wasmBackend` computes too', () => {
    const A = wasmBackend.alloc(6).fill(1),
      B = wasmBackend.alloc(6).fill(2),
      C = wasmBackend.alloc(4);
    wasmBackend.gemmNT(2, 2, 3, A, 0, B, 0, C, 0, false);
    expect([...C]).toEqual([6, 6, 6, 6]);
  });
});

describe.runIf(wasmSimdSupported())('wasm backend on two threads (a helper Worker on shared memory)', () => {
  let made: WasmBackend | undefined;
  const two = (): WasmBackend => (made ??= createWasmBackend({ capacity: 256 * MiB, threads: 2 }));
  afterAll(() => made?.close());
  // products of >= 2^20 multiply-adds are split in two bands: rows when M >= N, else columns; streaming NT
  // products (M <= 4) from 2^17; odd sizes at the cut
  const split: [number, number, number][] = [
    [32, 1024, 256],
    [32, 256, 1024],
    [1030, 70, 261],
    [70, 1030, 261],
    [9, 9, 13000],
    [1, 1024, 1030],
    [3, 2050, 300],
    [257, 300, 40],
    [1, 1024, 256],
    [2, 301, 400],
  ];
  for (const op of ops) {
    it(`${op} on shapes big enough to split, accumulate on/off, inside and outside its memory`, () => {
      const be = two();
      expect(be.name).toBe('wasm-simd-2t');
      const rng = new Rng(31);
      for (const [M, N, K] of split) {
        checkOp(be, rng, op, M, N, K, false, () => true);
        checkOp(be, rng, op, M, N, K, true, () => rng.next() < 0.5);
      }
    });
  }

  it('gives the same bits as one thread', () => {
    const one = createWasmBackend({ capacity: 64 * MiB });
    const rng = new Rng(32);
    for (const op of ops) {
      for (const [M, N, K] of [
        [32, 1024, 256],
        [1030, 70, 261],
        [1, 1024, 1030],
      ] as [number, number, number][]) {
        const A = fill(rng, new Float32Array(M * K)),
          B = fill(rng, new Float32Array(N * K));
        const results = [one, two()].map((be) => {
          const a = be.alloc(M * K),
            b = be.alloc(N * K),
            C = be.alloc(M * N);
          a.set(A);
          b.set(B);
          be[op](M, N, K, a, 0, b, 0, C, 0, false);
          return C.slice();
        });
        expect(maxDiff(results[0], results[1]), `${op} ${M}x${N}x${K}`).toBe(0);
      }
    }
  });

  it('after close() it computes on one thread', () => {
    const be = createWasmBackend({ capacity: 64 * MiB, threads: 2 });
    be.close();
    checkOp(be, new Rng(33), 'gemmNT', 32, 1024, 256, true, () => true);
    be.close();
  });

  it('invalid thread counts name the option', () => {
    expect(() => createWasmBackend({ threads: 3 })).toThrow(
      'Expected integer in [1, 2] for options.threads but received 3 of type number',
    );
  });
});

describe.runIf(wasmSimdSupported())('whole models on the wasm backend equal jsBackend', () => {
  const cases: [string, ModelOptions][] = [
    ['lstm one-hot', { cell: 'lstm', input: 'onehot', inputSize: 11, hiddenSize: 21, outputSize: 11 }],
    ['gru dense 2 layers', { cell: 'gru', input: 'dense', inputSize: 7, hiddenSize: 13, numLayers: 2, outputSize: 5 }],
    [
      'lstm embedding 2 layers, no head',
      { cell: 'lstm', input: 'embedding', inputSize: 9, embeddingSize: 6, hiddenSize: 10, numLayers: 2 },
    ],
  ];
  for (const [name, options] of cases) {
    it(`${name}: forward, backward (params, grads, initial-state grads) and step agree to 1e-4`, () => {
      const T = 6,
        B = 3;
      const run = (backend: Backend) => {
        const model = RNNModel.create(options, { seed: 9, backend });
        const rng = new Rng(4);
        const x =
          options.input === 'dense'
            ? fill(rng, new Float32Array(T * B * options.inputSize))
            : Int32Array.from({ length: T * B }, () => rng.int(options.inputSize));
        const state = model.createState(B);
        fill(rng, state.h);
        if (state.c) fill(rng, state.c);
        const { y, workspace, state: final } = model.forward(x, { T, B, state });
        const dy = Float32Array.from(y, (v, i) => Math.sin(v + i)); // ordinary array: staged by the wasm backend
        const dState = model.backward(workspace, dy);
        const out = model.step(x.subarray(0, options.input === 'dense' ? B * options.inputSize : B), final);
        return { y: y.slice(), grads: model.grads.slice(), dh: dState.h.slice(), h: final.h.slice(), out: out.slice() };
      };
      const js = run(jsBackend);
      const wasm = run(createWasmBackend({ capacity: 16 * MiB }));
      for (const key of ['y', 'grads', 'dh', 'h', 'out'] as const)
        expect(maxDiff(wasm[key], js[key]), key).toBeLessThan(1e-4);
    });
  }
});

describe.runIf(wasmSimdSupported())('wasm backend memory and options', () => {
  it('a full memory is a clear EddyError, and views handed out before stay attached and intact', () => {
    const be = createWasmBackend({ capacity: 4 * MiB });
    const kept = be.alloc(1000).fill(7);
    let err: unknown;
    try {
      for (let i = 0; i < 100; i++) be.alloc(100_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EddyError);
    expect((err as EddyError).code).toBe('ERR_INVALID_ARG');
    expect((err as EddyError).message).toMatch(
      /wasm backend memory exhausted: alloc\(100000\) needs 400000 bytes but \d+ of options.capacity 4194304 remain/,
    );
    expect(kept.length).toBe(1000);
    expect(kept.every((v) => v === 7)).toBe(true);
    expect(be.memory.buffer.byteLength).toBe(4 * MiB);
  });

  it('staging that does not fit is a clear error; with whenFull: "heap" it falls back and stays right', () => {
    const rng = new Rng(3);
    for (const whenFull of ['error', 'heap'] as const) {
      const be = createWasmBackend({ capacity: 4 * MiB, whenFull });
      be.alloc((be.capacity - 2 * MiB) / 4); // leaves about 0.7 MiB beside the pack buffers
      const A = fill(rng, new Float32Array(300 * 300)),
        B = fill(rng, new Float32Array(300 * 300)),
        C = new Float32Array(300 * 300);
      if (whenFull === 'error') {
        expect(() => be.gemmNN(300, 300, 300, A, 0, B, 0, C, 0, false)).toThrow(/needs 1080000 bytes of staging/);
        continue;
      }
      const want = new Float32Array(300 * 300);
      referenceBackend.gemmNN(300, 300, 300, A, 0, B, 0, want, 0, false);
      be.gemmNN(300, 300, 300, A, 0, B, 0, C, 0, false);
      expect(maxDiff(C, want)).toBeLessThan(1e-3);
      const extra = be.alloc(1_000_000);
      expect(be.owns(extra)).toBe(false); // an ordinary array once full
      expect(extra.length).toBe(1_000_000);
    }
  });

  it('alloc hands out zeroed, 16-byte aligned views of one memory', () => {
    const be = createWasmBackend({ capacity: 4 * MiB });
    for (const n of [1, 3, 4, 5, 17, 0]) {
      const v = be.alloc(n);
      expect(v.length).toBe(n);
      expect(v.byteOffset % 16).toBe(0);
      expect(be.owns(v)).toBe(true);
      expect(v.every((x) => x === 0)).toBe(true);
    }
    expect(be.used).toBe(16 + 16 + 16 + 32 + 80);
  });

  it('invalid options name the option, the expectation and the value', () => {
    expect(() => createWasmBackend({ capacity: 1000 })).toThrow(
      'Expected integer in [4194304, 2147483648] for options.capacity but received 1000 of type number',
    );
    expect(() => createWasmBackend({ whenFull: 'grow' as 'error' })).toThrow(
      'Expected one of "error", "heap" for options.whenFull but received "grow" of type string',
    );
    expect(() => createWasmBackend({ relaxedSimd: 1 as unknown as boolean })).toThrow(
      'Expected boolean or "auto" for options.relaxedSimd but received 1 of type number',
    );
    expect(() => createWasmBackend(null as unknown as object)).toThrow(/options/);
  });

  it('relaxed SIMD without runtime support is a clear error', () => {
    if (wasmSimdSupported(true)) {
      const be = createWasmBackend({ capacity: 4 * MiB, relaxedSimd: true });
      checkOp(be, new Rng(1), 'gemmNT', 9, 10, 11, true, () => true);
      return;
    }
    expect(() => createWasmBackend({ relaxedSimd: true })).toThrow(
      /relaxed SIMD is not available.*--experimental-wasm-relaxed-simd/,
    );
    expect(createWasmBackend({ capacity: 4 * MiB }).name).toBe('wasm-simd'); // 'auto' falls back to plain SIMD
  });
});
