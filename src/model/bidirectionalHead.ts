/**
 * The head of a bidirectional many-to-one classifier: a linear layer over the concatenation `z = [h_fwd, h_rev]`
 * `[B, 2H]` of the two directions' final states (PyTorch: `head(torch.cat([h_n[0], h_n[1]], 1))`), with an
 * optional dropout mask on `z`. Plain functions over flat arrays, forward and backward side by side.
 *
 * ```
 * z[b]      = [hf[b, 0..H), hr[b, 0..H)] · mask[b]           (mask: 0 or 1/(1-p); none outside training)
 * logits[b] = W z[b] + bias                                 W [K, 2H] at P[w..], bias [K] at P[bias..]
 * ```
 */

/**
 * Forward: writes `logits [B, K]` and `z [B, 2H]` (kept for the backward).
 * @param hf `[B, H]` the forward direction's final states; `hr` `[B, H]` the reverse direction's
 * @param mask `[B, 2H]` dropout multipliers, or null
 */
export function bidirectionalHeadForward(
  logits: Float32Array, // [B, K]
  z: Float32Array, // [B, 2H]
  hf: Float32Array, // [B, H]
  hr: Float32Array, // [B, H]
  mask: Float32Array | null, // [B, 2H]
  P: Float32Array,
  w: number,
  bias: number,
  B: number,
  H: number,
  K: number,
): void {
  const D = 2 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      z[b * D + j] = hf[b * H + j];
      z[b * D + H + j] = hr[b * H + j];
    }
    if (mask !== null) for (let j = 0; j < D; j++) z[b * D + j] *= mask[b * D + j];
    for (let k = 0; k < K; k++) {
      let s = P[bias + k];
      const row = w + k * D;
      for (let j = 0; j < D; j++) s += P[row + j] * z[b * D + j];
      logits[b * K + k] = s;
    }
  }
}

/**
 * Backward: accumulates `dhf`, `dhr [B, H]`, and `dW`, `dbias` into `dP` (the layout of `P`).
 * @param dlogits `[B, K]` the loss gradient of the logits
 * @param z the forward's `z` (masked)
 */
export function bidirectionalHeadBackward(
  dhf: Float32Array, // [B, H]
  dhr: Float32Array, // [B, H]
  dP: Float32Array,
  dlogits: Float32Array, // [B, K]
  z: Float32Array, // [B, 2H]
  mask: Float32Array | null, // [B, 2H]
  P: Float32Array,
  w: number,
  bias: number,
  B: number,
  H: number,
  K: number,
): void {
  const D = 2 * H;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      const g = dlogits[b * K + k];
      if (g === 0) continue;
      dP[bias + k] += g;
      const row = w + k * D;
      for (let j = 0; j < D; j++) dP[row + j] += g * z[b * D + j];
      // d z[b, j] = Σ_k g_k W[k, j], through the mask into the state
      for (let j = 0; j < H; j++) {
        dhf[b * H + j] += g * P[row + j] * (mask === null ? 1 : mask[b * D + j]);
        dhr[b * H + j] += g * P[row + H + j] * (mask === null ? 1 : mask[b * D + H + j]);
      }
    }
  }
}
