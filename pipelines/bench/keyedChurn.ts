/**
 * The keyed stepper's own cost under eviction churn (issue 17): N keys stepped once a tick in batches of 256 over
 * `maxKeys` 4N/5, so that every step evicts the least recently stepped key (its state handed to `onEvict`, kept
 * in a Map) and admits a key whose state comes back through `initialState`. The model is tiny (LSTM 4 over 8
 * ids, no head) so that the time is the stepper's bookkeeping, not the multiplies: the LRU order, the state
 * copies, the gather and write-back. Prints µs a step (wall time, median of the ticks after the first).
 *
 *   node --import tsx pipelines/bench/keyedChurn.ts [keys, default 100000] [ticks, default 5]
 */
import { RNNModel, type RecurrentState } from '../../src/index.ts';
import { KeyedStepper, resolveKeyedState } from '../../src/operators/keyedStepper.ts';

const keys = Number(process.argv[2] ?? 100000);
const ticks = Number(process.argv[3] ?? 5);
if (!(Number.isInteger(keys) && keys >= 1000) || !(Number.isInteger(ticks) && ticks >= 2)) {
  process.stderr.write('usage: node --import tsx pipelines/bench/keyedChurn.ts [keys >= 1000] [ticks >= 2]\n');
  process.exit(2);
}
const model = RNNModel.create(
  { cell: 'lstm', input: 'onehot', inputSize: 8, hiddenSize: 4, outputSize: 0 },
  { seed: 1 },
);
const persisted = new Map<number, RecurrentState>();
let evictions = 0; // in the current tick
const maxKeys = Math.floor((keys * 4) / 5);
const stepper = new KeyedStepper<number>(
  model,
  resolveKeyedState<number>({
    maxKeys,
    onEvict: (key, state) => {
      persisted.set(key, state);
      evictions++;
    },
    initialState: (key) => {
      const s = persisted.get(key);
      persisted.delete(key);
      return s;
    },
  }),
  256,
);
const ids = Array.from({ length: 256 }, (_, i) => i % 8);
const batch: number[] = [];
const us: number[] = [];
for (let t = 0; t < ticks; t++) {
  evictions = 0;
  const t0 = performance.now();
  for (let s = 0; s < keys; s += 256) {
    const n = Math.min(256, keys - s);
    batch.length = 0;
    for (let i = 0; i < n; i++) batch.push(s + i);
    stepper.stepBatch(batch, ids, n, t);
  }
  if (t > 0) us.push(((performance.now() - t0) * 1000) / keys);
}
us.sort((a, b) => a - b);
console.log(
  `${keys.toLocaleString('en-US')} keys over ${maxKeys.toLocaleString('en-US')} places, every step an eviction ` +
    `(${evictions.toLocaleString('en-US')} in the last tick): ${us[us.length >> 1].toFixed(2)} µs a step ` +
    `(median of ${us.length} ticks)`,
);
