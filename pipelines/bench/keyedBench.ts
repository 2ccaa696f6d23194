/**
 * eddy's side of the keyed-streams workloads (W4): many keys, each with its own LSTM state, one element per key
 * per tick in a random order, through `keyedRecurrent` (micro-batched) on one backend; checked against each
 * check key stepped alone on the reference kernels; timed per tick (all of a tick's outputs delivered).
 */
import { Subject, type Subscription } from 'rxjs';
import { RNNModel, keyedRecurrent, softmaxRows, type Backend, type RecurrentState } from '../../src/index.ts';
import { REF_TOL, namedParams } from './eddyBench.ts';
import type { Golden } from './results.ts';
import { maxAbsDiff, timeStepsAsync, type Timing } from './timing.ts';
import { CHECK_KEYS, CHECK_TICKS, SEED, keyedData, type Budget, type KeyedSpec, type Tick } from './workloads.ts';

/**
 * The largest micro-batch `keyedRecurrent` steps at once in the bench (its default is 256): 1024, so that a tick
 * of up to 1,000 keys is one batch, as PyTorch's hand-batched peer steps it; from the second tick the same keys
 * are then stepped in place (the stepper's lazy scatter). With 10,000 keys a tick is ten batches, gathered.
 */
export const KEYED_MAX_BATCH = 1024;

function keyedModel(spec: KeyedSpec, backend: Backend): RNNModel {
  return RNNModel.create(
    { cell: spec.cell, input: spec.input, inputSize: spec.X, hiddenSize: spec.H, outputSize: spec.Y },
    { seed: SEED, backend },
  );
}

/** The token id each check key receives in each check tick, `[ticks, keys]`. */
function checkIds(spec: KeyedSpec, ticks: readonly Tick[]): Int32Array {
  const out = new Int32Array(CHECK_TICKS * CHECK_KEYS);
  for (let t = 0; t < CHECK_TICKS; t++) {
    const tick = ticks[t % ticks.length];
    for (let i = 0; i < spec.keys; i++) if (tick.keys[i] < CHECK_KEYS) out[t * CHECK_KEYS + tick.keys[i]] = tick.ids[i];
  }
  return out;
}

/**
 * What the peers must reproduce: the initial weights, and the softmax outputs of keys 0 .. CHECK_KEYS-1 over the
 * first CHECK_TICKS ticks, each key stepped alone (B = 1) on `backend` (pass `referenceBackend`), `[ticks, keys, Y]`.
 */
export function goldenKeyed(spec: KeyedSpec, backend: Backend): Golden {
  const model = keyedModel(spec, backend);
  const ids = checkIds(spec, keyedData(spec));
  const probs = new Float32Array(CHECK_TICKS * CHECK_KEYS * spec.Y);
  const out = new Float32Array(spec.Y);
  for (let k = 0; k < CHECK_KEYS; k++) {
    const state = model.createState(1);
    for (let t = 0; t < CHECK_TICKS; t++) {
      model.step(Int32Array.of(ids[t * CHECK_KEYS + k]), state, out);
      softmaxRows(probs, (t * CHECK_KEYS + k) * spec.Y, out, 0, 1, spec.Y);
    }
  }
  return { params: namedParams(model), probs };
}

interface Element {
  readonly key: number;
  readonly id: number;
}

/** A live `keyedRecurrent` subscription fed one tick at a time. */
class KeyedRun {
  readonly #ticks: Element[][];
  readonly #source = new Subject<Element>();
  readonly #sub: Subscription;
  readonly #n: number;
  #received = 0;
  #done: (() => void) | null = null;
  #failed: unknown = null;
  /** Softmax outputs of the check keys when `capture` is set, `[ticks, keys, Y]`. */
  capture: Float32Array | null = null;
  #tick = 0;

  constructor(spec: KeyedSpec, backend: Backend) {
    const model = keyedModel(spec, backend);
    this.#n = spec.keys;
    this.#ticks = keyedData(spec).map((t) => Array.from(t.keys, (key, i) => ({ key, id: t.ids[i] })));
    const persisted = new Map<number, RecurrentState>(); // evicted states, restored when their key returns
    const Y = spec.Y;
    this.#sub = this.#source
      .pipe(
        keyedRecurrent(model, {
          keyOf: (e: Element) => e.key,
          inputOf: (e: Element) => e.id,
          maxKeys: spec.maxKeys,
          microBatch: { maxBatch: KEYED_MAX_BATCH },
          onEvict: (key, state) => persisted.set(key, state),
          initialState: (key) => {
            const s = persisted.get(key);
            persisted.delete(key);
            return s;
          },
        }),
      )
      .subscribe({
        next: (o) => {
          if (this.capture && o.key < CHECK_KEYS && this.#tick < CHECK_TICKS)
            softmaxRows(this.capture, (this.#tick * CHECK_KEYS + o.key) * Y, o.output, 0, 1, Y);
          if (++this.#received === this.#n) this.#done?.();
        },
        error: (err: unknown) => {
          this.#failed = err;
          this.#done?.();
        },
      });
  }

  /** Feeds tick `i` (cycling through the data) and resolves when all its outputs arrived. */
  tick(i: number): Promise<void> {
    this.#tick = i;
    this.#received = 0;
    const done = new Promise<void>((resolve) => {
      this.#done = resolve;
    });
    for (const e of this.#ticks[i % this.#ticks.length]) this.#source.next(e);
    return done.then(() => {
      if (this.#failed !== null) throw this.#failed;
    });
  }

  close(): void {
    this.#sub.unsubscribe();
  }
}

/**
 * Checks a backend's keyed outputs (through the operator, with eviction where `maxKeys < keys`) against `golden`.
 * @returns the largest absolute difference of the check keys' softmax outputs
 * @throws Error beyond `REF_TOL`
 */
export async function checkKeyedBackend(spec: KeyedSpec, backend: Backend, golden: Golden): Promise<number> {
  const run = new KeyedRun(spec, backend);
  try {
    run.capture = new Float32Array(CHECK_TICKS * CHECK_KEYS * spec.Y);
    for (let t = 0; t < CHECK_TICKS; t++) await run.tick(t);
    const d = maxAbsDiff(run.capture, golden.probs!);
    if (!(d < REF_TOL))
      throw new Error(
        `${spec.id}: eddy backend ${backend.name} disagrees with each key stepped alone on the reference kernels (max abs diff of softmax outputs ${d} >= ${REF_TOL})`,
      );
    return d;
  } finally {
    run.close();
  }
}

/** Times ticks (every key once, outputs delivered) through `keyedRecurrent` on `backend`. */
export async function timeKeyed(
  spec: KeyedSpec,
  backend: Backend,
  budget: Budget,
  onProgress?: (done: number, wanted: number) => void,
): Promise<Timing> {
  const run = new KeyedRun(spec, backend);
  try {
    return await timeStepsAsync((i) => run.tick(i), budget, onProgress);
  } finally {
    run.close();
  }
}
