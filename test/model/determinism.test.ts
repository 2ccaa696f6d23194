/** Same seed, same weights, same outputs, bit for bit, run after run (dropout masks included). */
import { describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { Rng } from '../../src/util/rng.ts';

describe('determinism', () => {
  for (const cell of ['lstm', 'gru', 'rnn_tanh'] as const) {
    it(`${cell}: two models from one seed agree bit for bit in forward, backward and step`, () => {
      const run = () => {
        const m = RNNModel.create(
          { cell, input: 'embedding', inputSize: 9, hiddenSize: 8, numLayers: 2, outputSize: 9, dropout: 0.25 },
          { seed: 77 },
        );
        const rng = new Rng(5);
        const x = Int32Array.from({ length: 6 * 3 }, () => rng.int(9));
        const { y, workspace, state } = m.forward(x, { T: 6, B: 3, training: true, rng: new Rng(8) });
        const dy = Float32Array.from(y, (v) => Math.sin(v));
        m.backward(workspace, dy);
        const out = m.step(x.subarray(0, 3), state);
        return { params: m.params.slice(), y: y.slice(), grads: m.grads.slice(), out: out.slice() };
      };
      const a = run();
      const b = run();
      expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
      expect(Buffer.from(a.y.buffer).equals(Buffer.from(b.y.buffer))).toBe(true);
      expect(Buffer.from(a.grads.buffer).equals(Buffer.from(b.grads.buffer))).toBe(true);
      expect(Buffer.from(a.out.buffer).equals(Buffer.from(b.out.buffer))).toBe(true);
      const other = RNNModel.create(
        { cell, input: 'embedding', inputSize: 9, hiddenSize: 8, numLayers: 2, outputSize: 9 },
        { seed: 78 },
      );
      expect(Buffer.from(other.params.buffer).equals(Buffer.from(a.params.buffer))).toBe(false);
    });
  }
});
