import { describe, it, expect } from 'vitest';
import { adam, adamw } from '../../src/train/adam.ts';
import { EddyError } from '../../src/util/errors.ts';
import type { Optimizer } from '../../src/train/optimizer.ts';

const P0 = [0.5, -1.5, 2.0, -0.25];
const GRADS = [
  [0.1, -0.2, 0.3, 0.05],
  [-0.4, 0.1, 0.2, -0.3],
  [0.25, 0.35, -0.15, 0.6],
  [0.05, -0.5, 0.45, 0.2],
];

interface Opts {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Plain-JS Adam / AdamW in float64, from the torch.optim.Adam and AdamW pseudocode. */
function reference(o: Opts, decoupled: boolean): number[][] {
  const p = [...P0];
  const m = P0.map(() => 0);
  const v = P0.map(() => 0);
  const out: number[][] = [];
  GRADS.forEach((grad, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      let g = grad[i]!;
      if (decoupled) p[i] = p[i]! - o.lr * o.weightDecay * p[i]!;
      else g += o.weightDecay * p[i]!;
      m[i] = o.beta1 * m[i]! + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i]! + (1 - o.beta2) * g * g;
      const mHat = m[i]! / (1 - o.beta1 ** t);
      const vHat = v[i]! / (1 - o.beta2 ** t);
      p[i] = p[i]! - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
    }
    out.push([...p]);
  });
  return out;
}

function run(opt: Optimizer): number[][] {
  const params = new Float32Array(P0);
  return GRADS.map((g) => {
    opt.step(params, new Float32Array(g));
    return [...params];
  });
}

function expectClose(actual: number[][], expected: number[][]): void {
  actual.forEach((row, t) =>
    row.forEach((a, i) => {
      const e = expected[t]![i]!;
      expect(Math.abs(a - e), `step ${t + 1}, element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(
        1e-6 * Math.abs(e) + 1e-7,
      );
    }),
  );
}

const DEFAULTS: Opts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

describe('adam', () => {
  it('first step moves every parameter by about lr against the gradient sign (bias correction)', () => {
    const params = new Float32Array(P0);
    adam({ lr: 0.01 }).step(params, new Float32Array(GRADS[0]!));
    P0.forEach((p0, i) => expect(params[i]).toBeCloseTo(p0 - 0.01 * Math.sign(GRADS[0]![i]!), 6));
  });

  it('matches the reference with defaults', () => {
    expectClose(run(adam()), reference(DEFAULTS, false));
  });

  it('matches the reference with L2 weight decay and custom betas', () => {
    const o: Opts = { lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 };
    expectClose(run(adam(o)), reference(o, false));
  });

  it('is named adam and keeps m and v', () => {
    const opt = adam();
    expect(opt.name).toBe('adam');
    expect(opt.lr).toBe(1e-3);
    opt.step(new Float32Array(3), new Float32Array([1, 2, 3]));
    expect(Object.keys(opt.getState().buffers)).toEqual(['m', 'v']);
  });
});

describe('adamw', () => {
  it('defaults to weightDecay 0.01, decoupled', () => {
    expectClose(run(adamw({ lr: 0.05 })), reference({ ...DEFAULTS, lr: 0.05, weightDecay: 0.01 }, true));
    expect(adamw().name).toBe('adamw');
  });

  it('decoupled decay differs from L2 decay', () => {
    const o: Opts = { lr: 0.05, beta1: 0.5, beta2: 0.9, eps: 1e-8, weightDecay: 0.2 };
    const w = run(adamw(o));
    expectClose(w, reference(o, true));
    expect(Math.abs(w[3]![0]! - run(adam(o))[3]![0]!)).toBeGreaterThan(1e-4);
  });

  it('with zero gradients only decays: p *= 1 - lr * wd', () => {
    const params = new Float32Array([2, -4]);
    adamw({ lr: 0.1, weightDecay: 0.5 }).step(params, new Float32Array(2));
    expect([...params]).toEqual([Math.fround(2 * 0.95), Math.fround(-4 * 0.95)]);
  });
});

describe('adam / adamw options', () => {
  const bad: [object, RegExp][] = [
    [{ lr: -1 }, /^Expected finite number >= 0 for options\.lr but received -1 of type number$/],
    [{ lr: 'fast' }, /^Expected finite number >= 0 for options\.lr but received "fast" of type string$/],
    [{ beta1: 1 }, /^Expected finite number in \[0, 1\) for options\.beta1 but received 1 of type number$/],
    [{ beta1: -0.1 }, /^Expected finite number in \[0, 1\) for options\.beta1 but received -0\.1 of type number$/],
    [{ beta2: 1.5 }, /^Expected finite number in \[0, 1\) for options\.beta2 but received 1\.5 of type number$/],
    [{ eps: -1e-8 }, /^Expected finite number >= 0 for options\.eps but received -1e-8 of type number$/],
    [
      { weightDecay: -0.01 },
      /^Expected finite number >= 0 for options\.weightDecay but received -0\.01 of type number$/,
    ],
    [
      { betas: [0.9, 0.99] },
      /^Expected no such (adam|adamw) option \(known: lr, beta1, beta2, eps, weightDecay, backend\) for options\.betas but received array of length 2$/,
    ],
  ];
  for (const [factory, fn] of [
    ['adam', adam],
    ['adamw', adamw],
  ] as const) {
    it(`${factory} rejects each invalid option`, () => {
      for (const [options, message] of bad) {
        expect(() => fn(options as never), JSON.stringify(options)).toThrow(message);
        expect(() => fn(options as never)).toThrow(EddyError);
      }
    });
  }
});
