import { describe, it, expect } from 'vitest';
import { adagrad } from '../../src/train/adagrad.ts';
import { EddyError } from '../../src/util/errors.ts';
import type { Optimizer } from '../../src/train/optimizer.ts';

const P0 = [0.5, -1.5, 2.0, -0.25];
const GRADS = [
  [0.1, -0.2, 0.3, 0.05],
  [-0.4, 0.1, 0.2, -0.3],
  [0.25, 0.35, -0.15, 0.6],
];

interface Opts {
  lr: number;
  eps: number;
  weightDecay: number;
  initialAccumulator: number;
}

/** Plain-JS Adagrad in float64, from the torch.optim.Adagrad pseudocode (lr_decay = 0). */
function reference(o: Opts): number[][] {
  const p = [...P0];
  const s = P0.map(() => o.initialAccumulator);
  return GRADS.map((grad) => {
    for (let i = 0; i < p.length; i++) {
      const g = grad[i]! + o.weightDecay * p[i]!;
      s[i] = s[i]! + g * g;
      p[i] = p[i]! - (o.lr * g) / (Math.sqrt(s[i]!) + o.eps);
    }
    return [...p];
  });
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

describe('adagrad', () => {
  it('first step from a zero accumulator moves each parameter by lr against the gradient sign', () => {
    const after = run(adagrad({ lr: 0.1 }));
    P0.forEach((p0, i) => expect(after[0]![i]).toBeCloseTo(p0 - 0.1 * Math.sign(GRADS[0]![i]!), 6));
    expectClose(after, reference({ lr: 0.1, eps: 1e-10, weightDecay: 0, initialAccumulator: 0 }));
  });

  it('matches the reference with weight decay and an initial accumulator', () => {
    const o: Opts = { lr: 0.2, eps: 1e-6, weightDecay: 0.05, initialAccumulator: 0.1 };
    expectClose(run(adagrad(o)), reference(o));
  });

  it('has defaults lr 1e-2 and keeps one buffer, sum', () => {
    const opt = adagrad();
    expect([opt.name, opt.lr]).toEqual(['adagrad', 1e-2]);
    opt.step(new Float32Array(2), new Float32Array([3, 4]));
    expect([...opt.getState().buffers.sum!]).toEqual([9, 16]);
  });

  it('rejects each invalid option, naming options.<field>', () => {
    const bad: [object, RegExp][] = [
      [{ lr: -0.01 }, /^Expected finite number >= 0 for options\.lr but received -0\.01 of type number$/],
      [{ eps: -1 }, /^Expected finite number >= 0 for options\.eps but received -1 of type number$/],
      [
        { weightDecay: Infinity },
        /^Expected finite number >= 0 for options\.weightDecay but received Infinity of type number$/,
      ],
      [
        { initialAccumulator: -0.1 },
        /^Expected finite number >= 0 for options\.initialAccumulator but received -0\.1 of type number$/,
      ],
      [
        { lrDecay: 0.1 },
        /^Expected no such adagrad option \(known: lr, eps, weightDecay, initialAccumulator\) for options\.lrDecay but received 0\.1 of type number$/,
      ],
    ];
    for (const [options, message] of bad) {
      expect(() => adagrad(options as never), JSON.stringify(options)).toThrow(message);
      expect(() => adagrad(options as never)).toThrow(EddyError);
    }
  });
});
