import { describe, expect, it, vi } from 'vitest';
import { lastValueFrom, of, range, take, toArray, map } from 'rxjs';
import { from as ixFrom } from 'ix/asynciterable';
import { take as ixTake } from 'ix/asynciterable/operators';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { serializeState } from '../../src/model/recurrentState.ts';
import { argmax } from '../../src/tensor/sample.ts';
import { softmaxRows } from '../../src/tensor/softmax.ts';
import { generate } from '../../src/operators/generate.ts';
import { generateAsync } from '../../src/operators/generate.ix.ts';
import { generateEach } from '../../src/operators/generateEach.ts';
import { generateEachAsync } from '../../src/operators/generateEach.ix.ts';
import { charGru, charLstm, collect, testScheduler } from './models.ts';

const gru = charGru();
const lstm = charLstm();

/** Greedy decoding by hand: model.step + argmax, feeding each id back. */
function greedyByHand(model: RNNModel, prime: number[], n: number, stop = -1): number[] {
  const st = model.createState(1);
  let y: Float32Array = new Float32Array(0);
  for (const id of prime) y = model.step(Int32Array.of(id), st);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = argmax(y, 0, model.config.outputSize);
    if (id === stop) break;
    out.push(id);
    y = model.step(Int32Array.of(id), st);
  }
  return out;
}

/** The logits seen before each generated id, recomputed by replaying prime + ids. */
function logitsAlong(model: RNNModel, prime: number[], ids: number[]): Float32Array[] {
  const st = model.createState(1);
  let y: Float32Array = new Float32Array(0);
  for (const id of prime) y = model.step(Int32Array.of(id), st);
  return ids.map((id) => {
    const l = y.slice();
    y = model.step(Int32Array.of(id), st);
    return l;
  });
}

const gen = (model: RNNModel, options: Parameters<typeof generate>[1]): Promise<number[]> =>
  lastValueFrom(generate(model, options).pipe(toArray()));

describe('generate (RxJS source)', () => {
  it('greedy decoding equals the argmax path computed by hand', async () => {
    expect(await gen(gru, { prime: [1, 2], greedy: true, maxLength: 12 })).toEqual(greedyByHand(gru, [1, 2], 12));
    expect(await gen(lstm, { prime: 3, temperature: 0, maxLength: 12 })).toEqual(greedyByHand(lstm, [3], 12));
    expect(await gen(lstm, { prime: Int32Array.of(3), temperature: 'greedy', maxLength: 5 })).toEqual(
      greedyByHand(lstm, [3], 5),
    );
  });

  it('a fixed seed gives the same sequence every run; subscriptions are independent', async () => {
    const g$ = generate(gru, { prime: [0], seed: 42, maxLength: 30 });
    const a = await lastValueFrom(g$.pipe(toArray()));
    const b = await lastValueFrom(g$.pipe(toArray()));
    expect(a).toHaveLength(30);
    expect(b).toEqual(a);
    expect(await gen(gru, { prime: [0], seed: 42, maxLength: 30 })).toEqual(a);
    expect(await gen(gru, { prime: [0], seed: 43, maxLength: 30 })).not.toEqual(a);
  });

  it('marbles: emits synchronously and completes; take stops the loop at once', () => {
    const ids = greedyByHand(gru, [1], 3);
    testScheduler().run(({ expectObservable }) => {
      expectObservable(generate(gru, { prime: [1], greedy: true, maxLength: 3 })).toBe('(abc|)', {
        a: ids[0],
        b: ids[1],
        c: ids[2],
      });
      expectObservable(generate(gru, { prime: [1], greedy: true, maxLength: 1000 }).pipe(take(2))).toBe('(ab|)', {
        a: ids[0],
        b: ids[1],
      });
    });
    const spy = vi.spyOn(gru, 'step');
    generate(gru, { prime: [1], maxLength: 1_000_000 })
      .pipe(take(3))
      .subscribe();
    expect(spy.mock.calls.length).toBe(3); // the prime, then two fed-back ids
    spy.mockRestore();
  });

  it('stops at the stop token (not emitted) or at maxLength', async () => {
    const path = greedyByHand(gru, [4], 20);
    const stop = path[3];
    expect(await gen(gru, { prime: [4], greedy: true, maxLength: 20, stopToken: stop })).toEqual(
      path.slice(0, path.indexOf(stop)),
    );
    expect(await gen(gru, { prime: [4], greedy: true, maxLength: 4 })).toEqual(path.slice(0, 4));
  });

  it('a primed state plus its last token continues as the full prime', async () => {
    const st = gru.createState(1);
    gru.step(Int32Array.of(1), st);
    gru.step(Int32Array.of(2), st);
    const json = JSON.parse(JSON.stringify(serializeState(st)));
    expect(await gen(gru, { prime: 3, initialState: json, seed: 7, maxLength: 15 })).toEqual(
      await gen(gru, { prime: [1, 2, 3], seed: 7, maxLength: 15 }),
    );
  });

  it('top-k and top-p only ever produce allowed ids', async () => {
    for (const seed of [1, 2, 3]) {
      const ids = await gen(lstm, { prime: [0], topK: 2, temperature: 1.5, seed, maxLength: 60 });
      const ls = logitsAlong(lstm, [0], ids);
      ids.forEach((id, t) => {
        const l = ls[t];
        const rank = Array.from(l).filter((v, j) => v > l[id] || (v === l[id] && j < id)).length;
        expect(rank).toBeLessThan(2);
      });
      const topP = 0.6;
      const pids = await gen(lstm, { prime: [0], topP, seed, maxLength: 60 });
      const pls = logitsAlong(lstm, [0], pids);
      pids.forEach((id, t) => {
        const p = new Float32Array(7);
        softmaxRows(p, 0, pls[t], 0, 1, 7);
        // allowed: the ids ranked before the prefix reaches topP, plus the one that crosses it
        const better = Array.from(p).reduce((s, v, j) => (v > p[id] || (v === p[id] && j < id) ? s + v : s), 0);
        expect(better).toBeLessThan(topP);
      });
    }
  });

  it('a dense model (inputSize = outputSize) is fed back one-hot vectors', async () => {
    const dense = RNNModel.create(
      { cell: 'rnn_tanh', input: 'dense', inputSize: 4, hiddenSize: 3, outputSize: 4 },
      { seed: 5 },
    );
    const prime = new Float32Array([0.5, -0.5, 0.25, 1]);
    const st = dense.createState(1);
    let y = dense.step(prime, st);
    const expected: number[] = [];
    for (let i = 0; i < 6; i++) {
      const id = argmax(y, 0, 4);
      expected.push(id);
      const oh = new Float32Array(4);
      oh[id] = 1;
      y = dense.step(oh, st);
    }
    expect(await gen(dense, { prime, greedy: true, maxLength: 6 })).toEqual(expected);
  });
});

describe('generateEach (RxJS operator)', () => {
  const g1 = greedyByHand(gru, [1], 4);
  const g23 = greedyByHand(gru, [2, 3], 4);

  it('maps each prime to its generated sequence, each from the initial state', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a--b-|', { a: [1], b: Int32Array.of(2, 3) });
      expectObservable(src.pipe(generateEach(gru, { greedy: true, maxLength: 4 }))).toBe('-A--B-|', {
        A: Int32Array.from(g1),
        B: Int32Array.from(g23),
      });
      expectSubscriptions(src.subscriptions).toBe('^-----!');
    });
  });

  it('empty, never, error', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('|').pipe(generateEach(gru))).toBe('|');
      expectObservable(cold<number>('-').pipe(generateEach(gru))).toBe('-');
      expectObservable(cold<number>('-#').pipe(generateEach(gru))).toBe('-#');
    });
  });

  it('an invalid prime errors the stream; early unsubscription', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-|', { a: [1], b: [9] });
      expectObservable(src.pipe(generateEach(gru, { greedy: true, maxLength: 4 }))).toBe(
        '-a-#',
        { a: Int32Array.from(g1) },
        expect.objectContaining({
          code: 'ERR_INVALID_ARG',
          message: expect.stringContaining('prime[0]'),
        }) as unknown as Error,
      );
      const empty = cold('-a-|', { a: [] as number[] });
      expectObservable(empty.pipe(generateEach(gru))).toBe(
        '-#',
        undefined,
        expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as unknown as Error,
      );
      const long = cold('-a-a-a-|', { a: [1] });
      expectObservable(long.pipe(generateEach(gru, { greedy: true, maxLength: 4 })), '^--!').toBe('-a-', {
        a: Int32Array.from(g1),
      });
      expectSubscriptions(long.subscriptions).toBe('^--!');
    });
  });

  it('a synchronous source with take; subscriptions do not share the sampler or state', async () => {
    const spy = vi.spyOn(gru, 'step');
    const r = await lastValueFrom(
      range(0, 100000).pipe(
        map(() => [1]),
        generateEach(gru, { greedy: true, maxLength: 4 }),
        take(2),
        toArray(),
      ),
    );
    expect(r).toEqual([Int32Array.from(g1), Int32Array.from(g1)]);
    expect(spy.mock.calls.length).toBe(2 * 4); // one prime step + 3 fed back, per prime
    spy.mockRestore();
    const op$ = of([0], [1], [2]).pipe(generateEach(gru, { seed: 3, maxLength: 10 }));
    expect(await lastValueFrom(op$.pipe(toArray()))).toEqual(await lastValueFrom(op$.pipe(toArray())));
  });
});

describe('IxJS forms', () => {
  it('generateAsync yields the same ids as generate; take and abort stop it', async () => {
    const opts = { prime: [2], seed: 11, maxLength: 25, topK: 3 };
    expect(await collect(generateAsync(lstm, opts))).toEqual(await gen(lstm, opts));
    expect(await collect(generateAsync(lstm, opts).pipe(ixTake(3)))).toEqual((await gen(lstm, opts)).slice(0, 3));
    const ac = new AbortController();
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const id of generateAsync(lstm, { ...opts, signal: ac.signal })) {
          got.push(id);
          if (got.length === 2) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(got).toHaveLength(2);
  });

  it('generateEachAsync maps primes', async () => {
    const r = await collect(ixFrom([[1], [2, 3]]).pipe(generateEachAsync(gru, { greedy: true, maxLength: 4 })));
    expect(r).toEqual([Int32Array.from(greedyByHand(gru, [1], 4)), Int32Array.from(greedyByHand(gru, [2, 3], 4))]);
    await expect(collect(ixFrom([[1], [7]]).pipe(generateEachAsync(gru)))).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
    });
  });
});
