/**
 * `keyedRecurrent`'s own cost under eviction churn (issue 17): N keys stepped once a tick, in order, through the
 * operator with `maxBatch` 256 and `maxKeys` 4N/5, so that every step evicts the least recently stepped key (its
 * state handed to `onEvict`, kept in a Map) and admits a key whose state comes back through `initialState`. The
 * model is tiny (LSTM 4 over 8 ids, no head) so that the time is the operator's and its stepper's bookkeeping (the
 * LRU order, the state copies, the gather and write-back), not the multiplies. Prints µs a step (wall time, median
 * of the ticks after the first).
 *
 *   node --import tsx pipelines/bench/keyedChurn.ts [keys, default 100000] [ticks, default 5]
 */
import { Subject } from 'rxjs';
import { RNNModel, keyedRecurrent, type RecurrentState } from '../../src/index.ts';

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
const maxKeys = Math.floor((keys * 4) / 5);
let evictions = 0; // in the current tick
let received = 0;
const source = new Subject<number>();
source
  .pipe(
    keyedRecurrent(model, {
      keyOf: (key: number) => key,
      inputOf: (key: number) => key % 8,
      maxKeys,
      microBatch: { maxBatch: 256 },
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
  )
  .subscribe(() => received++);
const us: number[] = [];
for (let t = 0; t < ticks; t++) {
  evictions = 0;
  received = 0;
  const t0 = performance.now();
  for (let key = 0; key < keys; key++) source.next(key); // a batch of 256 is stepped as it fills
  await Promise.resolve(); // the last, partial batch closes in a microtask
  if (received !== keys) throw new Error(`tick ${t}: ${received} outputs for ${keys} keys`);
  if (t > 0) us.push(((performance.now() - t0) * 1000) / keys);
}
const lastTick = evictions;
source.complete(); // evicts the keys held, with 'complete'
us.sort((a, b) => a - b);
console.log(
  `${keys.toLocaleString('en-US')} keys over ${maxKeys.toLocaleString('en-US')} places, every step an eviction ` +
    `(${lastTick.toLocaleString('en-US')} in the last tick): ${us[us.length >> 1].toFixed(2)} µs a step ` +
    `(median of ${us.length} ticks)`,
);
