/**
 * The dot-product attention layer against finite differences (float64 buffers, central differences) and against
 * a direct evaluation of its formula.
 */
import { describe, expect, it } from 'vitest';
import { dotAttentionBackward, dotAttentionForward } from '../../src/cells/dotAttention.ts';
import { Rng } from '../../src/util/rng.ts';

const S = 4;
const B = 3;
const H = 5;
const f64 = (n: number): Float32Array => new Float64Array(n) as unknown as Float32Array;

function setup() {
  const rng = new Rng(11);
  const fill = (a: Float32Array): Float32Array => {
    for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-1.5, 1.5);
    return a;
  };
  return { q: fill(f64(B * H)), k: fill(f64(S * B * H)), u: fill(f64(B * H)), v: fill(f64(B * S)) };
}

/** L = Σ u·c + Σ v·a, so that both outputs carry gradient. */
function loss(q: Float32Array, k: Float32Array, u: Float32Array, v: Float32Array): number {
  const c = f64(B * H);
  const a = f64(B * S);
  dotAttentionForward(c, 0, a, 0, q, 0, k, 0, S, B, H);
  let L = 0;
  for (let i = 0; i < c.length; i++) L += u[i] * c[i];
  for (let i = 0; i < a.length; i++) L += v[i] * a[i];
  return L;
}

describe('dotAttention', () => {
  it('forward: weights are the softmax of scaled dot products and sum to 1; the context is their mix', () => {
    const { q, k } = setup();
    const c = f64(B * H);
    const a = f64(B * S);
    dotAttentionForward(c, 0, a, 0, q, 0, k, 0, S, B, H);
    for (let b = 0; b < B; b++) {
      const e = Array.from({ length: S }, (_, j) => {
        let d = 0;
        for (let h = 0; h < H; h++) d += q[b * H + h] * k[(j * B + b) * H + h];
        return Math.exp(d / Math.sqrt(H));
      });
      const z = e.reduce((x, y) => x + y, 0);
      for (let j = 0; j < S; j++) expect(a[b * S + j]).toBeCloseTo(e[j] / z, 12);
      for (let h = 0; h < H; h++) {
        let want = 0;
        for (let j = 0; j < S; j++) want += (e[j] / z) * k[(j * B + b) * H + h];
        expect(c[b * H + h]).toBeCloseTo(want, 12);
      }
    }
  });

  it('backward matches central differences for the query and the keys (relative error < 1e-7)', () => {
    const { q, k, u, v } = setup();
    const c = f64(B * H);
    const a = f64(B * S);
    dotAttentionForward(c, 0, a, 0, q, 0, k, 0, S, B, H);
    // the kernel takes the gradient of the context only (the weights are an output for pictures, not for the loss),
    // so the loss here is Σ u·c: v = 0
    v.fill(0);
    const dq = f64(B * H);
    const dk = f64(S * B * H);
    dotAttentionBackward(dq, 0, dk, 0, u, 0, a, 0, q, 0, k, 0, f64(S), S, B, H);
    const eps = 1e-5;
    const check = (x: Float32Array, d: Float32Array): void => {
      for (let i = 0; i < x.length; i++) {
        const old = x[i];
        x[i] = old + eps;
        const lp = loss(q, k, u, v);
        x[i] = old - eps;
        const lm = loss(q, k, u, v);
        x[i] = old;
        const fd = (lp - lm) / (2 * eps);
        expect(Math.abs(fd - d[i]) / Math.max(1e-3, Math.abs(fd) + Math.abs(d[i]))).toBeLessThan(1e-7);
      }
    };
    check(q, dq);
    check(k, dk);
  });

  it('accumulates into the gradients (+=) at the given offsets', () => {
    const { q, k, u } = setup();
    const c = f64(B * H);
    const a = f64(B * S);
    dotAttentionForward(c, 0, a, 0, q, 0, k, 0, S, B, H);
    const once = f64(B * H + 2);
    const twice = f64(B * H + 2);
    const dk = f64(S * B * H);
    dotAttentionBackward(once, 2, dk, 0, u, 0, a, 0, q, 0, k, 0, f64(S), S, B, H);
    dotAttentionBackward(twice, 2, dk, 0, u, 0, a, 0, q, 0, k, 0, f64(S), S, B, H);
    dotAttentionBackward(twice, 2, dk, 0, u, 0, a, 0, q, 0, k, 0, f64(S), S, B, H);
    expect(once[0]).toBe(0);
    for (let i = 2; i < once.length; i++) expect(twice[i]).toBeCloseTo(2 * once[i], 12);
  });
});
