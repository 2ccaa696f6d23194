import { describe, expect, it, vi } from 'vitest';
import { lastValueFrom, of, range, map, take, toArray } from 'rxjs';
import { from as ixFrom } from 'ix/asynciterable';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { copyState, type RecurrentState } from '../../src/model/recurrentState.ts';
import { argmax, sample } from '../../src/tensor/sample.ts';
import { Rng } from '../../src/util/rng.ts';
import { seq2seq } from '../../src/operators/seq2seq.ts';
import { seq2seqAsync } from '../../src/operators/seq2seq.ix.ts';
import { collect, testScheduler, vec } from './models.ts';

const encoder = RNNModel.create(
  { cell: 'lstm', input: 'dense', inputSize: 3, hiddenSize: 4, numLayers: 2 },
  { seed: 11 },
);
const decoder = RNNModel.create(
  { cell: 'lstm', input: 'embedding', inputSize: 5, embeddingSize: 2, hiddenSize: 4, numLayers: 2, outputSize: 5 },
  { seed: 12 },
);
for (let i = 0; i < decoder.params.length; i++) decoder.params[i] *= 4; // livelier logits: decoding depends on the state
const START = 0;

/** Features [T, X] from vec(i). */
function seqOf(...is: number[]): Float32Array {
  const x = new Float32Array(is.length * 3);
  is.forEach((i, t) => x.set(vec(i), t * 3));
  return x;
}

/** By hand: encode with encoder.step, copy the final state into a decoder state, decode greedily. */
function byHand(x: Float32Array, n: number, init?: RecurrentState, seed?: number): number[] {
  const rng = seed === undefined ? undefined : new Rng(seed);
  const es = encoder.createState(1);
  if (init) copyState(es, init);
  for (let t = 0; t < x.length / 3; t++) encoder.step(x.slice(t * 3, t * 3 + 3), es);
  const ds = decoder.createState(1);
  copyState(ds, es);
  let y = decoder.step(Int32Array.of(START), ds);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = rng ? sample(y, 0, 5, { rng }) : argmax(y, 0, 5);
    out.push(id);
    y = decoder.step(Int32Array.of(id), ds);
  }
  return out;
}

const s1 = seqOf(0, 1, 2);
const s2 = seqOf(3, 4);
const d1 = Int32Array.from(byHand(s1, 6));
const d2 = Int32Array.from(byHand(s2, 6));

describe('seq2seq (RxJS marbles)', () => {
  it('the decoder starts from the encoder final state (checked against a manual computation)', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a--b-|', { a: s1, b: s2 });
      expectObservable(src.pipe(seq2seq(encoder, decoder, { startToken: START, greedy: true, maxLength: 6 }))).toBe(
        '-A--B-|',
        { A: d1, B: d2 },
      );
      expectSubscriptions(src.subscriptions).toBe('^-----!');
    });
    expect(d1).not.toEqual(Int32Array.from(byHand(new Float32Array(0), 6))); // the encoding matters
  });

  it('sampled decoding matches a manual computation with the same seed', async () => {
    const r = await lastValueFrom(
      of(s1, s2).pipe(seq2seq(encoder, decoder, { startToken: START, seed: 5, maxLength: 12 }), toArray()),
    );
    // one generator per subscription, continuing from input to input
    const a = byHand(s1, 12, undefined, 5);
    expect(Array.from(r[0])).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('an empty input decodes from the encoder initial state', async () => {
    const init = encoder.createState(1);
    init.h.fill(0.3);
    init.c?.fill(-0.2);
    const r = await lastValueFrom(
      of(new Float32Array(0), s1).pipe(
        seq2seq(encoder, decoder, { startToken: START, greedy: true, maxLength: 5, initialState: init }),
        toArray(),
      ),
    );
    expect(r).toEqual([Int32Array.from(byHand(new Float32Array(0), 5, init)), Int32Array.from(byHand(s1, 5, init))]);
  });

  it('empty, never, error', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const op = seq2seq(encoder, decoder, { startToken: START });
      expectObservable(cold<Float32Array>('|').pipe(op)).toBe('|');
      expectObservable(cold<Float32Array>('-').pipe(op)).toBe('-');
      expectObservable(cold<Float32Array>('--#').pipe(op)).toBe('--#');
    });
  });

  it('a bad input shape errors the stream; early unsubscription', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const op = seq2seq(encoder, decoder, { startToken: START, greedy: true, maxLength: 6 });
      const bad = cold('-a-b-|', { a: s1, b: new Float32Array(4) });
      expectObservable(bad.pipe(op)).toBe(
        '-A-#',
        { A: d1 },
        expect.objectContaining({ code: 'ERR_SHAPE', message: expect.stringContaining('input') }) as unknown as Error,
      );
      const src = cold('-a-b-|', { a: s1, b: s2 });
      expectObservable(src.pipe(op), '^-!').toBe('-A-', { A: d1 });
      expectSubscriptions(src.subscriptions).toBe('^-!');
    });
  });

  it('a synchronous source with take; sampled decoding is reproducible and not shared', async () => {
    const spy = vi.spyOn(encoder, 'step');
    const r = await lastValueFrom(
      range(0, 1e6).pipe(
        map(() => s2),
        seq2seq(encoder, decoder, { startToken: START, greedy: true, maxLength: 6 }),
        take(2),
        toArray(),
      ),
    );
    expect(r).toEqual([d2, d2]);
    expect(spy.mock.calls.length).toBe(4);
    spy.mockRestore();
    const op$ = of(s1, s2, s1).pipe(
      seq2seq(encoder, decoder, { startToken: START, seed: 9, temperature: 1.2, maxLength: 8 }),
    );
    expect(await lastValueFrom(op$.pipe(toArray()))).toEqual(await lastValueFrom(op$.pipe(toArray())));
  });

  it('stops at the stop token', async () => {
    const full = byHand(s1, 8);
    const stop = full[2];
    const r = await lastValueFrom(
      of(s1).pipe(seq2seq(encoder, decoder, { startToken: START, greedy: true, maxLength: 8, stopToken: stop })),
    );
    expect(Array.from(r)).toEqual(full.slice(0, full.indexOf(stop)));
  });

  it('rejects decoders whose state does not fit the encoder', () => {
    const gru = RNNModel.create({
      cell: 'gru',
      input: 'onehot',
      inputSize: 5,
      hiddenSize: 4,
      numLayers: 2,
      outputSize: 5,
    });
    const wide = RNNModel.create({
      cell: 'lstm',
      input: 'onehot',
      inputSize: 5,
      hiddenSize: 6,
      numLayers: 2,
      outputSize: 5,
    });
    const shallow = RNNModel.create({ cell: 'lstm', input: 'onehot', inputSize: 5, hiddenSize: 4, outputSize: 5 });
    const headless = RNNModel.create({ cell: 'lstm', input: 'onehot', inputSize: 5, hiddenSize: 4, numLayers: 2 });
    expect(() => seq2seq(encoder, gru, { startToken: 0 })).toThrow(/decoder.config.cell/);
    expect(() => seq2seq(encoder, wide, { startToken: 0 })).toThrow(/decoder.config.hiddenSize/);
    expect(() => seq2seq(encoder, shallow, { startToken: 0 })).toThrow(/decoder.config.numLayers/);
    expect(() => seq2seq(encoder, headless, { startToken: 0 })).toThrow(/decoder.config.outputSize/);
    expect(() => seq2seq({} as RNNModel, decoder, { startToken: 0 })).toThrow(/encoder/);
  });
});

describe('seq2seqAsync (IxJS pull)', () => {
  it('yields the same sequences; aborts', async () => {
    expect(
      await collect(
        ixFrom([s1, s2]).pipe(seq2seqAsync(encoder, decoder, { startToken: START, greedy: true, maxLength: 6 })),
      ),
    ).toEqual([d1, d2]);
    const ac = new AbortController();
    ac.abort();
    await expect(
      collect(ixFrom([s1]).pipe(seq2seqAsync(encoder, decoder, { startToken: START, signal: ac.signal }))),
    ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });
});
