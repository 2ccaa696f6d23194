/**
 * The cell kernel a model steps with on a given backend: the backend's fused pointwise step
 * (`Backend.cellForward` / `cellBackward`) when it declares one, otherwise (or when it returns false) the
 * TypeScript cell itself, which stays the reference the fused kernels are checked against.
 *
 * @example
 * const cell = backendCell(cellFor('lstm'), backend); // === lstmCell on jsBackend
 */
import type { Backend } from '../tensor/backend.ts';
import type { CellKernel } from './cellKernel.ts';

/** `cell` with its forward and backward routed to the backend's fused kernels where it has them. */
export function backendCell(cell: CellKernel, be: Backend): CellKernel {
  const fusedForward = be.cellForward,
    fusedBackward = be.cellBackward;
  if (!fusedForward && !fusedBackward) return cell;
  const { kind } = cell;
  // explicit parameters, not rest arguments: these run once per time step and must not allocate
  const forward: CellKernel['forward'] = fusedForward
    ? (
        h,
        hOff,
        c,
        cOff,
        act,
        actOff,
        aux,
        auxOff,
        gx,
        gxOff,
        gh,
        ghOff,
        hPrev,
        hpOff,
        cPrev,
        cpOff,
        bhh,
        bOff,
        B,
        H,
      ) => {
        if (
          !fusedForward.call(
            be,
            kind,
            h,
            hOff,
            c,
            cOff,
            act,
            actOff,
            aux,
            auxOff,
            gx,
            gxOff,
            gh,
            ghOff,
            hPrev,
            hpOff,
            cPrev,
            cpOff,
            bhh,
            bOff,
            B,
            H,
          )
        ) {
          cell.forward(
            h,
            hOff,
            c,
            cOff,
            act,
            actOff,
            aux,
            auxOff,
            gx,
            gxOff,
            gh,
            ghOff,
            hPrev,
            hpOff,
            cPrev,
            cpOff,
            bhh,
            bOff,
            B,
            H,
          );
        }
      }
    : cell.forward;
  const backward: CellKernel['backward'] = fusedBackward
    ? (
        dgx,
        dgxOff,
        dgh,
        dghOff,
        dhPrev,
        dhpOff,
        dcPrev,
        dcpOff,
        dh,
        dhOff,
        dc,
        dcOff,
        act,
        actOff,
        aux,
        auxOff,
        hPrev,
        hpOff,
        cPrev,
        cpOff,
        B,
        H,
      ) => {
        if (
          !fusedBackward.call(
            be,
            kind,
            dgx,
            dgxOff,
            dgh,
            dghOff,
            dhPrev,
            dhpOff,
            dcPrev,
            dcpOff,
            dh,
            dhOff,
            dc,
            dcOff,
            act,
            actOff,
            aux,
            auxOff,
            hPrev,
            hpOff,
            cPrev,
            cpOff,
            B,
            H,
          )
        ) {
          cell.backward(
            dgx,
            dgxOff,
            dgh,
            dghOff,
            dhPrev,
            dhpOff,
            dcPrev,
            dcpOff,
            dh,
            dhOff,
            dc,
            dcOff,
            act,
            actOff,
            aux,
            auxOff,
            hPrev,
            hpOff,
            cPrev,
            cpOff,
            B,
            H,
          );
        }
      }
    : cell.backward;
  return { kind, gates: cell.gates, hasCell: cell.hasCell, forward, backward };
}
