import { describe, it, expect } from 'vitest';
import { rmsprop } from '../../src/train/rmsprop.ts';
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
  alpha: number;
  eps: number;
  momentum: number;
  centered: boolean;
  weightDecay: number;
}
const DEFAULTS: Opts = { lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false, weightDecay: 0 };

/** Plain-JS RMSprop in float64, from the torch.optim.RMSprop pseudocode. */
function reference(o: Opts): number[][] {
  const p = [...P0];
  const v = P0.map(() => 0);
  const gAve = P0.map(() => 0);
  const b = P0.map(() => 0);
  return GRADS.map((grad) => {
    for (let i = 0; i < p.length; i++) {
      const g = grad[i]! + o.weightDecay * p[i]!;
      v[i] = o.alpha * v[i]! + (1 - o.alpha) * g * g;
      let vt = v[i]!;
      if (o.centered) {
        gAve[i] = o.alpha * gAve[i]! + (1 - o.alpha) * g;
        vt -= gAve[i]! * gAve[i]!;
      }
      if (o.momentum > 0) {
        b[i] = o.momentum * b[i]! + g / (Math.sqrt(vt) + o.eps);
        p[i] = p[i]! - o.lr * b[i]!;
      } else {
        p[i] = p[i]! - (o.lr * g) / (Math.sqrt(vt) + o.eps);
      }
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

describe('rmsprop', () => {
  it('first step with defaults: p -= lr * g / (sqrt(0.01 g^2) + eps) = p - 0.1 sign(g)', () => {
    const after = run(rmsprop());
    P0.forEach((p0, i) => expect(after[0]![i]).toBeCloseTo(p0 - 0.1 * Math.sign(GRADS[0]![i]!), 5));
    expectClose(after, reference(DEFAULTS));
  });

  it('matches the reference with momentum and weight decay', () => {
    const o = { ...DEFAULTS, alpha: 0.9, momentum: 0.9, weightDecay: 0.01 };
    expectClose(run(rmsprop(o)), reference(o));
  });

  it('matches the reference centered, with and without momentum', () => {
    const a = { ...DEFAULTS, alpha: 0.9, centered: true };
    expectClose(run(rmsprop(a)), reference(a));
    const b = { ...DEFAULTS, lr: 0.02, alpha: 0.8, eps: 1e-6, momentum: 0.5, centered: true, weightDecay: 0.05 };
    expectClose(run(rmsprop(b)), reference(b));
  });

  it('keeps the buffers its configuration needs', () => {
    const names = (o: object): string[] => {
      const opt = rmsprop(o);
      opt.step(new Float32Array(2), new Float32Array([1, 2]));
      return Object.keys(opt.getState().buffers);
    };
    expect(names({})).toEqual(['squareAvg']);
    expect(names({ momentum: 0.9, centered: true })).toEqual(['squareAvg', 'momentumBuffer', 'gradAvg']);
  });

  it('rejects each invalid option, naming options.<field>', () => {
    const bad: [object, RegExp][] = [
      [{ lr: -1 }, /^Expected finite number >= 0 for options\.lr but received -1 of type number$/],
      [{ alpha: 1.01 }, /^Expected finite number in \[0, 1\] for options\.alpha but received 1\.01 of type number$/],
      [{ eps: -1e-8 }, /^Expected finite number >= 0 for options\.eps but received -1e-8 of type number$/],
      [{ momentum: -0.9 }, /^Expected finite number >= 0 for options\.momentum but received -0\.9 of type number$/],
      [{ centered: 1 }, /^Expected boolean for options\.centered but received 1 of type number$/],
      [
        { weightDecay: -0.5 },
        /^Expected finite number >= 0 for options\.weightDecay but received -0\.5 of type number$/,
      ],
      [
        { beta: 0.9 },
        /^Expected no such rmsprop option \(known: lr, alpha, eps, momentum, centered, weightDecay\) for options\.beta but received 0\.9 of type number$/,
      ],
    ];
    for (const [options, message] of bad) {
      expect(() => rmsprop(options as never), JSON.stringify(options)).toThrow(message);
      expect(() => rmsprop(options as never)).toThrow(EddyError);
    }
  });
});
