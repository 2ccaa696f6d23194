/**
 * The fused one-row streaming step (`Backend.streamStep`, issue 17) against the same step done method by method,
 * by wall time, interleaved in one process so that the host's swing hits both alike. Two models with the same
 * weights on one native backend: one sees the backend as it is, the other a copy without `streamStep`. Checks
 * that both give the same bits after 2,000 steps, then prints, per path, the fastest and the median round in µs a
 * step (softmax of every output included).
 *
 *   node --import tsx pipelines/bench/streamFused.ts [threads 1|2] [lstm|gru|rnn_tanh|w3] [rounds] [f32|bf16|int8]
 *
 * lstm, gru, rnn_tanh: W2's model (one-hot 65 -> 256 -> head 65); w3: W3's (a dense 1,024 frame -> LSTM 256 -> 10);
 * bf16 or int8: both models' weights rounded and packed first (`quantizeWeights`).
 */
import { type Backend, RNNModel, createNativeBackend, nativeAvailable, softmaxRows } from '../../src/index.ts';

const threads = Number(process.argv[2] ?? 2);
const which = process.argv[3] ?? 'lstm';
const rounds = Number(process.argv[4] ?? 30);
const weights = process.argv[5] ?? 'f32';
if (
  !(threads === 1 || threads === 2) ||
  !['lstm', 'gru', 'rnn_tanh', 'w3'].includes(which) ||
  !(rounds >= 3) ||
  !(weights === 'f32' || weights === 'bf16' || weights === 'int8') ||
  !nativeAvailable()
) {
  process.stderr.write(
    'usage: node --import tsx pipelines/bench/streamFused.ts [threads 1|2] [lstm|gru|rnn_tanh|w3] [rounds >= 3] [f32|bf16|int8] (needs the native addon)\n',
  );
  process.exit(2);
}
const w3 = which === 'w3';
const cell = w3 ? 'lstm' : (which as 'lstm' | 'gru' | 'rnn_tanh');
const X = w3 ? 1024 : 65;
const Y = w3 ? 10 : 65;
const steps = 3000;
const backend = createNativeBackend({ threads });
const { streamStep: _fused, ...methodByMethod } = backend;
const paths: [string, Backend][] = [
  ['fused', backend],
  ['method by method', methodByMethod],
];
const xs = Array.from({ length: 256 }, (_, i) =>
  w3 ? Float32Array.from({ length: X }, (_, k) => Math.sin(i * 7 + k)) : Int32Array.of((i * 31) % X),
);
const runs = paths.map(([name, be]) => {
  const model = RNNModel.create(
    { cell, input: w3 ? 'dense' : 'onehot', inputSize: X, hiddenSize: 256, outputSize: Y },
    { seed: 1, backend: be },
  );
  if (weights !== 'f32') model.quantizeWeights(weights);
  const out = new Float32Array(Y);
  const probs = new Float32Array(Y);
  const state = model.createState(1);
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      model.step(xs[i & 255], state, out);
      softmaxRows(probs, 0, out, 0, 1, Y);
    }
  };
  run(2000);
  return { name, run, out: Float32Array.from(out), us: [] as number[] };
});
const same = runs[0].out.every((v, k) => Object.is(v, runs[1].out[k]));
console.log(
  `${which} (${weights} weights), native, ${threads} thread(s): the two paths ${same ? 'give the same bits' : 'DIFFER'} after 2,000 steps`,
);
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < runs.length; j++) {
    const k = runs[(r + j) % runs.length];
    const t0 = process.hrtime.bigint();
    k.run(steps);
    k.us.push(Number(process.hrtime.bigint() - t0) / 1000 / steps);
  }
}
for (const k of runs) {
  const s = [...k.us].sort((a, b) => a - b);
  console.log(`  ${k.name.padEnd(17)} fastest ${s[0].toFixed(2)} µs, median ${s[s.length >> 1].toFixed(2)} µs a step`);
}
backend.close();
if (!same) process.exit(1);
