import { describe, it, expect } from 'vitest';
import { createSchedule } from '../../src/train/schedule.ts';
import { EddyError } from '../../src/util/errors.ts';

describe('createSchedule', () => {
  it('constant', () => {
    const s = createSchedule({ kind: 'constant', lr: 0.01 });
    expect(s.kind).toBe('constant');
    expect([0, 1, 1000].map(s.lrAt)).toEqual([0.01, 0.01, 0.01]);
  });

  it('step decay: lr * gamma^floor(step / stepSize)', () => {
    const s = createSchedule({ kind: 'step', lr: 1, stepSize: 3, gamma: 0.5 });
    expect([0, 1, 2, 3, 5, 6, 9].map((t) => s.lrAt(t))).toEqual([1, 1, 1, 0.5, 0.5, 0.25, 0.125]);
    expect(createSchedule({ kind: 'step', lr: 0.1, stepSize: 10 }).lrAt(25)).toBeCloseTo(0.001, 12); // gamma 0.1
  });

  it('cosine with linear warm-up: endpoints and midpoint', () => {
    const s = createSchedule({ kind: 'cosine', lr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-4 });
    expect(s.lrAt(0)).toBeCloseTo(1e-4, 12); // (0 + 1) / 10 of lr
    expect(s.lrAt(4)).toBeCloseTo(5e-4, 12);
    expect(s.lrAt(9)).toBeCloseTo(1e-3, 12); // warm-up reaches lr
    expect(s.lrAt(10)).toBeCloseTo(1e-3, 12); // decay starts at lr
    expect(s.lrAt(60)).toBeCloseTo(5.5e-4, 12); // half way: mean of lr and minLr
    expect(s.lrAt(35)).toBeCloseTo(1e-4 + (9e-4 * (1 + Math.cos(Math.PI / 4))) / 2, 12);
    expect(s.lrAt(109)).toBeGreaterThan(1e-4);
    expect(s.lrAt(110)).toBe(1e-4);
    expect(s.lrAt(10_000)).toBe(1e-4);
    for (let t = 10; t < 110; t++) expect(s.lrAt(t + 1)).toBeLessThanOrEqual(s.lrAt(t));
  });

  it('cosine without warm-up starts at lr and ends at 0', () => {
    const s = createSchedule({ kind: 'cosine', lr: 2, totalSteps: 4 });
    expect([0, 1, 2, 3, 4].map((t) => s.lrAt(t))).toEqual([
      2,
      1 + Math.cos(Math.PI / 4),
      1 + Math.cos(Math.PI / 2),
      1 + Math.cos((3 * Math.PI) / 4),
      0,
    ]);
  });

  it('is pure: the same step always gives the same rate', () => {
    const s = createSchedule({ kind: 'cosine', lr: 1, warmupSteps: 3, totalSteps: 20 });
    const a = [7, 2, 7, 15, 2].map((t) => s.lrAt(t));
    expect(a[0]).toBe(a[2]);
    expect(a[1]).toBe(a[4]);
  });

  it('rejects each invalid option, naming options.<field>', () => {
    const bad: [object, RegExp][] = [
      [
        { kind: 'linear', lr: 1 },
        /^Expected one of "constant", "step", "cosine" for options\.kind but received "linear" of type string$/,
      ],
      [{ kind: 'constant', lr: -1 }, /^Expected finite number >= 0 for options\.lr but received -1 of type number$/],
      [
        { kind: 'step', lr: 1, stepSize: 0 },
        /^Expected integer >= 1 for options\.stepSize but received 0 of type number$/,
      ],
      [
        { kind: 'step', lr: 1, stepSize: 2, gamma: 0 },
        /^Expected finite number > 0 for options\.gamma but received 0 of type number$/,
      ],
      [
        { kind: 'cosine', lr: 1, totalSteps: 1.5 },
        /^Expected integer >= 1 for options\.totalSteps but received 1\.5 of type number$/,
      ],
      [
        { kind: 'cosine', lr: 1, totalSteps: 10, warmupSteps: -1 },
        /^Expected integer >= 0 for options\.warmupSteps but received -1 of type number$/,
      ],
      [
        { kind: 'cosine', lr: 1, totalSteps: 10, warmupSteps: 11 },
        /^Expected integer in \[0, 10\] \(at most options\.totalSteps\) for options\.warmupSteps but received 11 of type number$/,
      ],
      [
        { kind: 'cosine', lr: 1, totalSteps: 10, minLr: 2 },
        /^Expected finite number in \[0, 1\] for options\.minLr but received 2 of type number$/,
      ],
    ];
    for (const [options, message] of bad) {
      expect(() => createSchedule(options as never), JSON.stringify(options)).toThrow(message);
      expect(() => createSchedule(options as never)).toThrow(EddyError);
    }
  });

  it('rejects a step that is not an integer >= 0', () => {
    const s = createSchedule({ kind: 'constant', lr: 1 });
    expect(() => s.lrAt(-1)).toThrow(/^Expected integer >= 0 for step but received -1 of type number$/);
    expect(() => s.lrAt(0.5)).toThrow(EddyError);
  });
});
