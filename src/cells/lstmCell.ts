/**
 * LSTM cell, exactly as PyTorch's `nn.LSTM` (gate order i, f, g, o):
 *   i = σ(gx_i + gh_i + b_hi)   f = σ(gx_f + gh_f + b_hf)   g = tanh(gx_g + gh_g + b_hg)   o = σ(gx_o + gh_o + b_ho)
 *   c = f ⊙ c_prev + i ⊙ g      h = o ⊙ tanh(c)
 * `act` caches [i, f, g, o] per row `[B, 4H]`; `aux` caches tanh(c) `[B, H]`.
 */
import type { CellKernel } from './cellKernel.ts';

function lstmForward(
  h: Float32Array,
  hOff: number,
  c: Float32Array,
  cOff: number,
  act: Float32Array,
  actOff: number,
  aux: Float32Array,
  auxOff: number,
  gx: Float32Array,
  gxOff: number,
  gh: Float32Array,
  ghOff: number,
  _hPrev: Float32Array,
  _hpOff: number,
  cPrev: Float32Array,
  cpOff: number,
  bhh: Float32Array,
  bOff: number,
  B: number,
  H: number,
): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const xr = gxOff + b * G,
      hr = ghOff + b * G,
      ar = actOff + b * G;
    const hb = b * H;
    for (let j = 0; j < H; j++) {
      const ai = gx[xr + j] + gh[hr + j] + bhh[bOff + j];
      const af = gx[xr + H + j] + gh[hr + H + j] + bhh[bOff + H + j];
      const ag = gx[xr + 2 * H + j] + gh[hr + 2 * H + j] + bhh[bOff + 2 * H + j];
      const ao = gx[xr + 3 * H + j] + gh[hr + 3 * H + j] + bhh[bOff + 3 * H + j];
      const i = 1 / (1 + Math.exp(-ai));
      const f = 1 / (1 + Math.exp(-af));
      const g = Math.tanh(ag);
      const o = 1 / (1 + Math.exp(-ao));
      act[ar + j] = i;
      act[ar + H + j] = f;
      act[ar + 2 * H + j] = g;
      act[ar + 3 * H + j] = o;
      const cv = f * cPrev[cpOff + hb + j] + i * g;
      const tc = Math.tanh(cv);
      c[cOff + hb + j] = cv;
      aux[auxOff + hb + j] = tc;
      h[hOff + hb + j] = o * tc;
    }
  }
}

function lstmBackward(
  dgx: Float32Array,
  dgxOff: number,
  dgh: Float32Array,
  dghOff: number,
  dhPrev: Float32Array,
  dhpOff: number,
  dcPrev: Float32Array,
  dcpOff: number,
  dh: Float32Array,
  dhOff: number,
  dc: Float32Array,
  dcOff: number,
  act: Float32Array,
  actOff: number,
  aux: Float32Array,
  auxOff: number,
  _hPrev: Float32Array,
  _hpOff: number,
  cPrev: Float32Array,
  cpOff: number,
  B: number,
  H: number,
): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const ar = actOff + b * G,
      xr = dgxOff + b * G,
      hr = dghOff + b * G;
    const hb = b * H;
    for (let j = 0; j < H; j++) {
      const i = act[ar + j],
        f = act[ar + H + j],
        g = act[ar + 2 * H + j],
        o = act[ar + 3 * H + j];
      const tc = aux[auxOff + hb + j];
      const dhv = dh[dhOff + hb + j];
      const dct = dhv * o * (1 - tc * tc) + dc[dcOff + hb + j];
      const dai = dct * g * i * (1 - i);
      const daf = dct * cPrev[cpOff + hb + j] * f * (1 - f);
      const dag = dct * i * (1 - g * g);
      const dao = dhv * tc * o * (1 - o);
      dgx[xr + j] = dai;
      dgx[xr + H + j] = daf;
      dgx[xr + 2 * H + j] = dag;
      dgx[xr + 3 * H + j] = dao;
      dgh[hr + j] = dai;
      dgh[hr + H + j] = daf;
      dgh[hr + 2 * H + j] = dag;
      dgh[hr + 3 * H + j] = dao;
      dcPrev[dcpOff + hb + j] = dct * f;
      dhPrev[dhpOff + hb + j] = 0; // h_prev reaches the gates only through W_hh
    }
  }
}

/** The LSTM cell kernel. */
export const lstmCell: CellKernel = {
  kind: 'lstm',
  gates: 4,
  hasCell: true,
  forward: lstmForward,
  backward: lstmBackward,
};
