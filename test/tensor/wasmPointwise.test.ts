/**
 * The wasm backend's pointwise kernels against the TypeScript reference: the vector exp / sigmoid / tanh against
 * `Math`, every cell's fused forward and backward against its TypeScript cell, and the row operations against the
 * loops of `rowOps.ts`, on random shapes (B 1..5, H 1..40, widths that are not multiples of 4), random offsets,
 * arguments inside and outside the backend's memory, and the aliasing the model uses (`h` = `hPrev`, `dgh` = `dgx`).
 * Every array is compared whole, so a write past a range shows too.
 */
import { describe, expect, it } from 'vitest';
import { createWasmBackend, wasmBackend, wasmSimdSupported } from '../../src/tensor/wasmBackend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { referenceBackend } from '../../src/tensor/referenceBackend.ts';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { addBiasRows, gatherColumns, scatterAddColumns, sumRows } from '../../src/tensor/rowOps.ts';
import { cellFor } from '../../src/cells/cellFor.ts';
import { backendCell } from '../../src/cells/backendCell.ts';
import { CELL_KINDS, type CellKind } from '../../src/cells/cellKernel.ts';
import { emitModule } from '../../src/tensor/wasm/wasmEmitter.ts';
import { cellFunctions } from '../../src/tensor/wasm/cellKernels.ts';
import { wasmApi, type WasmApi } from '../../src/tensor/wasm/wasmApi.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { modelFromStateDict } from '../../src/model/stateDict.ts';
import type { InputKind } from '../../src/model/modelConfig.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.ts';
import { Args, backwardCase, forwardCase, maxRelDiff, shapes } from '../helpers/cellCheck.ts';

const MiB = 2 ** 20;
/** Fused results agree with the reference to this, relative to max(1, |reference|). */
const TOL = 1e-6;

describe.runIf(wasmSimdSupported())('wasm vector math against Math', () => {
  const wasm = wasmApi() as WasmApi;
  const memory = new wasm.Memory({ initial: 16 });
  const exports = new wasm.Instance(new wasm.Module(emitModule(cellFunctions())), { env: { memory } }).exports;
  const f32 = new Float32Array(memory.buffer);
  /** Runs `name` over xs; returns the outputs. */
  const run = (name: string, xs: readonly number[]): Float32Array => {
    f32.set(xs, 16);
    (exports[name] as (dst: number, src: number, n: number) => void)(4 * (32 + xs.length), 64, xs.length);
    return f32.slice(32 + xs.length, 32 + 2 * xs.length);
  };
  const grid = (lo: number, hi: number, n: number): number[] =>
    Array.from({ length: n }, (_, i) => Math.fround(lo + ((hi - lo) * i) / (n - 1)));
  const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
  const relErr = (ys: Float32Array, xs: readonly number[], f: (x: number) => number): number => {
    let d = 0;
    xs.forEach((x, i) => {
      d = Math.max(d, Math.abs(ys[i] - f(x)) / Math.abs(f(x)));
    });
    return d;
  };

  it('exp is within 2 ulp (2.4e-7 relative) on [-87, 88], the range sigmoid and tanh use', () => {
    const xs = [...grid(-87, 88, 20001), ...grid(-1, 1, 2001), 0, -0, 1e-8, -1e-8];
    expect(relErr(run('mapExp', xs), xs, Math.exp)).toBeLessThan(2.4e-7);
  });

  it('sigmoid and tanh are within 2 ulp relative, including tiny inputs and where 1 - e^-2x cancels', () => {
    const xs = [
      ...grid(-80, 80, 20001),
      ...grid(-1, 1, 4001),
      ...grid(-0.7, 0.7, 4001),
      ...grid(-1e-3, 1e-3, 1001),
      1e-30,
      -1e-30,
    ];
    expect(relErr(run('mapSigmoid', xs), xs, sigmoid)).toBeLessThan(2.4e-7);
    const nz = xs.filter((x) => x !== 0);
    expect(relErr(run('mapTanh', nz), nz, Math.tanh)).toBeLessThan(2.4e-7);
  });

  it('saturates at ±Infinity and huge inputs, keeps 0 and -0, and propagates NaN as Math does', () => {
    const xs = [Infinity, -Infinity, 1e30, -1e30, 100, -100, 0, -0, NaN];
    expect([...run('mapSigmoid', xs)].map((y) => Math.round(y * 1e6) / 1e6)).toEqual([1, 0, 1, 0, 1, 0, 0.5, 0.5, NaN]);
    const t = run('mapTanh', xs);
    expect([...t.subarray(0, 6)]).toEqual([1, -1, 1, -1, 1, -1]);
    expect(Object.is(t[6], 0) && Object.is(t[7], -0) && Number.isNaN(t[8])).toBe(true);
  });
});

describe.runIf(wasmSimdSupported())('fused cells against the TypeScript cells', () => {
  const be = createWasmBackend({ capacity: 64 * MiB });
  for (const kind of CELL_KINDS) {
    it(`${kind} forward on random shapes, offsets, inside/outside memory, in place or not, to ${TOL}`, () => {
      const rng = new Rng(11);
      for (const [B, H] of shapes(rng, 40)) {
        const inPlace = rng.next() < 0.5;
        const d = forwardCase(be, rng, kind, B, H, inPlace);
        if (!(d <= TOL)) expect.fail(`${kind} forward B=${B} H=${H} inPlace=${inPlace}: max relative error ${d}`);
      }
    });
    it(`${kind} backward on random shapes, offsets, inside/outside memory, dgh = dgx or not, to ${TOL}`, () => {
      const rng = new Rng(12);
      for (const [B, H] of shapes(rng, 40)) {
        const shared = kind !== 'gru' && rng.next() < 0.5; // the model shares them for LSTM and RNN
        const d = backwardCase(be, rng, kind, B, H, shared);
        if (!(d <= TOL)) expect.fail(`${kind} backward B=${B} H=${H} dgh=dgx ${shared}: max relative error ${d}`);
      }
    });
  }

  it('guards shapes at entry, naming the argument', () => {
    const x = be.alloc(8);
    expect(() => be.cellForward!('lstm', x, 0, x, 0, be.alloc(7), 0, x, 0, x, 0, x, 0, x, 0, x, 0, x, 0, 1, 2)).toThrow(
      /cellForward act/,
    );
    expect(() =>
      be.cellBackward!(
        'gru',
        be.alloc(6),
        0,
        be.alloc(6),
        0,
        x,
        0,
        x,
        0,
        x,
        7,
        x,
        0,
        be.alloc(6),
        0,
        x,
        0,
        x,
        0,
        x,
        0,
        1,
        2,
      ),
    ).toThrow(/cellBackward dh/);
    expect(() => be.cellForward!('rnn_tanh', x, 0, x, 0, x, 0, x, 0, x, 0, x, 0, x, 0, x, 0, x, 0, 1, 2.5)).toThrow(
      /cellForward sizes/,
    );
  });
});

describe.runIf(wasmSimdSupported())('fused row operations against rowOps', () => {
  const be = createWasmBackend({ capacity: 64 * MiB });
  const rng = new Rng(13);
  const cases: [number, number, number][] = [
    [1, 1, 1],
    [1, 1024, 65],
    [7, 13, 3],
    [40, 9, 65],
    [3, 37, 40],
  ];
  for (let i = 0; i < 30; i++) cases.push([1 + rng.int(40), 1 + rng.int(40), 1 + rng.int(40)]);

  it(`addBiasRows, sumRows, gatherColumns (both paths), scatterAddColumns on ${cases.length} shapes to ${TOL}`, () => {
    for (const [M, N, V] of cases) {
      const a = new Args(be, rng);
      const [C, cOff, rC] = a.make(M * N);
      const [bias, bOff, rbias] = a.make(N);
      const [out, oOff, rout] = a.make(N);
      const [W, wOff, rW] = a.make(N * V);
      const idOff = rng.int(3);
      const ids = Int32Array.from({ length: idOff + M }, () => rng.int(V));
      const idsIn = rng.next() < 0.5 ? Int32Array.from(ids) : ids; // an ordinary array either way: staged as ints
      addBiasRows(jsBackend, rC, cOff, rbias, bOff, M, N);
      be.addBiasRows!(C, cOff, bias, bOff, M, N);
      sumRows(jsBackend, rout, oOff, rC, cOff, M, N);
      be.sumRows!(out, oOff, C, cOff, M, N);
      scatterAddColumns(jsBackend, rW, wOff, rC, cOff, ids, idOff, M, N, V);
      be.scatterAddColumns!(W, wOff, C, cOff, idsIn, idOff, M, N, V);
      gatherColumns(jsBackend, rC, cOff, rW, wOff, rbias, bOff, ids, idOff, M, N, V);
      be.gatherColumns!(C, cOff, W, wOff, bias, bOff, idsIn, idOff, M, N, V);
      const d = a.diff();
      if (!(d <= TOL)) expect.fail(`M=${M} N=${N} V=${V}: max relative error ${d}`);
    }
  });

  it('token ids out of range are a shape error, not a stray write', () => {
    const W = be.alloc(6),
      out = be.alloc(3);
    expect(() => be.gatherColumns!(out, 0, W, 0, W, 0, new Int32Array([2]), 0, 1, 3, 2)).toThrow(
      /gatherColumns ids\[0\]/,
    );
    expect(() => be.scatterAddColumns!(W, 0, out, 0, new Int32Array([-1]), 0, 1, 3, 2)).toThrow(
      /scatterAddColumns ids\[0\]/,
    );
    expect(() => be.sumRows!(out, 1, W, 0, 2, 3)).toThrow(/sumRows out/);
  });
});

describe.runIf(wasmSimdSupported())('pointwise methods: which backends have them, and the fallback', () => {
  it('the wasm backends declare them (unless options.pointwise is false); js, reference and float64 do not', () => {
    const methods = [
      'cellForward',
      'cellBackward',
      'addBiasRows',
      'sumRows',
      'gatherColumns',
      'scatterAddColumns',
    ] as const;
    for (const m of methods) {
      expect(typeof createWasmBackend({ capacity: 4 * MiB })[m], m).toBe('function');
      expect(typeof wasmBackend[m], m).toBe('function');
      expect(createWasmBackend({ capacity: 4 * MiB, pointwise: false })[m], m).toBeUndefined();
      for (const b of [jsBackend, referenceBackend, float64CheckBackend])
        expect(b[m], `${b.name} ${m}`).toBeUndefined();
    }
    expect(backendCell(cellFor('lstm'), jsBackend)).toBe(cellFor('lstm'));
    expect(() => createWasmBackend({ pointwise: 'yes' as unknown as boolean })).toThrow(
      'Expected boolean for options.pointwise but received "yes" of type string',
    );
  });

  it('when staging does not fit (whenFull: "heap"), the cells and row operations fall back to TypeScript and stay right', () => {
    const be = createWasmBackend({ capacity: 4 * MiB, whenFull: 'heap' });
    be.alloc((be.capacity - 2 * MiB) / 4); // leaves about 0.7 MiB beside the pack buffers
    const rng = new Rng(5);
    const B = 300,
      H = 200,
      G = 4; // 960 KB per [B, 4H] array: too big to stage
    const big = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(-2, 2));
    const gx = big(B * G * H),
      gh = big(B * G * H),
      bhh = big(G * H),
      act = new Float32Array(B * G * H);
    const h = new Float32Array(B * H),
      c = big(B * H),
      aux = new Float32Array(B * H);
    const want = { h: h.slice(), c: c.slice(), act: act.slice(), aux: aux.slice() };
    cellFor('lstm').forward(
      want.h,
      0,
      want.c,
      0,
      want.act,
      0,
      want.aux,
      0,
      gx,
      0,
      gh,
      0,
      want.h,
      0,
      want.c,
      0,
      bhh,
      0,
      B,
      H,
    );
    expect(be.cellForward!('lstm', h, 0, c, 0, act, 0, aux, 0, gx, 0, gh, 0, h, 0, c, 0, bhh, 0, B, H)).toBe(false);
    backendCell(cellFor('lstm'), be).forward(h, 0, c, 0, act, 0, aux, 0, gx, 0, gh, 0, h, 0, c, 0, bhh, 0, B, H);
    expect(maxRelDiff(h, want.h) + maxRelDiff(c, want.c) + maxRelDiff(act, want.act)).toBe(0);
    const C = big(B * G * H),
      rC = C.slice();
    be.addBiasRows!(C, 0, bhh, 0, B, G * H);
    addBiasRows(jsBackend, rC, 0, bhh, 0, B, G * H);
    expect(maxRelDiff(C, rC)).toBe(0);
  });

  it('a streaming step keeps its caller-owned state outside the memory and matches the unfused backend', () => {
    for (const cell of CELL_KINDS) {
      const outs = [true, false].map((pointwise) => {
        const be = createWasmBackend({ capacity: 16 * MiB, pointwise });
        const model = RNNModel.create(
          { cell, input: 'onehot', inputSize: 11, hiddenSize: 21, outputSize: 7 },
          { seed: 3, backend: be },
        );
        const state = model.createState(2);
        const ys: number[] = [];
        for (let t = 0; t < 5; t++) ys.push(...model.step(Int32Array.from([t, 10 - t]), state));
        expect(be.owns(state.h)).toBe(false);
        return [...ys, ...state.h];
      });
      expect(maxRelDiff(outs[0], outs[1]), cell).toBeLessThan(1e-5);
    }
  });
});

describe.runIf(wasmSimdSupported())('the PyTorch golden fixtures on the fused wasm backend', () => {
  // the same fixtures and tolerances as test/model/golden.test.ts (which runs on jsBackend)
  const dir = join(import.meta.dirname, '../../fixtures/golden');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort();
  const be = createWasmBackend({ capacity: 64 * MiB });
  const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    expect(a.length).toBe(b.length);
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  };
  it(`outputs and states to 1e-5, gradients to 1e-4 of the largest, on all ${files.length} fixtures`, () => {
    expect(files.length).toBe(20);
    for (const f of files) {
      const file = readSafetensors(join(dir, f));
      const meta = file.metadata;
      const get = (n: string): Float32Array => file.tensors.get(n)!.data;
      const sd = new Map([...file.tensors].filter(([k]) => !/^(in|out|grad)\./.test(k)));
      const model = modelFromStateDict(sd, {
        config: { cell: meta.cell as CellKind, input: meta.input as InputKind },
        backend: be,
        source: f,
      });
      const T = Number(meta.T),
        B = Number(meta.B),
        Y = model.config.outputSize;
      const x = model.config.input === 'dense' ? get('in.x') : Int32Array.from(get('in.x'));
      const lstm = model.config.cell === 'lstm';
      const { y, state, workspace } = model.forward(x, {
        T,
        B,
        state: lstm ? { h: get('in.h0').slice(), c: get('in.c0').slice() } : { h: get('in.h0').slice() },
      });
      expect(maxAbs(y, get('out.logits')), `${f} logits`).toBeLessThan(1e-5);
      expect(maxAbs(state.h, get('out.h_n')), `${f} h_n`).toBeLessThan(1e-5);
      if (lstm) expect(maxAbs(state.c!, get('out.c_n')), `${f} c_n`).toBeLessThan(1e-5);
      const dy = new Float32Array(T * B * Y);
      softmaxCrossEntropy(dy, y, Int32Array.from(get('in.targets')), T * B, Y, 1);
      model.zeroGrads();
      const dState0 = model.backward(workspace, dy);
      let largest = 0;
      for (const e of model.layout.entries)
        for (const g of get(`grad.${e.name}`)) largest = Math.max(largest, Math.abs(g));
      for (const e of model.layout.entries)
        expect(maxAbs(model.grad(e.name), get(`grad.${e.name}`)), `${f} gradient of ${e.name}`).toBeLessThan(
          1e-4 * largest,
        );
      expect(maxAbs(dState0.h, get('grad.h0')), `${f} grad h0`).toBeLessThan(1e-4 * largest);
    }
  });
});
