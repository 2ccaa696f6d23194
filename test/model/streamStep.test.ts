/**
 * The native backend's fused streaming step (`Backend.streamStep`: one call for every layer and the head of a
 * one-row step, split by hidden units over two threads) against the step done method by method on the same
 * backend (a copy of the backend without `streamStep`): the same bits, step after step, for every cell, every input
 * kind, stacked layers, no head, hidden sizes that split at a vector boundary and leave a scalar tail, on one thread
 * and on two, with float32 weights and with the packed bf16 and int8 weights of `quantizeWeights`.
 * stepRows.test.ts checks in turn that a one-row step has the bits of any row of a batched step. Skipped, with a
 * line on stderr, where the addon is not built.
 */
import { describe, expect, it } from 'vitest';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import type { RecurrentState } from '../../src/model/recurrentState.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { Backend } from '../../src/tensor/backend.ts';
import { nativeAddon } from '../../src/tensor/native/nativeAddon.ts';
import { createNativeBackend, nativeAvailable, nativeProblem } from '../../src/tensor/nativeBackend.ts';
import type { WasmBackend } from '../../src/tensor/wasmBackend.ts';
import { Rng } from '../../src/util/rng.ts';
import { fill } from '../helpers/gemmCheck.ts';

const MiB = 2 ** 20;
if (!nativeAvailable()) process.stderr.write(`fused streaming step tests skipped: the addon is ${nativeProblem()}\n`);

const models: ModelOptions[] = [
  // W2's shape: the layer's products are large enough to split over two threads
  { cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 256, outputSize: 65 },
  // split at a vector boundary with a scalar tail (203 = 8·25 + 3 = 16·12 + 11)
  { cell: 'lstm', input: 'onehot', inputSize: 31, hiddenSize: 203, outputSize: 7 },
  { cell: 'gru', input: 'dense', inputSize: 40, hiddenSize: 150, numLayers: 2, outputSize: 10 },
  { cell: 'rnn_tanh', input: 'embedding', inputSize: 30, embeddingSize: 20, hiddenSize: 300, outputSize: 1000 },
  // no head: the output is the top layer's h
  { cell: 'rnn_relu', input: 'dense', inputSize: 9, hiddenSize: 33, numLayers: 3 },
  { cell: 'gru', input: 'onehot', inputSize: 5, hiddenSize: 1, outputSize: 2 },
];

/** Float32 weights, and the packed bf16 and int8 copies of `quantizeWeights` (the products read those). */
const kinds = ['f32', 'bf16', 'int8'] as const;

/** The backend with a `streamStep` that counts its calls, and the same backend without one. */
function pair(be: WasmBackend): { fused: Backend; plain: Backend; calls: () => number } {
  let n = 0;
  const stream = be.streamStep!;
  const fused: Backend = {
    ...be,
    streamStep: (...a: Parameters<typeof stream>) => {
      n++;
      return stream(...a);
    },
  };
  const { streamStep: _fused, ...plain } = be;
  return { fused, plain, calls: () => n };
}

describe.runIf(nativeAvailable())('the fused streaming step', () => {
  for (const threads of [1, 2]) {
    it(`has the bits of the step method by method, 40 steps, every cell and input (${threads} thread(s))`, () => {
      const be = createNativeBackend({ capacity: 128 * MiB, threads });
      try {
        const { fused, plain, calls } = pair(be);
        const rng = new Rng(11 + threads);
        for (const [opts, weights] of models.flatMap((o) => kinds.map((k) => [o, k] as const))) {
          const a = RNNModel.create(opts, { seed: 4, backend: fused });
          const b = RNNModel.create(opts, { seed: 4, backend: plain });
          if (weights !== 'f32') {
            a.quantizeWeights(weights);
            b.quantizeWeights(weights);
          }
          const { inputSize, hiddenSize: H, numLayers: L } = a.config;
          const dense = a.config.input === 'dense';
          const Y = a.config.outputSize || H;
          const sa = a.createState(1);
          fill(rng, sa.h);
          if (sa.c) fill(rng, sa.c);
          const sb: RecurrentState = sa.c
            ? { h: Float32Array.from(sa.h), c: Float32Array.from(sa.c) }
            : { h: Float32Array.from(sa.h) };
          const before = calls();
          for (let t = 0; t < 40; t++) {
            const x = dense ? fill(rng, new Float32Array(inputSize)) : Int32Array.of(rng.int(inputSize));
            const ya = a.step(x, sa);
            const yb = b.step(x, sb);
            const same =
              ya.length === Y &&
              ya.every((v, k) => Object.is(v, yb[k])) &&
              sa.h.every((v, k) => Object.is(v, sb.h[k])) &&
              (sa.c === undefined || sa.c.every((v, k) => Object.is(v, (sb.c as Float32Array)[k])));
            if (!same)
              throw new Error(`${opts.cell} H ${H} L ${L} ${weights}: step ${t} differs from the unfused step`);
          }
          expect(calls() - before).toBe(40);
          a.dispose();
          b.dispose();
        }
      } finally {
        be.close();
      }
    });
  }

  it('the addon refuses bad arguments and operands outside its buffer rather than reading them', () => {
    const addon = nativeAddon()!;
    const buffer = new ArrayBuffer(1 << 16); // kept: the addon reads it through a raw pointer
    const slot = addon.bind(buffer);
    // a 1-layer LSTM, H 4, one-hot over 5 ids, head 3, all in a 64 KiB buffer: x at 0, h 64, c 128, y 192,
    // head 256 (+48) and 320, scratch 384, then the layer's wih 1024, bih 2048, whh 3072, bhh 4096
    const good = (): Int32Array =>
      Int32Array.of(0, 1, 4, 1, 0, 64, 128, 192, 3, 256, 320, 384, 0, -1, 1024, 2048, 3072, 4096, 5, -1, -1, -1);
    addon.streamStep(slot, good()); // the id at 0 is 0: in range
    const bad = (i: number, v: number): Int32Array => {
      const a = good();
      a[i] = v;
      return a;
    };
    expect(() => addon.streamStep(slot, new Float32Array(22) as unknown as Int32Array)).toThrow(/Int32Array/);
    expect(() => addon.streamStep(slot, good().subarray(0, 20))).toThrow(/streamStep: bad arguments/);
    expect(() => addon.streamStep(slot, bad(0, 7))).toThrow(/streamStep: bad arguments/); // no such cell
    expect(() => addon.streamStep(slot, bad(1, 0))).toThrow(/streamStep: bad arguments/); // no layers
    expect(() => addon.streamStep(slot, bad(12, 3))).toThrow(/streamStep: bad arguments/); // no such weight kind
    expect(() => addon.streamStep(slot, bad(16, 65530))).toThrow(/outside the bound buffer/); // whh past the end
    expect(() => addon.streamStep(slot, bad(5, 66))).toThrow(/outside the bound buffer/); // h not 4-aligned
    new Int32Array(buffer)[0] = 5; // the id: outside [0, 5)
    expect(() => addon.streamStep(slot, good())).toThrow(/an id outside \[0, V\)/);
    expect(() => addon.streamStep(slot + 1, good())).toThrow(/streamStep: bad arguments/); // no such slot
  });

  it('is not used for B > 1, and declines weights outside its memory or more than 8 layers', () => {
    const be = createNativeBackend({ capacity: 64 * MiB, threads: 2 });
    try {
      const { fused, calls } = pair(be);
      const opts: ModelOptions = { cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 64, outputSize: 65 };
      const m = RNNModel.create(opts, { seed: 1, backend: fused });
      m.step(Int32Array.of(1, 2), m.createState(2));
      expect(calls()).toBe(0);
      m.step(Int32Array.of(3), m.createState(1));
      expect(calls()).toBe(1);
      m.quantizeWeights('bf16');
      m.step(Int32Array.of(3), m.createState(1));
      expect(calls()).toBe(2);
      const plan = {
        cell: 'lstm' as const,
        hiddenSize: 64,
        onehot: true,
        layers: [{ wih: 0, bih: 0, whh: 0, bhh: 0, inputWidth: 65 }],
        head: null,
        packed: null,
      };
      const outside = new Float32Array(m.params.length);
      const h = new Float32Array(64);
      expect(be.streamStep!(plan, outside, Int32Array.of(0), h, new Float32Array(64), new Float32Array(65))).toBe(
        false,
      );
      // more layers than the kernel's table holds (8): it declines, and the step is done kernel by kernel
      const deep: ModelOptions = {
        cell: 'gru',
        input: 'dense',
        inputSize: 3,
        hiddenSize: 8,
        numLayers: 9,
        outputSize: 2,
      };
      const { fused: f2, plain, calls: calls2 } = pair(be);
      const a = RNNModel.create(deep, { seed: 2, backend: f2 });
      const b = RNNModel.create(deep, { seed: 2, backend: plain });
      const x = Float32Array.of(0.5, -1, 2);
      const ya = a.step(x, a.createState(1));
      expect(calls2()).toBe(1);
      expect([...ya]).toEqual([...b.step(x, b.createState(1))]);
      a.dispose();
      b.dispose();
      m.dispose();
    } finally {
      be.close();
    }
  });
});
