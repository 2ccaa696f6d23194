/**
 * Memory stays bounded under variable shapes (the leak test): `RNNModel.forward` over hundreds of distinct lengths
 * and `step` over many batch sizes keep one grow-only workspace each, sized to the largest shape seen, on the js
 * backend (measured by `model.workspaceBytes`) and in the wasm and native arenas, which never free (measured by
 * the bytes the arena handed out). Results equal those of a fresh workspace for every shape.
 */
import { describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import type { Backend } from '../../src/tensor/backend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { createWasmBackend, type WasmBackend } from '../../src/tensor/wasmBackend.ts';
import { createNativeBackend, nativeAvailable } from '../../src/tensor/nativeBackend.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

const MiB = 2 ** 20;
const opts: ModelOptions = { cell: 'lstm', inputSize: 8, hiddenSize: 16, numLayers: 2, outputSize: 8 };
const backends: [string, () => Backend][] = [
  ['js', () => jsBackend],
  ['wasm', () => createWasmBackend({ capacity: 256 * MiB })],
];
if (nativeAvailable()) backends.push(['native', () => createNativeBackend({ capacity: 256 * MiB, threads: 1 })]);

const input = (n: number, seed: number): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
};
/** Bytes a backend's memory holds: the arena's bytes handed out, or the model's cached workspaces on js. */
const held = (be: Backend, m: RNNModel): number => (be as Partial<WasmBackend>).used ?? m.workspaceBytes;

describe.each(backends)('bounded workspaces on %s', (_name, make) => {
  it('forward over 301 distinct lengths holds at most a few times the largest workspace', () => {
    const B = 2;
    // the bytes of one workspace for the largest shape, on a model of its own
    const beOne = make();
    const one = RNNModel.create(opts, { seed: 1, backend: beOne });
    const before1 = held(beOne, one);
    one.forward(input(400 * B * 8, 0), { T: 400, B });
    const largest = held(beOne, one) - before1;
    expect(largest).toBeGreaterThan(400 * B * 16 * 4 * 4); // at least the gate cache of a layer

    const be = make();
    const model = RNNModel.create(opts, { seed: 1, backend: be });
    const before = held(be, model);
    const fresh = RNNModel.create(opts, { seed: 1 }); // js reference of each result
    for (let T = 100; T <= 400; T++) {
      const x = input(T * B * 8, T);
      const { y } = model.forward(x, { T, B });
      if (T % 50 === 0) {
        const want = fresh.forward(x, { T, B, workspace: fresh.createWorkspace(T, B) }).y;
        let d = 0;
        for (let i = 0; i < y.length; i++) d = Math.max(d, Math.abs(y[i] - want[i]));
        expect(d).toBeLessThan(1e-5);
      }
    }
    const total = held(be, model) - before;
    if (process.env.EDDY_VERBOSE) console.log(`${_name} forward: ${total} bytes held, largest workspace ${largest}`);
    expect(total).toBeLessThanOrEqual(4 * largest);
  });

  it('step over batch sizes 1..128 holds at most a few times the largest scratch', () => {
    const beOne = make();
    const one = RNNModel.create(opts, { seed: 2, backend: beOne });
    const before1 = held(beOne, one);
    one.step(input(128 * 8, 0), one.createState(128));
    const largest = held(beOne, one) - before1;

    const be = make();
    const model = RNNModel.create(opts, { seed: 2, backend: be });
    const before = held(be, model);
    for (let B = 1; B <= 128; B++) model.step(input(B * 8, B), model.createState(B));
    expect(held(be, model) - before).toBeLessThanOrEqual(4 * largest);
    // a batch size seen before allocates nothing more
    const at = held(be, model);
    for (let B = 1; B <= 128; B += 7) model.step(input(B * 8, B), model.createState(B));
    expect(held(be, model)).toBe(at);
  });
});

describe('the model cache keeps one workspace at a time', () => {
  it('backward on a workspace that a later forward of another shape reused is refused, not silently wrong', () => {
    const model = RNNModel.create(opts, { seed: 3 });
    const a = model.forward(input(5 * 2 * 8, 1), { T: 5, B: 2 });
    model.forward(input(7 * 2 * 8, 2), { T: 7, B: 2 });
    expectError(() => model.backward(a.workspace, new Float32Array(5 * 2 * 8)), 'ERR_INVALID_ARG', 'workspace');
    // its own workspace keeps a window alive across other forwards
    const ws = model.createWorkspace(5, 2);
    const own = model.forward(input(5 * 2 * 8, 1), { T: 5, B: 2, workspace: ws });
    model.forward(input(7 * 2 * 8, 2), { T: 7, B: 2 });
    expect(() => model.backward(own.workspace, new Float32Array(5 * 2 * 8))).not.toThrow();
  });
});

describe('sizes that cannot be allocated are EddyErrors naming the bytes', () => {
  const model = RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: 4, hiddenSize: 8, outputSize: 4 });
  it('forward without options', () => {
    expectError(() => (model.forward as (x: Int32Array) => unknown)(new Int32Array(3)), 'ERR_INVALID_ARG', 'options.T');
  });
  it('a huge T or B', () => {
    expectError(() => model.createWorkspace(1e6, 1e6), 'ERR_INVALID_ARG', /bytes/, 'T=1000000, B=1000000');
    expectError(() => model.createWorkspace(2 ** 40, 1), 'ERR_INVALID_ARG', /bytes/);
    expectError(() => model.createState(2 ** 40), 'ERR_INVALID_ARG', /bytes/, 'B=1099511627776');
    const wasm = createWasmBackend({ capacity: 16 * MiB });
    const small = RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: 4, hiddenSize: 8 }, { backend: wasm });
    const T = 100_000;
    expectError(() => small.forward(new Int32Array(T * 2), { T, B: 2 }), 'ERR_INVALID_ARG', /bytes/);
  });
});
