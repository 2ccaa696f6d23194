/**
 * Speed of the fused pointwise kernels (issue 7) on the benchmark's workloads, not a unit test:
 *   npx tsx test/tensor/pointwiseSpeed.ts [seconds per case, default 1]
 *
 * Three backends in the same run: jsBackend, the wasm backend without its pointwise methods (gemms in wasm, cells
 * and row loops in TypeScript: the path before issue 7) and the wasm backend with them. Each is checked against
 * the reference kernels first (window logits and gradients, 8 streaming steps, max abs diff < 1e-4). Times are
 * process CPU time (the machine is shared), the fastest group of calls over rounds that visit the backends in turn.
 *
 * - W1: LSTM H=256, one-hot 65 -> head 65, B=32, T=64: forward, softmax cross-entropy, backward (chars/s)
 * - W2: LSTM / GRU / RNN H=256, one-hot 65 -> head 65, `model.step` at B=1 (µs per step)
 * - W3: LSTM H=256, dense 1024 -> 10 classes, `model.step` at B=1 (frames/s)
 */
import type { Backend } from '../../src/tensor/backend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { referenceBackend } from '../../src/tensor/referenceBackend.ts';
import { createWasmBackend } from '../../src/tensor/wasmBackend.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { Rng } from '../../src/util/rng.ts';

const seconds = Number(process.argv[2] ?? 1);
const ROUNDS = 4;
const backends: [string, Backend][] = [
  ['js', jsBackend],
  ['wasm (TS pointwise)', createWasmBackend({ capacity: 512 * 2 ** 20, pointwise: false })],
  ['wasm (fused)', createWasmBackend({ capacity: 512 * 2 ** 20 })],
];

/**
 * CPU seconds per call of `fn`: the fastest of groups of calls (each about 1 ms, or one call if longer) run for
 * `minS` in all. The clock is read once per group: `process.cpuUsage` costs ~4 µs here, as much as a streaming
 * step; the fastest group is the one least disturbed by the machine's other load.
 */
function cpuTime(fn: () => void, minS: number): number {
  let group = 0;
  for (const t = performance.now(); performance.now() - t < 1; group++) fn();
  let best = Infinity,
    total = 0;
  while (total < minS) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < group; i++) fn();
    const u = process.cpuUsage(t0);
    const dt = (u.user + u.system) / 1e6;
    total += dt;
    best = Math.min(best, dt / group);
  }
  return best;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

interface Case {
  readonly id: string;
  readonly unit: 'chars/s' | 'µs/step' | 'frames/s';
  /** The case on a backend: a check output and a step to time. */
  make(be: Backend): { check: () => Float32Array; step: () => void };
  /** Converts seconds per step to the unit. */
  metric(s: number): number;
}

function trainCase(): Case {
  const opts: ModelOptions = { cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 256, outputSize: 65 };
  /** One window: zero the gradients, forward, loss gradient, backward; returns the logits. */
  const make = (be: Backend, T: number, B: number): { model: RNNModel; run: () => Float32Array } => {
    const model = RNNModel.create(opts, { seed: 1, backend: be });
    const rng = new Rng(2);
    const ids = Int32Array.from({ length: T * B }, () => rng.int(65));
    const targets = Int32Array.from({ length: T * B }, () => rng.int(65));
    const dy = be.alloc(T * B * 65); // [T, B, V]
    return {
      model,
      run: () => {
        model.zeroGrads();
        const r = model.forward(ids, { T, B });
        softmaxCrossEntropy(dy, r.y, targets, T * B, 65, 1 / (T * B));
        model.backward(r.workspace, dy);
        return r.y;
      },
    };
  };
  return {
    id: 'W1 LSTM 256 B32 T64 fwd+bwd',
    unit: 'chars/s',
    make(be) {
      const small = make(be, 16, 8),
        full = make(be, 64, 32);
      const check = (): Float32Array => {
        const y = small.run();
        const out = new Float32Array(y.length + small.model.grads.length); // [logits, gradients]
        out.set(y);
        out.set(small.model.grads, y.length);
        return out;
      };
      return {
        check,
        step: () => {
          full.run();
        },
      };
    },
    metric: (s) => (64 * 32) / s,
  };
}

function streamCase(id: string, opts: ModelOptions, unit: 'µs/step' | 'frames/s'): Case {
  return {
    id,
    unit,
    make(be) {
      const model = RNNModel.create(opts, { seed: 1, backend: be });
      const rng = new Rng(3);
      const X = opts.inputSize;
      const xs: (Int32Array | Float32Array)[] = Array.from({ length: 64 }, () =>
        opts.input === 'dense'
          ? Float32Array.from({ length: X }, () => rng.uniform(0, 1))
          : Int32Array.from([rng.int(X)]),
      );
      const Y = opts.outputSize as number;
      const state = model.createState(1);
      const out = be.alloc(Y); // [1, Y]
      let i = 0;
      return {
        check: () => {
          const s = model.createState(1);
          const ys = new Float32Array(8 * Y);
          for (let t = 0; t < 8; t++) ys.set(model.step(xs[t], s), t * Y);
          return ys;
        },
        step: () => {
          model.step(xs[i++ & 63], state, out);
        },
      };
    },
    metric: (s) => (unit === 'frames/s' ? 1 / s : s * 1e6),
  };
}

const cases: Case[] = [
  trainCase(),
  streamCase(
    'W2 LSTM 256 step B=1',
    { cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 256, outputSize: 65 },
    'µs/step',
  ),
  streamCase(
    'W2 GRU 256 step B=1',
    { cell: 'gru', input: 'onehot', inputSize: 65, hiddenSize: 256, outputSize: 65 },
    'µs/step',
  ),
  streamCase(
    'W2 RNN 256 step B=1',
    { cell: 'rnn_tanh', input: 'onehot', inputSize: 65, hiddenSize: 256, outputSize: 65 },
    'µs/step',
  ),
  streamCase(
    'W3 LSTM 256 dense 1024 -> 10',
    { cell: 'lstm', input: 'dense', inputSize: 1024, hiddenSize: 256, outputSize: 10 },
    'frames/s',
  ),
];

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
console.log(
  `fastest 1 ms group of calls (or single W1 call) over ${ROUNDS} rounds of ${seconds / ROUNDS} s CPU per backend; ratios against js and against wasm (TS pointwise)`,
);
console.log(
  [
    'workload'.padEnd(32),
    'unit'.padEnd(9),
    ...backends.map(([n]) => n.padStart(20)),
    'fused/js'.padStart(9),
    'fused/old'.padStart(10),
  ].join(' '),
);
for (const c of cases) {
  const runs = backends.map(([, be]) => c.make(be));
  const want = c.make(referenceBackend).check();
  runs.forEach((r, k) => {
    const d = maxAbsDiff(r.check(), want);
    if (!(d < 1e-4)) throw new Error(`${c.id}: ${backends[k][0]} differs from the reference kernels by ${d}`);
  });
  for (const r of runs) cpuTime(r.step, 0.1); // warm-up: JIT, wasm tier-up, workspaces
  const best = runs.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++)
    runs.forEach((r, k) => {
      best[k] = Math.min(best[k], cpuTime(r.step, seconds / ROUNDS));
    });
  const m = best.map((s) => c.metric(s));
  const faster = (a: number, b: number): number => (c.unit === 'µs/step' ? b / a : a / b); // > 1: a is faster
  console.log(
    [
      c.id.padEnd(32),
      c.unit.padEnd(9),
      ...m.map((v) => fmt(v).padStart(20)),
      `${faster(m[2], m[0]).toFixed(2)}×`.padStart(9),
      `${faster(m[2], m[1]).toFixed(2)}×`.padStart(10),
    ].join(' '),
  );
}
