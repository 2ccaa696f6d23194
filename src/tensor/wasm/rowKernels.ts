/**
 * The row helpers around the multiplies, as WebAssembly functions generated with `FunctionBuilder` (the
 * TypeScript reference is `src/tensor/rowOps.ts`). Pointers are byte addresses, sizes element counts.
 *
 * 1. `addBiasRows(c, bias, M, N)`: `C[i, :] += bias` for each of M rows (f32x4).
 * 2. `sumRows(out, a, M, N)`: `out += Σ_i A[i, :]`, rows added in order into `out` (f32x4; the reference's order).
 * 3. `gatherColumns(out, w, bias, ids, M, N, V)`: the one-hot input projection `out[i, :] = W[:, ids[i]] + bias`
 *    for `W [N, V]`: a strided read of one column per row (scalar).
 * 4. `scatterAddColumns(w, a, ids, M, N, V)`: its gradient `W[:, ids[i]] += A[i, :]` (scalar, rows in order).
 * 5. `transposeBias(t, w, bias, N, V)`: `T[v, :] = W[:, v] + bias` for every column v, so that a gather of many
 *    rows becomes contiguous copies (`copyRows`).
 * 6. `copyRows(out, t, ids, M, N)`: `out[i, :] = T[ids[i], :]` (f32x4).
 */
import { FunctionBuilder } from './wasmEmitter.ts';
import { rowLoop } from './rowLoop.ts';

function rowBytes(f: FunctionBuilder): void {
  f.local('nb', 'i32');
  f.get('N').i32Const(2).i32Shl().set('nb');
}

function addBiasRows(): FunctionBuilder {
  const f = new FunctionBuilder('addBiasRows', ['c', 'bias', 'M', 'N']);
  rowBytes(f);
  rowLoop(f, {
    rows: 'M',
    rowBytes: 'nb',
    body: (r) =>
      r.store('c', 0, () => {
        r.load('c').load('bias');
        f.f32x4Add();
      }),
    next: () => f.inc('c', 'nb'),
  });
  return f;
}

function sumRows(): FunctionBuilder {
  const f = new FunctionBuilder('sumRows', ['out', 'a', 'M', 'N']);
  rowBytes(f);
  rowLoop(f, {
    rows: 'M',
    rowBytes: 'nb',
    body: (r) =>
      r.store('out', 0, () => {
        r.load('out').load('a');
        f.f32x4Add();
      }),
    next: () => f.inc('a', 'nb'),
  });
  return f;
}

/** Loops i < M, k < N with `p` walking down column `ids[i]` of W (stride 4·V bytes) and `q` along row i. */
function columnLoop(f: FunctionBuilder, q: string, body: () => void): void {
  for (const n of ['i', 'k', 'p', 'vb']) f.local(n, 'i32');
  f.get('V').i32Const(2).i32Shl().set('vb');
  f.while(
    () => f.get('i').get('M').i32LtS(),
    () => {
      f.get('w').get('ids').get('i').i32Const(2).i32Shl().i32Add().i32Load().i32Const(2).i32Shl().i32Add().set('p');
      f.i32Const(0).set('k');
      f.while(
        () => f.get('k').get('N').i32LtS(),
        () => {
          body();
          f.inc('p', 'vb').inc(q, 4).inc('k', 1);
        },
      );
      f.inc('i', 1);
    },
  );
}

function gatherColumns(): FunctionBuilder {
  const f = new FunctionBuilder('gatherColumns', ['out', 'w', 'bias', 'ids', 'M', 'N', 'V']);
  columnLoop(f, 'out', () => {
    f.get('out').get('p').f32Load().get('bias').get('k').i32Const(2).i32Shl().i32Add().f32Load().f32Add().f32Store();
  });
  return f;
}

function scatterAddColumns(): FunctionBuilder {
  const f = new FunctionBuilder('scatterAddColumns', ['w', 'a', 'ids', 'M', 'N', 'V']);
  columnLoop(f, 'a', () => {
    f.get('p').get('p').f32Load().get('a').f32Load().f32Add().f32Store();
  });
  return f;
}

function transposeBias(): FunctionBuilder {
  const f = new FunctionBuilder('transposeBias', ['t', 'w', 'bias', 'N', 'V']);
  for (const n of ['v', 'k', 'p', 'vb', 'nb']) f.local(n, 'i32');
  f.get('V').i32Const(2).i32Shl().set('vb');
  f.get('N').i32Const(2).i32Shl().set('nb');
  f.while(
    () => f.get('v').get('V').i32LtS(),
    () => {
      f.get('w').get('v').i32Const(2).i32Shl().i32Add().set('p');
      f.i32Const(0).set('k');
      f.while(
        () => f.get('k').get('nb').i32LtS(),
        () => {
          f.get('t').get('k').i32Add();
          f.get('p').f32Load().get('bias').get('k').i32Add().f32Load().f32Add().f32Store();
          f.inc('p', 'vb').inc('k', 4);
        },
      );
      f.inc('t', 'nb').inc('v', 1);
    },
  );
  return f;
}

function copyRows(): FunctionBuilder {
  const f = new FunctionBuilder('copyRows', ['out', 't', 'ids', 'M', 'N']);
  f.local('src', 'i32');
  rowBytes(f);
  rowLoop(f, {
    rows: 'M',
    rowBytes: 'nb',
    start: () => f.get('t').get('ids').i32Load().get('nb').i32Mul().i32Add().set('src'),
    body: (r) => r.store('out', 0, () => r.load('src')),
    next: () => f.inc('out', 'nb').inc('ids', 4),
  });
  return f;
}

/** The row helper functions. */
export function rowFunctions(): FunctionBuilder[] {
  return [addBiasRows(), sumRows(), gatherColumns(), scatterAddColumns(), transposeBias(), copyRows()];
}
