/**
 * Lower-precision weights (issue 17): the bf16 and int8 packing, the native `gemmNTLowp` kernel against its
 * float64 reference (random and odd shapes across the vector width, arrays inside and outside the memory,
 * accumulate on and off, one thread and two: bit-identical), and models converted by `quantizeWeights` /
 * `loadModel(path, { weights })`: their steps equal the same rounded weights run in float32 elsewhere, and
 * stay within the documented distance of the float32 model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, LowpWeights } from '../../src/tensor/backend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { fromBf16, gemmNTLowpReference, quantizeRows, toBf16 } from '../../src/tensor/lowPrecision.ts';
import { createNativeBackend, nativeAvailable } from '../../src/tensor/nativeBackend.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { loadModel, saveModel } from '../../src/model/modelFile.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { softmaxRows } from '../../src/tensor/softmax.ts';
import { Rng } from '../../src/util/rng.ts';

const MiB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'eddy-lowp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bf16 and int8 packing', () => {
  it('bf16 rounds to nearest even and keeps 8 bits of mantissa', () => {
    expect(toBf16(1)).toBe(0x3f80);
    expect(toBf16(-2)).toBe(0xc000);
    expect(fromBf16(toBf16(1 + 2 ** -8))).toBe(1); // a tie: to the even mantissa
    expect(fromBf16(toBf16(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6);
    expect(Number.isNaN(fromBf16(toBf16(NaN)))).toBe(true);
    const rng = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const x = rng.uniform(-100, 100);
      expect(Math.abs(fromBf16(toBf16(x)) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8);
    }
  });

  it('quantizeRows rounds the float32 weights in place to the packed values (int8: within half a step a row)', () => {
    const rng = new Rng(2);
    const P = Float32Array.from({ length: 7 * 13 }, () => rng.uniform(-1, 1));
    const orig = P.slice();
    const q = quantizeRows(jsBackend, P, 0, 7, 13, 'int8');
    for (let j = 0; j < 7; j++)
      for (let k = 0; k < 13; k++) {
        const i = j * 13 + k;
        expect(P[i]).toBe(Math.fround(q.data[i] * q.scales![j]));
        expect(Math.abs(P[i] - orig[i])).toBeLessThanOrEqual(q.scales![j] / 2 + 1e-7);
      }
  });
});

const available = nativeAvailable();

describe.runIf(available)('native gemmNTLowp against its float64 reference', () => {
  it('random M 1..4, N and K 1..300 across the vector width, bf16 and int8, inside/outside memory, accumulate on/off, 1 and 2 threads (same bits)', () => {
    const rng = new Rng(3);
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [1, 16, 16],
      [2, 17, 33],
      [4, 1024, 256],
      [1, 1030, 300],
    ];
    for (let i = 0; i < 40; i++) shapes.push([1 + rng.int(4), 1 + rng.int(300), 1 + rng.int(300)]);
    const be = [
      createNativeBackend({ capacity: 64 * MiB, threads: 1 }),
      createNativeBackend({ capacity: 64 * MiB, threads: 2 }),
    ];
    for (const kind of ['bf16', 'int8'] as const) {
      for (const [M, N, K] of shapes) {
        const W0 = Float32Array.from({ length: N * K }, () => rng.uniform(-1, 1));
        const A0 = Float32Array.from({ length: M * K }, () => rng.uniform(-1, 1));
        const C0 = Float32Array.from({ length: M * N }, () => rng.uniform(-1, 1));
        const acc = rng.next() < 0.5;
        const inside = rng.next() < 0.5;
        const got: Float32Array[] = [];
        let ref: Float32Array | null = null;
        for (const threads of [1, 2]) {
          createNativeBackend({ capacity: 4 * MiB, threads }); // threads are process-wide: set them
          const b = be[threads - 1];
          const P = b.alloc(N * K);
          P.set(W0);
          const q = quantizeRows(b, P, 0, N, K, kind);
          const A = inside ? b.alloc(M * K) : new Float32Array(M * K);
          A.set(A0);
          const C = inside ? b.alloc(M * N) : new Float32Array(M * N);
          C.set(C0);
          b.gemmNTLowp!(M, N, K, A, 0, q, C, 0, acc);
          got.push(C.slice());
          if (!ref) {
            ref = C0.slice();
            gemmNTLowpReference(M, N, K, A0, 0, q, ref, 0, acc);
          }
        }
        let d = 0;
        for (let i = 0; i < ref!.length; i++)
          d = Math.max(d, Math.abs(got[0][i] - ref![i]) / Math.max(1, Math.abs(ref![i])));
        if (!(d < 2e-5)) expect.fail(`${kind} ${M}x${N}x${K} acc=${acc} inside=${inside}: max relative error ${d}`);
        expect(got[1], `${kind} ${M}x${N}x${K}: one thread and two`).toEqual(got[0]);
      }
    }
  }, 60_000);

  it('refuses shapes that do not match the packed weights', () => {
    const be = createNativeBackend({ capacity: 4 * MiB });
    const q: LowpWeights = quantizeRows(be, be.alloc(6), 0, 2, 3, 'bf16');
    expect(() => be.gemmNTLowp!(1, 3, 2, be.alloc(2), 0, q, be.alloc(3), 0, false)).toThrow(/gemmNTLowp sizes/);
    expect(() => be.gemmNTLowp!(0, 2, 3, be.alloc(15), 0, q, be.alloc(10), 0, false)).toThrow(/M >= 1/);
  });
});

/** Softmax outputs of `steps` streaming steps of one row from a zero state, `[steps, Y]`. */
function stepProbs(model: RNNModel, steps: number): Float32Array {
  const Y = model.config.outputSize;
  const state = model.createState(1);
  const out = new Float32Array(Y);
  const probs = new Float32Array(steps * Y);
  const rng = new Rng(5);
  for (let t = 0; t < steps; t++) {
    const x =
      model.config.input === 'dense'
        ? Float32Array.from({ length: model.config.inputSize }, () => rng.uniform(0, 1))
        : Int32Array.of(rng.int(model.config.inputSize));
    model.step(x, state, out);
    softmaxRows(probs, t * Y, out, 0, 1, Y);
  }
  return probs;
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('models with lower-precision weights', () => {
  const cases: [string, ModelOptions][] = [
    ['lstm one-hot', { cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 96, outputSize: 65 }],
    ['gru dense 2 layers', { cell: 'gru', input: 'dense', inputSize: 70, hiddenSize: 37, numLayers: 2, outputSize: 5 }],
  ];
  const backends = (): [string, Backend][] =>
    available
      ? [
          ['native', createNativeBackend({ capacity: 32 * MiB })],
          ['js', jsBackend],
        ]
      : [['js', jsBackend]];
  for (const [name, options] of cases) {
    for (const kind of ['bf16', 'int8'] as const) {
      it(`${name}, ${kind}: steps equal the rounded weights in float32 (1e-5) and stay near the float32 model`, () => {
        const f32 = stepProbs(RNNModel.create(options, { seed: 4 }), 20);
        for (const [bname, backend] of backends()) {
          const model = RNNModel.create(options, { seed: 4, backend });
          model.quantizeWeights(kind);
          expect(model.weightPrecision).toBe(kind);
          const rounded = new RNNModel(model.config, model.params.slice(), jsBackend); // the same values, float32 kernels
          const got = stepProbs(model, 20);
          expect(maxAbs(got, stepProbs(rounded, 20)), `${bname} vs rounded f32`).toBeLessThan(1e-5);
          // the documented tolerance of the outputs (softmax) against the float32 model
          expect(maxAbs(got, f32), `${bname} vs f32`).toBeLessThan(kind === 'bf16' ? 2e-3 : 1e-2);
        }
      });
    }
  }

  it('loadModel(path, { weights }) converts; the file stays float32 (PyTorch loads it); bad values are refused', () => {
    const model = RNNModel.create(cases[0][1], { seed: 6 });
    const path = join(dir, 'm.safetensors');
    saveModel(path, model);
    const m8 = loadModel(path, { weights: 'int8' });
    expect(m8.weightPrecision).toBe('int8');
    expect(loadModel(path).weightPrecision).toBe('f32');
    saveModel(join(dir, 'm8.safetensors'), m8);
    for (const t of readSafetensors(join(dir, 'm8.safetensors')).tensors.values()) expect(t.dtype).toBe('F32');
    expect(() => loadModel(path, { weights: 'fp8' as never })).toThrow(/options.weights/);
    expect(() => m8.quantizeWeights('bf16')).toThrow(/already int8/);
  });
});
