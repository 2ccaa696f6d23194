/**
 * The pointwise step of each recurrent cell, forward and backward, as WebAssembly SIMD functions generated with
 * `FunctionBuilder`: the same math, line for line, as the TypeScript reference cells (`src/cells/lstmCell.ts`,
 * `gruCell.ts`, `rnnCell.ts`), which stay the judge (`test/tensor/wasmCells.test.ts`). Pointers are byte
 * addresses in the backend's memory, sizes are element counts; rows of `[B, G·H]` buffers are G·H floats apart,
 * rows of `[B, H]` buffers H floats apart, and `bhh` is one `[G·H]` row shared by every batch row.
 *
 * Exports (outputs first, then inputs, then weights, then sizes, as the cells):
 * 1. `lstmForward(h, c, act, aux, gx, gh, cPrev, bhh, B, H)` / `lstmBackward(dgx, dgh, dhPrev, dcPrev, dh, dc, act, aux, cPrev, B, H)`
 * 2. `gruForward(h, act, aux, gx, gh, hPrev, bhh, B, H)` / `gruBackward(dgx, dgh, dhPrev, dh, act, aux, hPrev, B, H)`
 * 3. `rnnTanhForward` / `rnnReluForward(h, act, gx, gh, bhh, B, H)` and `rnnTanhBackward` / `rnnReluBackward(dgx, dgh, dhPrev, dh, act, B, H)`
 * 4. `mapExp`, `mapSigmoid`, `mapTanh(dst, src, n)`: the vector math over an array, for the accuracy tests.
 *
 * Forward may run in place (`h` = `hPrev`, `c` = `cPrev`): every element's previous value is loaded before its
 * new value is stored. `dgh` may be `dgx` (LSTM, RNN: the same values are stored twice).
 */
import { FunctionBuilder } from './wasmEmitter.ts';
import { SimdMath } from './simdMath.ts';
import { rowLoop, type Row } from './rowLoop.ts';

/** Declares v128 locals. */
function vectors(f: FunctionBuilder, names: readonly string[]): void {
  for (const n of names) f.local(n, 'v128');
}

/** Declares `hb` = 4·H (bytes of an `[H]` row) and `gb` = 4·G·H (bytes of a `[G·H]` row). */
function rowBytes(f: FunctionBuilder, gates: number): void {
  f.local('hb', 'i32');
  f.local('gb', 'i32');
  f.get('H').i32Const(2).i32Shl().set('hb');
  f.get('hb').i32Const(gates).i32Mul().set('gb');
}

/** Pushes `gx + gh + bhh` of one gate. */
function preActivation(f: FunctionBuilder, r: Row, gate: number): void {
  r.load('gx', gate).load('gh', gate);
  f.f32x4Add();
  r.load('bhh', gate);
  f.f32x4Add();
}

/** Pushes `1 - a·a` (a v128 local: tanh′ from the cached value). */
function oneMinusSquare(f: FunctionBuilder, m: SimdMath, a: string): void {
  m.splat(1);
  f.get(a).get(a).f32x4Mul().f32x4Sub();
}

/** Pushes `1 - a` (with a factor a before it, σ′ from the cached value). */
function oneMinus(f: FunctionBuilder, m: SimdMath, a: string): void {
  m.splat(1);
  f.get(a).f32x4Sub();
}

/** Pushes the product of v128 locals, left to right. */
function product(f: FunctionBuilder, ...xs: string[]): void {
  f.get(xs[0]);
  for (let k = 1; k < xs.length; k++) f.get(xs[k]).f32x4Mul();
}

function lstmForward(): FunctionBuilder {
  const f = new FunctionBuilder('lstmForward', ['h', 'c', 'act', 'aux', 'gx', 'gh', 'cPrev', 'bhh', 'B', 'H']);
  const m = new SimdMath(f);
  vectors(f, ['i', 'f', 'g', 'o', 'cv', 'tc']);
  rowBytes(f, 4);
  rowLoop(f, {
    rows: 'B',
    rowBytes: 'hb',
    gates: 4,
    body: (r) => {
      preActivation(f, r, 0);
      m.sigmoid();
      f.set('i');
      preActivation(f, r, 1);
      m.sigmoid();
      f.set('f');
      preActivation(f, r, 2);
      m.tanh();
      f.set('g');
      preActivation(f, r, 3);
      m.sigmoid();
      f.set('o');
      ['i', 'f', 'g', 'o'].forEach((a, k) => r.store('act', k, () => f.get(a)));
      // c = f ⊙ c_prev + i ⊙ g (c_prev read before c is written: they may alias)
      r.load('cPrev');
      f.get('f').f32x4Mul().get('i').get('g').f32x4Mul().f32x4Add().set('cv');
      f.get('cv');
      m.tanh();
      f.set('tc');
      r.store('c', 0, () => f.get('cv'));
      r.store('aux', 0, () => f.get('tc'));
      r.store('h', 0, () => product(f, 'o', 'tc'));
    },
    next: () => {
      for (const p of ['gx', 'gh', 'act']) f.inc(p, 'gb');
      for (const p of ['h', 'c', 'aux', 'cPrev']) f.inc(p, 'hb');
    },
  });
  return f;
}

function lstmBackward(): FunctionBuilder {
  const f = new FunctionBuilder('lstmBackward', [
    'dgx',
    'dgh',
    'dhPrev',
    'dcPrev',
    'dh',
    'dc',
    'act',
    'aux',
    'cPrev',
    'B',
    'H',
  ]);
  const m = new SimdMath(f);
  vectors(f, ['i', 'f', 'g', 'o', 'tc', 'dhv', 'dct', 'dai', 'daf', 'dag', 'dao']);
  rowBytes(f, 4);
  rowLoop(f, {
    rows: 'B',
    rowBytes: 'hb',
    gates: 4,
    body: (r) => {
      ['i', 'f', 'g', 'o'].forEach((a, k) => {
        r.load('act', k);
        f.set(a);
      });
      r.load('aux');
      f.set('tc');
      r.load('dh');
      f.set('dhv');
      // dct = dh·o·(1 - tc²) + dc
      product(f, 'dhv', 'o');
      oneMinusSquare(f, m, 'tc');
      f.f32x4Mul();
      r.load('dc');
      f.f32x4Add().set('dct');
      product(f, 'dct', 'g', 'i');
      oneMinus(f, m, 'i');
      f.f32x4Mul().set('dai');
      f.get('dct');
      r.load('cPrev');
      f.f32x4Mul().get('f').f32x4Mul();
      oneMinus(f, m, 'f');
      f.f32x4Mul().set('daf');
      product(f, 'dct', 'i');
      oneMinusSquare(f, m, 'g');
      f.f32x4Mul().set('dag');
      product(f, 'dhv', 'tc', 'o');
      oneMinus(f, m, 'o');
      f.f32x4Mul().set('dao');
      ['dai', 'daf', 'dag', 'dao'].forEach((d, k) => {
        r.store('dgx', k, () => f.get(d));
        r.store('dgh', k, () => f.get(d));
      });
      r.store('dcPrev', 0, () => product(f, 'dct', 'f'));
      r.store('dhPrev', 0, () => f.v128Zero()); // h_prev reaches the gates only through W_hh
    },
    next: () => {
      for (const p of ['dgx', 'dgh', 'act']) f.inc(p, 'gb');
      for (const p of ['dhPrev', 'dcPrev', 'dh', 'dc', 'aux', 'cPrev']) f.inc(p, 'hb');
    },
  });
  return f;
}

function gruForward(): FunctionBuilder {
  const f = new FunctionBuilder('gruForward', ['h', 'act', 'aux', 'gx', 'gh', 'hPrev', 'bhh', 'B', 'H']);
  const m = new SimdMath(f);
  vectors(f, ['r', 'z', 'n', 'hn']);
  rowBytes(f, 3);
  rowLoop(f, {
    rows: 'B',
    rowBytes: 'hb',
    gates: 3,
    body: (r) => {
      preActivation(f, r, 0);
      m.sigmoid();
      f.set('r');
      preActivation(f, r, 1);
      m.sigmoid();
      f.set('z');
      // n = tanh(gx_n + r ⊙ (gh_n + b_hn))
      r.load('gh', 2).load('bhh', 2);
      f.f32x4Add().set('hn');
      r.load('gx', 2);
      product(f, 'r', 'hn');
      f.f32x4Add();
      m.tanh();
      f.set('n');
      ['r', 'z', 'n'].forEach((a, k) => r.store('act', k, () => f.get(a)));
      r.store('aux', 0, () => f.get('hn'));
      // h = (1 - z) ⊙ n + z ⊙ h_prev (h_prev read before h is written: they may alias)
      r.store('h', 0, () => {
        m.splat(1);
        f.get('z').f32x4Sub().get('n').f32x4Mul();
        f.get('z');
        r.load('hPrev');
        f.f32x4Mul().f32x4Add();
      });
    },
    next: () => {
      for (const p of ['gx', 'gh', 'act']) f.inc(p, 'gb');
      for (const p of ['h', 'aux', 'hPrev']) f.inc(p, 'hb');
    },
  });
  return f;
}

function gruBackward(): FunctionBuilder {
  const f = new FunctionBuilder('gruBackward', ['dgx', 'dgh', 'dhPrev', 'dh', 'act', 'aux', 'hPrev', 'B', 'H']);
  const m = new SimdMath(f);
  vectors(f, ['r', 'z', 'n', 'dhv', 'dan', 'daz', 'dar']);
  rowBytes(f, 3);
  rowLoop(f, {
    rows: 'B',
    rowBytes: 'hb',
    gates: 3,
    body: (r) => {
      ['r', 'z', 'n'].forEach((a, k) => {
        r.load('act', k);
        f.set(a);
      });
      r.load('dh');
      f.set('dhv');
      // dan = dh·(1 - z)·(1 - n²)
      f.get('dhv');
      oneMinus(f, m, 'z');
      f.f32x4Mul();
      oneMinusSquare(f, m, 'n');
      f.f32x4Mul().set('dan');
      // daz = dh·(h_prev - n)·z·(1 - z)
      f.get('dhv');
      r.load('hPrev');
      f.get('n').f32x4Sub().f32x4Mul().get('z').f32x4Mul();
      oneMinus(f, m, 'z');
      f.f32x4Mul().set('daz');
      // dar = dan·(gh_n + b_hn)·r·(1 - r)
      f.get('dan');
      r.load('aux');
      f.f32x4Mul().get('r').f32x4Mul();
      oneMinus(f, m, 'r');
      f.f32x4Mul().set('dar');
      ['dar', 'daz', 'dan'].forEach((d, k) => r.store('dgx', k, () => f.get(d)));
      r.store('dgh', 0, () => f.get('dar'));
      r.store('dgh', 1, () => f.get('daz'));
      r.store('dgh', 2, () => product(f, 'dan', 'r'));
      r.store('dhPrev', 0, () => product(f, 'dhv', 'z'));
    },
    next: () => {
      for (const p of ['dgx', 'dgh', 'act']) f.inc(p, 'gb');
      for (const p of ['dhPrev', 'dh', 'aux', 'hPrev']) f.inc(p, 'hb');
    },
  });
  return f;
}

function rnnForward(relu: boolean): FunctionBuilder {
  const f = new FunctionBuilder(relu ? 'rnnReluForward' : 'rnnTanhForward', ['h', 'act', 'gx', 'gh', 'bhh', 'B', 'H']);
  const m = new SimdMath(f);
  vectors(f, ['v']);
  rowBytes(f, 1);
  rowLoop(f, {
    rows: 'B',
    rowBytes: 'hb',
    gates: 1,
    body: (r) => {
      if (relu) {
        f.v128Zero();
        preActivation(f, r, 0);
        f.f32x4Pmax(); // a > 0 ? a : 0
      } else {
        preActivation(f, r, 0);
        m.tanh();
      }
      f.set('v');
      r.store('act', 0, () => f.get('v'));
      r.store('h', 0, () => f.get('v'));
    },
    next: () => {
      for (const p of ['h', 'act', 'gx', 'gh']) f.inc(p, 'hb');
    },
  });
  return f;
}

function rnnBackward(relu: boolean): FunctionBuilder {
  const f = new FunctionBuilder(relu ? 'rnnReluBackward' : 'rnnTanhBackward', [
    'dgx',
    'dgh',
    'dhPrev',
    'dh',
    'act',
    'B',
    'H',
  ]);
  const m = new SimdMath(f);
  vectors(f, ['v', 'da']);
  rowBytes(f, 1);
  rowLoop(f, {
    rows: 'B',
    rowBytes: 'hb',
    gates: 1,
    body: (r) => {
      r.load('act');
      f.set('v');
      r.load('dh');
      if (relu) {
        // · (v > 0 ? 1 : 0), a multiply as in the reference (keeps -0 and NaN as it does)
        m.splat(1);
        m.splat(0);
        f.get('v');
        m.splat(0);
        f.f32x4Gt().v128Bitselect();
      } else oneMinusSquare(f, m, 'v');
      f.f32x4Mul().set('da');
      r.store('dgx', 0, () => f.get('da'));
      r.store('dgh', 0, () => f.get('da'));
      r.store('dhPrev', 0, () => f.v128Zero());
    },
    next: () => {
      for (const p of ['dgx', 'dgh', 'dhPrev', 'dh', 'act']) f.inc(p, 'hb');
    },
  });
  return f;
}

/** `dst[0, n) = op(src[0, n))` for one of the vector functions. */
function mapVector(name: string, op: (m: SimdMath) => void): FunctionBuilder {
  const f = new FunctionBuilder(name, ['dst', 'src', 'n']);
  const m = new SimdMath(f);
  f.local('one', 'i32');
  f.local('nb', 'i32');
  f.i32Const(1).set('one');
  f.get('n').i32Const(2).i32Shl().set('nb');
  rowLoop(f, {
    rows: 'one',
    rowBytes: 'nb',
    body: (r) =>
      r.store('dst', 0, () => {
        r.load('src');
        op(m);
      }),
    next: () => f.inc('src', 'nb').inc('dst', 'nb'),
  });
  return f;
}

/** The cell functions (forward and backward of every kind) and the vector-math test functions. */
export function cellFunctions(): FunctionBuilder[] {
  return [
    lstmForward(),
    lstmBackward(),
    gruForward(),
    gruBackward(),
    rnnForward(false),
    rnnForward(true),
    rnnBackward(false),
    rnnBackward(true),
    mapVector('mapExp', (m) => m.exp()),
    mapVector('mapSigmoid', (m) => m.sigmoid()),
    mapVector('mapTanh', (m) => m.tanh()),
  ];
}
