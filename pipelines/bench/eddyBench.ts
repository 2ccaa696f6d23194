/**
 * eddy's side of the benchmark, through the public API only: the backends the public door exports, the check
 * of each against the reference kernels, the golden values for the peers, and the timed workloads.
 */
import * as eddy from '../../src/index.ts';
import {
  RNNModel,
  adam,
  clipGradNorm,
  referenceBackend,
  softmaxCrossEntropy,
  softmaxRows,
  type Backend,
} from '../../src/index.ts';
import { maxAbsDiff, timeSteps, type Timing } from './timing.ts';
import type { Golden, NamedParam } from './results.ts';
import {
  CHECK_STEPS,
  SEED,
  checkSlice,
  streamData,
  trainData,
  type Budget,
  type StreamSpec,
  type TrainSpec,
} from './workloads.ts';

/** Kernels agree with the reference to this (max abs diff of outputs, gradients and states). */
export const REF_TOL = 1e-4;

/** Backends used only to judge others, never timed. */
const CHECK_ONLY = new Set(['reference', 'reference-f64']);

function isBackend(v: unknown): v is Backend {
  if (v === null || typeof v !== 'object') return false;
  const b = v as Record<string, unknown>;
  return (
    typeof b.name === 'string' &&
    typeof b.alloc === 'function' &&
    typeof b.gemmNN === 'function' &&
    typeof b.gemmNT === 'function' &&
    typeof b.gemmTN === 'function'
  );
}

/**
 * Every backend the public door exports (objects like `jsBackend`, `wasmBackend`, and the default instance of
 * each `create*Backend` factory, and with `{ threads: 2 }` where it takes that), less the reference ones,
 * deduplicated by name.
 * @param api the module namespace of `src/index.ts` (a parameter so a test can pass a superset)
 * @returns the backends, and a line for each export that could not be used (e.g. no SIMD in this runtime)
 */
export function discoverBackends(api: Readonly<Record<string, unknown>> = eddy): {
  backends: Backend[];
  skipped: string[];
} {
  const found = new Map<string, Backend>();
  const skipped: string[] = [];
  const add = (b: Backend): void => {
    if (!CHECK_ONLY.has(b.name) && !found.has(b.name)) found.set(b.name, b);
  };
  for (const [name, v] of Object.entries(api)) {
    if (/Backend$/.test(name) && isBackend(v)) add(v);
  }
  for (const [name, v] of Object.entries(api)) {
    if (!/^create\w*Backend$/.test(name) || typeof v !== 'function') continue;
    try {
      const b: unknown = (v as () => unknown)();
      if (isBackend(b)) add(b);
      else skipped.push(`${name}() did not return a Backend`);
    } catch (err) {
      skipped.push(`${name}(): ${(err as Error).message}`);
    }
    // and on two threads where the factory takes { threads } (a backend of the same name is the same one twice)
    try {
      const b: unknown = (v as (o: { threads: number }) => unknown)({ threads: 2 });
      if (isBackend(b)) add(b);
    } catch {
      // no such option: one row is enough
    }
  }
  // Probe each once: a backend that cannot run here (e.g. wasm without SIMD) throws on first use.
  for (const [name, b] of found) {
    try {
      const a = b.alloc(4);
      b.gemmNN(1, 1, 1, a, 0, a, 1, a, 2, false);
    } catch (err) {
      found.delete(name);
      skipped.push(`${name}: ${(err as Error).message}`);
    }
  }
  return { backends: [...found.values()], skipped };
}

function trainModel(spec: TrainSpec, backend: Backend): RNNModel {
  return RNNModel.create(
    { cell: 'lstm', input: 'onehot', inputSize: spec.V, hiddenSize: spec.H, outputSize: spec.V },
    { seed: SEED, backend },
  );
}

/** The weights a streaming row runs on: float32, or rounded to bf16 and packed (`quantizeWeights`, issue 17). */
export type StreamWeights = 'f32' | 'bf16';

function streamModel(spec: StreamSpec, backend: Backend, weights: StreamWeights = 'f32'): RNNModel {
  const model = RNNModel.create(
    { cell: spec.cell, input: spec.input, inputSize: spec.X, hiddenSize: spec.H, outputSize: spec.Y },
    { seed: SEED, backend },
  );
  if (weights !== 'f32') model.quantizeWeights(weights);
  return model;
}

/** One forward + backward over the first window from a zero state: logits, gradients, final state. */
function trainWindow(
  model: RNNModel,
  ids: Int32Array,
  targets: Int32Array,
  T: number,
  B: number,
): { y: Float32Array; grads: Float32Array; h: Float32Array; c: Float32Array; loss: number } {
  const V = model.config.outputSize;
  model.zeroGrads();
  const r = model.forward(ids, { T, B });
  const dy = model.backend.alloc(T * B * V); // [T, B, V]
  const loss = softmaxCrossEntropy(dy, r.y, targets, T * B, V, 1 / (T * B), model.backend) / (T * B);
  model.backward(r.workspace, dy);
  return {
    y: Float32Array.from(r.y),
    grads: Float32Array.from(model.grads),
    h: Float32Array.from(r.state.h),
    c: Float32Array.from(r.state.c!),
    loss,
  };
}

/**
 * Checks a backend against the reference kernels on a slice of a training workload (T <= 16, B <= 8: the
 * reference is too slow for the full W1 window): logits, every gradient and the final state.
 * @returns the largest absolute difference
 * @throws Error when it exceeds `REF_TOL`
 */
export function checkTrainBackend(spec: TrainSpec, backend: Backend): number {
  const slice = checkSlice(spec);
  const { T, B } = slice;
  const w = trainData(slice)[0];
  const ref = trainWindow(trainModel(spec, referenceBackend), w.ids, w.targets, T, B);
  const got = trainWindow(trainModel(spec, backend), w.ids, w.targets, T, B);
  const d = Math.max(
    maxAbsDiff(got.y, ref.y),
    maxAbsDiff(got.grads, ref.grads),
    maxAbsDiff(got.h, ref.h),
    maxAbsDiff(got.c, ref.c),
    Math.abs(got.loss - ref.loss),
  );
  if (!(d < REF_TOL))
    throw new Error(
      `${spec.id}: eddy backend ${backend.name} disagrees with the reference kernels (max abs diff ${d} >= ${REF_TOL} on T=${T}, B=${B})`,
    );
  return d;
}

/** Softmax outputs of the first CHECK_STEPS streaming steps from a zero state, `[steps, Y]`. */
function streamProbs(model: RNNModel, spec: StreamSpec): Float32Array {
  const { ids, frames } = streamData(spec);
  const state = model.createState(1);
  const out = model.backend.alloc(spec.Y);
  const probs = new Float32Array(CHECK_STEPS * spec.Y); // [steps, Y]
  for (let i = 0; i < CHECK_STEPS; i++) {
    model.step(spec.input === 'onehot' ? ids.subarray(i, i + 1) : frames[i], state, out);
    softmaxRows(probs, i * spec.Y, out, 0, 1, spec.Y);
  }
  return probs;
}

/**
 * Checks a backend's streaming steps against the reference kernels (with bf16 weights: the same rounded weights on
 * both, the reference reading them as float32). @throws Error beyond `REF_TOL`
 */
export function checkStreamBackend(spec: StreamSpec, backend: Backend, weights: StreamWeights = 'f32'): number {
  const d = maxAbsDiff(
    streamProbs(streamModel(spec, backend, weights), spec),
    streamProbs(streamModel(spec, referenceBackend, weights), spec),
  );
  if (!(d < REF_TOL))
    throw new Error(
      `${spec.id}: eddy backend ${backend.name} disagrees with the reference kernels (max abs diff of softmax outputs ${d} >= ${REF_TOL})`,
    );
  return d;
}

export function namedParams(model: RNNModel): Record<string, NamedParam> {
  const out: Record<string, NamedParam> = {};
  for (const e of model.layout.entries)
    out[e.name.replace(/^rnn\./, '')] = { shape: e.shape, data: Float32Array.from(model.param(e.name)) };
  return out;
}

/**
 * What a peer must reproduce (pass `referenceBackend`), on the check slice of the workload (`checkSlice`):
 * the initial weights, the loss and gradient norm of window 0 and the loss of window 1 after one clipped Adam step.
 */
export function goldenTrain(full: TrainSpec, backend: Backend): Golden {
  const spec = checkSlice(full);
  const model = trainModel(spec, backend);
  const params = namedParams(model);
  const data = trainData(spec);
  const opt = adam({ lr: spec.lr });
  const { T, B, V } = spec;
  const dy = backend.alloc(T * B * V); // [T, B, V]
  model.zeroGrads();
  const r0 = model.forward(data[0].ids, { T, B });
  const loss0 = softmaxCrossEntropy(dy, r0.y, data[0].targets, T * B, V, 1 / (T * B)) / (T * B);
  model.backward(r0.workspace, dy);
  const gradNorm0 = clipGradNorm(model.grads, spec.clip);
  opt.step(model.params, model.grads);
  const r1 = model.forward(data[1].ids, { T, B, state: r0.state });
  const loss1 = softmaxCrossEntropy(null, r1.y, data[1].targets, T * B, V) / (T * B);
  return { params, loss0, gradNorm0, loss1 };
}

/** The initial weights and the first steps' softmax outputs of a streaming workload. */
export function goldenStream(spec: StreamSpec, backend: Backend): Golden {
  const model = streamModel(spec, backend);
  return { params: namedParams(model), probs: streamProbs(model, spec) };
}

/** Times optimizer steps: forward, softmax cross-entropy, backward, clip, Adam; state carried (detached). */
export function timeTrain(
  spec: TrainSpec,
  backend: Backend,
  budget: Budget,
  onProgress?: (done: number, wanted: number) => void,
): Timing {
  const model = trainModel(spec, backend);
  const data = trainData(spec);
  const opt = adam({ lr: spec.lr, backend }); // the backend's Adam update where it has one (native)
  const { T, B, V } = spec;
  const dy = backend.alloc(T * B * V); // [T, B, V]
  let state = model.createState(B);
  return timeSteps(
    (i) => {
      const w = data[i % data.length];
      model.zeroGrads();
      const r = model.forward(w.ids, { T, B, state });
      softmaxCrossEntropy(dy, r.y, w.targets, T * B, V, 1 / (T * B), backend);
      model.backward(r.workspace, dy); // no dFinal: the gradient stops at the window boundary
      clipGradNorm(model.grads, spec.clip);
      opt.step(model.params, model.grads);
      state = r.state;
    },
    budget,
    onProgress,
  );
}

/** Times one streaming step (cell + head) and the softmax of its output, state carried. */
export function timeStream(
  spec: StreamSpec,
  backend: Backend,
  budget: Budget,
  onProgress?: (done: number, wanted: number) => void,
  weights: StreamWeights = 'f32',
): Timing {
  const model = streamModel(spec, backend, weights);
  const { ids, frames } = streamData(spec);
  const xs: (Int32Array | Float32Array)[] =
    spec.input === 'onehot' ? Array.from({ length: ids.length }, (_, i) => ids.subarray(i, i + 1)) : frames;
  const state = model.createState(1);
  const out = backend.alloc(spec.Y); // [1, Y] logits
  const probs = new Float32Array(spec.Y); // [1, Y]
  return timeSteps(
    (i) => {
      model.step(xs[i % xs.length], state, out);
      softmaxRows(probs, 0, out, 0, 1, spec.Y);
    },
    budget,
    onProgress,
  );
}
