/**
 * Sizes of the recurrent attention model (Mnih, Heess, Graves, Kavukcuoglu 2014, "Recurrent Models of Visual
 * Attention") and its parameter table: every tensor with its name and shape, laid out in order in one flat buffer.
 *
 * ```
 * rho_t = retina(x, l_t)                                   // [D] D = k·C·g·g
 * g_t   = relu(W_what·relu(W_rho·rho_t + b) + b + W_where·relu(W_loc·l_t + b) + b)   // [G]
 * h_t   = cell(g_t, h_{t-1})                               // [H] relu RNN (the paper) or LSTM
 * l_{t+1} ~ N(tanh(W_l·h_t + b_l), std²)  clamped to [-1, 1]   // the location network (a Gaussian policy)
 * b_t   = W_b·h_t + b_b                                    // the baseline
 * y     = W_a·h_T + b_a                                    // logits [Y] at the last glimpse
 * ```
 */
import type { CellKind } from '../cells/cellKernel.ts';
import { checkInt, checkNumber, checkObject, checkOneOf } from '../util/validate.ts';

/** Options of a recurrent attention model. */
export interface RamOptions {
  /** g: side of each retina patch, in cells. @default 8 */
  glimpseSize?: number;
  /** k: retina patches (scales 1, 2, 4, ...). @default 1 */
  scales?: number;
  /** C: channels of the images. @default 1 */
  channels?: number;
  /** T: glimpses per image. @default 6 */
  glimpses?: number;
  /** Hidden units of the "what" (retina) and "where" (location) layers of the glimpse network. @default 128 */
  glimpseHidden?: number;
  /** G: output of the glimpse network, the core's input. @default 256 */
  glimpseOutput?: number;
  /** H: hidden units of the core. @default 256 */
  hiddenSize?: number;
  /** Y: classes. @default 10 */
  classes?: number;
  /** The core: `'rnn_relu'` (the paper) or `'lstm'`. @default 'rnn_relu' */
  cell?: 'rnn_relu' | 'lstm';
  /** Standard deviation of the Gaussian location policy (fixed), in [-1, 1] coordinates. @default 0.1 */
  locationStd?: number;
}

/** `RamOptions` with every default resolved. */
export interface RamConfig {
  glimpseSize: number;
  scales: number;
  channels: number;
  glimpses: number;
  glimpseHidden: number;
  glimpseOutput: number;
  hiddenSize: number;
  classes: number;
  cell: 'rnn_relu' | 'lstm';
  locationStd: number;
}

/** Resolves and checks the options. @throws {EddyError} ERR_INVALID_ARG naming `options.<field>` */
export function resolveRamConfig(options: RamOptions | undefined): RamConfig {
  const o = checkObject('options', options);
  return {
    glimpseSize: checkInt('options.glimpseSize', o.glimpseSize ?? 8, 1, 256),
    scales: checkInt('options.scales', o.scales ?? 1, 1, 8),
    channels: checkInt('options.channels', o.channels ?? 1, 1, 4),
    glimpses: checkInt('options.glimpses', o.glimpses ?? 6, 1, 256),
    glimpseHidden: checkInt('options.glimpseHidden', o.glimpseHidden ?? 128, 1, 8192),
    glimpseOutput: checkInt('options.glimpseOutput', o.glimpseOutput ?? 256, 1, 8192),
    hiddenSize: checkInt('options.hiddenSize', o.hiddenSize ?? 256, 1, 8192),
    classes: checkInt('options.classes', o.classes ?? 10, 2, 65536),
    cell: checkOneOf('options.cell', o.cell ?? 'rnn_relu', ['rnn_relu', 'lstm'] as const),
    locationStd: checkNumber('options.locationStd', o.locationStd ?? 0.1, 0, 2, { min: true }),
  };
}

/** One tensor of the parameter table: PyTorch-style name, shape `[out, in]` or `[n]`, and fan-in for its init. */
export interface RamTensorSpec {
  name: string;
  shape: readonly number[];
  /** Offset in the flat buffer. */
  offset: number;
  size: number;
  /** Inputs of the layer, for the `U(-1/√fanIn, 1/√fanIn)` init of `nn.Linear`; 0 for zeros. */
  fanIn: number;
}

/** Retina values per glimpse: D = k·C·g·g. */
export function ramRetinaSize(c: RamConfig): number {
  return c.scales * c.channels * c.glimpseSize * c.glimpseSize;
}

/** Gates of the core: 1 (relu RNN) or 4 (LSTM `i, f, g, o`). */
export function ramGates(c: RamConfig): number {
  return c.cell === 'lstm' ? 4 : 1;
}

/** The core's cell kind in eddy's cells. */
export function ramCellKind(c: RamConfig): CellKind {
  return c.cell;
}

/** The parameter table, in buffer order. */
export function ramLayout(c: RamConfig): { entries: RamTensorSpec[]; size: number } {
  const D = ramRetinaSize(c);
  const Hg = c.glimpseHidden;
  const G = c.glimpseOutput;
  const H = c.hiddenSize;
  const GH = ramGates(c) * H;
  const table: [string, number[], number][] = [
    ['glimpse.rho.weight', [Hg, D], D],
    ['glimpse.rho.bias', [Hg], D],
    ['glimpse.loc.weight', [Hg, 2], 2],
    ['glimpse.loc.bias', [Hg], 2],
    ['glimpse.what.weight', [G, Hg], Hg],
    ['glimpse.what.bias', [G], Hg],
    ['glimpse.where.weight', [G, Hg], Hg],
    ['glimpse.where.bias', [G], Hg],
    ['core.weight_ih_l0', [GH, G], H],
    ['core.weight_hh_l0', [GH, H], H],
    ['core.bias_ih_l0', [GH], H],
    ['core.bias_hh_l0', [GH], H],
    ['location.weight', [2, H], H],
    ['location.bias', [2], 0],
    ['baseline.weight', [1, H], H],
    ['baseline.bias', [1], 0],
    ['action.weight', [c.classes, H], H],
    ['action.bias', [c.classes], H],
  ];
  let offset = 0;
  const entries = table.map(([name, shape, fanIn]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const e = { name, shape, offset, size, fanIn };
    offset += size;
    return e;
  });
  return { entries, size: offset };
}
