/**
 * Scalar activations and their derivatives written in terms of the activation's output (what BPTT caches).
 * Cells inline these in their loops; the array forms are for tests and callers outside hot paths.
 */

/** Logistic sigmoid, `1 / (1 + e^-x)`. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
/** `σ'(x)` from `y = σ(x)`: `y (1 - y)`. */
export function sigmoidGradFromOutput(y: number): number {
  return y * (1 - y);
}
/** `tanh'(x)` from `y = tanh(x)`: `1 - y²`. */
export function tanhGradFromOutput(y: number): number {
  return 1 - y * y;
}
/** `max(0, x)`. */
export function relu(x: number): number {
  return x > 0 ? x : 0;
}
/** `relu'(x)` from `y = relu(x)`: 1 where y > 0, else 0. */
export function reluGradFromOutput(y: number): number {
  return y > 0 ? 1 : 0;
}

/** Applies `f` to `x[off .. off+n)` in place. */
export function applyInPlace(f: (v: number) => number, x: Float32Array, off = 0, n = x.length - off): void {
  for (let i = off; i < off + n; i++) x[i] = f(x[i]);
}
