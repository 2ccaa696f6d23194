/**
 * Central finite differences of a loss over every parameter, and the worst relative error of an analytic
 * gradient against them: the gradient check the model tests share (float64 check backend, masks from a fixed seed).
 */

/** `(loss(p + eps) - loss(p - eps)) / 2eps` for every element of `params`, each restored after. */
export function numericGradients(params: Float32Array, loss: () => number, eps = 1e-5): Float64Array {
  const out = new Float64Array(params.length);
  for (let k = 0; k < params.length; k++) {
    const old = params[k];
    params[k] = old + eps;
    const up = loss();
    params[k] = old - eps;
    const down = loss();
    params[k] = old;
    out[k] = (up - down) / (2 * eps);
  }
  return out;
}

/** The largest `|n - a| / (|n| + |a|)` over the elements whose difference is above `noise` (float64 rounding). */
export function worstRelativeError(numeric: Float64Array, analytic: ArrayLike<number>, noise = 1e-7): number {
  let worst = 0;
  for (let k = 0; k < numeric.length; k++) {
    const d = Math.abs(numeric[k] - analytic[k]);
    if (d > noise) worst = Math.max(worst, d / (Math.abs(numeric[k]) + Math.abs(analytic[k])));
  }
  return worst;
}
