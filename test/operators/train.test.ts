/**
 * Training operators: `trainOn` (RxJS) through the marble checklist, online learning from a live stream of
 * token ids, stopping between updates (unsubscribe, take, AbortSignal, a failed update) with the model left at
 * the last completed update; `trainOnAsync` (IxJS) pulling one window per event with no read-ahead.
 */
import { describe, expect, it } from 'vitest';
import { from, map, Subject, take, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { from as ixFrom, toArray } from 'ix/asynciterable';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { Trainer, type TrainEvent } from '../../src/train/trainer.ts';
import { charRnnBatches } from '../../src/train/charRnnBatches.ts';
import type { TbpttWindow } from '../../src/train/windows.ts';
import { trainOn } from '../../src/operators/train.ts';
import { trainOnAsync } from '../../src/operators/train.ix.ts';
import { tbpttWindows } from '../../src/operators/windows.ts';
import { tbpttWindowsAsync } from '../../src/operators/windows.ix.ts';
import type { EddyError } from '../../src/util/errors.ts';

const V = 5;
const corpus = Int32Array.from({ length: 200 }, (_, i) => (i * 7 + (i >> 3)) % V);
const windows = (): TbpttWindow[] => [...charRnnBatches(corpus, { B: 2, k1: 6 })];

function fresh(): Trainer {
  const model = RNNModel.create(
    { cell: 'gru', input: 'onehot', inputSize: V, hiddenSize: 6, outputSize: V },
    { seed: 4 },
  );
  return new Trainer(model, { optimizer: { name: 'adam', lr: 0.02 }, k1: 6 });
}
/** Parameters after the first n windows, trained directly. */
function reference(n: number): Float32Array {
  const t = fresh();
  for (const w of windows().slice(0, n)) t.update(w);
  return t.model.params;
}

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('trainOn (RxJS)', () => {
  const ws = windows();
  const values = { a: ws[0], b: ws[1], c: ws[2] };
  const steps = (o: Observable<TrainEvent>) => o.pipe(map((e) => e.step));

  it('emits one event per window, on the window’s frame', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(steps(cold('-a--b-c|', values).pipe(trainOn(fresh())))).toBe('-0--1-2|', { 0: 0, 1: 1, 2: 2 });
    });
  });
  it('empty, never, and a source error pass through', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<TbpttWindow>('|').pipe(trainOn(fresh()))).toBe('|');
      expectObservable(cold<TbpttWindow>('-').pipe(trainOn(fresh()))).toBe('-');
      expectObservable(steps(cold('-a-#', values, new Error('boom')).pipe(trainOn(fresh())))).toBe(
        '-0-#',
        { 0: 0 },
        new Error('boom'),
      );
    });
  });
  it('a failed update becomes the stream error; the model keeps the last completed update', () => {
    const trainer = fresh();
    const bad = { ...ws[2], x: ws[2].x.slice(1) };
    testScheduler().run(({ cold, expectObservable }) => {
      const out = cold('ab-x-c|', { ...values, x: bad }).pipe(
        trainOn(trainer),
        map((e) => e.step),
      );
      expectObservable(out).toBe('01-#', { 0: 0, 1: 1 }, expect.objectContaining({ code: 'ERR_SHAPE' }) as never);
    });
    expect(trainer.step).toBe(2);
    expect(trainer.model.params).toEqual(reference(2));
  });
  it('early unsubscribe stops between updates', () => {
    const trainer = fresh();
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(steps(cold('a-b-c-|', values).pipe(trainOn(trainer))), '^--!').toBe('0-1', { 0: 0, 1: 1 });
    });
    expect(trainer.model.params).toEqual(reference(2));
  });
  it('a synchronous source with take(3): params equal those after the third update', () => {
    const trainer = fresh();
    const events: TrainEvent[] = [];
    from(windows())
      .pipe(trainOn(trainer), take(3))
      .subscribe((e) => events.push(e));
    expect(events.map((e) => e.index)).toEqual([0, 1, 2]);
    expect(trainer.step).toBe(3);
    expect(trainer.model.params).toEqual(reference(3));
  });
  it('unsubscribing a live stream mid-way leaves the model consistent', () => {
    const trainer = fresh();
    const live = new Subject<TbpttWindow>();
    const sub = live.pipe(trainOn(trainer)).subscribe();
    const all = windows();
    live.next(all[0]);
    live.next(all[1]);
    live.next(all[2]);
    sub.unsubscribe();
    live.next(all[3]);
    expect(trainer.step).toBe(3);
    expect(trainer.model.params).toEqual(reference(3));
  });
  it('an AbortSignal stops it with ERR_ABORTED', () => {
    const trainer = fresh();
    const ac = new AbortController();
    const live = new Subject<TbpttWindow>();
    let error: unknown;
    live.pipe(trainOn(trainer, { signal: ac.signal })).subscribe({ error: (e) => (error = e) });
    live.next(windows()[0]);
    ac.abort();
    live.next(windows()[1]);
    expect((error as EddyError).code).toBe('ERR_ABORTED');
    expect(trainer.step).toBe(1);
    expect(trainer.model.params).toEqual(reference(1));
    let early: unknown;
    from(windows())
      .pipe(trainOn(fresh(), { signal: ac.signal }))
      .subscribe({ error: (e) => (early = e) });
    expect((early as EddyError).code).toBe('ERR_ABORTED');
  });
  it('learns online from a live stream of token ids (tbpttWindows with targets: "next")', () => {
    const model = RNNModel.create(
      { cell: 'lstm', input: 'onehot', inputSize: V, hiddenSize: 12, outputSize: V },
      { seed: 1 },
    );
    const trainer = new Trainer(model, { optimizer: { name: 'adam', lr: 0.03 }, k1: 8, clipNorm: 5 });
    const ids = new Subject<number>();
    const losses: number[] = [];
    ids.pipe(tbpttWindows({ k1: 8, targets: 'next' }), trainOn(trainer)).subscribe((e) => losses.push(e.loss));
    const pattern = [0, 1, 2, 3, 4, 3, 2, 1]; // each id's successor depends on where it is in the cycle
    for (let i = 0; i < 8 * 250 + 1; i++) ids.next(pattern[i % pattern.length]);
    expect(losses.length).toBe(250);
    expect(losses[0]).toBeGreaterThan(1);
    expect(losses.slice(-10).reduce((a, b) => a + b) / 10).toBeLessThan(0.1); // ln 5 = 1.61 untrained
  });
  it('validates its arguments at the call', () => {
    expect(() => trainOn({} as never)).toThrow(/Expected a Trainer for trainer/);
    expect(() => trainOn(fresh(), { signal: 'stop' as never })).toThrow(/Expected an AbortSignal for options\.signal/);
    expect(() => trainOn(fresh(), 3 as never)).toThrow(/for options but received 3/);
  });
});

describe('trainOnAsync (IxJS)', () => {
  /** An async source of windows that counts how many were pulled and whether it was closed. */
  function counted() {
    const log = { pulled: 0, closed: false };
    async function* gen(): AsyncGenerator<TbpttWindow> {
      try {
        for (const w of windows()) {
          log.pulled++;
          yield w;
        }
      } finally {
        log.closed = true;
      }
    }
    return { log, source: gen() };
  }

  it('trains one epoch over an async generator, the same as direct updates', async () => {
    const trainer = fresh();
    const events: TrainEvent[] = [];
    for await (const e of trainOnAsync(trainer)(counted().source)) events.push(e);
    const n = windows().length;
    expect(events.map((e) => e.step)).toEqual([...Array(n).keys()]);
    expect(trainer.model.params).toEqual(reference(n));
  });
  it('pulls one window per event requested, with no read-ahead', async () => {
    const { log, source } = counted();
    const it = trainOnAsync(fresh())(source)[Symbol.asyncIterator]();
    expect(log.pulled).toBe(0);
    await it.next();
    expect(log.pulled).toBe(1);
    await it.next();
    expect(log.pulled).toBe(2);
    await it.return?.();
    expect(log.closed).toBe(true);
  });
  it('break mid-epoch leaves the params of the last completed update and closes the source', async () => {
    const trainer = fresh();
    const { log, source } = counted();
    for await (const e of trainOnAsync(trainer)(source)) if (e.step === 2) break;
    expect(log.closed).toBe(true);
    expect(trainer.model.params).toEqual(reference(3));
  });
  it('an AbortSignal ends the iteration with ERR_ABORTED at the next pull', async () => {
    const trainer = fresh();
    const ac = new AbortController();
    const { log, source } = counted();
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const e of trainOnAsync(trainer, { signal: ac.signal })(source)) {
          seen.push(e.step);
          if (e.step === 1) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(seen).toEqual([0, 1]);
    expect(log.closed).toBe(true);
    expect(trainer.model.params).toEqual(reference(2));
  });
  it('a failed update is thrown from the pull; the trainer is unchanged by it', async () => {
    const trainer = fresh();
    const ws = windows();
    async function* src() {
      yield ws[0];
      yield { ...ws[1], targets: new Int32Array(3) };
    }
    await expect(
      (async () => {
        for await (const _ of trainOnAsync(trainer)(src())) void _;
      })(),
    ).rejects.toMatchObject({ code: 'ERR_SHAPE' });
    expect(trainer.step).toBe(1);
    expect(trainer.model.params).toEqual(reference(1));
  });
  it('composes in an IxJS pipe with tbpttWindowsAsync over a sync iterable of ids', async () => {
    const trainer = fresh();
    const events = await toArray(
      ixFrom(corpus.subarray(0, 61)).pipe(tbpttWindowsAsync({ k1: 6, targets: 'next' }), trainOnAsync(trainer)),
    );
    expect(events.map((e) => e.index)).toEqual([...Array(10).keys()]);
    const ref = fresh();
    for (const w of charRnnBatches(corpus.subarray(0, 61), { k1: 6 })) ref.update(w);
    expect(trainer.model.params).toEqual(ref.model.params);
  });
  it('validates its arguments at the call', () => {
    expect(() => trainOnAsync(null as never)).toThrow(/for trainer/);
    expect(() => trainOnAsync(fresh())(42 as never)).toThrow(/an async-iterable or iterable for source/);
    expect(() => trainOnAsync(fresh(), { signal: {} as never })).toThrow(/options\.signal/);
  });
});
