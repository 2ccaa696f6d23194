/** Tiny models and reference computations shared by the operator tests. */
import { expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { RecurrentState } from '../../src/model/recurrentState.ts';

/** Dense LSTM: X=3, H=4, two layers, Y=2. */
export function denseLstm(seed = 1): RNNModel {
  return RNNModel.create(
    { cell: 'lstm', input: 'dense', inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 2 },
    { seed },
  );
}

/** One-hot GRU over V=6 ids, H=5, Y=6 (can generate). */
export function charGru(seed = 2): RNNModel {
  return RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: 6, hiddenSize: 5, outputSize: 6 }, { seed });
}

/** Embedding LSTM over V=7 ids, E=3, H=4, Y=7 (can generate). */
export function charLstm(seed = 3): RNNModel {
  return RNNModel.create(
    { cell: 'lstm', input: 'embedding', inputSize: 7, embeddingSize: 3, hiddenSize: 4, outputSize: 7 },
    { seed },
  );
}

/** Feature vector number i (deterministic). */
export function vec(i: number, X = 3): Float32Array {
  const v = new Float32Array(X);
  for (let k = 0; k < X; k++) v[k] = Math.sin(1.3 * i + 0.7 * k);
  return v;
}

/** Outputs of stepping `xs` one by one with `model.step` from `state` (zeros by default). */
export function reference(
  model: RNNModel,
  xs: readonly (Float32Array | number)[],
  state: RecurrentState = model.createState(1),
): { ys: Float32Array[]; state: RecurrentState } {
  const ys = xs.map((x) => model.step(typeof x === 'number' ? Int32Array.of(x) : x, state).slice());
  return { ys, state };
}

/** A TestScheduler asserting with vitest's deep equality. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Collects an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
