/**
 * The fixed workloads of eddy's benchmark suite (issue 7), their data (seeded, generated before timing) and the
 * per-case step counts and time budgets. Every implementation (eddy's backends, TensorFlow.js, PyTorch) runs the
 * same specs; the Python side receives them as JSON (`torch_bench.py`).
 */
import { Rng } from '../../src/index.ts';

/** Which metric a workload reports. `rate` metrics are per second (higher is better), `latency` in µs (lower is better). */
export type MetricKind = 'chars/s' | 'frames/s' | 'us/step' | 'steps/s';

/** Identifiers of the workloads, in table order. */
export const WORKLOAD_IDS = ['W1', 'W1b', 'W2-lstm', 'W2-gru', 'W2-rnn', 'W3', 'W4', 'W4-100', 'W4-10k'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** A training workload: one-hot characters -> 1-layer LSTM -> linear head -> softmax cross-entropy, TBPTT, Adam, clip. */
export interface TrainSpec {
  readonly kind: 'train';
  readonly id: WorkloadId;
  readonly title: string;
  /** V: vocabulary (one-hot input width and head width). */
  readonly V: number;
  /** H: hidden units. */
  readonly H: number;
  /** B: rows per batch. */
  readonly B: number;
  /** T: TBPTT window. */
  readonly T: number;
  readonly lr: number;
  readonly clip: number;
  /** Distinct windows of data to cycle through. */
  readonly windows: number;
}

/** A streaming workload: one step per call, batch 1, carried state, head + softmax. */
export interface StreamSpec {
  readonly kind: 'stream';
  readonly id: WorkloadId;
  readonly title: string;
  readonly cell: 'lstm' | 'gru' | 'rnn_tanh';
  /** `onehot`: token ids in [0, X) (a gather of W_ih columns); `dense`: X features per step. */
  readonly input: 'onehot' | 'dense';
  /** X: input width. */
  readonly X: number;
  readonly H: number;
  /** Y: classes of the head. */
  readonly Y: number;
  /** Distinct inputs to cycle through. */
  readonly inputs: number;
  readonly metric: 'us/step' | 'frames/s';
}

/**
 * A keyed-streams workload (issue 17): `keys` streams, each with its own LSTM state, every key receiving one
 * one-hot element per tick in a random order; one tick is timed (all its outputs delivered). eddy runs it through
 * `keyedRecurrent` (micro-batched), with `maxKeys` below `keys` where eviction should run: evicted states are
 * persisted (`onEvict`) and restored (`initialState`), so every output still equals stepping its key alone.
 */
export interface KeyedSpec {
  readonly kind: 'keyed';
  readonly id: WorkloadId;
  readonly title: string;
  readonly cell: 'lstm';
  readonly input: 'onehot';
  /** Streams (keys 0 .. keys-1). */
  readonly keys: number;
  /** eddy's `maxKeys`: below `keys`, least recently stepped keys are evicted (persisted) and restored. */
  readonly maxKeys: number;
  readonly X: number;
  readonly H: number;
  readonly Y: number;
  /** Distinct ticks of data to cycle through. */
  readonly ticks: number;
  /** Every eddy backend (W4); the scaling variants run on the fastest one only (`scalingBackend`). */
  readonly allBackends: boolean;
  /** Also the per-key peers (tfjs-wasm on W4 only, torch's per-key loop); at 10,000 keys they take seconds a tick. */
  readonly perKey: boolean;
}

export type Spec = TrainSpec | StreamSpec | KeyedSpec;

/** How long one (workload, implementation) case may run; warm-up and timed steps share `seconds`. */
export interface Budget {
  /** Untimed steps first (JIT, caches, allocations), at least 1; fewer when they would use over a third of `seconds`. */
  readonly warmup: number;
  /** Timed steps wanted. */
  readonly steps: number;
  /** Fewest timed steps even when the budget runs out. */
  readonly minSteps: number;
  /** Seconds for warm-up and timed steps; fewer than `steps` are run (and reported) when it runs out. */
  readonly seconds: number;
}

/** A case's wanted steps, its cap on seconds, and its weight when the run's time is shared out (see `planner.ts`). */
export interface Plan extends Budget {
  readonly weight: number;
}

export const SPECS: readonly Spec[] = [
  {
    kind: 'train',
    id: 'W1',
    title: 'batched training, LSTM 256, B32 T64',
    V: 65,
    H: 256,
    B: 32,
    T: 64,
    lr: 2e-3,
    clip: 5,
    windows: 4,
  },
  {
    kind: 'train',
    id: 'W1b',
    title: 'online training, LSTM 128, B1 T64',
    V: 65,
    H: 128,
    B: 1,
    T: 64,
    lr: 2e-3,
    clip: 5,
    windows: 8,
  },
  {
    kind: 'stream',
    id: 'W2-lstm',
    title: 'streaming step, LSTM 256, in 65',
    cell: 'lstm',
    input: 'onehot',
    X: 65,
    H: 256,
    Y: 65,
    inputs: 256,
    metric: 'us/step',
  },
  {
    kind: 'stream',
    id: 'W2-gru',
    title: 'streaming step, GRU 256, in 65',
    cell: 'gru',
    input: 'onehot',
    X: 65,
    H: 256,
    Y: 65,
    inputs: 256,
    metric: 'us/step',
  },
  {
    kind: 'stream',
    id: 'W2-rnn',
    title: 'streaming step, RNN 256, in 65',
    cell: 'rnn_tanh',
    input: 'onehot',
    X: 65,
    H: 256,
    Y: 65,
    inputs: 256,
    metric: 'us/step',
  },
  {
    kind: 'stream',
    id: 'W3',
    title: 'frame classification, LSTM 256, 32x32 in',
    cell: 'lstm',
    input: 'dense',
    X: 1024,
    H: 256,
    Y: 10,
    inputs: 64,
    metric: 'frames/s',
  },
  ...([100, 1000, 10000] as const).map(
    (keys): KeyedSpec => ({
      kind: 'keyed',
      id: keys === 1000 ? 'W4' : keys === 100 ? 'W4-100' : 'W4-10k',
      title: `keyed streams, ${keys.toLocaleString('en-US')} keys, LSTM 256, in 65`,
      cell: 'lstm',
      input: 'onehot',
      keys,
      maxKeys: keys === 1000 ? keys : (keys * 4) / 5,
      X: 65,
      H: 256,
      Y: 65,
      ticks: 4,
      allBackends: keys === 1000,
      perKey: keys <= 1000,
    }),
  ),
];

/** The metric a spec reports. */
export function metricOf(spec: Spec): MetricKind {
  return spec.kind === 'train' ? 'chars/s' : spec.kind === 'keyed' ? 'steps/s' : spec.metric;
}

/**
 * Wanted steps (issue 7: 20 timed after 3 warm-up for W1) and the most seconds a case may take; the planner gives
 * each case its weight's share of the time left, so a slow implementation (or a busy machine) gets fewer steps.
 */
export function planOf(spec: Spec, quick: boolean): Plan {
  if (spec.id === 'W1')
    return quick
      ? { warmup: 1, steps: 3, minSteps: 1, seconds: 8, weight: 8 }
      : { warmup: 3, steps: 20, minSteps: 2, seconds: 60, weight: 8 };
  if (spec.kind === 'keyed') {
    // a tick is `keys` steps: about 1 ms a 100 keys on the native backend, 0.1-1 s per tick for the slow peers
    const scale = spec.keys / 1000;
    return quick
      ? { warmup: 1, steps: 20, minSteps: 3, seconds: Math.max(1, scale), weight: 0.5 * Math.max(0.5, scale) }
      : { warmup: 2, steps: 200, minSteps: 3, seconds: 4 * Math.max(1, scale), weight: 0.8 * Math.max(0.5, scale) };
  }
  if (spec.kind === 'train')
    return quick
      ? { warmup: 2, steps: 10, minSteps: 3, seconds: 2, weight: 2 }
      : { warmup: 3, steps: 100, minSteps: 20, seconds: 10, weight: 2 };
  return quick
    ? { warmup: 20, steps: 300, minSteps: 20, seconds: 0.5, weight: 0.6 }
    : { warmup: 100, steps: 3000, minSteps: 100, seconds: 4, weight: 0.6 };
}

/** Training checks run on a slice of the window (the reference kernels are too slow for all of W1). */
export function checkSlice(spec: TrainSpec): TrainSpec {
  return { ...spec, T: Math.min(spec.T, 16), B: Math.min(spec.B, 8), windows: 2 };
}

/** Seed of all data and of eddy's initial weights (the peers load the same weights for their check). */
export const SEED = 7;

/** One window of training data, time-major: `ids [T, B]`, `targets [T, B]` (the next characters). */
export interface TrainWindow {
  readonly ids: Int32Array;
  readonly targets: Int32Array;
}

/** `spec.windows` consecutive windows of B random character streams (targets are the inputs shifted by one). */
export function trainData(spec: TrainSpec, seed = SEED): TrainWindow[] {
  const rng = new Rng(seed);
  const { T, B, V } = spec;
  const len = spec.windows * T + 1;
  const streams: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const s = new Int32Array(len);
    for (let i = 0; i < len; i++) s[i] = rng.int(V);
    streams.push(s);
  }
  const out: TrainWindow[] = [];
  for (let w = 0; w < spec.windows; w++) {
    const ids = new Int32Array(T * B); // [T, B]
    const targets = new Int32Array(T * B); // [T, B]
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        ids[t * B + b] = streams[b][w * T + t];
        targets[t * B + b] = streams[b][w * T + t + 1];
      }
    }
    out.push({ ids, targets });
  }
  return out;
}

/** Streaming inputs: `spec.inputs` token ids, or `spec.inputs` frames `[X]` of uniform noise in [0, 1). */
export function streamData(spec: StreamSpec, seed = SEED): { ids: Int32Array; frames: Float32Array[] } {
  const rng = new Rng(seed + 1);
  if (spec.input === 'onehot') {
    const ids = new Int32Array(spec.inputs);
    for (let i = 0; i < ids.length; i++) ids[i] = rng.int(spec.X);
    return { ids, frames: [] };
  }
  const frames: Float32Array[] = [];
  for (let i = 0; i < spec.inputs; i++) {
    const f = new Float32Array(spec.X); // [X] one 32x32 frame, row-major
    for (let k = 0; k < f.length; k++) f[k] = rng.next();
    frames.push(f);
  }
  return { ids: new Int32Array(0), frames };
}

/** Streaming steps compared across implementations in the checks. */
export const CHECK_STEPS = 8;

/** One tick of a keyed workload: every key once, in a random order (`keys`), each with a token id (`ids`). */
export interface Tick {
  readonly keys: Int32Array;
  readonly ids: Int32Array;
}

/** `spec.ticks` ticks: a fresh random order of the keys and random token ids each. */
export function keyedData(spec: KeyedSpec, seed = SEED): Tick[] {
  const rng = new Rng(seed + 2);
  const out: Tick[] = [];
  for (let t = 0; t < spec.ticks; t++) {
    const keys = new Int32Array(spec.keys);
    for (let i = 0; i < keys.length; i++) keys[i] = i;
    for (let i = keys.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const k = keys[i];
      keys[i] = keys[j];
      keys[j] = k;
    }
    const ids = new Int32Array(spec.keys);
    for (let i = 0; i < ids.length; i++) ids[i] = rng.int(spec.X);
    out.push({ keys, ids });
  }
  return out;
}

/** Keyed checks: the outputs of these keys (the first few) over the first `CHECK_TICKS` ticks. */
export const CHECK_KEYS = 8;
export const CHECK_TICKS = 2;

/** Parses `--only W1,W2`: `W2` selects every W2 variant. @throws Error naming an unknown workload */
export function selectSpecs(only: string | undefined): Spec[] {
  if (only === undefined || only === '') return [...SPECS];
  const wanted = only
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const picked = SPECS.filter((s) => wanted.some((w) => s.id === w || s.id.startsWith(`${w}-`)));
  const unknown = wanted.filter((w) => !SPECS.some((s) => s.id === w || s.id.startsWith(`${w}-`)));
  if (unknown.length > 0)
    throw new Error(
      `Expected workloads among ${SPECS.map((s) => s.id).join(', ')} (or W2) for --only but received ${unknown.join(', ')}`,
    );
  return picked;
}
