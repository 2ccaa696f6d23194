import { describe, expect, it } from 'vitest';
import { Subject, interval, range, take, timer, lastValueFrom, toArray, of, throwError, NEVER, map } from 'rxjs';
import { bounded, createBoundedStats, type BackpressurePolicy } from '../../src/operators/bounded.ts';
import { recurrent } from '../../src/operators/recurrent.ts';
import { denseLstm, reference, testScheduler, vec } from './models.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * A producer 100x faster than the consumer: each round pushes 100 elements synchronously, then the consumer
 * finishes one element (its `ready` promise resolves). After the last round the source completes and the
 * consumer drains what is left.
 */
async function fastProducer(policy: BackpressurePolicy, rounds: number, capacity: number) {
  const stats = createBoundedStats();
  const resolvers: (() => void)[] = [];
  const emitted: number[] = [];
  const dropped: number[] = [];
  let error: unknown;
  let completed = false;
  let maxHeld = 0;
  const s = new Subject<number>();
  s.pipe(
    bounded({
      capacity,
      policy,
      stats,
      onDrop: (x) => dropped.push(x),
      ready: () => new Promise<void>((r) => resolvers.push(r)),
    }),
  ).subscribe({
    next: (x) => emitted.push(x),
    error: (e) => (error = e),
    complete: () => (completed = true),
  });
  for (let r = 0; r < rounds && error === undefined; r++) {
    for (let j = 0; j < 100; j++) {
      s.next(r * 100 + j);
      maxHeld = Math.max(maxHeld, stats.queued);
    }
    resolvers.shift()?.();
    await tick();
  }
  s.complete();
  while (resolvers.length > 0 && !completed && error === undefined) {
    resolvers.shift()?.();
    await tick();
  }
  return { stats, emitted, dropped, error, completed, maxHeld };
}

describe('bounded: a producer 100x faster than the consumer', () => {
  it("'drop-oldest' keeps the queue bounded and counts drops exactly", async () => {
    const r = await fastProducer('drop-oldest', 50, 16);
    expect(r.completed).toBe(true);
    expect(r.maxHeld).toBe(16);
    expect(r.stats).toEqual({ received: 5000, emitted: 66, dropped: 4934, queued: 0, maxQueued: 16 });
    expect(r.dropped).toHaveLength(4934);
    // each round the consumer takes the oldest survivor: the 16 newest of the round before
    const expected = [
      0,
      ...Array.from({ length: 50 }, (_, k) => k * 100 + 84),
      ...Array.from({ length: 15 }, (_, k) => 4985 + k),
    ];
    expect(r.emitted).toEqual(expected);
  });

  it("'drop-newest' keeps the queue bounded and counts drops exactly", async () => {
    const r = await fastProducer('drop-newest', 50, 16);
    expect(r.completed).toBe(true);
    expect(r.stats).toEqual({ received: 5000, emitted: 66, dropped: 4934, queued: 0, maxQueued: 16 });
    const expected = [
      ...Array.from({ length: 17 }, (_, k) => k),
      ...Array.from({ length: 49 }, (_, k) => (k + 1) * 100),
    ];
    expect(r.emitted).toEqual(expected);
    expect(new Set([...r.emitted, ...r.dropped]).size).toBe(5000);
  });

  it("'error' fails with ERR_BACKPRESSURE when the queue overflows", async () => {
    const r = await fastProducer('error', 50, 16);
    expect(r.error).toMatchObject({ code: 'ERR_BACKPRESSURE', message: expect.stringContaining('capacity 16') });
    expect(r.emitted).toEqual([0]);
    // the 16 queued elements and the one that found the queue full are discarded: all counted as dropped
    expect(r.stats).toMatchObject({ received: 18, emitted: 1, dropped: 17, queued: 0, maxQueued: 16 });
    expect(r.dropped).toEqual(Array.from({ length: 17 }, (_, k) => k + 1));
    expect(r.stats.received).toBe(r.stats.emitted + r.stats.dropped + r.stats.queued);
  });

  it('virtual time: interval(1) against a consumer busy 100 frames per element', () => {
    for (const policy of ['drop-oldest', 'drop-newest'] as const) {
      const stats = createBoundedStats();
      const ts = testScheduler();
      ts.run(({ expectObservable }) => {
        const r$ = interval(1).pipe(
          take(1000),
          bounded({ capacity: 8, policy, stats, ready: () => timer(100) }),
          map(() => ts.now()),
          toArray(),
        );
        // the first at 1; one per 100 frames while the source runs (101 .. 901); then the 8 queued (1001 .. 1701)
        const times = [1, ...Array.from({ length: 17 }, (_, k) => 101 + 100 * k)];
        expectObservable(r$).toBe('1701ms (a|)', { a: times });
      });
      expect(stats).toEqual({ received: 1000, emitted: 18, dropped: 982, queued: 0, maxQueued: 8 });
    }
  });
});

describe('bounded: marbles', () => {
  const src = '-a-b-c-d-e-f-g-h-|';
  it.each([
    ['drop-oldest', '-a----b----e----g----(h|)'],
    ['drop-newest', '-a----b----c----d----(g|)'],
  ] as const)('%s with a consumer busy 5 frames', (policy, expected) => {
    const stats = createBoundedStats();
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const s = cold(src);
      expectObservable(s.pipe(bounded({ capacity: 2, policy, stats, ready: () => timer(5) }))).toBe(expected);
      expectSubscriptions(s.subscriptions).toBe('^----------------!');
    });
    expect(stats.dropped).toBe(3);
  });

  it("'error' fails when the queue is full", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold(src).pipe(bounded({ capacity: 2, policy: 'error', ready: () => timer(5) }))).toBe(
        '-a----b--#',
        undefined,
        expect.objectContaining({ code: 'ERR_BACKPRESSURE' }) as unknown as Error,
      );
    });
  });

  it('empty, never, an error forwarded at once (queue dropped)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const op = bounded<string>({ capacity: 2, ready: () => timer(5) });
      expectObservable(cold<string>('|').pipe(op)).toBe('|');
      expectObservable(cold<string>('-').pipe(op)).toBe('-');
      expectObservable(cold('ab-#').pipe(op)).toBe('a--#');
    });
  });

  it('early unsubscription cancels the pending ready and clears the queue', () => {
    const stats = createBoundedStats();
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const s = cold('abc---|');
      expectObservable(s.pipe(bounded({ capacity: 4, stats, ready: () => timer(3) })), '^----!').toBe('a--b-');
      expectSubscriptions(s.subscriptions).toBe('^----!');
    });
    expect(stats.queued).toBe(0);
  });

  it('a throwing onDrop and a failing ready error the stream', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const boom = new Error('onDrop');
      expectObservable(
        cold('abc|').pipe(
          bounded({
            capacity: 1,
            policy: 'drop-newest',
            onDrop: () => {
              throw boom;
            },
            ready: () => timer(9),
          }),
        ),
      ).toBe('a-#', undefined, boom);
      const bad = new Error('sink');
      expectObservable(cold('ab|').pipe(bounded({ capacity: 1, ready: () => throwError(() => bad) }))).toBe(
        '(a#)',
        undefined,
        bad,
      );
    });
  });

  it('without ready (a synchronous consumer) it passes through; a synchronous source with take stops at once', () => {
    const stats = createBoundedStats();
    const got: number[] = [];
    range(0, 1e6)
      .pipe(bounded({ capacity: 4, stats }), take(3))
      .subscribe((x) => got.push(x));
    expect(got).toEqual([0, 1, 2]);
    expect(stats).toEqual({ received: 3, emitted: 3, dropped: 0, queued: 0, maxQueued: 0 });
  });

  it('a ready that settles synchronously drains without recursion', async () => {
    const r = await lastValueFrom(range(0, 5000).pipe(bounded({ capacity: 8, ready: () => of(true) }), toArray()));
    expect(r).toHaveLength(5000);
  });

  it('a ready that never settles holds at most capacity + 1 elements', () => {
    const stats = createBoundedStats();
    const got: number[] = [];
    range(0, 10000)
      .pipe(bounded({ capacity: 8, ready: () => NEVER, stats }))
      .subscribe((x) => got.push(x));
    expect(got).toEqual([0]);
    expect(stats).toMatchObject({ received: 10000, emitted: 1, dropped: 10000 - 9, queued: 8 });
  });
});

describe('bounded in front of recurrent', () => {
  it('the step sees exactly the surviving elements, in order, with the state carried over them', async () => {
    const model = denseLstm();
    const xs = Array.from({ length: 40 }, (_, i) => vec(i));
    const s = new Subject<Float32Array>();
    const resolvers: (() => void)[] = [];
    const kept: Float32Array[] = [];
    const dropped = new Set<Float32Array>();
    const done = lastValueFrom(
      s.pipe(
        bounded({
          capacity: 3,
          policy: 'drop-oldest',
          onDrop: (x) => dropped.add(x),
          ready: (x) => {
            kept.push(x);
            return new Promise<void>((r) => resolvers.push(r));
          },
        }),
        recurrent(model),
        toArray(),
      ),
    );
    for (let r = 0; r < 4; r++) {
      for (let j = 0; j < 10; j++) s.next(xs[r * 10 + j]);
      resolvers.shift()?.();
      await tick();
    }
    s.complete();
    while (resolvers.length) {
      resolvers.shift()?.();
      await tick();
    }
    const ys = await done;
    expect(kept.length + dropped.size).toBe(40);
    expect(ys).toEqual(reference(model, kept).ys);
  });
});
