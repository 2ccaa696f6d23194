/** Per-frame accuracy and F1 against hand-counted values, masks, and argument errors. */
import { describe, expect, it } from 'vitest';
import { frameMetrics } from '../../src/video/frameMetrics.ts';

describe('frameMetrics', () => {
  const truth = Int32Array.from([0, 0, 1, 1, 1, 0, -1]);
  const pred = Int32Array.from([0, 1, 1, 1, 0, 0, 1]);
  it('binary F1 of the positive class and accuracy; negative truth is not counted', () => {
    const m = frameMetrics(pred, truth, { classes: 2, positive: 1 });
    expect(m.frames).toBe(6);
    expect(m.accuracy).toBeCloseTo(4 / 6, 10);
    // tp 2, fp 1, fn 1
    expect(m.f1).toBeCloseTo(2 / 3, 10);
    expect(m.confusion).toEqual([
      [2, 1],
      [1, 2],
    ]);
  });
  it('macro F1 over the classes present; masks select frames', () => {
    const m = frameMetrics(pred, truth, { classes: 3 });
    expect(m.f1).toBeCloseTo(2 / 3, 10); // both classes 2/3, class 2 absent
    const mask = Uint8Array.from([1, 1, 0, 0, 0, 0, 0]);
    expect(frameMetrics(pred, truth, { classes: 2, mask }).accuracy).toBe(0.5);
    expect(frameMetrics(pred, truth, { classes: 2, mask, maskValue: 0 }).frames).toBe(4);
  });
  it('names bad arguments', () => {
    expect(() => frameMetrics(new Int32Array(2), truth, { classes: 2 })).toThrow(/pred/);
    expect(() => frameMetrics(pred, truth, { classes: 0 })).toThrow(/options\.classes/);
    expect(() => frameMetrics(pred, truth, { classes: 2, positive: 2 })).toThrow(/options\.positive/);
    expect(() => frameMetrics(Int32Array.from([5, 0, 0, 0, 0, 0, 0]), truth, { classes: 2 })).toThrow(/frame 0/);
  });
});
