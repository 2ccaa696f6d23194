/**
 * The native backend (the optional C++ addon) against the naive reference: random shapes with odd sizes at every
 * edge of its register tiles (8 or 6 rows, 32 or 16 columns) and cache blocks (KC = 256, MC = 96), offsets,
 * accumulate on and off, arguments inside and outside the memory, the dot-product path (NT with M <= 4) and the
 * transposed one, on one thread and on two (bit-identical), whole models against jsBackend, and its errors.
 * Skipped, with a line on stderr, where the addon is not built: nothing else needs it.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/tensor/backend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import type { WasmBackend } from '../../src/tensor/wasmBackend.ts';
import { createNativeBackend, nativeAvailable, nativeInfo, nativeProblem } from '../../src/tensor/nativeBackend.ts';
import { nativeAddon } from '../../src/tensor/native/nativeAddon.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { Rng } from '../../src/util/rng.ts';
import { checkOp, fill, gemmOps, maxDiff } from '../helpers/gemmCheck.ts';
import { repoRoot } from '../sources/dataPath.ts';
import { backwardCase, forwardCase, shapes } from '../helpers/cellCheck.ts';

const MiB = 2 ** 20;
const available = nativeAvailable();
if (!available) process.stderr.write(`native backend tests skipped: the addon is ${nativeProblem()}\n`);

describe.runIf(available)('native backend against the reference', () => {
  for (const threads of [1, 2]) {
    // created on first use: describe bodies run even where the suite is skipped
    let made: Backend | undefined;
    const backend = (): Backend => (made ??= createNativeBackend({ capacity: 256 * MiB, threads }));
    const rng = new Rng(7 + threads);
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [1, 7, 3],
      [4, 8, 4],
      [5, 9, 3],
      [8, 32, 16],
      [9, 33, 17],
      [6, 16, 5],
      [7, 17, 300],
      [3, 5, 7],
      [13, 17, 19],
      [1, 256, 65],
      [32, 33, 31],
      [4, 1, 9],
      [2, 13, 7],
    ];
    for (let i = 0; i < 50; i++) shapes.push([1 + rng.int(70), 1 + rng.int(70), 1 + rng.int(70)]);
    for (const op of gemmOps) {
      it(`${op}, ${threads} thread(s), on ${shapes.length} shapes (1..70), offsets, accumulate on/off, inside and outside its memory`, () => {
        const be = backend();
        createNativeBackend({ capacity: 4 * MiB, threads }); // threads are process-wide: set them for this test
        for (const [M, N, K] of shapes)
          for (const accumulate of [false, true]) checkOp(be, rng, op, M, N, K, accumulate, () => rng.next() < 0.5);
      });
    }
    // the models' shapes, and products big enough to run on two threads (>= 2^22 multiply-adds; dot products >= 2^17)
    const large: [number, number, number][] = [
      [1, 1024, 256],
      [3, 1030, 300],
      [32, 1024, 256],
      [97, 1025, 257],
      [300, 260, 300],
      [1030, 70, 261],
      [2048, 65, 256],
      [65, 256, 1100],
    ];
    for (const op of gemmOps) {
      it(`${op}, ${threads} thread(s), on large and block-crossing shapes`, () => {
        const be = backend();
        createNativeBackend({ capacity: 4 * MiB, threads });
        for (const [M, N, K] of large) {
          checkOp(be, rng, op, M, N, K, false, () => true);
          checkOp(be, rng, op, M, N, K, true, () => rng.next() < 0.5);
        }
      });
    }
  }

  it('gives the same bits on one thread and on two', () => {
    const rng = new Rng(11);
    for (const op of gemmOps) {
      for (const [M, N, K] of [
        [1, 1024, 256],
        [300, 260, 300],
        [2048, 65, 256],
      ] as [number, number, number][]) {
        const results: Float32Array[] = [];
        const A = fill(rng, new Float32Array(M * K)),
          B = fill(rng, new Float32Array(N * K));
        for (const threads of [1, 2]) {
          const be = createNativeBackend({ capacity: 64 * MiB, threads });
          const a = be.alloc(M * K),
            b = be.alloc(N * K),
            C = be.alloc(M * N);
          a.set(A);
          b.set(B);
          be[op](M, N, K, a, 0, b, 0, C, 0, false);
          results.push(C.slice());
        }
        expect(maxDiff(results[0], results[1]), `${op} ${M}x${N}x${K}`).toBe(0);
      }
    }
  });

  it('K = 0 leaves or zeroes C; M = 0 and N = 0 touch nothing; shapes are guarded at entry', () => {
    const be = createNativeBackend({ capacity: 4 * MiB });
    const C = be.alloc(6).fill(3);
    be.gemmNT(2, 3, 0, be.alloc(0), 0, be.alloc(0), 0, C, 0, true);
    expect([...C]).toEqual([3, 3, 3, 3, 3, 3]);
    be.gemmNN(2, 3, 0, be.alloc(0), 0, be.alloc(0), 0, C, 0, false);
    expect([...C]).toEqual([0, 0, 0, 0, 0, 0]);
    be.gemmTN(0, 3, 4, be.alloc(0), 0, be.alloc(12), 0, C, 0, false);
    expect(() => be.gemmNN(2, 2, 3, be.alloc(5), 0, be.alloc(6), 0, be.alloc(4), 0, false)).toThrow(/gemmNN A/);
  });

  it('the addon refuses addresses outside its buffer rather than reading them', () => {
    const addon = nativeAddon()!;
    const slot = addon.bind(new ArrayBuffer(1024));
    expect(() => addon.gemm(slot, 0, 4, 4, 4, 0, 64, 1000, false)).toThrow(/extends past the bound buffer/);
    expect(() => addon.gemm(slot, 0, 1, 1, 1, 2, 0, 0, false)).toThrow(/multiples of 4/);
    expect(() => addon.gemm(slot + 1, 0, 1, 1, 1, 0, 0, 0, false)).toThrow(/no such bound buffer/);
  });

  it('reports what it was built for', () => {
    const info = nativeInfo()!;
    expect(['avx512', 'avx2-fma', 'avx', 'generic']).toContain(info.isa);
    expect([4, 8, 16]).toContain(info.vectorFloats);
    expect(createNativeBackend({ capacity: 4 * MiB }).name).toBe(`native-${info.isa}`);
  });

  it('invalid options name the option', () => {
    expect(() => createNativeBackend({ threads: 3 })).toThrow(
      'Expected integer in [1, 2] for options.threads but received 3 of type number',
    );
    expect(() => createNativeBackend({ capacity: 1000 })).toThrow(/options.capacity/);
  });
});

describe.runIf(available)('native LSTM steps against the TypeScript cell', () => {
  /** As the wasm kernels: relative to max(1, |reference|). */
  const TOL = 1e-6;
  let be: WasmBackend;
  beforeAll(() => {
    be = createNativeBackend({ capacity: 64 * MiB });
  });
  it(`forward on random shapes (H across the vector width), offsets, inside/outside memory, in place or not, to ${TOL}`, () => {
    const rng = new Rng(21);
    for (const [B, H] of [...shapes(rng, 40), [2, 16], [3, 17], [1, 33], [4, 100]] as [number, number][]) {
      const inPlace = rng.next() < 0.5;
      const d = forwardCase(be, rng, 'lstm', B, H, inPlace);
      if (!(d <= TOL)) expect.fail(`lstm forward B=${B} H=${H} inPlace=${inPlace}: max relative error ${d}`);
    }
  });
  it(`backward on random shapes, offsets, inside/outside memory, dgh = dgx or not, to ${TOL}`, () => {
    const rng = new Rng(22);
    for (const [B, H] of [...shapes(rng, 40), [2, 16], [3, 17], [1, 33], [4, 100]] as [number, number][]) {
      const shared = rng.next() < 0.5;
      const d = backwardCase(be, rng, 'lstm', B, H, shared);
      if (!(d <= TOL)) expect.fail(`lstm backward B=${B} H=${H} dgh=dgx ${shared}: max relative error ${d}`);
    }
  });
  it('the addon refuses LSTM operands outside its buffer', () => {
    const addon = nativeAddon()!;
    const slot = addon.bind(new ArrayBuffer(4096));
    expect(() => addon.lstmForward(slot, 0, 0, 0, 0, 0, 0, 0, 4000, 1, 16)).toThrow(
      /lstmForward: bad arguments or an operand outside/,
    );
    expect(() => addon.lstmBackward(slot, 0, 0, 0, 0, 0, 0, 0, 0, 4096, 1, 1)).toThrow(/lstmBackward/);
  });
});

describe.runIf(available)('whole models on the native backend equal jsBackend', () => {
  const cases: [string, ModelOptions][] = [
    ['lstm one-hot', { cell: 'lstm', input: 'onehot', inputSize: 11, hiddenSize: 21, outputSize: 11 }],
    ['gru dense 2 layers', { cell: 'gru', input: 'dense', inputSize: 70, hiddenSize: 37, numLayers: 2, outputSize: 5 }],
  ];
  for (const [name, options] of cases) {
    it(`${name}: forward, backward and step agree to 1e-4`, () => {
      const T = 9,
        B = 5;
      const run = (backend: Backend) => {
        const model = RNNModel.create(options, { seed: 9, backend });
        const rng = new Rng(4);
        const x =
          options.input === 'dense'
            ? fill(rng, new Float32Array(T * B * options.inputSize))
            : Int32Array.from({ length: T * B }, () => rng.int(options.inputSize));
        const { y, workspace, state } = model.forward(x, { T, B });
        const dState = model.backward(
          workspace,
          Float32Array.from(y, (v, i) => Math.sin(v + i)),
        );
        const out = model.step(x.subarray(0, options.input === 'dense' ? B * options.inputSize : B), state);
        return { y: y.slice(), grads: model.grads.slice(), dh: dState.h.slice(), out: out.slice() };
      };
      const js = run(jsBackend);
      const native = run(createNativeBackend({ capacity: 16 * MiB }));
      for (const key of ['y', 'grads', 'dh', 'out'] as const)
        expect(maxDiff(native[key], js[key]), key).toBeLessThan(1e-4);
    });
  }
});

describe.runIf(available)('native rows do not depend on how many rows are stepped together', () => {
  for (const threads of [1, 2]) {
    let made: WasmBackend | undefined;
    const backend = (): WasmBackend => (made ??= createNativeBackend({ capacity: 256 * MiB, threads }));

    it(`gemmNTRows: row i of an M-row product has the bits of the 1-row product, M = 1..64 (${threads} thread(s))`, () => {
      const be = backend();
      const rng = new Rng(40 + threads);
      for (const [N, K] of [
        [1024, 256],
        [65, 300],
        [37, 17],
        [8, 1],
      ] as const) {
        const W = fill(rng, be.alloc(N * K)); // [N, K] a weight, in the memory
        const A = fill(rng, be.alloc(64 * K)); // [64, K]
        const C = be.alloc(64 * N);
        const one = be.alloc(N);
        for (let M = 1; M <= 64; M++) {
          be.gemmNTRows!(M, N, K, A, 0, W, 0, C, 0, false);
          for (const i of [0, M >> 1, M - 1]) {
            be.gemmNT(1, N, K, A, i * K, W, 0, one, 0, false); // one row: gemmNT and gemmNTRows agree
            const row = C.subarray(i * N, (i + 1) * N);
            if (!row.every((v, j) => Object.is(v, one[j])))
              throw new Error(`N ${N} K ${K}: row ${i} of M = ${M} differs`);
          }
        }
      }
    });
  }
});

describe('without the addon', () => {
  it('EDDY_NATIVE=0: nativeAvailable() is false and createNativeBackend says why', () => {
    const code = `import('./src/tensor/nativeBackend.ts').then((m) => { console.log(m.nativeAvailable()); try { m.createNativeBackend(); } catch (e) { console.log(e.code + ': ' + e.message); } })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: repoRoot,
      env: { ...process.env, EDDY_NATIVE: '0' },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'false\nERR_INVALID_ARG: the native backend is not available: the addon is disabled by EDDY_NATIVE=0; use wasmBackend instead\n',
    );
  });
});
