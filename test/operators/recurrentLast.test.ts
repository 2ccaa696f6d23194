import { describe, expect, it } from 'vitest';
import { Subject, of, range, map, take, lastValueFrom, toArray } from 'rxjs';
import { from as ixFrom } from 'ix/asynciterable';
import { recurrentLast } from '../../src/operators/recurrentLast.ts';
import { recurrentLastAsync } from '../../src/operators/recurrentLast.ix.ts';
import { StateControl } from '../../src/operators/stateControl.ts';
import { collect, denseLstm, reference, testScheduler, vec } from './models.ts';

const model = denseLstm();
const xs = [0, 1, 2, 3, 4, 5].map((i) => vec(i));
/** The last output of stepping xs[from..to) from zeros. */
const last = (from: number, to: number): Float32Array => reference(model, xs.slice(from, to)).ys[to - from - 1];

describe('recurrentLast (RxJS marbles)', () => {
  it('emits the last output when the source completes', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c-|', { a: xs[0], b: xs[1], c: xs[2] });
      expectObservable(src.pipe(recurrentLast(model))).toBe('-------(z|)', { z: last(0, 3) });
      expectSubscriptions(src.subscriptions).toBe('^------!');
    });
  });

  it('emits at each predicate boundary (before: a marker starts a segment)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const src = cold('-a-b-c-d-|', { a: xs[0], b: xs[1], c: xs[2], d: xs[3] });
      const isStart = (x: Float32Array): boolean => x === xs[2];
      expectObservable(src.pipe(recurrentLast(model, { resetOn: isStart }))).toBe('-----A---(D|)', {
        A: last(0, 2),
        D: last(2, 4),
      });
    });
  });

  it('emits at each predicate boundary (after: a marker ends a segment); an empty last segment emits nothing', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const src = cold('-a-b-c-|', { a: xs[0], b: xs[1], c: xs[2] });
      const isEnd = (x: Float32Array): boolean => x === xs[1] || x === xs[2];
      expectObservable(src.pipe(recurrentLast(model, { resetOn: isEnd, resetPosition: 'after' }))).toBe('---B-C-|', {
        B: last(0, 2),
        C: last(2, 3),
      });
    });
  });

  it('a signal emits the segment at once and resets; two signals in a row emit once', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const src = cold('-a-b----c-|', { a: xs[0], b: xs[1], c: xs[2] });
      const sig = hot('-----s-s---');
      expectObservable(src.pipe(recurrentLast(model, { resetOn: sig }))).toBe('-----B----(C|)', {
        B: last(0, 2),
        C: last(2, 3),
      });
    });
  });

  it('empty emits nothing, never never emits, errors pass through', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Float32Array>('|').pipe(recurrentLast(model))).toBe('|');
      expectObservable(cold<Float32Array>('-').pipe(recurrentLast(model))).toBe('-');
      expectObservable(cold('-a-#', { a: xs[0] }).pipe(recurrentLast(model))).toBe('---#');
    });
  });

  it('a throwing step errors the stream; early unsubscription stops the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bad = cold('-a-b-|', { a: xs[0], b: new Float32Array(4) });
      expectObservable(bad.pipe(recurrentLast(model))).toBe(
        '---#',
        undefined,
        expect.objectContaining({ code: 'ERR_SHAPE' }) as unknown as Error,
      );
      const src = cold('-a-b-c-|', { a: xs[0], b: xs[1], c: xs[2] });
      expectObservable(src.pipe(recurrentLast(model)), '^--!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('a synchronous source with take stops at once', () => {
    let steps = 0;
    const got: Float32Array[] = [];
    range(0, 1_000_000)
      .pipe(
        map((i) => vec(i % 6)),
        recurrentLast(model, { resetOn: (_x, i) => i % 2 === 0 && i > 0, onState: () => steps++ }),
        take(2),
      )
      .subscribe((y) => got.push(y));
    expect(got).toEqual([last(0, 2), last(2, 4)]);
    expect(steps).toBe(4); // the element that closes the second segment is not stepped
  });

  it('two subscriptions never share a state', () => {
    const s = new Subject<Float32Array>();
    const a: Float32Array[] = [];
    const b: Float32Array[] = [];
    s.pipe(recurrentLast(model)).subscribe((y) => a.push(y));
    s.pipe(recurrentLast(model)).subscribe((y) => b.push(y));
    xs.slice(0, 3).forEach((x) => s.next(x));
    s.complete();
    expect(a).toEqual([last(0, 3)]);
    expect(b).toEqual([last(0, 3)]);
  });

  it('control.reset starts a new segment without emitting', async () => {
    const control = new StateControl();
    const s = new Subject<Float32Array>();
    const done = lastValueFrom(s.pipe(recurrentLast(model, { control }), toArray()));
    s.next(xs[0]);
    control.reset();
    s.next(xs[1]);
    s.complete();
    expect(await done).toEqual([reference(model, [xs[1]]).ys[0]]);
  });

  it('works with token ids', async () => {
    const ys = await lastValueFrom(of(xs[0], xs[1]).pipe(recurrentLast(model), toArray()));
    expect(ys).toEqual([last(0, 2)]);
  });
});

describe('recurrentLastAsync (IxJS pull)', () => {
  it('yields the last output of each segment', async () => {
    expect(
      await collect(ixFrom(xs.slice(0, 4)).pipe(recurrentLastAsync(model, { resetOn: (_x, i) => i === 2 }))),
    ).toEqual([last(0, 2), last(2, 4)]);
    expect(
      await collect(
        ixFrom(xs.slice(0, 3)).pipe(recurrentLastAsync(model, { resetOn: (_x, i) => i === 2, resetPosition: 'after' })),
      ),
    ).toEqual([last(0, 3)]);
    expect(await collect(ixFrom<Float32Array>([]).pipe(recurrentLastAsync(model)))).toEqual([]);
  });

  it('aborts at once with ERR_ABORTED', async () => {
    const ac = new AbortController();
    async function* slow() {
      yield xs[0];
      await new Promise(() => undefined);
    }
    const pending = collect(recurrentLastAsync(model, { signal: ac.signal })(slow()));
    setTimeout(() => ac.abort(), 5);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });
});
