/** Looks up the cell kernel for a cell kind. */
import type { CellKernel, CellKind } from './cellKernel.ts';
import { lstmCell } from './lstmCell.ts';
import { gruCell } from './gruCell.ts';
import { rnnReluCell, rnnTanhCell } from './rnnCell.ts';

/** The kernel of a cell kind. */
export function cellFor(kind: CellKind): CellKernel {
  switch (kind) {
    case 'lstm':
      return lstmCell;
    case 'gru':
      return gruCell;
    case 'rnn_tanh':
      return rnnTanhCell;
    case 'rnn_relu':
      return rnnReluCell;
  }
}
