/**
 * A batched streaming step equals stepping each row alone, bit for bit, whatever B: what keyedRecurrent promises
 * (a key's outputs do not depend on how many other keys arrived in the same tick). Checked for B = 1..64 on every
 * backend: js, wasm on one and two threads, and the native kernels on one and two threads where the addon is built.
 */
import { describe, it } from 'vitest';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { Backend } from '../../src/tensor/backend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { createNativeBackend, nativeAvailable } from '../../src/tensor/nativeBackend.ts';
import { createWasmBackend } from '../../src/tensor/wasmBackend.ts';
import { Rng } from '../../src/util/rng.ts';
import { fill } from '../helpers/gemmCheck.ts';

const MiB = 2 ** 20;
const backends: [string, () => Backend][] = [
  ['js', () => jsBackend],
  ['wasm', () => createWasmBackend({ capacity: 128 * MiB })],
  ['wasm-2t', () => createWasmBackend({ capacity: 128 * MiB, threads: 2 })],
];
if (nativeAvailable()) {
  backends.push(['native-1t', () => createNativeBackend({ capacity: 128 * MiB, threads: 1 })]);
  backends.push(['native-2t', () => createNativeBackend({ capacity: 128 * MiB, threads: 2 })]);
}

const models: ModelOptions[] = [
  { cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 128, outputSize: 65 },
  { cell: 'gru', input: 'dense', inputSize: 40, hiddenSize: 72, numLayers: 2, outputSize: 10 },
  { cell: 'rnn_tanh', input: 'embedding', inputSize: 30, embeddingSize: 20, hiddenSize: 33 },
];

describe.each(backends)('a batched step equals stepping each row alone on %s', (_name, make) => {
  it('B = 1..64, every cell, bit for bit', () => {
    const be = make();
    const rng = new Rng(5);
    try {
      for (const opts of models) {
        const model = RNNModel.create(opts, { seed: 3, backend: be });
        const { numLayers: L, hiddenSize: H, inputSize } = model.config;
        const dense = model.config.input === 'dense';
        const X = dense ? inputSize : 1;
        const Y = model.config.outputSize || H;
        for (let B = 1; B <= 64; B++) {
          const state = model.createState(B);
          fill(rng, state.h);
          if (state.c) fill(rng, state.c);
          const x = dense
            ? fill(rng, new Float32Array(B * X))
            : Int32Array.from({ length: B }, () => rng.int(inputSize));
          const alone = Array.from({ length: B }, (_, b) => {
            const s = model.createState(1);
            for (let l = 0; l < L; l++) {
              s.h.set(state.h.subarray((l * B + b) * H, (l * B + b + 1) * H), l * H);
              if (s.c && state.c) s.c.set(state.c.subarray((l * B + b) * H, (l * B + b + 1) * H), l * H);
            }
            return { s, y: model.step(x.subarray(b * X, (b + 1) * X), s) };
          });
          const y = model.step(x, state);
          for (let b = 0; b < B; b++) {
            const at = (k: number): number => (Math.floor(k / H) * B + b) * H + (k % H); // [L, 1, H] -> [L, B, H]
            const c1 = alone[b].s.c;
            const same =
              alone[b].y.every((v, k) => Object.is(v, y[b * Y + k])) &&
              alone[b].s.h.every((v, k) => Object.is(v, state.h[at(k)])) &&
              (c1 === undefined || c1.every((v, k) => Object.is(v, (state.c as Float32Array)[at(k)])));
            if (!same) throw new Error(`${opts.cell}: row ${b} of B = ${B} differs from stepping it alone`);
          }
        }
      }
    } finally {
      (be as { close?: () => void }).close?.();
    }
  });
});
