import { describe, it, expect } from 'vitest';
import { createOptimizer, type OptimizerOptions } from '../../src/train/createOptimizer.ts';
import { OPTIMIZER_NAMES, type OptimizerState } from '../../src/train/optimizer.ts';
import { EddyError } from '../../src/util/errors.ts';

const P = 7;
function gradAt(t: number): Float32Array {
  const g = new Float32Array(P);
  for (let i = 0; i < P; i++) g[i] = Math.sin(0.9 * i + 1.7 * t) * (0.5 + 0.1 * i);
  return g;
}
const P0 = Float32Array.from({ length: P }, (_, i) => Math.cos(i) * 1.5);

const CONFIGS: OptimizerOptions[] = [
  { name: 'sgd', lr: 0.1 },
  { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  { name: 'adam', lr: 0.01, weightDecay: 0.1 },
  { name: 'adamw', lr: 0.01 },
  { name: 'adagrad', lr: 0.1, initialAccumulator: 0.1 },
  { name: 'rmsprop', lr: 0.01 },
  { name: 'rmsprop', lr: 0.01, momentum: 0.9, centered: true },
];

describe('createOptimizer', () => {
  it('creates each optimizer by name with its defaults', () => {
    expect(createOptimizer({ name: 'sgd', lr: 0.3 }).lr).toBe(0.3);
    expect(createOptimizer({ name: 'adam' }).lr).toBe(1e-3);
    expect(createOptimizer({ name: 'adagrad' }).lr).toBe(1e-2);
    expect(createOptimizer({ name: 'rmsprop' }).lr).toBe(1e-2);
    for (const name of OPTIMIZER_NAMES) {
      expect(createOptimizer({ name, lr: 0.1 } as OptimizerOptions).name).toBe(name);
    }
  });

  it('rejects an unknown name and passes option errors through', () => {
    expect(() => createOptimizer({ name: 'lamb' } as never)).toThrow(
      /^Expected one of "sgd", "adam", "adamw", "adagrad", "rmsprop" for options\.name but received "lamb" of type string$/,
    );
    expect(() => createOptimizer(undefined as never)).toThrow(/for options\.name but received undefined/);
    expect(() => createOptimizer({ name: 'adam', beta2: 1 })).toThrow(
      /for options\.beta2 but received 1 of type number/,
    );
  });

  it('lets a schedule set lr, and validates it', () => {
    const opt = createOptimizer({ name: 'sgd', lr: 0.1 });
    opt.lr = 0.5;
    const params = new Float32Array([1]);
    opt.step(params, new Float32Array([1]));
    expect(params[0]).toBeCloseTo(0.5, 7);
    expect(() => (opt.lr = -1)).toThrow(
      /^Expected finite number >= 0 for optimizer\.lr but received -1 of type number$/,
    );
    expect(() => (opt.lr = NaN)).toThrow(EddyError);
    expect(opt.lr).toBe(0.5);
  });
});

describe('optimizer state', () => {
  for (const config of CONFIGS) {
    it(`${JSON.stringify(config)}: save at step 3, restore into a fresh optimizer, continue bit for bit`, () => {
      const straight = createOptimizer(config);
      const a = P0.slice();
      for (let t = 0; t < 6; t++) straight.step(a, gradAt(t));

      const first = createOptimizer(config);
      const b = P0.slice();
      for (let t = 0; t < 3; t++) first.step(b, gradAt(t));
      const saved = first.getState();
      // Keep stepping the first one: the snapshot must not alias its live buffers.
      first.step(b.slice(), gradAt(99));
      const second = createOptimizer(config);
      second.setState(saved);
      expect(second.getState()).toEqual(saved);
      for (let t = 3; t < 6; t++) second.step(b, gradAt(t));

      expect(saved.step).toBe(3);
      expect(b).toEqual(a); // Float32Array equality: every element bit for bit
      expect(second.getState()).toEqual(straight.getState());
    });
  }

  it('a state is plain scalars and named Float32Array buffers', () => {
    const opt = createOptimizer({ name: 'adam', lr: 0.02 });
    expect(opt.getState()).toEqual({ name: 'adam', step: 0, scalars: { lr: 0.02 }, buffers: {} });
    opt.step(P0.slice(), gradAt(0));
    const s = opt.getState();
    expect(s.step).toBe(1);
    expect(s.buffers.m).toBeInstanceOf(Float32Array);
    expect(s.buffers.v!.length).toBe(P);
  });

  it('restores lr and can rewind to step 0', () => {
    const opt = createOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9 });
    const fresh = opt.getState();
    opt.step(P0.slice(), gradAt(0));
    opt.lr = 0.7;
    opt.setState(fresh);
    expect(opt.lr).toBe(0.1);
    expect(opt.getState()).toEqual(fresh);
    // After a rewind the buffers may take a new length.
    opt.step(new Float32Array(3), new Float32Array(3));
    expect(opt.getState().buffers.momentumBuffer!.length).toBe(3);
  });

  it('rejects a wrong or inconsistent state with clear errors', () => {
    const opt = createOptimizer({ name: 'rmsprop', momentum: 0.9 });
    opt.step(P0.slice(), gradAt(0));
    const good = opt.getState();
    const other = createOptimizer({ name: 'rmsprop', momentum: 0.9 });
    const bad = (patch: Partial<OptimizerState>): OptimizerState => ({ ...good, ...patch });
    const cases: [unknown, RegExp, string][] = [
      [null, /^Expected an OptimizerState object for state but received null$/, 'ERR_INVALID_ARG'],
      [
        bad({ name: 'adam' }),
        /^Expected "rmsprop" \(the optimizer's name\) for state\.name but received "adam" of type string$/,
        'ERR_INVALID_ARG',
      ],
      [bad({ step: -1 }), /^Expected integer >= 0 for state\.step but received -1 of type number$/, 'ERR_INVALID_ARG'],
      [
        bad({ scalars: { lr: -1 } }),
        /^Expected finite number >= 0 for state\.scalars\.lr but received -1 of type number$/,
        'ERR_INVALID_ARG',
      ],
      [
        bad({ buffers: { squareAvg: good.buffers.squareAvg! } }),
        /^Expected Float32Array \(rmsprop at step 1 keeps: squareAvg, momentumBuffer\) for state\.buffers\.momentumBuffer but received undefined$/,
        'ERR_INVALID_ARG',
      ],
      [
        bad({ buffers: { ...good.buffers, gradAvg: new Float32Array(P) } }),
        /^Expected no such buffer \(rmsprop at step 1 keeps: squareAvg, momentumBuffer\) for state\.buffers\.gradAvg/,
        'ERR_INVALID_ARG',
      ],
      [
        bad({ buffers: { squareAvg: new Float32Array(P), momentumBuffer: new Float32Array(P - 1) } }),
        /^Expected state\.buffers\.momentumBuffer of length 7 \(\[P=7\], like state\.buffers\.squareAvg\) but received length 6$/,
        'ERR_SHAPE',
      ],
      [
        bad({ buffers: { squareAvg: new Float64Array(P) as never, momentumBuffer: new Float32Array(P) } }),
        /for state\.buffers\.squareAvg but received Float64Array of length 7$/,
        'ERR_INVALID_ARG',
      ],
      [
        bad({ step: 0 }),
        /^Expected no such buffer \(rmsprop at step 0 keeps: none\) for state\.buffers\.squareAvg/,
        'ERR_INVALID_ARG',
      ],
    ];
    for (const [state, message, code] of cases) {
      expect(() => other.setState(state as OptimizerState)).toThrow(message);
      try {
        other.setState(state as OptimizerState);
      } catch (e) {
        expect((e as EddyError).code).toBe(code);
      }
    }
    // A failed setState leaves the optimizer untouched.
    expect(other.getState().step).toBe(0);
    // A restored state fixes the length: params of another length are refused.
    other.setState(good);
    expect(() => other.step(new Float32Array(P + 1), new Float32Array(P + 1))).toThrow(/Expected params of length 7/);
  });
});
