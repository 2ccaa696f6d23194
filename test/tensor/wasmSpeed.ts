/**
 * Speed of the wasm SIMD backend against jsBackend and referenceBackend on the shapes that matter (not a unit test):
 *   npx tsx test/tensor/wasmSpeed.ts            # gemm table + whole model
 *   npx tsx test/tensor/wasmSpeed.ts gemm       # gemm table only
 *   npx tsx test/tensor/wasmSpeed.ts model      # whole model only
 * Every result is checked against the reference before it is timed; times are the best of several runs.
 */
import type { Backend } from '../../src/tensor/backend.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { referenceBackend } from '../../src/tensor/referenceBackend.ts';
import { createWasmBackend } from '../../src/tensor/wasmBackend.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { Rng } from '../../src/util/rng.ts';

type Op = 'gemmNN' | 'gemmNT' | 'gemmTN';
const rng = new Rng(7);
const wasm = createWasmBackend({ capacity: 512 * 2 ** 20 });
const relaxed = process.execArgv.includes('--experimental-wasm-relaxed-simd')
  ? createWasmBackend({ capacity: 256 * 2 ** 20, relaxedSimd: true })
  : null;

function fill(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
  return x;
}

/**
 * Best seconds per call of `fn` over `reps` timed batches that each last at least `minS`. Process CPU time, not
 * wall time: the machine is shared, and time spent descheduled is not the kernel's.
 */
function time(fn: () => void, minS = 0.15, reps = 5): number {
  fn();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    let n = 0;
    const t0 = process.cpuUsage();
    let dt = 0;
    do {
      fn();
      n++;
      const u = process.cpuUsage(t0);
      dt = (u.user + u.system) / 1e6;
    } while (dt < minS);
    best = Math.min(best, dt / n);
  }
  return best;
}

const gemmShapes: [string, Op, number, number, number][] = [
  ['W1 layer-2 input proj  NT', 'gemmNT', 2048, 1024, 256],
  ['W1 recurrent step      NT', 'gemmNT', 32, 1024, 256],
  ['W1 dW_hh               TN', 'gemmTN', 1024, 256, 2048],
  ['W1 dh back-step        NN', 'gemmNN', 32, 256, 1024],
  ['stream B=1 step        NT', 'gemmNT', 1, 1024, 256],
  ['frame classify B=1     NT', 'gemmNT', 1, 1024, 1024],
];

function gemmTable(): void {
  const backends: [string, Backend, boolean][] = [
    ['reference', referenceBackend, false],
    ['js', jsBackend, false],
    ['wasm', wasm, true],
    ['wasm (args staged)', wasm, false],
  ];
  if (relaxed) backends.push(['wasm relaxed FMA', relaxed, true]);
  console.log(
    `GFLOP/s (2·M·N·K / time), best of 5${relaxed ? '' : ' (run with --experimental-wasm-relaxed-simd to add the FMA column)'}`,
  );
  console.log(
    ['shape'.padEnd(26), 'M×N×K'.padEnd(15), ...backends.map(([n]) => n.padStart(10)), 'wasm/js'.padStart(8)].join(' '),
  );
  for (const [label, op, M, N, K] of gemmShapes) {
    const ext = { A: fill(new Float32Array(M * K)), B: fill(new Float32Array(N * K)), C: new Float32Array(M * N) };
    const want = new Float32Array(M * N);
    referenceBackend[op](M, N, K, ext.A, 0, ext.B, 0, want, 0, false);
    const cols: string[] = [];
    let jsRate = 0,
      wasmRate = 0;
    for (const [name, be, inside] of backends) {
      const A = inside ? be.alloc(M * K) : ext.A;
      const B = inside ? be.alloc(N * K) : ext.B;
      const C = inside ? be.alloc(M * N) : new Float32Array(M * N);
      if (inside) {
        A.set(ext.A);
        B.set(ext.B);
      }
      be[op](M, N, K, A, 0, B, 0, C, 0, false);
      let err = 0;
      for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(C[i] - want[i]));
      if (!(err < 1e-4 * Math.sqrt(K)))
        throw new Error(`${name} ${op} ${M}x${N}x${K} differs from the reference by ${err}`);
      const s = time(
        () => be[op](M, N, K, A, 0, B, 0, C, 0, false),
        name === 'reference' ? 0.05 : 0.15,
        name === 'reference' ? 1 : 5,
      );
      const rate = (2 * M * N * K) / s / 1e9;
      if (name === 'js') jsRate = rate;
      if (name === 'wasm') wasmRate = rate;
      cols.push(rate.toFixed(2).padStart(10));
    }
    console.log(
      [label.padEnd(26), `${M}×${N}×${K}`.padEnd(15), ...cols, `${(wasmRate / jsRate).toFixed(1)}×`.padStart(8)].join(
        ' ',
      ),
    );
  }
}

function modelTimes(): void {
  const opts = { cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 256, outputSize: 65 } as const;
  const T = 64,
    B = 32;
  const ids = Int32Array.from({ length: T * B }, () => rng.int(65));
  const dy = fill(new Float32Array(T * B * 65)).map((v) => v * 0.01);
  const backends: [string, Backend][] = [
    ['js', jsBackend],
    ['wasm', wasm],
  ];
  if (relaxed) backends.push(['wasm relaxed FMA', relaxed]);
  console.log(`\nLSTM H=256, one-hot 65 -> 65; window T=${T}, B=${B}; streaming step B=1`);
  const ref: { y?: Float32Array; g?: Float32Array; s?: Float32Array } = {};
  const rows: number[][] = [];
  for (const [name, be] of backends) {
    const model = RNNModel.create(opts, { backend: be, seed: 3 });
    const fb = (): void => {
      const { workspace } = model.forward(ids, { T, B });
      model.backward(workspace, dy);
    };
    model.zeroGrads();
    const { y, workspace } = model.forward(ids, { T, B });
    const yCopy = y.slice();
    model.backward(workspace, dy);
    const state = model.createState(1);
    const out = be.alloc(65);
    const x1 = new Int32Array(1);
    for (let t = 0; t < 50; t++) {
      x1[0] = t % 65;
      model.step(x1, state, out);
    }
    if (!ref.y) {
      ref.y = yCopy;
      ref.g = model.grads.slice();
      ref.s = out.slice();
    } else {
      const diff = (a: Float32Array, b: Float32Array): number =>
        a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      const d = Math.max(
        diff(yCopy, ref.y),
        diff(model.grads, ref.g as Float32Array),
        diff(out, ref.s as Float32Array),
      );
      if (!(d < 1e-3)) throw new Error(`${name} model differs from js by ${d}`);
    }
    const tFwd = time(() => model.forward(ids, { T, B }), 0.5, 3);
    const tFb = time(fb, 0.5, 3);
    let id = 0;
    const tStep = time(
      () => {
        x1[0] = id++ % 65;
        model.step(x1, state, out);
      },
      0.3,
      5,
    );
    rows.push([tFwd, tFb, tStep]);
    const tok = (T * B) / tFb;
    console.log(
      `${name.padEnd(18)} forward ${(tFwd * 1e3).toFixed(1).padStart(7)} ms   forward+backward ${(tFb * 1e3).toFixed(1).padStart(7)} ms (${tok.toFixed(0)} tokens/s)   step B=1 ${(tStep * 1e6).toFixed(1).padStart(7)} µs`,
    );
  }
  const [js, w] = rows;
  console.log(
    `wasm/js speed-up    forward ${(js[0] / w[0]).toFixed(2)}×   forward+backward ${(js[1] / w[1]).toFixed(2)}×   step ${(js[2] / w[2]).toFixed(2)}×`,
  );
}

const what = process.argv[2] ?? 'all';
if (what === 'all' || what === 'gemm') gemmTable();
if (what === 'all' || what === 'model') modelTimes();
