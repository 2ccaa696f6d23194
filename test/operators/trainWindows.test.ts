/**
 * `tbpttWindows` (RxJS) through the marble checklist, and `tbpttWindowsAsync` (IxJS) pulling steps only until
 * a window is complete, with its AbortSignal.
 */
import { describe, expect, it } from 'vitest';
import { from, map, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { tbpttWindows } from '../../src/operators/windows.ts';
import { tbpttWindowsAsync } from '../../src/operators/windows.ix.ts';
import type { TbpttStep } from '../../src/train/tbpttWindows.ts';
import type { FullWindow } from '../../src/train/windows.ts';

const step = (c: string): TbpttStep => ({ x: c.charCodeAt(0), target: c.charCodeAt(0) + 1 });
const text = (w: FullWindow): string =>
  String.fromCharCode(...w.x) + (w.padding ? `+${w.padding}` : '') + (w.context ? `/${w.context}` : '');
const steps = Object.fromEntries([...'abcdefgh'].map((c) => [c, step(c)]));

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('tbpttWindows (RxJS)', () => {
  it('emits each window on the step that completes it, and the partial last one on completion', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const out = cold('abcdefg|', steps).pipe(tbpttWindows({ k1: 2, k2: 4, partial: 'keep' }), map(text));
      expectObservable(out).toBe('---x-y-(z|)', { x: 'abcd', y: 'cdef/2', z: 'efg/2' });
      const pad = cold('abcde|', steps).pipe(tbpttWindows({ k1: 3, partial: 'pad' }), map(text));
      expectObservable(pad).toBe('--x--(y|)', { x: 'abc', y: 'de\u0000+1' });
    });
  });
  it('empty, never, error, a bad step, early unsubscribe', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<TbpttStep>('|').pipe(tbpttWindows({ k1: 2 }))).toBe('|');
      expectObservable(cold<TbpttStep>('-').pipe(tbpttWindows({ k1: 2 }))).toBe('-');
      expectObservable(cold('ab#', steps).pipe(tbpttWindows({ k1: 2 }), map(text))).toBe('-x#', { x: 'ab' });
      const bad = cold('abx', { ...steps, x: { x: 'oops', target: 1 } as unknown as TbpttStep }).pipe(
        tbpttWindows({ k1: 2 }),
        map(text),
      );
      expectObservable(bad).toBe(
        '-a#',
        { a: 'ab' },
        expect.objectContaining({ code: 'ERR_SHAPE', message: expect.stringContaining('step[2].x') }) as never,
      );
      expectObservable(cold('abcdef|', steps).pipe(tbpttWindows({ k1: 2 }), map(text)), '^--!').toBe('-x-', {
        x: 'ab',
      });
    });
  });
  it('two subscriptions do not share steps; a synchronous source stops at take', () => {
    const src = from([...'abcdefgh'].map(step));
    const op = tbpttWindows({ k1: 3 });
    const a: string[] = [];
    const b: string[] = [];
    src.pipe(op, map(text)).subscribe((w) => a.push(w));
    src.pipe(op, map(text)).subscribe((w) => b.push(w));
    expect(a).toEqual(['abc', 'def']);
    expect(b).toEqual(a);
    let pulled = 0;
    const counted = from([...'abcdefgh']).pipe(
      map((c) => {
        pulled++;
        return step(c);
      }),
    );
    const first: string[] = [];
    counted.pipe(tbpttWindows({ k1: 2 }), take(1), map(text)).subscribe((w) => first.push(w));
    expect(first).toEqual(['ab']);
    expect(pulled).toBe(2);
  });
  it('validates its options at the call', () => {
    expect(() => tbpttWindows({ k1: 2, k2: 1 })).toThrow(/options\.k2/);
    expect(() => tbpttWindows({ k1: 2, partial: 'all' as never })).toThrow(/options\.partial/);
  });
});

describe('tbpttWindowsAsync (IxJS)', () => {
  it('pulls steps only until the next window is complete; the signal stops it', async () => {
    let pulled = 0;
    let closed = false;
    async function* ids() {
      try {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield i % 7;
        }
      } finally {
        closed = true;
      }
    }
    const ac = new AbortController();
    const it = tbpttWindowsAsync({ k1: 4, targets: 'next', signal: ac.signal })(ids())[Symbol.asyncIterator]();
    const w = (await it.next()).value as FullWindow;
    expect([...w.x]).toEqual([0, 1, 2, 3]);
    expect([...w.targets]).toEqual([1, 2, 3, 4]);
    expect(pulled).toBe(5); // 4 steps need 5 ids
    ac.abort();
    await expect(it.next()).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(closed).toBe(true);
  });
  it('flushes the partial last window at the end of the source', async () => {
    const out: string[] = [];
    for await (const w of tbpttWindowsAsync({ k1: 3, partial: 'keep' })([...'abcde'].map(step))) out.push(text(w));
    expect(out).toEqual(['abc', 'de']);
    expect(() => tbpttWindowsAsync({ k1: 3, signal: 1 as never })).toThrow(/options\.signal/);
  });
});
