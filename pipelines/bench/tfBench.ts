/**
 * TensorFlow.js peers: the same workloads on tfjs ops (its `cpu` and `wasm` backends), from eddy's initial weights.
 *
 * The cells are written as an explicit time loop over tf ops, the same math as `tf.layers.lstm`'s cell with the
 * input projection hoisted out of the loop (a one-hot input is a `gather` of `W_ihᵀ` rows, as in eddy), gradients
 * by `tf.variableGrads`, the global-norm clip by hand (tfjs has none) and `tf.train.adam`. Weights keep PyTorch's
 * layout (gates i, f, g, o; GRU r, z, n with `b_hn` inside the reset product), transposed once at setup.
 */
import { softmaxRows } from '../../src/index.ts';
import type { Golden } from './results.ts';
import { percentile, timeSteps, type Timing } from './timing.ts';
import type { NamedTensorMap, Tf, TfTensor, TfVariable } from './tfApi.ts';
import {
  CHECK_KEYS,
  CHECK_STEPS,
  CHECK_TICKS,
  checkSlice,
  keyedData,
  type KeyedSpec,
  streamData,
  trainData,
  type Budget,
  type StreamSpec,
  type TrainSpec,
} from './workloads.ts';

type Progress = (done: number, wanted: number) => void;

let nameCounter = 0;

/** A trainable variable initialised from one of eddy's weights, optionally transposed (`[out, in]` -> `[in, out]`). */
function weight(tf: Tf, g: Golden, name: string, transpose: boolean): TfVariable {
  const p = g.params[name];
  if (!p) throw new Error(`golden weights lack ${name}`);
  const t = tf.tensor(p.data, [...p.shape]);
  const init = transpose ? tf.transpose(t) : t;
  const v = tf.variable(init, true, `bench_${name}_${nameCounter++}`);
  if (init !== t) init.dispose();
  t.dispose();
  return v;
}

/** A training case: setup, one step, check values, and cleanup. */
interface TrainRunner {
  /** One optimizer step on window `w`; returns the loss and the gradient norm before clipping. */
  step(w: number): { loss: number; gradNorm: number };
  /** Mean loss of window `w` from the carried state, without updating anything. */
  evalLoss(w: number): number;
  dispose(): void;
}

function trainRunner(tf: Tf, spec: TrainSpec, g: Golden): TrainRunner {
  const { V, H, B, T } = spec;
  const wihT = weight(tf, g, 'weight_ih_l0', true); // [V, 4H]
  const whhT = weight(tf, g, 'weight_hh_l0', true); // [H, 4H]
  const bih = weight(tf, g, 'bias_ih_l0', false); // [4H]
  const bhh = weight(tf, g, 'bias_hh_l0', false); // [4H]
  const wyT = weight(tf, g, 'head.weight', true); // [H, V]
  const by = weight(tf, g, 'head.bias', false); // [V]
  const vars = [wihT, whhT, bih, bhh, wyT, by];
  const opt = tf.train.adam(spec.lr, 0.9, 0.999, 1e-8);
  // Data "loading", not timed: one-hot inputs [T*B, V] and one-hot targets [T*B, V] per window.
  const oneHot = (x: Int32Array): TfTensor => tf.tidy(() => tf.oneHot(tf.tensor(x, [T * B], 'int32'), V));
  const data = trainData(spec).map((w) => ({ inputs: oneHot(w.ids), labels: oneHot(w.targets) }));
  let h = tf.tensor(new Float32Array(B * H), [B, H]); // [B, H]
  let c = tf.tensor(new Float32Array(B * H), [B, H]); // [B, H]
  let hNext: TfTensor | null = null;
  let cNext: TfTensor | null = null;

  /** Mean cross-entropy of one window; the final state is kept in hNext/cNext (a new window starts from it, detached). */
  const lossOf = (w: number) => (): TfTensor => {
    // One-hot inputs times W_ihᵀ (tf.gather would do, but its gradient has no wasm kernel and is slower on cpu).
    const gx = tf.reshape(tf.add(tf.matMul(data[w].inputs, wihT), tf.add(bih, bhh)), [T, B, 4 * H]); // [T, B, 4H]
    const gxs = tf.unstack(gx);
    let ht = h;
    let ct = c;
    const hs: TfTensor[] = [];
    for (let t = 0; t < T; t++) {
      const [zi, zf, zg, zo] = tf.split(tf.add(gxs[t], tf.matMul(ht, whhT)), 4, 1); // each [B, H]
      ct = tf.add(tf.mul(tf.sigmoid(zf), ct), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
      ht = tf.mul(tf.sigmoid(zo), tf.tanh(ct));
      hs.push(ht);
    }
    hNext = tf.keep(ht);
    cNext = tf.keep(ct);
    const logits = tf.add(tf.matMul(tf.reshape(tf.stack(hs), [T * B, H]), wyT), by); // [T*B, V]
    return tf.losses.softmaxCrossEntropy(data[w].labels, logits);
  };

  const advance = (): void => {
    h.dispose();
    c.dispose();
    h = hNext!;
    c = cNext!;
  };

  return {
    step(w) {
      const { value, grads } = tf.variableGrads(lossOf(w % data.length), vars);
      const names = Object.keys(grads);
      const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))));
      const gradNorm = norm.dataSync()[0];
      norm.dispose();
      const coef = spec.clip / (gradNorm + 1e-6);
      if (coef < 1) {
        const clipped: NamedTensorMap = {};
        for (const n of names) clipped[n] = tf.mul(grads[n], coef);
        opt.applyGradients(clipped);
        tf.dispose(Object.values(clipped));
      } else opt.applyGradients(grads);
      tf.dispose(Object.values(grads));
      const loss = value.dataSync()[0];
      value.dispose();
      advance();
      return { loss, gradNorm };
    },
    evalLoss(w) {
      const value = tf.tidy(lossOf(w % data.length));
      const loss = value.dataSync()[0];
      value.dispose();
      advance();
      return loss;
    },
    dispose() {
      tf.dispose([...vars, h, c, ...data.flatMap((d) => [d.inputs, d.labels])]);
      opt.dispose();
    },
  };
}

/** Check values (loss and gradient norm of window 0, loss of window 1 after one step) on the check slice, from eddy's weights. */
export function checkTrainTf(tf: Tf, spec: TrainSpec, g: Golden): { loss0: number; gradNorm0: number; loss1: number } {
  const r = trainRunner(tf, checkSlice(spec), g);
  try {
    const s0 = r.step(0);
    return { loss0: s0.loss, gradNorm0: s0.gradNorm, loss1: r.evalLoss(1) };
  } finally {
    r.dispose();
  }
}

/** Times optimizer steps on the current tfjs backend. */
export function timeTrainTf(tf: Tf, spec: TrainSpec, g: Golden, budget: Budget, onProgress?: Progress): Timing {
  const r = trainRunner(tf, spec, g);
  try {
    return timeSteps((i) => r.step(i), budget, onProgress);
  } finally {
    r.dispose();
  }
}

/** A streaming case: one step (cell, head, softmax, read back) per call. */
interface StreamRunner {
  step(i: number): Float32Array;
  dispose(): void;
}

function streamRunner(tf: Tf, spec: StreamSpec, g: Golden): StreamRunner {
  const { H } = spec;
  const wihT = weight(tf, g, 'weight_ih_l0', true); // [X, G·H]
  const whhT = weight(tf, g, 'weight_hh_l0', true); // [H, G·H]
  const bih = weight(tf, g, 'bias_ih_l0', false); // [G·H]
  const bhh = weight(tf, g, 'bias_hh_l0', false); // [G·H]
  const wyT = weight(tf, g, 'head.weight', true); // [H, Y]
  const by = weight(tf, g, 'head.bias', false); // [Y]
  const bsum = tf.add(bih, bhh); // [G·H] (the GRU keeps b_hn apart, inside the reset product)
  const { ids, frames } = streamData(spec);
  // Data "loading", not timed: one [1] id tensor or one [1, X] frame tensor per input.
  const xs =
    spec.input === 'onehot'
      ? Array.from(ids, (id) => tf.tensor(Int32Array.of(id), [1], 'int32'))
      : frames.map((f) => tf.tensor(f, [1, spec.X]));
  const project = spec.input === 'onehot' ? (x: TfTensor) => tf.gather(wihT, x) : (x: TfTensor) => tf.matMul(x, wihT);
  let h = tf.tensor(new Float32Array(H), [1, H]); // [1, H]
  let c = tf.tensor(new Float32Array(H), [1, H]); // [1, H]

  const cellStep = (x: TfTensor): TfTensor[] => {
    if (spec.cell === 'lstm') {
      const [zi, zf, zg, zo] = tf.split(tf.add(tf.add(project(x), tf.matMul(h, whhT)), bsum), 4, 1);
      const c2 = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
      return [tf.mul(tf.sigmoid(zo), tf.tanh(c2)), c2];
    }
    if (spec.cell === 'gru') {
      const [xr, xz, xn] = tf.split(tf.add(project(x), bih), 3, 1);
      const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, whhT), bhh), 3, 1);
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      return [tf.add(n, tf.mul(z, tf.sub(h, n)))]; // (1 - z)·n + z·h
    }
    return [tf.tanh(tf.add(tf.add(project(x), tf.matMul(h, whhT)), bsum))];
  };

  return {
    step(i) {
      const out = tf.tidy(() => {
        const [h2, c2] = cellStep(xs[i % xs.length]);
        const probs = tf.softmax(tf.add(tf.matMul(h2, wyT), by)); // [1, Y]
        return c2 ? [h2, c2, probs] : [h2, probs];
      });
      h.dispose();
      h = out[0];
      if (out.length === 3) {
        c.dispose();
        c = out[1];
      }
      const probs = out[out.length - 1];
      const p = probs.dataSync() as Float32Array;
      probs.dispose();
      return p;
    },
    dispose() {
      tf.dispose([wihT, whhT, bih, bhh, wyT, by, bsum, h, c, ...xs]);
    },
  };
}

/** Softmax outputs of the first CHECK_STEPS steps, `[steps, Y]`, from eddy's weights. */
export function checkStreamTf(tf: Tf, spec: StreamSpec, g: Golden): Float32Array {
  const r = streamRunner(tf, spec, g);
  try {
    const probs = new Float32Array(CHECK_STEPS * spec.Y);
    for (let i = 0; i < CHECK_STEPS; i++) probs.set(r.step(i), i * spec.Y);
    return probs;
  } finally {
    r.dispose();
  }
}

/** Times streaming steps on the current tfjs backend. */
export function timeStreamTf(tf: Tf, spec: StreamSpec, g: Golden, budget: Budget, onProgress?: Progress): Timing {
  const r = streamRunner(tf, spec, g);
  try {
    return timeSteps((i) => r.step(i), budget, onProgress);
  } finally {
    r.dispose();
  }
}

/** A keyed case stepped per key (tfjs has no batcher): a map of per-key states, one LSTM step + head per element. */
function keyedRunnerTf(tf: Tf, spec: KeyedSpec, g: Golden) {
  const { H } = spec;
  const wihT = weight(tf, g, 'weight_ih_l0', true); // [X, 4H]
  const whhT = weight(tf, g, 'weight_hh_l0', true); // [H, 4H]
  const bih = weight(tf, g, 'bias_ih_l0', false);
  const bhh = weight(tf, g, 'bias_hh_l0', false);
  const wyT = weight(tf, g, 'head.weight', true); // [H, Y]
  const by = weight(tf, g, 'head.bias', false);
  const bsum = tf.add(bih, bhh);
  const ticks = keyedData(spec);
  // Data "loading", not timed: one [1] id tensor per token.
  const idTensors = Array.from({ length: spec.X }, (_, id) => tf.tensor(Int32Array.of(id), [1], 'int32'));
  const zero = tf.tensor(new Float32Array(H), [1, H]);
  const states = new Map<number, [TfTensor, TfTensor]>();
  return {
    /** One tick; `onOutput(key, logits)` sees each key's output (read back, as a server would send it). */
    tick(i: number, onOutput?: (key: number, logits: Float32Array) => void): void {
      const t = ticks[i % ticks.length];
      for (let e = 0; e < t.keys.length; e++) {
        const key = t.keys[e];
        const [h, c] = states.get(key) ?? [zero, zero];
        const out = tf.tidy(() => {
          const z = tf.add(tf.add(tf.gather(wihT, idTensors[t.ids[e]]), tf.matMul(h, whhT)), bsum);
          const [zi, zf, zg, zo] = tf.split(z, 4, 1);
          const c2 = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
          const h2 = tf.mul(tf.sigmoid(zo), tf.tanh(c2));
          return [h2, c2, tf.add(tf.matMul(h2, wyT), by)]; // logits, as eddy's keyed outputs
        });
        if (h !== zero) tf.dispose([h, c]);
        states.set(key, [out[0], out[1]]);
        const logits = out[2].dataSync() as Float32Array;
        out[2].dispose();
        onOutput?.(key, logits);
      }
    },
    dispose(): void {
      for (const [h, c] of states.values()) tf.dispose([h, c]);
      tf.dispose([wihT, whhT, bih, bhh, wyT, by, bsum, zero, ...idTensors]);
    },
  };
}

/** The check keys' softmax outputs over the first ticks, `[ticks, keys, Y]`, stepping each key alone. */
export function checkKeyedTf(tf: Tf, spec: KeyedSpec, g: Golden): Float32Array {
  const r = keyedRunnerTf(tf, spec, g);
  try {
    const probs = new Float32Array(CHECK_TICKS * CHECK_KEYS * spec.Y);
    for (let t = 0; t < CHECK_TICKS; t++)
      r.tick(t, (key, logits) => {
        if (key < CHECK_KEYS) softmaxRows(probs, (t * CHECK_KEYS + key) * spec.Y, logits, 0, 1, spec.Y);
      });
    return probs;
  } finally {
    r.dispose();
  }
}

/** Times ticks of a keyed workload, each key stepped alone, on the current tfjs backend. */
export function timeKeyedTf(tf: Tf, spec: KeyedSpec, g: Golden, budget: Budget, onProgress?: Progress): Timing {
  const r = keyedRunnerTf(tf, spec, g);
  const samples: number[] = [];
  try {
    const t = timeSteps(
      (i) => {
        const t0 = performance.now();
        r.tick(i);
        samples.push((performance.now() - t0) / 1000);
      },
      budget,
      onProgress,
    );
    return { ...t, p99: percentile(samples.slice(t.warmup), 0.99) };
  } finally {
    r.dispose();
  }
}
