/**
 * Vanilla RNN cell, as PyTorch's `nn.RNN`: `h = act(gx + gh + b_hh)` with `act` tanh or relu.
 * `act` caches h itself `[B, H]`; there is no aux.
 */
import type { CellKernel } from './cellKernel.ts';

function makeRnnCell(relu: boolean): CellKernel {
  function forward(
    h: Float32Array,
    hOff: number,
    _c: Float32Array,
    _cOff: number,
    act: Float32Array,
    actOff: number,
    _aux: Float32Array,
    _auxOff: number,
    gx: Float32Array,
    gxOff: number,
    gh: Float32Array,
    ghOff: number,
    _hPrev: Float32Array,
    _hpOff: number,
    _cPrev: Float32Array,
    _cpOff: number,
    bhh: Float32Array,
    bOff: number,
    B: number,
    H: number,
  ): void {
    for (let b = 0; b < B; b++) {
      const r = b * H;
      for (let j = 0; j < H; j++) {
        const a = gx[gxOff + r + j] + gh[ghOff + r + j] + bhh[bOff + j];
        const v = relu ? (a > 0 ? a : 0) : Math.tanh(a);
        act[actOff + r + j] = v;
        h[hOff + r + j] = v;
      }
    }
  }
  function backward(
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
    _aux: Float32Array,
    _auxOff: number,
    _hPrev: Float32Array,
    _hpOff: number,
    _cPrev: Float32Array,
    _cpOff: number,
    B: number,
    H: number,
  ): void {
    for (let b = 0; b < B; b++) {
      const r = b * H;
      for (let j = 0; j < H; j++) {
        const v = act[actOff + r + j];
        const da = dh[dhOff + r + j] * (relu ? (v > 0 ? 1 : 0) : 1 - v * v);
        dgx[dgxOff + r + j] = da;
        dgh[dghOff + r + j] = da;
        dhPrev[dhpOff + r + j] = 0;
      }
    }
  }
  return { kind: relu ? 'rnn_relu' : 'rnn_tanh', gates: 1, hasCell: false, forward, backward };
}

/** The tanh RNN cell kernel (PyTorch's default nonlinearity). */
export const rnnTanhCell: CellKernel = makeRnnCell(false);
/** The relu RNN cell kernel. */
export const rnnReluCell: CellKernel = makeRnnCell(true);
