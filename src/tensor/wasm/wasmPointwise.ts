/**
 * The wasm backend's optional pointwise methods (`Backend.cellForward`, `cellBackward`, `addBiasRows`, `sumRows`,
 * `gatherColumns`, `scatterAddColumns`) over the generated kernels of `cellKernels.ts` and `rowKernels.ts`.
 *
 * 1. Shapes are guarded at entry, like the gemms: an offset past an array would otherwise read a neighbour.
 * 2. The arguments a kind touches are placed by `ArgStaging` (views of the memory in place, others copied). When
 *    staging does not fit (`whenFull: 'heap'`) the row methods run the TypeScript reference loops of `rowOps.ts`,
 *    and the cell methods return false so that the caller runs the TypeScript cell: any array works.
 * 3. The one-hot gather of many rows first builds `T [V, N] = Wᵀ + bias` in scratch and copies rows of it (f32x4),
 *    when that costs less than reading columns (V < M) and T is small; its gradient walks columns in order. A
 *    native gather (the addon's, blocked so that W's columns are read from L1) is used directly, without T.
 */
import type { Backend, CellKind } from '../backend.ts';
import { shapeError } from '../../util/errors.ts';
import { addBiasRows, gatherColumns, scatterAddColumns, sumRows } from '../rowOps.ts';
import { jsBackend } from '../jsBackend.ts';
import type { ArgStaging } from './argStaging.ts';

/** The methods, all present. */
export type PointwiseMethods = Required<
  Pick<Backend, 'cellForward' | 'cellBackward' | 'addBiasRows' | 'sumRows' | 'gatherColumns' | 'scatterAddColumns'>
>;

/** Largest `T [V, N]` table the gather builds in scratch (bytes). */
const TABLE_BYTES = 4 * 2 ** 20;

type Fn = (...args: number[]) => void;

function isCount(x: number): boolean {
  return Number.isInteger(x) && x >= 0;
}

/** Throws a shape error unless `X[off, off + len)` exists. */
function guard(op: string, name: string, X: ArrayLike<number>, off: number, len: number): void {
  if (!isCount(off) || off + len > X.length)
    throw shapeError(`${op} ${name}`, `of at least ${off} + ${len} elements`, `length ${X.length}`);
}

/** Throws a shape error unless the sizes are counts (separate arguments: this runs every time step). */
function guardSizes(op: string, names: string, a: number, b: number, c?: number): void {
  if (!isCount(a) || !isCount(b) || (c !== undefined && !isCount(c))) {
    throw shapeError(
      `${op} sizes`,
      `non-negative integers ${names}`,
      c === undefined ? `${a}, ${b}` : `${a}, ${b}, ${c}`,
    );
  }
}

/** A backend without the optional methods: through it `rowOps` runs its reference loops (the fallback). */
const reference: Backend = jsBackend;

/** Gates per hidden unit of each cell kind. */
const GATES: Readonly<Record<CellKind, number>> = { lstm: 4, gru: 3, rnn_tanh: 1, rnn_relu: 1 };

/**
 * The pointwise methods over one instance of the pointwise module.
 * @param exports the instance's exports (`cellFunctions`, `rowFunctions`)
 * @param directGather `exports.gatherColumns` is a native kernel that reads columns fast: never build the table
 */
export function wasmPointwise(
  exports: Record<string, unknown>,
  staging: ArgStaging,
  directGather = false,
): PointwiseMethods {
  const fn = (name: string): Fn => exports[name] as Fn;
  const k = {
    lstmForward: fn('lstmForward'),
    lstmBackward: fn('lstmBackward'),
    gruForward: fn('gruForward'),
    gruBackward: fn('gruBackward'),
    rnnTanhForward: fn('rnnTanhForward'),
    rnnReluForward: fn('rnnReluForward'),
    rnnTanhBackward: fn('rnnTanhBackward'),
    rnnReluBackward: fn('rnnReluBackward'),
    addBiasRows: fn('addBiasRows'),
    sumRows: fn('sumRows'),
    gatherColumns: fn('gatherColumns'),
    scatterAddColumns: fn('scatterAddColumns'),
    transposeBias: fn('transposeBias'),
    copyRows: fn('copyRows'),
  };
  const st = staging;
  /** Registers an argument after guarding it. */
  const arg = (
    op: string,
    name: string,
    X: Float32Array | Int32Array,
    off: number,
    len: number,
    written: boolean,
  ): number => {
    guard(op, name, X, off, len);
    return st.arg(X, off, len, written);
  };
  const addr = (i: number): number => st.addr(i);

  return {
    cellForward(
      kind: CellKind,
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
    ) {
      const op = 'cellForward';
      guardSizes(op, 'B, H', B, H);
      const G = GATES[kind];
      const n = B * H,
        gn = B * G * H;
      if (n === 0) return true;
      st.begin();
      const ih = arg(op, 'h', h, hOff, n, true);
      const iAct = arg(op, 'act', act, actOff, gn, true);
      const iGx = arg(op, 'gx', gx, gxOff, gn, false);
      const iGh = arg(op, 'gh', gh, ghOff, gn, false);
      const iB = arg(op, 'bhh', bhh, bOff, G * H, false);
      const ic = kind === 'lstm' ? arg(op, 'c', c, cOff, n, true) : -1;
      const iCp = kind === 'lstm' ? arg(op, 'cPrev', cPrev, cpOff, n, false) : -1;
      const iAux = kind === 'lstm' || kind === 'gru' ? arg(op, 'aux', aux, auxOff, n, true) : -1;
      const iHp = kind === 'gru' ? arg(op, 'hPrev', hPrev, hpOff, n, false) : -1;
      if (!st.place(0)) return false;
      const a = addr;
      if (kind === 'lstm') k.lstmForward(a(ih), a(ic), a(iAct), a(iAux), a(iGx), a(iGh), a(iCp), a(iB), B, H);
      else if (kind === 'gru') k.gruForward(a(ih), a(iAct), a(iAux), a(iGx), a(iGh), a(iHp), a(iB), B, H);
      else (kind === 'rnn_relu' ? k.rnnReluForward : k.rnnTanhForward)(a(ih), a(iAct), a(iGx), a(iGh), a(iB), B, H);
      st.finish();
      return true;
    },

    cellBackward(
      kind: CellKind,
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
    ) {
      const op = 'cellBackward';
      guardSizes(op, 'B, H', B, H);
      const G = GATES[kind];
      const n = B * H,
        gn = B * G * H;
      if (n === 0) return true;
      st.begin();
      const iDgx = arg(op, 'dgx', dgx, dgxOff, gn, true);
      const iDgh = arg(op, 'dgh', dgh, dghOff, gn, true);
      const iDhp = arg(op, 'dhPrev', dhPrev, dhpOff, n, true);
      const iDh = arg(op, 'dh', dh, dhOff, n, false);
      const iAct = arg(op, 'act', act, actOff, gn, false);
      const iDcp = kind === 'lstm' ? arg(op, 'dcPrev', dcPrev, dcpOff, n, true) : -1;
      const iDc = kind === 'lstm' ? arg(op, 'dc', dc, dcOff, n, false) : -1;
      const iCp = kind === 'lstm' ? arg(op, 'cPrev', cPrev, cpOff, n, false) : -1;
      const iAux = kind === 'lstm' || kind === 'gru' ? arg(op, 'aux', aux, auxOff, n, false) : -1;
      const iHp = kind === 'gru' ? arg(op, 'hPrev', hPrev, hpOff, n, false) : -1;
      if (!st.place(0)) return false;
      const a = addr;
      if (kind === 'lstm')
        k.lstmBackward(a(iDgx), a(iDgh), a(iDhp), a(iDcp), a(iDh), a(iDc), a(iAct), a(iAux), a(iCp), B, H);
      else if (kind === 'gru') k.gruBackward(a(iDgx), a(iDgh), a(iDhp), a(iDh), a(iAct), a(iAux), a(iHp), B, H);
      else
        (kind === 'rnn_relu' ? k.rnnReluBackward : k.rnnTanhBackward)(a(iDgx), a(iDgh), a(iDhp), a(iDh), a(iAct), B, H);
      st.finish();
      return true;
    },

    addBiasRows(C, cOff, bias, bOff, M, N) {
      const op = 'addBiasRows';
      guardSizes(op, 'M, N', M, N);
      if (M * N === 0) return;
      st.begin();
      const ic = arg(op, 'C', C, cOff, M * N, true);
      const ib = arg(op, 'bias', bias, bOff, N, false);
      if (!st.place(0)) return addBiasRows(reference, C, cOff, bias, bOff, M, N);
      k.addBiasRows(st.addr(ic), st.addr(ib), M, N);
      st.finish();
    },

    sumRows(out, oOff, A, aOff, M, N) {
      const op = 'sumRows';
      guardSizes(op, 'M, N', M, N);
      if (M * N === 0) return;
      st.begin();
      const io = arg(op, 'out', out, oOff, N, true);
      const ia = arg(op, 'A', A, aOff, M * N, false);
      if (!st.place(0)) return sumRows(reference, out, oOff, A, aOff, M, N);
      k.sumRows(st.addr(io), st.addr(ia), M, N);
      st.finish();
    },

    gatherColumns(out, oOff, W, wOff, bias, bOff, ids, idOff, M, N, V) {
      const op = 'gatherColumns';
      guardSizes(op, 'M, N, V', M, N, V);
      if (M * N === 0) return;
      guard(op, 'ids', ids, idOff, M);
      for (let i = 0; i < M; i++) {
        const id = ids[idOff + i];
        if (!(id >= 0 && id < V)) throw shapeError(`${op} ids[${idOff + i}]`, `in [0, ${V})`, String(id));
      }
      const tableBytes = 4 * V * N;
      const table = !directGather && V < M && tableBytes <= TABLE_BYTES;
      st.begin();
      const io = arg(op, 'out', out, oOff, M * N, true);
      const iw = arg(op, 'W', W, wOff, N * V, false);
      const ib = arg(op, 'bias', bias, bOff, N, false);
      const ii = arg(op, 'ids', ids, idOff, M, false);
      if (!st.place(table ? tableBytes : 0))
        return gatherColumns(reference, out, oOff, W, wOff, bias, bOff, ids, idOff, M, N, V);
      if (table) {
        k.transposeBias(st.scratch, st.addr(iw), st.addr(ib), N, V);
        k.copyRows(st.addr(io), st.scratch, st.addr(ii), M, N);
      } else k.gatherColumns(st.addr(io), st.addr(iw), st.addr(ib), st.addr(ii), M, N, V);
      st.finish();
    },

    scatterAddColumns(W, wOff, A, aOff, ids, idOff, M, N, V) {
      const op = 'scatterAddColumns';
      guardSizes(op, 'M, N, V', M, N, V);
      if (M * N === 0) return;
      guard(op, 'ids', ids, idOff, M);
      for (let i = 0; i < M; i++) {
        const id = ids[idOff + i];
        if (!(id >= 0 && id < V)) throw shapeError(`${op} ids[${idOff + i}]`, `in [0, ${V})`, String(id));
      }
      st.begin();
      const iw = arg(op, 'W', W, wOff, N * V, true);
      const ia = arg(op, 'A', A, aOff, M * N, false);
      const ii = arg(op, 'ids', ids, idOff, M, false);
      if (!st.place(0)) return scatterAddColumns(reference, W, wOff, A, aOff, ids, idOff, M, N, V);
      k.scatterAddColumns(st.addr(iw), st.addr(ia), st.addr(ii), M, N, V);
      st.finish();
    },
  };
}
