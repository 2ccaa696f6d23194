/**
 * Scaled dot-product attention of one decoder step over the encoder states (Luong et al. 2015, "dot", scaled as
 * in Vaswani et al. 2017), for B rows at once:
 *   e_j = (q · k_j) / √H      a = softmax_j(e)      c = Σ_j a_j k_j
 * with the query `q` the decoder's hidden state and the keys (= values) `k_j` the encoder's states. No parameters:
 * encoder and decoder share H, and the decoder learns to put its state where the matching encoder state is.
 *
 * Backward, mirroring it, with `dc` the gradient reaching the context:
 *   da_j = dc · k_j      de_j = a_j (da_j - Σ_i a_i da_i)
 *   dq  += Σ_j de_j k_j / √H      dk_j += a_j dc + de_j q / √H
 */

/**
 * Forward: writes `context [B, H]` and `weights [B, S]`.
 * @param keys `[S, B, H]` (time-major; row b of step j at `(j·B + b)·H`)
 * @param query `[B, H]`
 */
export function dotAttentionForward(
  context: Float32Array,
  cOff: number,
  weights: Float32Array,
  wOff: number,
  query: Float32Array,
  qOff: number,
  keys: Float32Array,
  kOff: number,
  S: number,
  B: number,
  H: number,
): void {
  const scale = 1 / Math.sqrt(H);
  for (let b = 0; b < B; b++) {
    const q = qOff + b * H;
    const w = wOff + b * S;
    let max = -Infinity;
    for (let j = 0; j < S; j++) {
      const k = kOff + (j * B + b) * H;
      let e = 0;
      for (let h = 0; h < H; h++) e += query[q + h] * keys[k + h];
      e *= scale;
      weights[w + j] = e;
      if (e > max) max = e;
    }
    let sum = 0;
    for (let j = 0; j < S; j++) {
      const p = Math.exp(weights[w + j] - max);
      weights[w + j] = p;
      sum += p;
    }
    const c = cOff + b * H;
    context.fill(0, c, c + H);
    for (let j = 0; j < S; j++) {
      const a = weights[w + j] / sum;
      weights[w + j] = a;
      const k = kOff + (j * B + b) * H;
      for (let h = 0; h < H; h++) context[c + h] += a * keys[k + h];
    }
  }
}

/**
 * Backward: accumulates (`+=`) into `dQuery [B, H]` and `dKeys [S, B, H]` from `dContext [B, H]`.
 * `scratch` `[S]` holds `da` for one row.
 */
export function dotAttentionBackward(
  dQuery: Float32Array,
  dqOff: number,
  dKeys: Float32Array,
  dkOff: number,
  dContext: Float32Array,
  dcOff: number,
  weights: Float32Array,
  wOff: number,
  query: Float32Array,
  qOff: number,
  keys: Float32Array,
  kOff: number,
  scratch: Float32Array,
  S: number,
  B: number,
  H: number,
): void {
  const scale = 1 / Math.sqrt(H);
  for (let b = 0; b < B; b++) {
    const dc = dcOff + b * H;
    const w = wOff + b * S;
    let dot = 0;
    for (let j = 0; j < S; j++) {
      const k = kOff + (j * B + b) * H;
      let da = 0;
      for (let h = 0; h < H; h++) da += dContext[dc + h] * keys[k + h];
      scratch[j] = da;
      dot += weights[w + j] * da;
    }
    const q = qOff + b * H;
    const dq = dqOff + b * H;
    for (let j = 0; j < S; j++) {
      const a = weights[w + j];
      const de = a * (scratch[j] - dot) * scale;
      const k = kOff + (j * B + b) * H;
      const dk = dkOff + (j * B + b) * H;
      for (let h = 0; h < H; h++) {
        dQuery[dq + h] += de * keys[k + h];
        dKeys[dk + h] += a * dContext[dc + h] + de * query[q + h];
      }
    }
  }
}
