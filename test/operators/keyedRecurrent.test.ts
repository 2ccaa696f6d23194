import { describe, expect, it, vi } from 'vitest';
import { from, lastValueFrom, range, map, take, toArray, Subject, of } from 'rxjs';
import { from as ixFrom } from 'ix/asynciterable';
import { keyedRecurrent } from '../../src/operators/keyedRecurrent.ts';
import { keyedRecurrentAsync } from '../../src/operators/keyedRecurrent.ix.ts';
import type { KeyedOutput } from '../../src/operators/keyedOptions.ts';
import { serializeState, type RecurrentState, type SerializedState } from '../../src/model/recurrentState.ts';
import { Rng } from '../../src/util/rng.ts';
import { KeyedStepper, resolveKeyedState } from '../../src/operators/keyedStepper.ts';
import { charLstm, collect, denseLstm, testScheduler, vec } from './models.ts';

interface Ev {
  key: string;
  x: Float32Array;
}
const model = denseLstm();

/** n keys × steps elements, interleaved in a seeded shuffled order that keeps each key's steps in order. */
function interleaved(nKeys: number, steps: number, seed = 1): Ev[] {
  const rng = new Rng(seed);
  const left = Array.from({ length: nKeys }, () => steps);
  const done = Array.from({ length: nKeys }, () => 0);
  const out: Ev[] = [];
  let total = nKeys * steps;
  while (total > 0) {
    let k = rng.int(nKeys);
    while (left[k] === 0) k = (k + 1) % nKeys;
    out.push({ key: `k${k}`, x: vec(k * 31 + done[k]++) });
    left[k]--;
    total--;
  }
  return out;
}

/** Reference: each key stepped alone with model.step, in order. */
function oneByOne(evs: Ev[]): { ys: Float32Array[]; states: Map<string, RecurrentState> } {
  const states = new Map<string, RecurrentState>();
  const ys = evs.map(({ key, x }) => {
    let s = states.get(key);
    if (!s) {
      s = model.createState(1);
      states.set(key, s);
    }
    return model.step(x, s).slice();
  });
  return { ys, states };
}

const byKey = { keyOf: (e: Ev) => e.key, inputOf: (e: Ev) => e.x };

describe('keyedRecurrent: micro-batching', () => {
  it('100 interleaved keys: batched outputs equal one-by-one outputs, in arrival order', async () => {
    const evs = interleaved(100, 6);
    const ref = oneByOne(evs);
    const spy = vi.spyOn(model, 'step');
    const out = await lastValueFrom(
      from(evs).pipe(keyedRecurrent(model, { ...byKey, microBatch: { maxBatch: 1024 } }), toArray()),
    );
    const batches = spy.mock.calls.map((c) => c[1].h.length / (2 * 4));
    spy.mockRestore();
    expect(out.map((o) => o.value)).toEqual(evs);
    expect(out.map((o) => o.key)).toEqual(evs.map((e) => e.key));
    expect(out.map((o) => o.output)).toEqual(ref.ys); // exact: rows of a batch never interact
    expect(Math.max(...batches)).toBe(100); // they really were batched
    expect(batches.reduce((a, b) => a + b, 0)).toBe(600);
  });

  it('small maxBatch and a time window give the same outputs', async () => {
    const evs = interleaved(100, 4, 7);
    const ref = oneByOne(evs);
    for (const microBatch of [{ maxBatch: 16 }, { windowMs: 2, maxBatch: 7 }, false] as const) {
      const out = await lastValueFrom(from(evs).pipe(keyedRecurrent(model, { ...byKey, microBatch }), toArray()));
      expect(out.map((o) => o.output)).toEqual(ref.ys);
    }
  });

  it('batches a token-id model too, with ids as numbers', async () => {
    const lstm = charLstm();
    const evs = Array.from({ length: 300 }, (_, i) => ({ user: i % 37, id: (i * 7) % 7 === 0 ? i % 7 : (i * 3) % 7 }));
    const states = new Map<number, RecurrentState>();
    const ref = evs.map(({ user, id }) => {
      let s = states.get(user);
      if (!s) {
        s = lstm.createState(1);
        states.set(user, s);
      }
      return lstm.step(Int32Array.of(id), s).slice();
    });
    const out = await lastValueFrom(
      from(evs).pipe(keyedRecurrent(lstm, { keyOf: (e) => e.user, inputOf: (e) => e.id }), toArray()),
    );
    expect(out.map((o) => o.output)).toEqual(ref);
  });

  it('elements of one tick form one batch; later ticks form new batches (marbles)', () => {
    const evs = interleaved(3, 2);
    const ref = oneByOne(evs);
    testScheduler().run(({ cold, expectObservable }) => {
      const src = cold('(abc)-(def)-|', { a: evs[0], b: evs[1], c: evs[2], d: evs[3], e: evs[4], f: evs[5] });
      const values = Object.fromEntries(
        'abcdef'.split('').map((n, i) => [n, { key: evs[i].key, value: evs[i], output: ref.ys[i] }]),
      );
      expectObservable(src.pipe(keyedRecurrent(model, byKey))).toBe('(abc)-(def)-|', values);
    });
  });
});

describe('keyedRecurrent: checklist', () => {
  const evs = interleaved(2, 2);
  const ref = oneByOne(evs);
  const v = (i: number): KeyedOutput<Ev, string> => ({ key: evs[i].key, value: evs[i], output: ref.ys[i] });

  it('empty, never, error', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Ev>('|').pipe(keyedRecurrent(model, byKey))).toBe('|');
      expectObservable(cold<Ev>('-').pipe(keyedRecurrent(model, byKey))).toBe('-');
      expectObservable(cold('a-#', { a: evs[0] }).pipe(keyedRecurrent(model, byKey))).toBe('a-#', { a: v(0) });
    });
  });

  it('a bad input or a throwing keyOf errors the stream', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bad = cold('a-b-|', { a: evs[0], b: { key: 'z', x: new Float32Array(2) } });
      expectObservable(bad.pipe(keyedRecurrent(model, byKey))).toBe(
        'a-#',
        { a: v(0) },
        expect.objectContaining({ code: 'ERR_SHAPE', message: expect.stringContaining('key z') }) as unknown as Error,
      );
      expectSubscriptions(bad.subscriptions).toBe('^-!');
      const boom = new Error('keyOf');
      const src = cold('a-b-|', { a: evs[0], b: evs[1] });
      expectObservable(
        src.pipe(
          keyedRecurrent(model, {
            ...byKey,
            keyOf: (e) => {
              if (e === evs[1]) throw boom;
              return e.key;
            },
          }),
        ),
      ).toBe('a-#', { a: v(0) }, boom);
    });
  });

  it('early unsubscription cancels a pending batch', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('a-b-c-|', { a: evs[0], b: evs[1], c: evs[2] });
      // a and b are stepped together at frame 3; c (frame 4) waits for frame 7, but the subscription ends at 5
      expectObservable(src.pipe(keyedRecurrent(model, { ...byKey, microBatch: { windowMs: 3 } })), '^----!').toBe(
        '---(ab)',
        { a: v(0), b: v(1) },
      );
      expectSubscriptions(src.subscriptions).toBe('^----!');
    });
  });

  it('a synchronous source with take (no micro-batching: synchronous steps)', () => {
    const spy = vi.spyOn(model, 'step');
    const got: unknown[] = [];
    range(0, 1e6)
      .pipe(
        map((i) => evs[i % 4]),
        keyedRecurrent(model, { ...byKey, microBatch: false }),
        take(3),
      )
      .subscribe((o) => got.push(o));
    expect(spy.mock.calls.length).toBe(3);
    spy.mockRestore();
    expect(got).toEqual([v(0), v(1), v(2)]);
  });

  it('a synchronous source with take (micro-batched: stops after the batch that reached the count)', async () => {
    const r = await lastValueFrom(
      range(0, 10000).pipe(
        map((i) => evs[i % 4]),
        keyedRecurrent(model, { ...byKey, microBatch: { maxBatch: 4 } }),
        take(3),
        toArray(),
      ),
    );
    expect(r).toEqual([v(0), v(1), v(2)]);
  });

  it('two subscriptions never share states', () => {
    const s = new Subject<Ev>();
    const a: unknown[] = [];
    const b: unknown[] = [];
    s.pipe(keyedRecurrent(model, { ...byKey, microBatch: false })).subscribe((o) => a.push(o));
    s.pipe(keyedRecurrent(model, { ...byKey, microBatch: false })).subscribe((o) => b.push(o));
    evs.forEach((e) => s.next(e));
    expect(a).toEqual([v(0), v(1), v(2), v(3)]);
    expect(b).toEqual(a);
  });
});

describe('keyedRecurrent: eviction', () => {
  it('a long random run: evictions in LRU order (against a plain list), every output as if never evicted', () => {
    // 40 keys over 12 places, batches of 1-5 distinct keys, idle sweeps: the stepper's LRU list against a list
    // kept here by moving a key to the end on every step; each step's output against the key stepped alone.
    const rng = new Rng(7);
    const persisted = new Map<string, RecurrentState>();
    const evicted: string[] = [];
    const ks = new KeyedStepper<string>(
      model,
      resolveKeyedState<string>({
        maxKeys: 12,
        idleMs: 12,
        onEvict: (key, state, reason) => {
          evicted.push(`${key} ${reason}`);
          persisted.set(key, state);
        },
        initialState: (key) => {
          const s = persisted.get(key);
          persisted.delete(key);
          return s;
        },
      }),
      5,
    );
    const lru: { key: string; last: number }[] = []; // least recently stepped first
    const expected: string[] = [];
    const ref = new Map<string, RecurrentState>();
    let now = 0;
    let count = 0;
    for (let round = 0; round < 400; round++) {
      now += rng.int(4);
      if (rng.int(10) === 0) {
        ks.sweep(now);
        while (lru.length > 0 && now - lru[0].last >= 12) expected.push(`${lru.shift()!.key} idle`);
        expect(evicted).toEqual(expected);
        continue;
      }
      const n = 1 + rng.int(5);
      const keys: string[] = [];
      while (keys.length < n) {
        const k = `k${rng.int(40)}`;
        if (!keys.includes(k)) keys.push(k);
      }
      const xs = keys.map(() => vec(count++));
      for (const k of keys) {
        const i = lru.findIndex((e) => e.key === k);
        if (i >= 0) lru.splice(i, 1);
        else if (lru.length >= 12) expected.push(`${lru.shift()!.key} lru`);
        lru.push({ key: k, last: now });
      }
      const ys = ks.stepBatch(keys, xs, n, now);
      expect(evicted).toEqual(expected);
      expect(ks.size).toBe(lru.length);
      keys.forEach((k, b) => {
        const s = ref.get(k) ?? model.createState(1);
        ref.set(k, s);
        expect(ys[b]).toEqual(model.step(xs[b], s).slice());
      });
    }
    expect(evicted.filter((e) => e.endsWith('lru')).length).toBeGreaterThan(100);
    expect(evicted.filter((e) => e.endsWith('idle')).length).toBeGreaterThan(5);
    ks.evictAll('complete');
    expect(evicted.slice(expected.length)).toEqual(lru.map((e) => `${e.key} complete`));
    expect(ks.size).toBe(0);
  });

  it('LRU eviction calls onEvict with the evicted key state; initialState restores it', async () => {
    const evs: Ev[] = ['a', 'b', 'a', 'c', 'd', 'a', 'b'].map((key, i) => ({ key, x: vec(i) }));
    const ref = oneByOne(evs);
    const evicted: [string, RecurrentState, string][] = [];
    const store = new Map<string, SerializedState>();
    const out = await lastValueFrom(
      from(evs).pipe(
        keyedRecurrent(model, {
          ...byKey,
          maxKeys: 3,
          microBatch: false,
          onEvict: (key, state, reason) => {
            evicted.push([key, { h: state.h.slice(), ...(state.c && { c: state.c.slice() }) }, reason]);
            store.set(key, JSON.parse(JSON.stringify(serializeState(state))));
          },
          initialState: (key) => store.get(key),
        }),
        toArray(),
      ),
    );
    // maxKeys 3: d (index 4) evicts b, the least recently stepped (a was stepped at 2); b's return (6) evicts c
    expect(evicted.slice(0, 2).map(([k, , r]) => [k, r])).toEqual([
      ['b', 'lru'],
      ['c', 'lru'],
    ]);
    const stateAfter = (key: string, upto: number): RecurrentState =>
      oneByOne(evs.slice(0, upto).filter((e) => e.key === key)).states.get(key) as RecurrentState;
    expect(evicted[0][1]).toEqual(stateAfter('b', 4));
    expect(evicted[1][1]).toEqual(stateAfter('c', 7));
    // restored from the store, every output equals the never-evicted reference
    expect(out.map((o) => o.output)).toEqual(ref.ys);
    // at completion the remaining keys are evicted with 'complete'
    expect(
      evicted
        .slice(2)
        .map(([k, , r]) => [k, r])
        .sort(),
    ).toEqual([
      ['a', 'complete'],
      ['b', 'complete'],
      ['d', 'complete'],
    ]);
  });

  it('idle expiry evicts a key idleMs after its last step, with its state (virtual time)', () => {
    const evs: Ev[] = [
      { key: 'a', x: vec(0) },
      { key: 'b', x: vec(1) },
      { key: 'a', x: vec(2) },
      { key: 'b', x: vec(3) },
    ];
    const evicted: [string, number, RecurrentState, string][] = [];
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      // a at 0 and 2, b at 1 and 3, c at 20; idle 5: a expires at 7, b at 8, c at 25
      const r = cold('abcd 16ms e', { a: evs[0], b: evs[1], c: evs[2], d: evs[3], e: { key: 'c', x: vec(9) } }).pipe(
        keyedRecurrent(model, {
          ...byKey,
          idleMs: 5,
          onEvict: (key, state, reason) =>
            evicted.push([key, ts.now(), { h: state.h.slice(), ...(state.c && { c: state.c.slice() }) }, reason]),
        }),
        map((o) => o.key),
      );
      expectObservable(r).toBe('abab 16ms c', { a: 'a', b: 'b', c: 'c' });
    });
    const ref = oneByOne(evs);
    expect(evicted.map(([k, t, , r]) => [k, t, r])).toEqual([
      ['a', 7, 'idle'],
      ['b', 8, 'idle'],
      ['c', 25, 'idle'],
    ]);
    expect(evicted[0][2]).toEqual(ref.states.get('a'));
    expect(evicted[1][2]).toEqual(ref.states.get('b'));
  });
});

describe('keyedRecurrentAsync (IxJS pull)', () => {
  it('equals one-by-one, with LRU and idle eviction by an injected clock', async () => {
    const evs = interleaved(10, 3, 3);
    const ref = oneByOne(evs);
    const out = await collect(ixFrom(evs).pipe(keyedRecurrentAsync(model, byKey)));
    expect(out.map((o) => o.output)).toEqual(ref.ys);
    let t = 0;
    const evicted: string[] = [];
    const seq: Ev[] = [
      { key: 'a', x: vec(0) },
      { key: 'b', x: vec(1) },
      { key: 'c', x: vec(2) },
    ];
    const it = ixFrom(seq)
      .pipe(
        keyedRecurrentAsync(model, {
          ...byKey,
          idleMs: 10,
          maxKeys: 5,
          now: () => t,
          onEvict: (k, _s, r) => evicted.push(`${k}:${r}`),
        }),
      )
      [Symbol.asyncIterator]();
    await it.next(); // a at t=0
    t = 5;
    await it.next(); // b at t=5
    t = 12;
    await it.next(); // c at t=12: a idle for 12 >= 10
    expect(evicted).toEqual(['a:idle']);
    await it.next();
    expect(evicted).toEqual(['a:idle', 'b:complete', 'c:complete']);
  });

  it('aborts at once', async () => {
    const ac = new AbortController();
    async function* slow() {
      yield { key: 'a', x: vec(0) };
      await new Promise(() => undefined);
    }
    const it = keyedRecurrentAsync(model, { ...byKey, signal: ac.signal })(slow())[Symbol.asyncIterator]();
    await it.next();
    const p = it.next();
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('a bad input rejects', async () => {
    await expect(
      collect(ixFrom([{ key: 'a', x: new Float32Array(1) }]).pipe(keyedRecurrentAsync(model, byKey))),
    ).rejects.toMatchObject({ code: 'ERR_SHAPE' });
    await expect(
      lastValueFrom(of({ key: 'a', x: 3 as unknown as Float32Array }).pipe(keyedRecurrent(model, byKey))),
    ).rejects.toMatchObject({ code: 'ERR_SHAPE' });
  });
});

describe('keyedRecurrent: the same keys tick after tick are stepped in place (lazy scatter, issue 17)', () => {
  /** `ticks` ticks of the keys k0..k{n-1}, each tick the keys in a new seeded order, inputs by key and tick. */
  function ticks(n: number, count: number, seed: number): Ev[][] {
    const rng = new Rng(seed);
    return Array.from({ length: count }, (_, t) => {
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      return order.map((k) => ({ key: `k${k}`, x: vec(k * 97 + t) }));
    });
  }

  it('outputs equal one by one; from the second tick the step takes its rows where the keys were (in place)', async () => {
    const tk = ticks(40, 6, 3);
    const ref = oneByOne(tk.flat());
    const src = new Subject<Ev>();
    const got: KeyedOutput<Ev, string>[] = [];
    const xs: Float32Array[] = [];
    const step = model.step.bind(model);
    const spy = vi.spyOn(model, 'step').mockImplementation((x, state, out) => {
      xs.push((x as Float32Array).slice());
      return step(x, state, out);
    });
    const sub = src
      .pipe(keyedRecurrent(model, { ...byKey, microBatch: { maxBatch: 64 } }))
      .subscribe((o) => got.push(o));
    for (const t of tk) {
      for (const e of t) src.next(e);
      await Promise.resolve(); // the batch closes in a microtask (asap)
      await new Promise((r) => setImmediate(r));
    }
    sub.unsubscribe();
    spy.mockRestore();
    expect(got.map((o) => o.output)).toEqual(ref.ys);
    expect(xs.length).toBe(6); // one step per tick
    // tick 2 in place: its inputs sit at the rows of tick 1's order, not in its own arrival order
    const row = new Map(tk[0].map((e, i) => [e.key, i]));
    const expected = new Float32Array(40 * 3);
    for (const e of tk[1]) expected.set(e.x, (row.get(e.key) as number) * 3);
    expect(xs[1]).toEqual(expected);
  });
});

describe('KeyedStepper: resident rows are written back before anyone reads a state (issue 17)', () => {
  it('peek, LRU eviction, idle expiry and completion between in-place steps see the states of one-by-one stepping', () => {
    const evicted: [string, RecurrentState, string][] = [];
    const ks = new KeyedStepper<string>(
      model,
      resolveKeyedState<string>({
        maxKeys: 3,
        idleMs: 100,
        onEvict: (key, state, reason) => evicted.push([key, copyState(state), reason]), // as handed over, not later
      }),
      8,
    );
    const seq: (string[] | string)[] = [
      ['a', 'b', 'c'],
      ['c', 'a', 'b'],
      'peek b',
      ['b', 'c', 'a'],
      ['a', 'b', 'c'],
      ['d'],
      ['b', 'c', 'd'],
      ['d', 'c', 'b'],
    ];
    const evs: Ev[] = [];
    const outs: Float32Array[] = [];
    let t = 0;
    for (const item of seq) {
      if (typeof item === 'string') {
        const key = item.split(' ')[1];
        const ref = oneByOne(evs).states.get(key);
        expect(ks.peek(key), `peek ${key} after ${evs.length} steps`).toEqual(ref);
        continue;
      }
      const batch = item.map((key) => ({ key, x: vec(evs.length + key.charCodeAt(0) * 7 + t) }));
      t++;
      evs.push(...batch);
      outs.push(
        ...ks.stepBatch(
          item,
          batch.map((e) => e.x),
          item.length,
          t,
        ),
      );
    }
    const ref = oneByOne(evs);
    expect(outs).toEqual(ref.ys);
    // ['d'] evicted a, the least recently stepped key, with its state after its 4 steps
    expect(evicted.map(([k, , r]) => `${k} ${r}`)).toEqual(['a lru']);
    expect(evicted[0][1]).toEqual(oneByOne(evs.filter((e) => e.key === 'a')).states.get('a'));
    ks.sweep(t + 100); // every key idle: evicted with its state
    expect(
      evicted
        .slice(1)
        .map(([k, , r]) => `${k} ${r}`)
        .sort(),
    ).toEqual(['b idle', 'c idle', 'd idle']);
    for (const [k, state] of evicted.slice(1)) expect(state, k).toEqual(ref.states.get(k));
    expect(ks.size).toBe(0);
    // completion: the same from in-place steps
    const done: [string, RecurrentState][] = [];
    const ks2 = new KeyedStepper<string>(
      model,
      resolveKeyedState<string>({ onEvict: (k, s) => done.push([k, copyState(s)]) }),
      4,
    );
    const e2: Ev[] = [];
    for (let i = 0; i < 3; i++) {
      const keys = i % 2 ? ['p', 'q'] : ['q', 'p'];
      const b = keys.map((key) => ({ key, x: vec(i * 5 + key.length + key.charCodeAt(0)) }));
      e2.push(...b);
      ks2.stepBatch(
        keys,
        b.map((e) => e.x),
        2,
        i,
      );
    }
    ks2.evictAll('complete');
    const r2 = oneByOne(e2);
    expect(done.map(([k]) => k).sort()).toEqual(['p', 'q']);
    for (const [k, state] of done) expect(state, k).toEqual(r2.states.get(k));
  });
});

function copyState(s: RecurrentState): RecurrentState {
  return s.c ? { h: s.h.slice(), c: s.c.slice() } : { h: s.h.slice() };
}
