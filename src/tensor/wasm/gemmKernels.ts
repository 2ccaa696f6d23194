/**
 * Generates the WebAssembly SIMD gemm kernels with `FunctionBuilder`. All pointers and leading dimensions are
 * byte addresses in the backend's memory; sizes are element counts. The module exports:
 *
 * 1. `packA(mc, kc, a, rs, cs, dst)`: copies A(i, p) at `a + i·rs + p·cs` (i < mc, p < kc) into slivers of MR
 *    rows, each `[kc][MR]`, zero-padding the last sliver. Any layout (A or Aᵀ) packs the same way.
 * 2. `packB(kc, nc, b, rs, cs, dst)`: B(p, j) at `b + p·rs + j·cs` into slivers of NR columns, each `[kc][NR]`.
 * 3. `gebp(mc, nc, kc, ap, ajs, ak, bp, bjs, bk, c, ldc, acc, tmp)`: C[mc, nc] (+)= A · B over slivers: the A
 *    sliver of rows i starts at `ap + i·ajs` and steps `ak` bytes per k (its MR values contiguous); the B sliver of
 *    columns j at `bp + j·bjs`, stepping `bk` (NR values contiguous). Packed panels and B read in place are both
 *    such slivers. One MR×NR register tile at a time (MR·NR/4 v128 accumulators); a tile that sticks out of C is
 *    computed whole (the lanes past the edge read neighbouring memory and are dropped), goes through `tmp` and is
 *    copied element-wise.
 * 4. `dotNT(m, n, k, a, lda, b, ldb, c, ldc, acc)`: C[i, j] (+)= A[i, :] · B[j, :] without packing, for any m
 *    (from streaming steps to whole-window projections): dot products along contiguous rows, 2×4 tiles of C (1×4 for a single row)
 *    whose f32x4 partial sums are reduced by a shuffle transpose into one vector.
 * 5. `blocked(M, N, K, a, rsA, csA, b, rsB, csB, c, ldc, acc, ap, bp, tmp, inPlaceB)`: the cache-blocked loops
 *    around 1-3 for any layout of A and B (NN and TN), with its own pack buffers, so each thread runs its part.
 *
 * Any m, n, k work: loops over rows and columns end with smaller tiles, and the vector loop over k of `dotNT`
 * ends with a scalar tail. Inner loops are not unrolled: on Node 20's V8 unrolling measured 25-40% slower.
 */
import { FunctionBuilder, emitModule } from './wasmEmitter.ts';

/** Rows of C per register tile of `gebp` (A sliver width). */
export const MR = 4;
/** Columns of C per register tile of `gebp` (B sliver width, a multiple of 4). */
export const NR = 8;

/** Options of the generated module. */
export interface GemmModuleOptions {
  /** Use relaxed-SIMD `f32x4.relaxed_madd` (fused multiply-add) instead of `mul` + `add`. @default false */
  relaxed?: boolean;
  /** Vectors of k per iteration of the `dotNT` inner loop (unrolling measured slower on Node 20's V8). @default 1 */
  dotUnroll?: number;
  /** Rows of the `gebp` register tile (and A sliver width). @default MR */
  mr?: number;
  /** Columns of the `gebp` register tile (and B sliver width, a multiple of 4). @default NR */
  nr?: number;
  /** Import the memory as shared (for worker threads). @default false */
  shared?: boolean;
}

/** `acc += x · y` on v128 locals. */
function madd(f: FunctionBuilder, relaxed: boolean, acc: string, x: string, y: string): void {
  if (relaxed) f.get(x).get(y).get(acc).f32x4RelaxedMadd().set(acc);
  else f.get(acc).get(x).get(y).f32x4Mul().f32x4Add().set(acc);
}

/** `rows = min(limit, total - start)` */
function clampTo(f: FunctionBuilder, dst: string, total: string, start: string, limit: number): void {
  f.get(total).get(start).i32Sub().set(dst);
  f.get(dst)
    .i32Const(limit)
    .i32GtS()
    .if(() => f.i32Const(limit).set(dst));
}

/** `packA`: slivers of MR rows; full slivers with rs = 4 (the Aᵀ layout of gemmTN) copy one v128 per k. */
function packA(MR: number): FunctionBuilder {
  const f = new FunctionBuilder('packA', ['mc', 'kc', 'a', 'rs', 'cs', 'dst']);
  for (const n of ['i', 'p', 'r', 'rows', 'src']) f.local(n, 'i32');
  f.while(
    () => f.get('i').get('mc').i32LtS(),
    () => {
      clampTo(f, 'rows', 'mc', 'i', MR);
      f.get('a').get('i').get('rs').i32Mul().i32Add().set('src');
      f.i32Const(0).set('p');
      // fast path: a full sliver whose MR values per k are contiguous
      f.get('rows')
        .i32Const(MR)
        .i32Ne()
        .get('rs')
        .i32Const(4)
        .i32Ne()
        .i32Add()
        .i32Eqz()
        .if(
          () => {
            f.while(
              () => f.get('p').get('kc').i32LtS(),
              () => {
                f.get('dst').get('src').v128Load().v128Store();
                f.inc('dst', 4 * MR)
                  .inc('src', 'cs')
                  .inc('p', 1);
              },
            );
          },
          () => {
            f.while(
              () => f.get('p').get('kc').i32LtS(),
              () => {
                f.i32Const(0).set('r');
                f.while(
                  () => f.get('r').get('rows').i32LtS(),
                  () => {
                    f.get('dst').get('r').i32Const(2).i32Shl().i32Add();
                    f.get('src').get('r').get('rs').i32Mul().i32Add().f32Load().f32Store();
                    f.inc('r', 1);
                  },
                );
                f.while(
                  () => f.get('r').i32Const(MR).i32LtS(),
                  () => {
                    f.get('dst').get('r').i32Const(2).i32Shl().i32Add().f32Const(0).f32Store();
                    f.inc('r', 1);
                  },
                );
                f.inc('dst', 4 * MR)
                  .inc('src', 'cs')
                  .inc('p', 1);
              },
            );
          },
        );
      f.inc('i', MR);
    },
  );
  return f;
}

/** `packB`: slivers of NR columns; full slivers with cs = 4 (the B layout of gemmNN/TN) copy NR/4 v128 per k. */
function packB(NR: number): FunctionBuilder {
  const f = new FunctionBuilder('packB', ['kc', 'nc', 'b', 'rs', 'cs', 'dst']);
  for (const n of ['j', 'p', 'e', 'cols', 'src']) f.local(n, 'i32');
  f.while(
    () => f.get('j').get('nc').i32LtS(),
    () => {
      clampTo(f, 'cols', 'nc', 'j', NR);
      f.get('b').get('j').get('cs').i32Mul().i32Add().set('src');
      f.i32Const(0).set('p');
      f.get('cols')
        .i32Const(NR)
        .i32Ne()
        .get('cs')
        .i32Const(4)
        .i32Ne()
        .i32Add()
        .i32Eqz()
        .if(
          () => {
            f.while(
              () => f.get('p').get('kc').i32LtS(),
              () => {
                for (let v = 0; v < NR / 4; v++)
                  f.get('dst')
                    .get('src')
                    .v128Load(16 * v)
                    .v128Store(16 * v);
                f.inc('dst', 4 * NR)
                  .inc('src', 'rs')
                  .inc('p', 1);
              },
            );
          },
          () => {
            f.while(
              () => f.get('p').get('kc').i32LtS(),
              () => {
                f.i32Const(0).set('e');
                f.while(
                  () => f.get('e').get('cols').i32LtS(),
                  () => {
                    f.get('dst').get('e').i32Const(2).i32Shl().i32Add();
                    f.get('src').get('e').get('cs').i32Mul().i32Add().f32Load().f32Store();
                    f.inc('e', 1);
                  },
                );
                f.while(
                  () => f.get('e').i32Const(NR).i32LtS(),
                  () => {
                    f.get('dst').get('e').i32Const(2).i32Shl().i32Add().f32Const(0).f32Store();
                    f.inc('e', 1);
                  },
                );
                f.inc('dst', 4 * NR)
                  .inc('src', 'rs')
                  .inc('p', 1);
              },
            );
          },
        );
      f.inc('j', NR);
    },
  );
  return f;
}

/** `gebp`: the register-tiled multiply of packed panels (BLIS order: B slivers outer, A slivers inner). */
function gebp(relaxed: boolean, MR: number, NR: number): FunctionBuilder {
  const f = new FunctionBuilder('gebp', [
    'mc',
    'nc',
    'kc',
    'ap',
    'ajs',
    'ak',
    'bp',
    'bjs',
    'bk',
    'c',
    'ldc',
    'acc',
    'tmp',
  ]);
  for (const n of ['i', 'j', 'pa', 'pb', 'q', 'ct', 'cr', 'rows', 'cols', 'r', 'e']) f.local(n, 'i32');
  const NV = NR / 4;
  const accs: string[][] = [];
  for (let r = 0; r < MR; r++) accs.push(Array.from({ length: NV }, (_, v) => f.local(`c${r}_${v}`, 'v128')));
  const bs = Array.from({ length: NV }, (_, v) => f.local(`b${v}`, 'v128'));
  f.local('av', 'v128');
  f.local('sv', 'f32');
  /** One step of k: NV loads of B, MR broadcasts of A, MR·NV multiply-adds (unrolling measured slower on V8 11). */
  const body = (): void => {
    for (let v = 0; v < NV; v++)
      f.get('pb')
        .v128Load(16 * v)
        .set(bs[v]);
    for (let r = 0; r < MR; r++) {
      f.get('pa')
        .v128Load32Splat(4 * r)
        .set('av');
      for (let v = 0; v < NV; v++) madd(f, relaxed, accs[r][v], 'av', bs[v]);
    }
    f.inc('pa', 'ak').inc('pb', 'bk');
  };
  f.while(
    () => f.get('j').get('nc').i32LtS(),
    () => {
      clampTo(f, 'cols', 'nc', 'j', NR);
      f.i32Const(0).set('i');
      f.while(
        () => f.get('i').get('mc').i32LtS(),
        () => {
          clampTo(f, 'rows', 'mc', 'i', MR);
          f.get('ap').get('i').get('ajs').i32Mul().i32Add().set('pa');
          f.get('bp').get('j').get('bjs').i32Mul().i32Add().set('pb');
          for (const row of accs) for (const a of row) f.v128Zero().set(a);
          f.get('kc').set('q');
          f.while(
            () => f.get('q').i32Const(0).i32GtS(),
            () => {
              body();
              f.inc('q', -1);
            },
          );
          f.get('c').get('i').get('ldc').i32Mul().i32Add().get('j').i32Const(2).i32Shl().i32Add().set('ct');
          f.get('rows')
            .i32Const(MR)
            .i32Ne()
            .get('cols')
            .i32Const(NR)
            .i32Ne()
            .i32Add()
            .i32Eqz()
            .if(
              () => {
                // a full tile straight into C
                const write = (add: boolean): void => {
                  f.get('ct').set('cr');
                  for (let r = 0; r < MR; r++) {
                    for (let v = 0; v < NV; v++) {
                      f.get('cr');
                      if (add)
                        f.get('cr')
                          .v128Load(16 * v)
                          .get(accs[r][v])
                          .f32x4Add();
                      else f.get(accs[r][v]);
                      f.v128Store(16 * v);
                    }
                    f.inc('cr', 'ldc');
                  }
                };
                f.get('acc').if(
                  () => write(true),
                  () => write(false),
                );
              },
              () => {
                // an edge tile: through tmp [MR][NR], then the rows × cols that exist
                for (let r = 0; r < MR; r++)
                  for (let v = 0; v < NV; v++)
                    f.get('tmp')
                      .get(accs[r][v])
                      .v128Store(4 * (r * NR + 4 * v));
                f.i32Const(0).set('r');
                f.get('ct').set('cr');
                f.while(
                  () => f.get('r').get('rows').i32LtS(),
                  () => {
                    f.i32Const(0).set('e');
                    f.while(
                      () => f.get('e').get('cols').i32LtS(),
                      () => {
                        f.get('tmp')
                          .get('r')
                          .i32Const(NR)
                          .i32Mul()
                          .get('e')
                          .i32Add()
                          .i32Const(2)
                          .i32Shl()
                          .i32Add()
                          .f32Load()
                          .set('sv');
                        f.get('acc').if(() => {
                          f.get('sv').get('cr').get('e').i32Const(2).i32Shl().i32Add().f32Load().f32Add().set('sv');
                        });
                        f.get('cr').get('e').i32Const(2).i32Shl().i32Add().get('sv').f32Store();
                        f.inc('e', 1);
                      },
                    );
                    f.inc('cr', 'ldc').inc('r', 1);
                  },
                );
              },
            );
          f.inc('i', MR);
        },
      );
      f.inc('j', NR);
    },
  );
  return f;
}

/** Sum of the four lanes of a v128 local, pushed as f32. */
function laneSum(f: FunctionBuilder, v: string): void {
  f.get(v).f32x4ExtractLane(0).get(v).f32x4ExtractLane(1).f32Add();
  f.get(v).f32x4ExtractLane(2).get(v).f32x4ExtractLane(3).f32Add().f32Add();
}

/** Pushes `[Σ x0, Σ x1, Σ x2, Σ x3]` of four v128 locals (a 4×4 transpose folded into adds). */
function hsum4(f: FunctionBuilder, x: readonly string[]): void {
  const half = (p: string, q: string): void => {
    f.get(p).get(q).f32x4Shuffle(0, 4, 1, 5).get(p).get(q).f32x4Shuffle(2, 6, 3, 7).f32x4Add();
  };
  half(x[0], x[1]);
  f.set('u01');
  half(x[2], x[3]);
  f.set('u23');
  f.get('u01').get('u23').f32x4Shuffle(0, 1, 4, 5).get('u01').get('u23').f32x4Shuffle(2, 3, 6, 7).f32x4Add();
}

/** `dotNT`: C[i, j] (+)= A[i, :] · B[j, :] by dot products along k. */
function dotNT(relaxed: boolean, unroll: number): FunctionBuilder {
  const f = new FunctionBuilder('dotNT', ['m', 'n', 'k', 'a', 'lda', 'b', 'ldb', 'c', 'ldc', 'acc']);
  for (const n of ['i', 'j', 'q', 't', 'kv', 'kt', 'cp']) f.local(n, 'i32');
  const RM = 2;
  const CM = 4;
  const pa = Array.from({ length: RM }, (_, r) => f.local(`pa${r}`, 'i32'));
  const pb = Array.from({ length: CM }, (_, c) => f.local(`pb${c}`, 'i32'));
  const acc = Array.from({ length: RM }, (_, r) => Array.from({ length: CM }, (_, c) => f.local(`s${r}_${c}`, 'v128')));
  const av = Array.from({ length: RM }, (_, r) => f.local(`av${r}`, 'v128'));
  const sums = Array.from({ length: RM }, (_, r) =>
    Array.from({ length: CM / 4 }, (_, g) => f.local(`v${r}_${g}`, 'v128')),
  );
  const bg = Array.from({ length: CM / 4 }, (_, g) => f.local(`bg${g}`, 'v128'));
  for (const n of ['bv', 'u01', 'u23']) f.local(n, 'v128');
  const fs = Array.from({ length: RM }, (_, r) => f.local(`fs${r}`, 'f32'));
  f.get('k').i32Const(2).i32Shl().i32Const(-16).i32And().set('kv'); // bytes of whole vectors of k
  f.get('k').i32Const(3).i32And().set('kt');

  const tile = (R: number, C: number): void => {
    for (let r = 0; r < R; r++) f.get('a').get('i').i32Const(r).i32Add().get('lda').i32Mul().i32Add().set(pa[r]);
    for (let c = 0; c < C; c++) f.get('b').get('j').i32Const(c).i32Add().get('ldb').i32Mul().i32Add().set(pb[c]);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) f.v128Zero().set(acc[r][c]);
    const body = (U: number): void => {
      for (let u = 0; u < U; u++) {
        for (let r = 0; r < R; r++)
          f.get(pa[r])
            .v128Load(16 * u)
            .set(av[r]);
        for (let c = 0; c < C; c++) {
          f.get(pb[c])
            .v128Load(16 * u)
            .set('bv');
          for (let r = 0; r < R; r++) madd(f, relaxed, acc[r][c], av[r], 'bv');
        }
      }
      for (let r = 0; r < R; r++) f.inc(pa[r], 16 * U);
      for (let c = 0; c < C; c++) f.inc(pb[c], 16 * U);
    };
    f.get('kv').set('q');
    f.while(
      () =>
        f
          .get('q')
          .i32Const(16 * unroll)
          .i32GeS(),
      () => {
        body(unroll);
        f.inc('q', -16 * unroll);
      },
    );
    f.while(
      () => f.get('q').i32Const(0).i32GtS(),
      () => {
        body(1);
        f.inc('q', -16);
      },
    );
    f.get('kt').set('t');
    if (C >= 4) {
      for (let r = 0; r < R; r++)
        for (let g = 0; g < C / 4; g++) {
          hsum4(f, acc[r].slice(4 * g, 4 * g + 4));
          f.set(sums[r][g]);
        }
      // the last k % 4 terms: gather B's four columns into one vector
      f.while(
        () => f.get('t').i32Const(0).i32GtS(),
        () => {
          for (let g = 0; g < C / 4; g++) {
            f.get(pb[4 * g]).v128Load32Splat();
            for (let l = 1; l < 4; l++)
              f.get(pb[4 * g + l])
                .f32Load()
                .f32x4ReplaceLane(l);
            f.set(bg[g]);
          }
          for (let r = 0; r < R; r++) {
            f.get(pa[r]).v128Load32Splat().set(av[r]);
            for (let g = 0; g < C / 4; g++) madd(f, relaxed, sums[r][g], av[r], bg[g]);
          }
          for (let r = 0; r < R; r++) f.inc(pa[r], 4);
          for (let c = 0; c < C; c++) f.inc(pb[c], 4);
          f.inc('t', -1);
        },
      );
      for (let r = 0; r < R; r++) {
        f.get('c')
          .get('i')
          .i32Const(r)
          .i32Add()
          .get('ldc')
          .i32Mul()
          .i32Add()
          .get('j')
          .i32Const(2)
          .i32Shl()
          .i32Add()
          .set('cp');
        f.get('acc').if(
          () => {
            for (let g = 0; g < C / 4; g++)
              f.get('cp')
                .get('cp')
                .v128Load(16 * g)
                .get(sums[r][g])
                .f32x4Add()
                .v128Store(16 * g);
          },
          () => {
            for (let g = 0; g < C / 4; g++)
              f.get('cp')
                .get(sums[r][g])
                .v128Store(16 * g);
          },
        );
      }
    } else {
      for (let r = 0; r < R; r++) {
        laneSum(f, acc[r][0]);
        f.set(fs[r]);
      }
      f.while(
        () => f.get('t').i32Const(0).i32GtS(),
        () => {
          for (let r = 0; r < R; r++) {
            f.get(fs[r]).get(pa[r]).f32Load().get(pb[0]).f32Load().f32Mul().f32Add().set(fs[r]);
            f.inc(pa[r], 4);
          }
          f.inc(pb[0], 4).inc('t', -1);
        },
      );
      for (let r = 0; r < R; r++) {
        f.get('c')
          .get('i')
          .i32Const(r)
          .i32Add()
          .get('ldc')
          .i32Mul()
          .i32Add()
          .get('j')
          .i32Const(2)
          .i32Shl()
          .i32Add()
          .set('cp');
        f.get('acc').if(() => {
          f.get(fs[r]).get('cp').f32Load().f32Add().set(fs[r]);
        });
        f.get('cp').get(fs[r]).f32Store();
      }
    }
  };
  /** The column loop for R rows starting at i: tiles of `widths`, widest first. */
  const columns = (R: number, widths: readonly number[]): void => {
    f.i32Const(0).set('j');
    for (const C of widths) {
      f.while(
        () => f.get('j').i32Const(C).i32Add().get('n').i32LeS(),
        () => {
          tile(R, C);
          f.inc('j', C);
        },
      );
    }
  };
  f.while(
    () => f.get('i').i32Const(RM).i32Add().get('m').i32LeS(),
    () => {
      columns(RM, [4, 1]);
      f.inc('i', RM);
    },
  );
  f.while(
    () => f.get('i').get('m').i32LtS(),
    () => {
      columns(1, [4, 1]);
      f.inc('i', 1);
    },
  );
  return f;
}

/** Cache blocking of `blocked`: A panels MC×KC (128 KiB, L2), B panels KC×NC (1 MiB; one KC×NR sliver, 8 KiB, stays in L1). */
export const MC = 128;
export const KC = 256;
export const NC = 1024;

/**
 * `blocked(M, N, K, a, rsA, csA, b, rsB, csB, c, ldc, acc, ap, bp, tmp, inPlaceB)`: C(i, j) (+)= Σp A(i, p)·B(p, j)
 * with A(i, p) at `a + i·rsA + p·csA`, B(p, j) at `b + p·rsB + j·csB` (bytes), C rows `ldc` bytes apart: the loops
 * over NC columns, KC depths and MC rows around `packA` / `packB` / `gebp` (functions 0, 1, 2 of the module), with
 * pack buffers at `ap`, `bp` and the edge tile at `tmp` (one set per thread). With `inPlaceB`, B is read in place
 * as slivers (contiguous rows, `csB` = 4) instead of being packed.
 */
function blocked(MR: number, NR: number): FunctionBuilder {
  const f = new FunctionBuilder('blocked', [
    'M',
    'N',
    'K',
    'a',
    'rsA',
    'csA',
    'b',
    'rsB',
    'csB',
    'c',
    'ldc',
    'acc',
    'ap',
    'bp',
    'tmp',
    'inPlaceB',
  ]);
  for (const n of ['jc', 'nc', 'pc', 'kc', 'ic', 'mc', 'bSrc', 'accK', 'bPtr', 'bjs', 'bk']) f.local(n, 'i32');
  f.while(
    () => f.get('jc').get('N').i32LtS(),
    () => {
      clampTo(f, 'nc', 'N', 'jc', NC);
      f.i32Const(0).set('pc');
      f.while(
        () => f.get('pc').get('K').i32LtS(),
        () => {
          clampTo(f, 'kc', 'K', 'pc', KC);
          f.get('b').get('pc').get('rsB').i32Mul().i32Add().get('jc').get('csB').i32Mul().i32Add().set('bSrc');
          f.get('inPlaceB').if(
            () => {
              f.get('bSrc').set('bPtr').i32Const(4).set('bjs').get('rsB').set('bk');
            },
            () => {
              f.get('kc').get('nc').get('bSrc').get('rsB').get('csB').get('bp').call(1);
              f.get('bp')
                .set('bPtr')
                .get('kc')
                .i32Const(2)
                .i32Shl()
                .set('bjs')
                .i32Const(4 * NR)
                .set('bk');
            },
          );
          // later depth panels add to what the first wrote
          f.get('acc').get('pc').i32Const(0).i32GtS().i32Add().i32Const(0).i32Ne().set('accK');
          f.i32Const(0).set('ic');
          f.while(
            () => f.get('ic').get('M').i32LtS(),
            () => {
              clampTo(f, 'mc', 'M', 'ic', MC);
              f.get('mc')
                .get('kc')
                .get('a')
                .get('ic')
                .get('rsA')
                .i32Mul()
                .i32Add()
                .get('pc')
                .get('csA')
                .i32Mul()
                .i32Add()
                .get('rsA')
                .get('csA')
                .get('ap')
                .call(0);
              f.get('mc')
                .get('nc')
                .get('kc')
                .get('ap')
                .get('kc')
                .i32Const(2)
                .i32Shl()
                .i32Const(4 * MR)
                .get('bPtr')
                .get('bjs')
                .get('bk');
              f.get('c')
                .get('ic')
                .get('ldc')
                .i32Mul()
                .i32Add()
                .get('jc')
                .i32Const(2)
                .i32Shl()
                .i32Add()
                .get('ldc')
                .get('accK')
                .get('tmp')
                .call(2);
              f.inc('ic', MC);
            },
          );
          f.inc('pc', KC);
        },
      );
      f.inc('jc', NC);
    },
  );
  return f;
}

/** The module bytes: `packA`, `packB`, `gebp`, `dotNT`, `blocked` over an imported `env.memory` (shared when asked). */
export function gemmModuleBytes(options: GemmModuleOptions = {}): Uint8Array {
  const relaxed = options.relaxed ?? false;
  const mr = options.mr ?? MR,
    nr = options.nr ?? NR;
  return emitModule(
    [packA(mr), packB(nr), gebp(relaxed, mr, nr), dotNT(relaxed, options.dotUnroll ?? 1), blocked(mr, nr)],
    { shared: options.shared ?? false },
  );
}

/** A one-instruction SIMD module (`f32x4.splat`), or relaxed-SIMD (`relaxed_madd`), for feature detection. */
export function probeBytes(relaxed: boolean): Uint8Array {
  const f = new FunctionBuilder('probe', ['p']);
  f.get('p').f32Const(1).f32x4Splat();
  if (relaxed) f.f32Const(1).f32x4Splat().f32Const(1).f32x4Splat().f32x4RelaxedMadd();
  f.v128Store();
  return emitModule([f]);
}
