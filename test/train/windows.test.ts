/**
 * Truncated-BPTT windows: the geometry (k1, k2, partial last window), char-rnn's layout checked by hand on a
 * small text, the incremental windower agreeing with the random-access slicers, and the option checks.
 */
import { describe, expect, it } from 'vitest';
import { charRnnBatches, sequenceWindows } from '../../src/train/charRnnBatches.ts';
import { TbpttWindower } from '../../src/train/tbpttWindows.ts';
import { countWindows, resolveGeometry, windowSpan, type FullWindow } from '../../src/train/windows.ts';
import { expectError } from '../helpers/expectError.ts';

const ids = (s: string): Int32Array => Int32Array.from([...s].map((c) => c.charCodeAt(0)));
const str = (a: Int32Array | Float32Array): string =>
  [...a].map((v) => (v < 0 ? '_' : v === 0 ? '0' : String.fromCharCode(v))).join('');
/** Row b of a [T, B] window as a string. */
const row = (a: Int32Array | Float32Array, B: number, b: number): string =>
  str(Int32Array.from(a).filter((_, i) => i % B === b));

describe('window geometry', () => {
  it('k1 = k2: back-to-back windows; the partial last one is dropped, padded or kept', () => {
    const g = resolveGeometry({ k1: 4 });
    expect(countWindows(10, g)).toBe(2);
    expect(windowSpan(1, 10, g)).toEqual({
      index: 1,
      start: 4,
      T: 4,
      steps: 4,
      context: 0,
      padding: 0,
      carry: 4,
      reset: false,
    });
    expect(windowSpan(2, 10, g)).toBeNull();
    const pad = resolveGeometry({ k1: 4, partial: 'pad' });
    expect(countWindows(10, pad)).toBe(3);
    expect(windowSpan(2, 10, pad)).toEqual({
      index: 2,
      start: 8,
      T: 4,
      steps: 2,
      context: 0,
      padding: 2,
      carry: 2,
      reset: false,
    });
    const keep = resolveGeometry({ k1: 4, partial: 'keep' });
    expect(windowSpan(2, 10, keep)).toEqual({
      index: 2,
      start: 8,
      T: 2,
      steps: 2,
      context: 0,
      padding: 0,
      carry: 2,
      reset: false,
    });
    expect(countWindows(12, keep)).toBe(3); // no partial window when it divides
  });

  it('k1 < k2: window 0 is all new, then every k1 steps a window of k2 with k2 - k1 context steps', () => {
    const g = resolveGeometry({ k1: 2, k2: 5, partial: 'keep' });
    const spans = [];
    for (let i = 0; ; i++) {
      const s = windowSpan(i, 12, g);
      if (s === null) break;
      spans.push([s.start, s.T, s.context, s.carry, s.reset]);
    }
    // windows cover [0,5) [2,7) [4,9) [6,11) and the kept tail [8,12): new steps 0-4, 5-6, 7-8, 9-10, 11
    expect(spans).toEqual([
      [0, 5, 0, 2, true],
      [2, 5, 3, 2, false],
      [4, 5, 3, 2, false],
      [6, 5, 3, 2, false],
      [8, 4, 3, 4, false],
    ]);
    expect(countWindows(12, g)).toBe(5);
    // each step's loss is counted exactly once
    const counted = new Array(12).fill(0);
    for (let i = 0; i < 5; i++) {
      const s = windowSpan(i, 12, g)!;
      for (let t = s.context; t < s.steps; t++) counted[s.start + t]++;
    }
    expect(counted).toEqual(new Array(12).fill(1));
  });

  it('a stream shorter than k2 gives one partial window (or none with "drop")', () => {
    expect(windowSpan(0, 3, resolveGeometry({ k1: 4 }))).toBeNull();
    expect(windowSpan(0, 3, resolveGeometry({ k1: 4, partial: 'pad' }))).toMatchObject({
      T: 4,
      steps: 3,
      padding: 1,
      context: 0,
      reset: true,
    });
  });
});

describe('charRnnBatches', () => {
  const text = 'hello world!'; // 12 ids: B = 2 streams of len floor(11 / 2) = 5
  it('splits the corpus into B contiguous streams, time-major [T, B], targets shifted by one (hand-checked)', () => {
    const ws = [...charRnnBatches(ids(text), { B: 2, k1: 2 })];
    expect(ws.length).toBe(2); // the partial tail (1 step) is dropped
    // stream 0 = "hello" -> "ello ", stream 1 = " worl" -> "world"
    expect(str(ws[0].x)).toBe('h ew'); // x[t·B + b]: h, ' ' at t = 0; e, w at t = 1
    expect(row(ws[0].x, 2, 0)).toBe('he');
    expect(row(ws[0].x, 2, 1)).toBe(' w');
    expect(row(ws[0].targets as Int32Array, 2, 0)).toBe('el');
    expect(row(ws[0].targets as Int32Array, 2, 1)).toBe('wo');
    expect(row(ws[1].x, 2, 0)).toBe('ll');
    expect(row(ws[1].x, 2, 1)).toBe('or');
    expect(row(ws[1].targets as Int32Array, 2, 0)).toBe('lo');
    expect(row(ws[1].targets as Int32Array, 2, 1)).toBe('rl');
    expect(ws.map((w) => [w.T, w.B, w.index, w.reset, w.context, w.carry])).toEqual([
      [2, 2, 0, true, 0, 2],
      [2, 2, 1, false, 0, 2],
    ]);
  });

  it('the partial last window: padded (targets -1) or kept shorter', () => {
    const pad = [...charRnnBatches(ids(text), { B: 2, k1: 2, partial: 'pad' })][2];
    expect(str(pad.x)).toBe('ol00');
    expect(str(pad.targets as Int32Array)).toBe(' d__');
    expect([pad.T, pad.padding, pad.carry]).toEqual([2, 1, 1]);
    const keep = [...charRnnBatches(ids(text), { B: 2, k1: 2, partial: 'keep' })][2];
    expect(str(keep.x)).toBe('ol');
    expect(str(keep.targets as Int32Array)).toBe(' d');
    expect([keep.T, keep.padding, keep.carry, keep.index]).toEqual([1, 0, 1, 2]);
  });

  it('k1 < k2 replays k2 - k1 context steps; start resumes at a window index', () => {
    const all = [...charRnnBatches(ids('abcdefghij'), { k1: 2, k2: 3 })]; // one stream of 9 steps
    expect(all.map((w) => str(w.x))).toEqual(['abc', 'cde', 'efg', 'ghi']);
    expect(all.map((w) => str(w.targets as Int32Array))).toEqual(['bcd', 'def', 'fgh', 'hij']);
    expect(all.map((w) => w.context)).toEqual([0, 1, 1, 1]);
    const resumed = [...charRnnBatches(ids('abcdefghij'), { k1: 2, k2: 3, start: 2 })];
    expect(resumed).toEqual(all.slice(2));
  });

  it('a one-stream corpus is the language-model case: N ids give N - 1 steps', () => {
    const ws = [...charRnnBatches(ids('abcde'), { k1: 2 })];
    expect(ws.map((w) => `${str(w.x)}>${str(w.targets as Int32Array)}`)).toEqual(['ab>bc', 'cd>de']);
  });

  it('validates its arguments at the call', () => {
    expectError(() => charRnnBatches([1, 2, 3] as never, { k1: 2 }), 'ERR_INVALID_ARG', 'for corpus');
    expectError(() => charRnnBatches(ids('abc'), { k1: 2, B: 3 }), 'ERR_INVALID_ARG', 'at least 4 ids', 'for corpus');
    expectError(() => charRnnBatches(ids('abc'), { k1: 0 }), 'ERR_INVALID_ARG', 'options.k1', '0 of type number');
    expectError(
      () => charRnnBatches(ids('abc'), { k1: 2, k2: 1 }),
      'ERR_INVALID_ARG',
      'options.k2',
      'integer >= 2 (options.k1)',
    );
    expectError(
      () => charRnnBatches(ids('abc'), { k1: 2, partial: 'trim' as never }),
      'ERR_INVALID_ARG',
      'options.partial',
      '"drop", "pad", "keep"',
    );
    expectError(() => charRnnBatches(ids('abc'), { k1: 2, B: 0 }), 'ERR_INVALID_ARG', 'options.B');
    expectError(() => charRnnBatches(ids('abc'), { k1: 2, start: -1 }), 'ERR_INVALID_ARG', 'options.start');
    expectError(() => charRnnBatches(ids('abc'), undefined as never), 'ERR_INVALID_ARG', 'options.k1');
  });
});

describe('TbpttWindower (incremental) agrees with the random-access slicers', () => {
  const cases = [
    { k1: 3, k2: 3, partial: 'drop' },
    { k1: 3, k2: 3, partial: 'pad' },
    { k1: 2, k2: 5, partial: 'keep' },
    { k1: 2, k2: 5, partial: 'pad' },
    { k1: 1, k2: 4, partial: 'drop' },
  ] as const;
  for (const c of cases) {
    it(`k1=${c.k1} k2=${c.k2} partial=${c.partial}: dense steps and real targets`, () => {
      const N = 11,
        B = 2,
        X = 3,
        Y = 2;
      const x = Float32Array.from({ length: N * B * X }, (_, i) => i + 1);
      const targets = Float32Array.from({ length: N * B * Y }, (_, i) => -i - 1);
      const expected = [...sequenceWindows({ x, targets, N, B }, c)];
      const windower = new TbpttWindower({ ...c, B });
      const got: FullWindow[] = [];
      for (let t = 0; t < N; t++) {
        const w = windower.push({
          x: x.slice(t * B * X, (t + 1) * B * X),
          target: targets.slice(t * B * Y, (t + 1) * B * Y),
        });
        if (w) got.push(w);
      }
      const last = windower.flush();
      if (last) got.push(last);
      expect(got).toEqual(expected);
      expect(got.length).toBe(countWindows(N, resolveGeometry(c)));
    });
  }

  it("targets: 'next' pairs each id with the next one (same windows as charRnnBatches)", () => {
    const corpus = ids('the quick brown fox');
    const windower = new TbpttWindower({ k1: 3, k2: 4, targets: 'next', partial: 'keep' });
    const got: FullWindow[] = [];
    for (const id of corpus) {
      const w = windower.push(id);
      if (w) got.push(w);
    }
    const last = windower.flush();
    if (last) got.push(last);
    expect(got).toEqual([...charRnnBatches(corpus, { k1: 3, k2: 4, partial: 'keep' })]);
  });

  it('after flush a new sequence starts: no context, reset', () => {
    const windower = new TbpttWindower({ k1: 2, k2: 3 });
    const step = (v: number) => ({ x: Int32Array.of(v), target: Int32Array.of(v + 1) });
    const out = [];
    for (let i = 0; i < 5; i++) out.push(windower.push(step(i)));
    expect(windower.flush()).toBeNull(); // 'drop'
    for (let i = 0; i < 3; i++) out.push(windower.push(step(10 + i)));
    const ws = out.filter((w) => w !== null);
    expect(ws.map((w) => [str(w.x).length, w.context, w.reset, w.index])).toEqual([
      [3, 0, true, 0],
      [3, 1, false, 1],
      [3, 0, true, 2],
    ]);
  });

  it('a step of another shape names the step', () => {
    const windower = new TbpttWindower({ k1: 2, B: 2 });
    windower.push({ x: new Float32Array(6), target: Int32Array.of(1, 2) });
    expectError(
      () => windower.push({ x: new Float32Array(4), target: Int32Array.of(1, 2) }),
      'ERR_SHAPE',
      'step[1].x',
      'length 6',
    );
    expectError(
      () => windower.push({ x: new Float32Array(6), target: new Float32Array(2) }),
      'ERR_SHAPE',
      'step[2].target',
      'Int32Array',
    );
    expectError(() => windower.push(3), 'ERR_INVALID_ARG', 'step[3]', 'options.targets = "next"');
    expectError(
      () => new TbpttWindower({ k1: 2, B: 2, targets: 'next' }).push(4),
      'ERR_INVALID_ARG',
      'step[0]',
      'options.B = 1',
    );
  });

  it('validates its options', () => {
    expectError(() => new TbpttWindower({ k1: 1.5 }), 'ERR_INVALID_ARG', 'options.k1', '1.5 of type number');
    expectError(
      () => new TbpttWindower({ k1: 2, targets: 'prev' as never }),
      'ERR_INVALID_ARG',
      'options.targets',
      '"given", "next"',
    );
    expectError(() => new TbpttWindower({ k1: 2, B: -1 }), 'ERR_INVALID_ARG', 'options.B');
    expectError(() => new TbpttWindower({ k1: 2, start: 0.5 }), 'ERR_INVALID_ARG', 'options.start');
    expectError(
      () => sequenceWindows({ x: new Float32Array(5), targets: new Int32Array(2), N: 2 }, { k1: 1 }),
      'ERR_SHAPE',
      'data.x',
    );
    expectError(
      () => sequenceWindows({ x: new Float32Array(4), targets: new Int32Array(3), N: 2 }, { k1: 1 }),
      'ERR_SHAPE',
      'data.targets',
    );
    expectError(
      () => sequenceWindows({ x: new Float32Array(4), targets: new Int32Array(2), N: 0 }, { k1: 1 }),
      'ERR_INVALID_ARG',
      'data.N',
    );
  });
});
