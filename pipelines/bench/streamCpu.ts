/**
 * W2's streaming step by CPU time, with float32, bf16 and int8 weights (issue 17): on a shared, loaded machine
 * wall times swing with the neighbours' work; the process's CPU time per step on one thread is steadier. One
 * process steps the W2 LSTM model (one-hot 65 -> LSTM 256 -> head 65, softmax of every output) for each weight
 * kind, the kinds interleaved in rounds so that load drifts hit them alike. Prints, per kind, the fastest and the
 * median round in µs of CPU per step.
 *
 *   node --import tsx pipelines/bench/streamCpu.ts [threads 1|2] [rounds] [steps per round]
 */
import { readFileSync } from 'node:fs';
import { RNNModel, createNativeBackend, nativeAvailable, softmaxRows } from '../../src/index.ts';
import { SEED } from './workloads.ts';

const threads = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 15);
const steps = Number(process.argv[4] ?? 3000);
if (!(threads === 1 || threads === 2) || !(rounds >= 3) || !(steps >= 100) || !nativeAvailable()) {
  process.stderr.write(
    'usage: node --import tsx pipelines/bench/streamCpu.ts [threads 1|2] [rounds >= 3] [steps >= 100] (needs the native addon)\n',
  );
  process.exit(2);
}
const X = 65;
const H = 256;
const backend = createNativeBackend({ threads });
const kinds = ['f32', 'bf16', 'int8'] as const;
const xs = Array.from({ length: 256 }, (_, i) => Int32Array.of((i * 31) % X));
const runs = kinds.map((kind) => {
  const model = RNNModel.create(
    { cell: 'lstm', input: 'onehot', inputSize: X, hiddenSize: H, outputSize: X },
    { seed: SEED, backend },
  );
  if (kind !== 'f32') model.quantizeWeights(kind);
  const state = model.createState(1);
  const out = backend.alloc(X); // [1, Y] logits
  const probs = new Float32Array(X);
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      model.step(xs[i & 255], state, out);
      softmaxRows(probs, 0, out, 0, 1, X);
    }
  };
  run(2000); // warm-up
  return { kind, run, cpu: [] as number[] };
});
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < runs.length; j++) {
    const k = runs[(r + j) % runs.length];
    const c0 = process.cpuUsage();
    k.run(steps);
    const c = process.cpuUsage(c0);
    k.cpu.push((c.user + c.system) / steps);
  }
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`W2-lstm step, native, ${threads} thread(s), ${rounds} rounds of ${steps} steps, load average ${load}:`);
for (const k of runs) {
  const s = [...k.cpu].sort((a, b) => a - b);
  console.log(
    `  ${k.kind.padEnd(4)}  fastest ${s[0].toFixed(2)} µs, median ${s[s.length >> 1].toFixed(2)} µs of CPU a step`,
  );
}
