import { describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Subject, of, range, take, map, finalize, lastValueFrom, toArray, defer } from 'rxjs';
import { from as ixFrom } from 'ix/asynciterable';
import { take as ixTake } from 'ix/asynciterable/operators';
import { recurrent } from '../../src/operators/recurrent.ts';
import { recurrentAsync } from '../../src/operators/recurrent.ix.ts';
import { recurrentTransform } from '../../src/operators/recurrentTransform.ts';
import { StateControl } from '../../src/operators/stateControl.ts';
import { serializeState, deserializeState, cloneState } from '../../src/model/recurrentState.ts';
import { EddyError } from '../../src/util/errors.ts';
import { charGru, collect, denseLstm, reference, testScheduler, vec } from './models.ts';

const model = denseLstm();
const xs = [0, 1, 2, 3, 4, 5].map((i) => vec(i));
const ref = reference(model, xs).ys;

describe('recurrent (RxJS marbles)', () => {
  it('emits one output per step, carrying the state', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b--c-|', { a: xs[0], b: xs[1], c: xs[2] });
      expectObservable(src.pipe(recurrent(model))).toBe('-a-b--c-|', { a: ref[0], b: ref[1], c: ref[2] });
      expectSubscriptions(src.subscriptions).toBe('^-------!');
    });
  });

  it('empty completes, never never emits, an error passes through', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Float32Array>('|').pipe(recurrent(model))).toBe('|');
      expectObservable(cold<Float32Array>('-').pipe(recurrent(model))).toBe('-');
      expectObservable(cold('-a-#', { a: xs[0] }, new Error('boom')).pipe(recurrent(model))).toBe(
        '-a-#',
        { a: ref[0] },
        new Error('boom'),
      );
    });
  });

  it('a throwing step (bad input shape) errors the stream and unsubscribes from the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c|', { a: xs[0], b: new Float32Array(2), c: xs[2] });
      const result = src.pipe(recurrent(model));
      expectObservable(result).toBe(
        '-a-#',
        { a: ref[0] },
        expect.objectContaining({ code: 'ERR_SHAPE' }) as unknown as Error,
      );
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('a throwing onState errors the stream', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const boom = new Error('hook');
      const src = cold('-a-b|', { a: xs[0], b: xs[1] });
      expectObservable(
        src.pipe(
          recurrent(model, {
            onState: (_s, i) => {
              if (i === 1) throw boom;
            },
          }),
        ),
      ).toBe('-a-#', { a: ref[0] }, boom);
    });
  });

  it('early unsubscription stops the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c-|', { a: xs[0], b: xs[1], c: xs[2] });
      expectObservable(src.pipe(recurrent(model)), '^--!').toBe('-a-', { a: ref[0] });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('resets on a signal Observable', () => {
    const fresh = reference(model, [xs[2]]).ys[0];
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const src = cold('-a-b--c-|', { a: xs[0], b: xs[1], c: xs[2] });
      const resets = hot('-----r---');
      expectObservable(src.pipe(recurrent(model, { resetOn: resets }))).toBe('-a-b--c-|', {
        a: ref[0],
        b: ref[1],
        c: fresh,
      });
    });
  });

  it('resets before (default) or after a predicate match', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const src = cold('abc|', { a: xs[0], b: xs[1], c: xs[2] });
      const before = reference(model, [xs[1], xs[2]]).ys;
      expectObservable(src.pipe(recurrent(model, { resetOn: (_x, i) => i === 1 }))).toBe('abc|', {
        a: ref[0],
        b: before[0],
        c: before[1],
      });
      const after = reference(model, [xs[2]]).ys[0];
      expectObservable(src.pipe(recurrent(model, { resetOn: (_x, i) => i === 1, resetPosition: 'after' }))).toBe(
        'abc|',
        { a: ref[0], b: ref[1], c: after },
      );
    });
  });

  it('a synchronous source with take stops after n steps', () => {
    let steps = 0;
    let finalized = false;
    const got: Float32Array[] = [];
    range(0, 1_000_000)
      .pipe(
        map((i) => vec(i)),
        recurrent(model, { onState: () => steps++ }),
        take(3),
        finalize(() => (finalized = true)),
      )
      .subscribe((y) => got.push(y));
    expect(steps).toBe(3);
    expect(got).toEqual(ref.slice(0, 3));
    expect(finalized).toBe(true);
  });

  it('two subscriptions never share a state', () => {
    const result$ = of(...xs.slice(0, 3)).pipe(recurrent(model));
    const a: Float32Array[] = [];
    const b: Float32Array[] = [];
    result$.subscribe((y) => a.push(y));
    result$.subscribe((y) => b.push(y));
    expect(a).toEqual(ref.slice(0, 3));
    expect(b).toEqual(ref.slice(0, 3));
    // interleaved pushes through one Subject
    const s = new Subject<Float32Array>();
    const c: Float32Array[] = [];
    const d: Float32Array[] = [];
    s.pipe(recurrent(model)).subscribe((y) => c.push(y));
    s.pipe(recurrent(model)).subscribe((y) => d.push(y));
    xs.slice(0, 3).forEach((x) => s.next(x));
    expect(c).toEqual(ref.slice(0, 3));
    expect(d).toEqual(ref.slice(0, 3));
  });

  it('outputs are copies', async () => {
    const ys = await lastValueFrom(of(xs[0], xs[1]).pipe(recurrent(model), toArray()));
    expect(ys[0]).not.toBe(ys[1]);
    expect(ys[0]).toEqual(ref[0]);
  });

  it('takes token ids as numbers or Int32Array [1]; rejects a bad id as a stream error', async () => {
    const gru = charGru();
    const r = reference(gru, [1, 4, 2]).ys;
    expect(
      await lastValueFrom(of(1 as number | Int32Array, Int32Array.of(4), 2).pipe(recurrent(gru), toArray())),
    ).toEqual(r);
    await expect(lastValueFrom(of(1, 9).pipe(recurrent(gru)))).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringContaining('token id'),
    });
    await expect(lastValueFrom(of(1.5).pipe(recurrent(gru)))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(lastValueFrom(of(1).pipe(recurrent(model)))).rejects.toMatchObject({ code: 'ERR_SHAPE' });
  });
});

describe('state control', () => {
  it('initialState starts from a given state; snapshot/restore through JSON continue identically', () => {
    const control = new StateControl();
    const s = new Subject<Float32Array>();
    const got: Float32Array[] = [];
    s.pipe(recurrent(model, { control })).subscribe((y) => got.push(y));
    expect(control.attached).toBe(true);
    s.next(xs[0]);
    s.next(xs[1]);
    const json = JSON.parse(JSON.stringify(control.serialize())) as ReturnType<typeof serializeState>;
    const snap = control.snapshot();
    s.next(xs[2]);
    s.next(xs[3]);
    expect(got).toEqual(ref.slice(0, 4));
    // a new subscription from the JSON snapshot continues as the first did
    const cont: Float32Array[] = [];
    of(xs[2], xs[3])
      .pipe(recurrent(model, { initialState: json }))
      .subscribe((y) => cont.push(y));
    expect(cont).toEqual(ref.slice(2, 4));
    // restore into the live subscription: replays the same outputs
    control.restore(snap);
    s.next(xs[2]);
    expect(got[4]).toEqual(ref[2]);
    control.restore(deserializeState(json));
    s.next(xs[2]);
    expect(got[5]).toEqual(ref[2]);
    control.reset();
    s.next(xs[0]);
    expect(got[6]).toEqual(ref[0]);
    s.complete();
    expect(control.attached).toBe(false);
    expect(() => control.snapshot()).toThrow(/not attached/);
  });

  it('resets go back to the initial state', () => {
    const init = reference(model, xs.slice(0, 2)).state;
    const got: Float32Array[] = [];
    of(xs[2], xs[3], xs[2])
      .pipe(recurrent(model, { initialState: cloneState(init), resetOn: (_x, i) => i === 2 }))
      .subscribe((y) => got.push(y));
    expect(got).toEqual([ref[2], ref[3], ref[2]]);
  });

  it('a control serves one live subscription: the second errors', () => {
    const control = new StateControl();
    const s = new Subject<Float32Array>();
    s.pipe(recurrent(model, { control })).subscribe();
    let err: unknown;
    s.pipe(recurrent(model, { control })).subscribe({ error: (e) => (err = e) });
    expect(err).toBeInstanceOf(EddyError);
    expect((err as Error).message).toMatch(/options.control/);
  });

  it('a restore with the wrong shape throws naming the state', () => {
    const control = new StateControl();
    const sub = new Subject<Float32Array>().pipe(recurrent(model, { control })).subscribe();
    expect(() => control.restore({ h: [1, 2] })).toThrow(/state.h/);
    expect(() => control.restore({ h: new Array(8).fill(0) })).toThrow(/state.c/);
    sub.unsubscribe();
  });

  it('onState sees the live state after each step', () => {
    const states: number[][] = [];
    of(xs[0], xs[1])
      .pipe(recurrent(model, { onState: (st, i) => states.push([i, ...st.h]) }))
      .subscribe();
    const st = model.createState(1);
    model.step(xs[0], st);
    expect(states[0]).toEqual([0, ...st.h]);
    model.step(xs[1], st);
    expect(states[1]).toEqual([1, ...st.h]);
  });
});

describe('recurrentAsync (IxJS pull)', () => {
  it('yields one output per pulled step', async () => {
    expect(await collect(ixFrom(xs).pipe(recurrentAsync(model)))).toEqual(ref);
    expect(await collect(recurrentAsync(model)(xs))).toEqual(ref); // a sync iterable as the source
  });

  it('take stops pulling and returns the source', async () => {
    let pulled = 0;
    let returned = false;
    async function* src() {
      try {
        for (const x of xs) {
          pulled++;
          yield x;
        }
      } finally {
        returned = true;
      }
    }
    expect(await collect(ixFrom(src()).pipe(recurrentAsync(model), ixTake(2)))).toEqual(ref.slice(0, 2));
    expect(pulled).toBe(2);
    expect(returned).toBe(true);
  });

  it('each iteration has its own state', async () => {
    const it$ = ixFrom(xs.slice(0, 3)).pipe(recurrentAsync(model));
    const [a, b] = await Promise.all([collect(it$), collect(it$)]);
    expect(a).toEqual(ref.slice(0, 3));
    expect(b).toEqual(ref.slice(0, 3));
  });

  it('an AbortSignal stops a pending pull at once with ERR_ABORTED', async () => {
    const ac = new AbortController();
    async function* slow() {
      yield xs[0];
      await new Promise(() => undefined); // never yields again
    }
    const it = recurrentAsync(model, { signal: ac.signal })(slow())[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual(ref[0]);
    const pending = it.next();
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('an aborted signal fails the first pull; a signal passed to the iterator works too', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(collect(ixFrom(xs).pipe(recurrentAsync(model, { signal: ac.signal })))).rejects.toMatchObject({
      code: 'ERR_ABORTED',
    });
    const it = ixFrom(xs).pipe(recurrentAsync(model))[Symbol.asyncIterator](ac.signal);
    await expect(it.next()).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('a bad input rejects the iteration; resetOn predicates work', async () => {
    await expect(collect(ixFrom([xs[0], new Float32Array(1)]).pipe(recurrentAsync(model)))).rejects.toMatchObject({
      code: 'ERR_SHAPE',
    });
    const r = await collect(ixFrom([xs[0], xs[1]]).pipe(recurrentAsync(model, { resetOn: (_x, i) => i === 1 })));
    expect(r).toEqual([ref[0], reference(model, [xs[1]]).ys[0]]);
  });

  it('state control works on an iteration', async () => {
    const control = new StateControl();
    const it = ixFrom(xs).pipe(recurrentAsync(model, { control }))[Symbol.asyncIterator]();
    await it.next();
    const snap = control.snapshot();
    expect((await it.next()).value).toEqual(ref[1]);
    control.restore(serializeState(snap));
    expect((await it.next()).value).toEqual(reference(model, [xs[0], xs[2]]).ys[1]);
    await it.return?.();
    expect(control.attached).toBe(false);
  });
});

describe('recurrentTransform (Node streams)', () => {
  it('steps each chunk in a pipeline', async () => {
    const got: Float32Array[] = [];
    await pipeline(
      Readable.from(xs),
      recurrentTransform(model),
      new Writable({
        objectMode: true,
        write(y: Float32Array, _e, cb) {
          got.push(y);
          cb();
        },
      }),
    );
    expect(got).toEqual(ref);
  });

  it('a bad chunk fails the pipeline with the step error', async () => {
    const sink = new Writable({
      objectMode: true,
      write(_y, _e, cb) {
        cb();
      },
    });
    await expect(
      pipeline(Readable.from([xs[0], new Float32Array(5)]), recurrentTransform(model), sink),
    ).rejects.toMatchObject({ code: 'ERR_SHAPE' });
  });

  it('token ids (including 0) go through object mode', async () => {
    const gru = charGru();
    const got: Float32Array[] = [];
    await pipeline(
      Readable.from([0, 3, 0]),
      recurrentTransform(gru),
      new Writable({
        objectMode: true,
        write(y: Float32Array, _e, cb) {
          got.push(y);
          cb();
        },
      }),
    );
    expect(got).toEqual(reference(gru, [0, 3, 0]).ys);
  });
});

describe('defer-free laziness', () => {
  it('nothing runs before subscription', () => {
    let steps = 0;
    const r$ = defer(() => of(xs[0])).pipe(recurrent(model, { onState: () => steps++ }));
    expect(steps).toBe(0);
    r$.subscribe();
    expect(steps).toBe(1);
  });
});
