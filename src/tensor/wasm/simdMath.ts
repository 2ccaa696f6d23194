/**
 * Vectorised `exp`, `sigmoid` and `tanh` on f32x4, emitted into a `FunctionBuilder` (WebAssembly has no
 * transcendental instructions). Each helper pops one v128 from the stack and pushes the result, using scratch
 * locals it declares once per function. Accuracy is float32 rounding, not a fast approximation:
 *
 * 1. `exp(x)` (Cephes `expf`): clamp x to [-87.3, 88] (2^n stays a normal float), n = round(x·log2 e),
 *    r = x - n·ln 2 in two parts (Cody-Waite: the high part has 9 significant bits, so n·C1 is exact), then
 *    e^r = 1 + r + r²·P(r) with P of degree 5 (|r| <= ln2/2), and 2^n built in the exponent bits. Relative error
 *    within 2 ulp (~2.4e-7) over the whole range.
 * 2. `sigmoid(x) = 1 / (1 + exp(-x))`: relative error within a few ulp everywhere (no cancellation).
 * 3. `tanh(x)`: `(1 - e) / (1 + e)` with `e = exp(-2|x|)` for |x| >= 0.625, and for smaller |x| (where `1 - e`
 *    cancels) the odd polynomial `x + x·s·Q(s)`, s = x², of Cephes `tanhf`; both are computed, the lanes selected
 *    and x's sign bit set on the result. Relative error within 2 ulp.
 *
 * @example
 * const m = new SimdMath(f);            // declares the scratch locals
 * f.get('x'); m.sigmoid(); f.set('y');  // y = σ(x), lane-wise
 */
import type { FunctionBuilder } from './wasmEmitter.ts';

const LOG2E = 1.44269504088896341;
/** ln 2 = C1 + C2, with C1 exact in 9 bits (Cephes). */
const C1 = 0.693359375;
const C2 = -2.1219444e-4;
/** Cephes `expf` polynomial: e^r ≈ 1 + r + r²·(((((P0·r + P1)·r + P2)·r + P3)·r + P4)·r + P5) */
const EXP_P = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** Cephes `tanhf` for |x| < 0.625: tanh x ≈ x + x·s·((((Q0·s + Q1)·s + Q2)·s + Q3)·s + Q4), s = x² */
const TANH_Q = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
const TANH_SMALL = 0.625;
/** exp's input clamp: n = round(x·log2 e) stays within [-126, 127], so 2^n is a normal float. */
const EXP_LO = -87.3;
const EXP_HI = 88;
/** 1.5·2^23: adding it rounds to an integer (ties to even) that sits in the low mantissa bits. */
const MAGIC = 12582912;
/** A constant's map key (Map keys would treat -0 as 0). */
function key(c: number): string {
  return Object.is(c, -0) ? '-0' : String(c);
}

/** Emits the vector math into one function (scratch locals prefixed `m_`). */
export class SimdMath {
  private readonly f: FunctionBuilder;
  /** v128 locals holding the splatted constants (set once at the function's start), by `key`. */
  private readonly consts = new Map<string, string>();

  /** Declares the scratch locals and the constants; construct it before the function's loops. */
  constructor(f: FunctionBuilder) {
    this.f = f;
    for (const n of ['m_x', 'm_n', 'm_r', 'm_e', 'm_t', 'm_s', 'm_a']) f.local(n, 'v128');
    for (const c of [EXP_HI, EXP_LO, LOG2E, MAGIC, C1, C2, ...EXP_P, ...TANH_Q, TANH_SMALL, 0, 1, -1, -2, -0]) {
      if (this.consts.has(key(c))) continue;
      const name = f.local(`k${this.consts.size}`, 'v128');
      f.f32Const(c).f32x4Splat().set(name);
      this.consts.set(key(c), name);
    }
    f.local('k_i127', 'v128');
    f.i32Const(127).i32x4Splat().set('k_i127');
    // |x| as a mask (f32x4.abs and neg build their masks on every use)
    f.local('k_abs', 'v128');
    f.i32Const(0x7fffffff).i32x4Splat().set('k_abs');
  }

  /** Pushes the f32 constant c in all four lanes (from its local when it is one of the declared constants). */
  splat(c: number): this {
    const name = this.consts.get(key(c));
    if (name) this.f.get(name);
    else this.f.f32Const(c).f32x4Splat();
    return this;
  }

  /** Horner evaluation of `coef` at the v128 local `at`, pushed (the first coefficient is the highest power). */
  private horner(coef: readonly number[], at: string): void {
    const f = this.f;
    this.splat(coef[0]);
    for (let k = 1; k < coef.length; k++) {
      f.get(at).f32x4Mul();
      this.splat(coef[k]);
      f.f32x4Add();
    }
  }

  /** `[x] -> [exp(x)]` */
  exp(): this {
    const f = this.f;
    f.set('m_x');
    // clamp with pmin / pmax (one instruction each; a NaN x fails both comparisons and stays NaN)
    f.get('m_x');
    this.splat(EXP_HI);
    f.f32x4Pmin();
    this.splat(EXP_LO);
    f.f32x4Pmax().set('m_x');
    // t = x·log2 e + 1.5·2^23 holds n = round(x·log2 e) in its low bits; n = t - 1.5·2^23 as a float
    f.get('m_x');
    this.splat(LOG2E);
    f.f32x4Mul();
    this.splat(MAGIC);
    f.f32x4Add().set('m_e');
    f.get('m_e');
    this.splat(MAGIC);
    f.f32x4Sub().set('m_n');
    // r = (x - n·C1) - n·C2
    f.get('m_x').get('m_n');
    this.splat(C1);
    f.f32x4Mul().f32x4Sub().get('m_n');
    this.splat(C2);
    f.f32x4Mul().f32x4Sub().set('m_r');
    // e^r = P(r)·r² + r + 1
    this.horner(EXP_P, 'm_r');
    f.get('m_r').get('m_r').f32x4Mul().f32x4Mul().get('m_r').f32x4Add();
    this.splat(1);
    f.f32x4Add();
    // · 2^n, the float bits (n + 127) << 23: t's bits are 0x4b400000 + n, and the shift drops the 0x4b4
    f.get('m_e').get('k_i127').i32x4Add().i32Const(23).i32x4Shl();
    f.f32x4Mul();
    return this;
  }

  /** `[x] -> [1 / (1 + exp(-x))]` */
  sigmoid(): this {
    const f = this.f;
    this.splat(-1);
    f.f32x4Mul().set('m_a');
    this.splat(1);
    f.get('m_a');
    this.exp();
    this.splat(1);
    f.f32x4Add().f32x4Div();
    return this;
  }

  /** `[x] -> [tanh(x)]` */
  tanh(): this {
    const f = this.f;
    f.set('m_t');
    // large |x|: tanh|x| = (1 - e) / (1 + e), e = exp(-2|x|) <= 0.29 (no cancellation)
    f.get('m_t').get('k_abs').v128And();
    this.splat(-2);
    f.f32x4Mul();
    this.exp();
    f.set('m_a');
    this.splat(1);
    f.get('m_a').f32x4Sub();
    this.splat(1);
    f.get('m_a').f32x4Add().f32x4Div().set('m_a');
    // small |x|: x + x·s·Q(s)
    f.get('m_t').get('m_t').f32x4Mul().set('m_s');
    f.get('m_t');
    f.get('m_t').get('m_s').f32x4Mul();
    this.horner(TANH_Q, 'm_s');
    f.f32x4Mul().f32x4Add();
    // pick per lane, then x's sign (tanh is odd; this also keeps -0 as -0)
    f.get('m_a').get('m_t').get('k_abs').v128And();
    this.splat(TANH_SMALL);
    f.f32x4Lt().v128Bitselect();
    f.get('m_t');
    this.splat(-0);
    f.v128And().v128Or();
    return this;
  }
}
