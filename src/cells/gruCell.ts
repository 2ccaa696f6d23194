/**
 * GRU cell, exactly as PyTorch's `nn.GRU` (gate order r, z, n; `b_hn` inside the reset product):
 *   r = σ(gx_r + gh_r + b_hr)   z = σ(gx_z + gh_z + b_hz)
 *   n = tanh(gx_n + r ⊙ (gh_n + b_hn))
 *   h = (1 - z) ⊙ n + z ⊙ h_prev
 * `act` caches [r, z, n] `[B, 3H]`; `aux` caches `gh_n + b_hn` `[B, H]`.
 */
import type { CellKernel } from './cellKernel.ts';

function gruForward(
  h: Float32Array,
  hOff: number,
  _c: Float32Array,
  _cOff: number,
  act: Float32Array,
  actOff: number,
  aux: Float32Array,
  auxOff: number,
  gx: Float32Array,
  gxOff: number,
  gh: Float32Array,
  ghOff: number,
  hPrev: Float32Array,
  hpOff: number,
  _cPrev: Float32Array,
  _cpOff: number,
  bhh: Float32Array,
  bOff: number,
  B: number,
  H: number,
): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const xr = gxOff + b * G,
      hr = ghOff + b * G,
      ar = actOff + b * G;
    const hb = b * H;
    for (let j = 0; j < H; j++) {
      const r = 1 / (1 + Math.exp(-(gx[xr + j] + gh[hr + j] + bhh[bOff + j])));
      const z = 1 / (1 + Math.exp(-(gx[xr + H + j] + gh[hr + H + j] + bhh[bOff + H + j])));
      const hn = gh[hr + 2 * H + j] + bhh[bOff + 2 * H + j];
      const n = Math.tanh(gx[xr + 2 * H + j] + r * hn);
      act[ar + j] = r;
      act[ar + H + j] = z;
      act[ar + 2 * H + j] = n;
      aux[auxOff + hb + j] = hn;
      h[hOff + hb + j] = (1 - z) * n + z * hPrev[hpOff + hb + j];
    }
  }
}

function gruBackward(
  dgx: Float32Array,
  dgxOff: number,
  dgh: Float32Array,
  dghOff: number,
  dhPrev: Float32Array,
  dhpOff: number,
  _dcPrev: Float32Array,
  _dcpOff: number,
  dh: Float32Array,
  dhOff: number,
  _dc: Float32Array,
  _dcOff: number,
  act: Float32Array,
  actOff: number,
  aux: Float32Array,
  auxOff: number,
  hPrev: Float32Array,
  hpOff: number,
  _cPrev: Float32Array,
  _cpOff: number,
  B: number,
  H: number,
): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const ar = actOff + b * G,
      xr = dgxOff + b * G,
      hr = dghOff + b * G;
    const hb = b * H;
    for (let j = 0; j < H; j++) {
      const r = act[ar + j],
        z = act[ar + H + j],
        n = act[ar + 2 * H + j];
      const dhv = dh[dhOff + hb + j];
      const hp = hPrev[hpOff + hb + j];
      const dan = dhv * (1 - z) * (1 - n * n);
      const daz = dhv * (hp - n) * z * (1 - z);
      const dar = dan * aux[auxOff + hb + j] * r * (1 - r);
      dgx[xr + j] = dar;
      dgx[xr + H + j] = daz;
      dgx[xr + 2 * H + j] = dan;
      dgh[hr + j] = dar;
      dgh[hr + H + j] = daz;
      dgh[hr + 2 * H + j] = dan * r;
      dhPrev[dhpOff + hb + j] = dhv * z;
    }
  }
}

/** The GRU cell kernel. */
export const gruCell: CellKernel = {
  kind: 'gru',
  gates: 3,
  hasCell: false,
  forward: gruForward,
  backward: gruBackward,
};
