import type { CellKind } from '../tensor/backend.ts';

/**
 * The contract every recurrent cell implements: the pointwise part of one time step, forward and backward.
 * The matrix products (`x · W_ihᵀ + b_ih` for a whole window, `h · W_hhᵀ` per step, and their gradients) are
 * done by the model through the `Backend`, so a cell is only the elementwise math between them.
 *
 * Shapes, with B rows, H hidden units and G gates (LSTM 4, GRU 3, RNN 1):
 * - `gx` `[B, G·H]`: input projection of this step, `x · W_ihᵀ + b_ih`
 * - `gh` `[B, G·H]`: recurrent projection of this step, `h_prev · W_hhᵀ` (without bias; `bhh` is added here)
 * - `act` `[B, G·H]`: gate activations cached for backward
 * - `aux` `[B, H]`: one more cached row per cell (LSTM `tanh(c)`, GRU `W_hn h + b_hn`, RNN unused)
 *
 * Every buffer is addressed by an array and an element offset so that nothing is allocated per step.
 * Forward may run in place (`h` aliasing `hPrev`, `c` aliasing `cPrev`): each element reads its own previous
 * value before writing it.
 */
export interface CellKernel {
  /** `'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu'` */
  readonly kind: CellKind;
  /** Gates per hidden unit: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n), 1 for RNN. */
  readonly gates: number;
  /** Whether the cell carries a cell state `c` besides `h` (LSTM only). */
  readonly hasCell: boolean;
  /** One step forward: writes h, c (LSTM), act and aux. */
  forward(
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
    hPrev: Float32Array,
    hpOff: number,
    cPrev: Float32Array,
    cpOff: number,
    bhh: Float32Array,
    bOff: number,
    B: number,
    H: number,
  ): void;
  /**
   * One step backward. Writes (does not accumulate) the pre-activation gradients `dgx`, `dgh` `[B, G·H]`, the
   * direct part of `dhPrev` `[B, H]` (the model then adds `dgh · W_hh`) and `dcPrev` `[B, H]` (LSTM).
   * `dh` and `dc` are the gradients reaching `h_t` and `c_t` from above and from step t+1.
   */
  backward(
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
    hPrev: Float32Array,
    hpOff: number,
    cPrev: Float32Array,
    cpOff: number,
    B: number,
    H: number,
  ): void;
}

/** The recurrent cells eddy implements, named as PyTorch's modules and `nonlinearity` are (declared in `Backend`'s file). */
export type { CellKind };

/** All cell kinds, for validation. */
export const CELL_KINDS: readonly CellKind[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'];

/** Gates per hidden unit, in PyTorch's order: LSTM `i, f, g, o`; GRU `r, z, n`; RNN one. */
export const GATE_NAMES: Readonly<Record<CellKind, readonly string[]>> = {
  lstm: ['i', 'f', 'g', 'o'],
  gru: ['r', 'z', 'n'],
  rnn_tanh: ['h'],
  rnn_relu: ['h'],
};
