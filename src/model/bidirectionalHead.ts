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
 * Forward: writes `z [B, 2H]` (kept for the backward) and `logits [B, K]`.
 * @param mask `[B, 2H]` dropout multipliers, or null
 */
export function bidirectionalHeadForward(
  hf: Float32Array,
  hr: Float32Array,
  mask: Float32Array | null,
  P: Float32Array,
  w: number,
  bias: number,
  B: number,
  H: number,
  K: number,
  z: Float32Array,
  logits: Float32Array,
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
 * Backward: accumulates `dW` and `dbias` into `G` (same layout as `P`) and writes `dhf`, `dhr [B, H]`.
 * @param z the forward's `z` (masked)
 * @param dlogits `[B, K]` the loss gradient of the logits
 */
export function bidirectionalHeadBackward(
  dlogits: Float32Array,
  z: Float32Array,
  mask: Float32Array | null,
  P: Float32Array,
  G: Float32Array,
  w: number,
  bias: number,
  B: number,
  H: number,
  K: number,
  dhf: Float32Array,
  dhr: Float32Array,
): void {
  const D = 2 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      dhf[b * H + j] = 0;
      dhr[b * H + j] = 0;
    }
    for (let k = 0; k < K; k++) {
      const g = dlogits[b * K + k];
      if (g === 0) continue;
      G[bias + k] += g;
      const row = w + k * D;
      for (let j = 0; j < D; j++) G[row + j] += g * z[b * D + j];
      for (let j = 0; j < H; j++) {
        dhf[b * H + j] += g * P[row + j];
        dhr[b * H + j] += g * P[row + H + j];
      }
    }
    if (mask !== null)
      for (let j = 0; j < H; j++) {
        dhf[b * H + j] *= mask[b * D + j];
        dhr[b * H + j] *= mask[b * D + H + j];
      }
  }
}
