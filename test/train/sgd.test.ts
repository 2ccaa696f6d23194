import { describe, it, expect } from 'vitest';
import { sgd } from '../../src/train/sgd.ts';
import { EddyError } from '../../src/util/errors.ts';

const P0 = [0.5, -1.5, 2.0, -0.25];
const GRADS = [
  [0.1, -0.2, 0.3, 0.05],
  [-0.4, 0.1, 0.2, -0.3],
  [0.25, 0.35, -0.15, 0.6],
];

/** Plain-JS SGD in float64, written from the torch.optim.SGD docs. */
function reference(o: {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}): number[][] {
  const mu = o.momentum ?? 0;
  const tau = o.dampening ?? 0;
  const wd = o.weightDecay ?? 0;
  const p = [...P0];
  const b = P0.map(() => 0);
  const out: number[][] = [];
  GRADS.forEach((grad, t) => {
    for (let i = 0; i < p.length; i++) {
      let g = grad[i]! + wd * p[i]!;
      if (mu !== 0) {
        b[i] = t === 0 ? g : mu * b[i]! + (1 - tau) * g;
        g = o.nesterov ? g + mu * b[i]! : b[i]!;
      }
      p[i] = p[i]! - o.lr * g;
    }
    out.push([...p]);
  });
  return out;
}

function run(opt: ReturnType<typeof sgd>): number[][] {
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

describe('sgd', () => {
  it('plain SGD: p -= lr * g', () => {
    const after = run(sgd({ lr: 0.1 }));
    expect(after[0]![0]).toBeCloseTo(0.5 - 0.1 * 0.1, 7);
    expectClose(after, reference({ lr: 0.1 }));
  });

  it('momentum: the buffer starts as the first gradient', () => {
    const after = run(sgd({ lr: 0.1, momentum: 0.9 }));
    // step 1: buf = g; step 2: buf = 0.9 * g1 + g2
    expect(after[1]![0]).toBeCloseTo(0.5 - 0.1 * 0.1 - 0.1 * (0.9 * 0.1 - 0.4), 6);
    expectClose(after, reference({ lr: 0.1, momentum: 0.9 }));
  });

  it('momentum with dampening and weight decay', () => {
    const o = { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.1 };
    expectClose(run(sgd(o)), reference(o));
  });

  it('nesterov momentum', () => {
    const o = { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 };
    expectClose(run(sgd(o)), reference(o));
  });

  it('does not modify or zero the gradients', () => {
    const g = new Float32Array([1, 2, 3, 4]);
    sgd({ lr: 0.1, momentum: 0.5 }).step(new Float32Array(4), g);
    expect([...g]).toEqual([1, 2, 3, 4]);
  });

  it('checks lengths: grads against params, params against the buffers', () => {
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    expect(() => opt.step(new Float32Array(4), new Float32Array(3))).toThrow(
      /Expected grads of length 4 \(\[P=4\], same as params\) but received length 3/,
    );
    opt.step(new Float32Array(4), new Float32Array(4));
    expect(() => opt.step(new Float32Array(5), new Float32Array(5))).toThrow(
      /Expected params of length 4 .* but received length 5/,
    );
    expect(() => opt.step([1, 2] as unknown as Float32Array, new Float32Array(2))).toThrow(
      /Expected params a Float32Array but received array of length 2/,
    );
    try {
      opt.step(new Float32Array(4), new Float32Array(2));
    } catch (e) {
      expect((e as EddyError).code).toBe('ERR_SHAPE');
    }
  });

  it('rejects each invalid option, naming options.<field>, the expectation and the value', () => {
    const bad: [object, RegExp][] = [
      [{}, /^Expected finite number >= 0 for options\.lr but received undefined$/],
      [{ lr: -0.1 }, /^Expected finite number >= 0 for options\.lr but received -0\.1 of type number$/],
      [{ lr: NaN }, /^Expected finite number >= 0 for options\.lr but received NaN of type number$/],
      [
        { lr: 0.1, momentum: -0.5 },
        /^Expected finite number >= 0 for options\.momentum but received -0\.5 of type number$/,
      ],
      [
        { lr: 0.1, dampening: 1.5 },
        /^Expected finite number in \[0, 1\] for options\.dampening but received 1\.5 of type number$/,
      ],
      [{ lr: 0.1, nesterov: 'yes' }, /^Expected boolean for options\.nesterov but received "yes" of type string$/],
      [
        { lr: 0.1, nesterov: true },
        /^Expected false unless momentum > 0 and dampening = 0 for options\.nesterov but received true of type boolean$/,
      ],
      [{ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, /for options\.nesterov but received true/],
      [
        { lr: 0.1, weightDecay: -1 },
        /^Expected finite number >= 0 for options\.weightDecay but received -1 of type number$/,
      ],
      [
        { lr: 0.1, momentun: 0.9 },
        /^Expected no such sgd option \(known: lr, momentum, dampening, nesterov, weightDecay\) for options\.momentun but received 0\.9 of type number$/,
      ],
    ];
    for (const [options, message] of bad) {
      expect(() => sgd(options as never), JSON.stringify(options)).toThrow(message);
      try {
        sgd(options as never);
      } catch (e) {
        expect(e).toBeInstanceOf(EddyError);
        expect((e as EddyError).code).toBe('ERR_INVALID_ARG');
      }
    }
    expect(() => sgd(null as never)).toThrow(/Expected an options object for options but received null/);
  });
});
