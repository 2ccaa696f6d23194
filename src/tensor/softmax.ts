/**
 * Softmax and softmax cross-entropy with its gradient, over rows of logits `[N, V]`.
 * Stable: the row maximum is subtracted before exponentiating.
 */
import type { Backend } from './backend.ts';
import { invalidArg } from '../util/errors.ts';

/** `out[r] = softmax(logits[r] / temperature)` for N rows of V. `out` may alias `logits`. */
export function softmaxRows(
  out: Float32Array,
  outOff: number,
  logits: Float32Array,
  off: number,
  N: number,
  V: number,
  temperature = 1,
): void {
  for (let r = 0; r < N; r++) {
    const base = off + r * V;
    const ob = outOff + r * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (logits[base + j] > max) max = logits[base + j];
    let sum = 0;
    for (let j = 0; j < V; j++) {
      const e = Math.exp((logits[base + j] - max) / temperature);
      out[ob + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < V; j++) out[ob + j] *= inv;
  }
}

/**
 * Softmax cross-entropy of N rows of logits `[N, V]` against integer targets `[N]`.
 * Rows whose target is negative are ignored (padding) and get a zero gradient.
 * @param dlogits `[N, V]` written (not accumulated) with `scale · (softmax - onehot)`, or null for the loss only
 * @param scale multiplies the gradient: 1 for a summed loss, 1/count for a mean
 * @param backend kernels to run it with where they have it (`Backend.softmaxCrossEntropy`: the native backend,
 *   float32 exponentials, within float32 rounding of this loop)
 * @returns the summed loss in nats over the rows that count
 * @throws EddyError ERR_INVALID_ARG naming `targets[r]` for a target that is not an integer < V (checked for every
 *   row before anything is written)
 */
export function softmaxCrossEntropy(
  dlogits: Float32Array | null,
  logits: Float32Array,
  targets: Int32Array,
  N: number,
  V: number,
  scale = 1,
  backend?: Pick<Backend, 'softmaxCrossEntropy'>,
): number {
  for (let r = 0; r < N; r++) {
    const t = targets[r];
    // `t < V` is false for NaN; a non-integer can come from an untyped caller's Float32Array or plain array
    if (!(t < V) || !Number.isInteger(t))
      throw invalidArg(`targets[${r}]`, `integer class id in [0, ${V}) (or negative: padding)`, t);
  }
  if (
    backend?.softmaxCrossEntropy &&
    logits instanceof Float32Array &&
    targets instanceof Int32Array &&
    (dlogits === null || dlogits instanceof Float32Array)
  )
    return backend.softmaxCrossEntropy(dlogits, logits, targets, N, V, scale);
  let loss = 0;
  for (let r = 0; r < N; r++) {
    const base = r * V;
    const t = targets[r];
    if (t < 0) {
      if (dlogits) dlogits.fill(0, base, base + V);
      continue;
    }
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (logits[base + j] > max) max = logits[base + j];
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(logits[base + j] - max);
    const logZ = max + Math.log(sum);
    loss += logZ - logits[base + t];
    if (dlogits) {
      for (let j = 0; j < V; j++) dlogits[base + j] = scale * Math.exp(logits[base + j] - logZ);
      dlogits[base + t] -= scale;
    }
  }
  return loss;
}
