/**
 * The native addon's pointwise kernels of issue 17 against their TypeScript references: the GRU and vanilla RNN
 * (tanh, relu) steps forward and backward (the LSTM's are in nativeBackend.test.ts), the softmax cross-entropy and
 * the Adam / AdamW update, on random and odd shapes (H and V across the vector width), offsets, arrays inside and
 * outside the backend's memory, on one thread and on two, and the bandwidth probe of the bench's roofline. The cell
 * steps, the one-hot gather and its gradient split their rows over two threads from 2^15 elements (wave 3): large shapes check
 * that split against the references and against one thread, bit for bit. Skipped, with a line on stderr, where the addon is not built.
 */
import { describe, expect, it } from 'vitest';
import { createNativeBackend, nativeAvailable, nativeProblem } from '../../src/tensor/nativeBackend.ts';
import { nativeAddon } from '../../src/tensor/native/nativeAddon.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import type { CellKind } from '../../src/cells/cellKernel.ts';
import { adam, adamw } from '../../src/train/adam.ts';
import { Rng } from '../../src/util/rng.ts';
import type { Backend } from '../../src/tensor/backend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { charRnnBatches } from '../../src/train/charRnnBatches.ts';
import { scatterAddColumns } from '../../src/tensor/rowOps.ts';
import { backwardCase, forwardCase, maxRelDiff, shapes } from '../helpers/cellCheck.ts';

const MiB = 2 ** 20;
const available = nativeAvailable();
if (!available) process.stderr.write(`native kernel tests skipped: the addon is ${nativeProblem()}\n`);

/** As the wasm kernels and the LSTM's: relative to max(1, |reference|). */
const TOL = 1e-6;

describe.runIf(available)('native GRU and RNN steps against the TypeScript cells', () => {
  for (const threads of [1, 2]) {
    for (const kind of ['gru', 'rnn_tanh', 'rnn_relu'] as CellKind[]) {
      it(`${kind} forward and backward, ${threads} thread(s), random shapes, offsets, inside/outside memory, in place or not, to ${TOL}`, () => {
        const be = createNativeBackend({ capacity: 64 * MiB, threads });
        const rng = new Rng(31 + threads);
        for (const [B, H] of [...shapes(rng, 40), [2, 16], [3, 17], [1, 33], [4, 100], [5, 1]] as [number, number][]) {
          const inPlace = rng.next() < 0.5;
          const f = forwardCase(be, rng, kind, B, H, inPlace);
          if (!(f <= TOL)) expect.fail(`${kind} forward B=${B} H=${H} inPlace=${inPlace}: max relative error ${f}`);
          // dgh = dgx only where the cell writes the same values to both (not the GRU: dgh_n = dn·r)
          const shared = kind !== 'gru' && rng.next() < 0.5;
          const b = backwardCase(be, rng, kind, B, H, shared);
          if (!(b <= TOL)) expect.fail(`${kind} backward B=${B} H=${H} dgh=dgx ${shared}: max relative error ${b}`);
        }
      });
    }
  }

  it('the addon refuses GRU and RNN operands outside its buffer', () => {
    const addon = nativeAddon()!;
    const slot = addon.bind(new ArrayBuffer(4096));
    expect(() => addon.gruForward(slot, 0, 0, 0, 0, 0, 0, 4000, 1, 16)).toThrow(/gruForward: bad arguments/);
    expect(() => addon.gruBackward(slot, 0, 0, 0, 0, 0, 0, 4090, 1, 2)).toThrow(/gruBackward/);
    expect(() => addon.rnnTanhForward(slot, 0, 0, 0, 0, 4096, 1, 1)).toThrow(/rnnForward/);
    expect(() => addon.rnnReluBackward(slot, 0, 0, 0, 0, -4, 1, 1)).toThrow(/rnnBackward/);
  });
});

/** Random logits [N, V] with a few large ones, targets in [-1, V) (negative: ignored). */
function xentCase(rng: Rng, N: number, V: number, inMemory: (n: number) => Float32Array) {
  const logits = inMemory(N * V);
  for (let i = 0; i < logits.length; i++) logits[i] = rng.uniform(-5, 5) * (rng.next() < 0.05 ? 10 : 1);
  const targets = Int32Array.from({ length: N }, () => (rng.next() < 0.1 ? -1 : rng.int(V)));
  return { logits, targets };
}

describe.runIf(available)('native softmax cross-entropy against softmaxCrossEntropy', () => {
  it(`random N, V (1..200, across the vector width), ignored rows, scale, null gradient, inside/outside memory: loss to 1e-6 relative, gradient to ${TOL}`, () => {
    const rng = new Rng(41);
    for (const threads of [1, 2]) {
      const be = createNativeBackend({ capacity: 64 * MiB, threads });
      const cases: [number, number][] = [
        [1, 1],
        [1, 16],
        [3, 17],
        [64, 65],
        [7, 200],
      ];
      for (let i = 0; i < 40; i++) cases.push([1 + rng.int(70), 1 + rng.int(200)]);
      for (const [N, V] of cases) {
        const alloc = (n: number): Float32Array => (rng.next() < 0.5 ? be.alloc(n) : new Float32Array(n));
        const { logits, targets } = xentCase(rng, N, V, alloc);
        const scale = rng.next() < 0.5 ? 1 : 1 / N;
        const dRef = new Float32Array(N * V);
        const dGot = alloc(N * V).fill(7);
        const ref = softmaxCrossEntropy(dRef, logits, targets, N, V, scale);
        const got = softmaxCrossEntropy(dGot, logits, targets, N, V, scale, be);
        expect(Math.abs(got - ref) / Math.max(1, Math.abs(ref)), `loss N=${N} V=${V}`).toBeLessThan(1e-6);
        const d = maxRelDiff(dGot, dRef);
        if (!(d <= TOL)) expect.fail(`gradient N=${N} V=${V}: max relative error ${d}`);
        const lossOnly = softmaxCrossEntropy(null, logits, targets, N, V, scale, be);
        expect(lossOnly).toBe(got);
      }
    }
  });

  it('gives the same bits on one thread and on two, and refuses a target >= V', () => {
    const rng = new Rng(42);
    const { logits, targets } = xentCase(rng, 33, 65, (n) => new Float32Array(n));
    const run = (threads: number) => {
      const be = createNativeBackend({ capacity: 4 * MiB, threads });
      const d = new Float32Array(33 * 65);
      return { loss: softmaxCrossEntropy(d, logits, targets, 33, 65, 1 / 33, be), d };
    };
    const [a, b] = [run(1), run(2)];
    expect(a.loss).toBe(b.loss);
    expect(maxRelDiff(a.d, b.d)).toBe(0);
    const be = createNativeBackend({ capacity: 4 * MiB });
    expect(() => be.softmaxCrossEntropy!(null, logits, Int32Array.of(65), 1, 65, 1)).toThrow(/target is >= V/);
  });
});

describe.runIf(available)('native Adam update against the TypeScript loop', () => {
  for (const [name, make] of [
    ['adam', adam],
    ['adamw', adamw],
  ] as const) {
    it(`${name}: 5 steps on random lengths (1..3000, across the vector width), weight decay on and off, to 1e-6 relative`, () => {
      const rng = new Rng(name === 'adam' ? 51 : 52);
      for (const threads of [1, 2]) {
        const be = createNativeBackend({ capacity: 64 * MiB, threads });
        for (const n of [1, 15, 16, 17, 100, 3000, 1 + rng.int(3000)]) {
          const weightDecay = rng.next() < 0.5 ? 0 : 0.01;
          const ref = make({ lr: 2e-3, weightDecay });
          const got = make({ lr: 2e-3, weightDecay, backend: be });
          const p0 = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
          const pRef = p0.slice();
          const pGot = rng.next() < 0.5 ? be.alloc(n) : new Float32Array(n);
          pGot.set(p0);
          for (let s = 0; s < 5; s++) {
            const g = Float32Array.from({ length: n }, () => rng.uniform(-1, 1) * (rng.next() < 0.1 ? 100 : 1));
            ref.step(pRef, g);
            got.step(pGot, g);
          }
          const d = maxRelDiff(pGot, pRef);
          if (!(d <= 1e-6)) expect.fail(`${name} n=${n} threads=${threads}: max relative error ${d}`);
          const [sRef, sGot] = [ref.getState(), got.getState()];
          expect(sGot.step).toBe(sRef.step);
        }
      }
    });
  }

  it('options.backend must be a Backend', () => {
    expect(() => adam({ backend: {} as never })).toThrow(/options.backend/);
  });
});

describe.runIf(available)('the bandwidth probe', () => {
  it('reads a buffer and reports a finite, positive rate; refuses silly sizes', () => {
    const addon = nativeAddon()!;
    const r = addon.readBandwidth(2 * MiB, 3);
    expect(Number.isFinite(r) && r > 0).toBe(true);
    expect(() => addon.readBandwidth(10, 1)).toThrow(/readBandwidth/);
  });
});

describe.runIf(available)('a Trainer on the native backend', () => {
  it('runs the cross-entropy and Adam in the addon and trains as on jsBackend (losses and weights to 1e-4 over 6 updates)', () => {
    const ids = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + (i >> 3)) % 11);
    const run = (backend: Backend) => {
      const model = RNNModel.create(
        { cell: 'gru', input: 'onehot', inputSize: 11, hiddenSize: 19, outputSize: 11 },
        { seed: 3, backend },
      );
      const trainer = new Trainer(model, { optimizer: { name: 'adam', lr: 1e-2 }, k1: 8, clipNorm: 5 });
      const losses: number[] = [];
      let n = 0;
      for (const w of charRnnBatches(ids, { B: 4, k1: 8 })) {
        losses.push(trainer.update(w).loss);
        if (++n === 6) break;
      }
      return { losses, params: model.params.slice() };
    };
    const native = createNativeBackend({ capacity: 16 * MiB });
    const calls = { xent: 0, adam: 0 };
    const counted: Backend = {
      ...native,
      softmaxCrossEntropy: (...a) => {
        calls.xent++;
        return native.softmaxCrossEntropy!(...a);
      },
      adamUpdate: (...a) => {
        calls.adam++;
        native.adamUpdate!(...a);
      },
    };
    const got = run(counted);
    const ref = run(jsBackend);
    expect(calls.xent).toBeGreaterThanOrEqual(6);
    expect(calls.adam).toBe(6);
    for (let i = 0; i < 6; i++) expect(Math.abs(got.losses[i] - ref.losses[i])).toBeLessThan(1e-4);
    expect(maxRelDiff(got.params, ref.params)).toBeLessThan(1e-4);
  });
});

/** Issue 17, wave 3: the pointwise jobs that the addon splits by rows over its two threads (from 2^15 elements). */
describe.runIf(available)('native cell steps and the one-hot gather split by rows on two threads', () => {
  // B·H >= 2^15, odd and vector-crossing sizes, so that two threads split the rows (unevenly when B is odd)
  const big: [number, number][] = [
    [129, 257],
    [300, 111],
    [2, 16411],
    [257, 128],
    [1001, 33],
  ];

  for (const kind of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as CellKind[]) {
    it(`${kind} forward and backward on ${big.length} large shapes, 2 threads, to ${TOL} of the TypeScript cell`, () => {
      const be = createNativeBackend({ capacity: 256 * MiB, threads: 2 });
      const rng = new Rng(61);
      for (const [B, H] of big) {
        const inPlace = rng.next() < 0.5;
        const f = forwardCase(be, rng, kind, B, H, inPlace);
        if (!(f <= TOL)) expect.fail(`${kind} forward B=${B} H=${H} inPlace=${inPlace}: max relative error ${f}`);
        const shared = kind !== 'gru' && rng.next() < 0.5;
        const b = backwardCase(be, rng, kind, B, H, shared);
        if (!(b <= TOL)) expect.fail(`${kind} backward B=${B} H=${H} dgh=dgx ${shared}: max relative error ${b}`);
      }
    });

    it(`${kind} forward and backward: the same bits on one thread and on two`, () => {
      const [B, H] = [257, 129];
      const run = (threads: number) => {
        // same seed for both: the same arguments, inside or outside memory alike
        const be = createNativeBackend({ capacity: 64 * MiB, threads });
        const rng = new Rng(62);
        forwardCase(be, rng, kind, B, H, false);
        backwardCase(be, rng, kind, B, H, false);
        // the arguments allocated in the memory (about half, at random) hold the results: all of it, as bytes
        return new Float32Array(be.memory.buffer, 0, be.used / 4).slice();
      };
      const one = run(1);
      const two = run(2);
      expect(two.length).toBe(one.length);
      expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    });
  }

  it('gatherColumns: random and odd shapes (M up to 700, N up to 1100, V up to 300), inside/outside memory, offsets, 1 and 2 threads, both paths (columns read for M < V/8, else the transposed blocks): exactly W + bias', () => {
    const rng = new Rng(63);
    const cases: [number, number, number][] = [
      [1, 1, 1],
      [1, 1024, 65],
      [256, 1024, 65],
      [700, 63, 300],
      [33, 1100, 2],
      [129, 257, 131],
    ];
    for (let i = 0; i < 12; i++) cases.push([1 + rng.int(700), 1 + rng.int(1100), 1 + rng.int(300)]);
    for (const threads of [1, 2]) {
      const be = createNativeBackend({ capacity: 256 * MiB, threads });
      for (const [M, N, V] of cases) {
        const alloc = (n: number): Float32Array => (rng.next() < 0.5 ? be.alloc(n) : new Float32Array(n));
        const [wOff, bOff, oOff, idOff] = [rng.int(3), rng.int(3), rng.int(3), rng.int(3)];
        const W = alloc(wOff + N * V);
        const bias = alloc(bOff + N);
        for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-1, 1);
        for (let i = 0; i < bias.length; i++) bias[i] = rng.uniform(-1, 1);
        const ids = Int32Array.from({ length: idOff + M }, () => rng.int(V));
        const out = alloc(oOff + M * N + 2).fill(7);
        be.gatherColumns!(out, oOff, W, wOff, bias, bOff, ids, idOff, M, N, V);
        let bad = 0;
        for (let i = 0; i < M; i++)
          for (let k = 0; k < N; k++)
            if (out[oOff + i * N + k] !== Math.fround(W[wOff + k * V + ids[idOff + i]] + bias[bOff + k])) bad++;
        expect(bad, `M=${M} N=${N} V=${V} ${threads} thread(s)`).toBe(0);
        expect(out[oOff + M * N], 'no write past out').toBe(7);
        if (oOff > 0) expect(out[0], 'no write before out').toBe(7);
      }
    }
  });

  it('scatterAddColumns (the gather gradient): the same shapes, both paths, 1 and 2 threads: the reference bits, rows added in order', () => {
    const rng = new Rng(64);
    const cases: [number, number, number][] = [
      [1, 1, 1],
      [1, 1024, 65],
      [2048, 1024, 65],
      [700, 63, 300],
      [33, 1100, 2],
      [129, 257, 131],
    ];
    for (let i = 0; i < 12; i++) cases.push([1 + rng.int(700), 1 + rng.int(1100), 1 + rng.int(300)]);
    for (const threads of [1, 2]) {
      const be = createNativeBackend({ capacity: 256 * MiB, threads });
      for (const [M, N, V] of cases) {
        const alloc = (n: number): Float32Array => (rng.next() < 0.5 ? be.alloc(n) : new Float32Array(n));
        const [wOff, aOff, idOff] = [rng.int(3), rng.int(3), rng.int(3)];
        const W = alloc(wOff + N * V + 2);
        const A = alloc(aOff + M * N);
        for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-1, 1);
        for (let i = 0; i < A.length; i++) A[i] = rng.uniform(-1, 1);
        // few distinct ids, so that many rows add into the same column (the order of the additions matters)
        const distinct = 1 + rng.int(Math.min(V, 8));
        const ids = Int32Array.from({ length: idOff + M }, () => rng.int(distinct));
        const ref = W.slice();
        scatterAddColumns(jsBackend, ref, wOff, A, aOff, ids, idOff, M, N, V);
        be.scatterAddColumns!(W, wOff, A, aOff, ids, idOff, M, N, V);
        let bad = 0;
        for (let i = 0; i < W.length; i++) if (!Object.is(W[i], ref[i])) bad++;
        expect(bad, `M=${M} N=${N} V=${V} ${threads} thread(s)`).toBe(0);
      }
    }
  });

  it('the addon refuses a gather or its gradient outside its buffer or with an id outside [0, V)', () => {
    const addon = nativeAddon()!;
    const buf = new ArrayBuffer(4096);
    const slot = addon.bind(buf);
    new Int32Array(buf, 1024, 4).set([0, 1, 2, 3]);
    expect(() => addon.gatherColumns(slot, 0, 2048, 3072, 1024, 4, 4, 4)).not.toThrow();
    expect(() => addon.gatherColumns(slot, 0, 2048, 3072, 1024, 4, 4, 3)).toThrow(/an id outside \[0, V\)/);
    expect(() => addon.gatherColumns(slot, 0, 2048, 4090, 1024, 4, 4, 4)).toThrow(/gatherColumns/);
    expect(() => addon.gatherColumns(slot, 0, 2048, 3072, 1024, 300, 4, 4)).toThrow(/gatherColumns/);
    expect(() => addon.scatterAddColumns(slot, 2048, 0, 1024, 4, 4, 4)).not.toThrow();
    expect(() => addon.scatterAddColumns(slot, 2048, 0, 1024, 4, 4, 3)).toThrow(/an id outside \[0, V\)/);
    expect(() => addon.scatterAddColumns(slot, 4040, 0, 1024, 4, 4, 4)).toThrow(/scatterAddColumns/);
  });
});
