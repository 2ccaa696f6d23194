/**
 * The live labelling operators on synthetic frames: marbles for the RxJS form (one label per frame, empty,
 * never, error, a wrong-size frame errors the stream and unsubscribes, early unsubscription, synchronous source
 * + take), separate state per subscription, the IxJS mirror and its abort signal, and keyed labelling equal to
 * labelling each key alone.
 */
import { from, lastValueFrom, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { EddyError } from '../../src/util/errors.ts';
import { createFrameLabeler } from '../../src/video/frameLabeler.ts';
import { frameLabels } from '../../src/video/frameLabels.ts';
import { frameLabelsAsync } from '../../src/video/frameLabels.ix.ts';
import { keyedFrameLabels } from '../../src/video/keyedFrameLabels.ts';
import type { FrameLabel, LiveFrame } from '../../src/video/frameLabelCore.ts';

const labeler = createFrameLabeler({ labels: ['a', 'b', 'c'], width: 4, height: 3, hiddenSize: 6, seed: 2 });
const frame = (index: number, seed = 0): LiveFrame => ({
  index,
  timeMs: 40 * index,
  width: 4,
  height: 3,
  channels: 1,
  data: Float32Array.from({ length: 12 }, (_, p) => ((p * 7 + index * 5 + seed * 3) % 11) / 10),
});
const frames = [0, 1, 2, 3, 4].map((i) => frame(i));
const clock = { now: () => 0 }; // latency 0: deterministic labels
async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const ref: FrameLabel[] = await all(frameLabelsAsync(labeler, clock)(frames));
const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('frameLabels (RxJS marbles)', () => {
  it('one label per frame, the state carried', () => {
    expect(ref.map((l) => l.frameIndex)).toEqual([0, 1, 2, 3, 4]);
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b--c-|', { a: frames[0], b: frames[1], c: frames[2] });
      expectObservable(src.pipe(frameLabels(labeler, clock))).toBe('-a-b--c-|', { a: ref[0], b: ref[1], c: ref[2] });
      expectSubscriptions(src.subscriptions).toBe('^-------!');
    });
  });

  it('empty, never, error; a wrong-size frame errors the stream with ERR_SHAPE and unsubscribes', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<LiveFrame>('|').pipe(frameLabels(labeler))).toBe('|');
      expectObservable(cold<LiveFrame>('-').pipe(frameLabels(labeler))).toBe('-');
      expectObservable(cold('-a-#', { a: frames[0] }, new Error('boom')).pipe(frameLabels(labeler, clock))).toBe(
        '-a-#',
        { a: ref[0] },
        new Error('boom'),
      );
      const bad = { ...frames[1], width: 3, height: 4 };
      const src = cold('-a-b-c|', { a: frames[0], b: bad, c: frames[2] });
      expectObservable(src.pipe(frameLabels(labeler, clock))).toBe(
        '-a-#',
        { a: ref[0] },
        expect.objectContaining({
          code: 'ERR_SHAPE',
          message: expect.stringMatching(/4x3x1 pixels.*received 3x4x1/),
        }) as unknown as Error,
      );
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('early unsubscription stops the source; a synchronous source with take stops at once', async () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c-|', { a: frames[0], b: frames[1], c: frames[2] });
      expectObservable(src.pipe(frameLabels(labeler, clock)), '^--!').toBe('-a-', { a: ref[0] });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
    let pulled = 0;
    function* gen(): Generator<LiveFrame> {
      for (const f of frames) {
        pulled++;
        yield f;
      }
    }
    expect(await lastValueFrom(from(gen()).pipe(frameLabels(labeler, clock), take(2), toArray()))).toEqual(
      ref.slice(0, 2),
    );
    expect(pulled).toBe(2);
  });

  it('two subscriptions never share a state', async () => {
    const obs = from(frames).pipe(frameLabels(labeler, clock));
    const [x, y] = await Promise.all([lastValueFrom(obs.pipe(toArray())), lastValueFrom(obs.pipe(toArray()))]);
    expect(x).toEqual(ref);
    expect(y).toEqual(ref);
  });
});

describe('frameLabelsAsync (IxJS) and keyedFrameLabels', () => {
  it('an aborted signal stops the iteration with ERR_ABORTED', async () => {
    const ac = new AbortController();
    async function* slow(): AsyncGenerator<LiveFrame> {
      yield frames[0];
      ac.abort();
      await new Promise((r) => setTimeout(r, 50));
      yield frames[1];
    }
    const err = await all(frameLabelsAsync(labeler, { signal: ac.signal })(slow())).then(
      () => null,
      (e: EddyError) => e,
    );
    expect(err?.code).toBe('ERR_ABORTED');
  });

  it('interleaved keys are labelled as if each were alone (own state, own previous frame)', async () => {
    const other = [0, 1, 2, 3, 4].map((i) => frame(i, 1));
    const alone = await all(frameLabelsAsync(labeler, clock)(other));
    const mixed = [
      frames[0],
      other[0],
      other[1],
      frames[1],
      frames[2],
      other[2],
      other[3],
      other[4],
      frames[3],
      frames[4],
    ].map((f) => ({ key: f.data === frames[f.index].data ? 'x' : 'y', frame: f }));
    const out = await lastValueFrom(
      from(mixed).pipe(
        keyedFrameLabels(labeler, { keyOf: (e) => e.key, frameOf: (e) => e.frame, clock: () => 0 }),
        toArray(),
      ),
    );
    const strip = (ls: readonly FrameLabel[]) =>
      ls.map((l) => [l.frameIndex, l.labelIndex, Number(l.confidence.toFixed(5))]);
    expect(strip(out.filter((l) => l.key === 'x'))).toEqual(strip(ref));
    expect(strip(out.filter((l) => l.key === 'y'))).toEqual(strip(alone));
    expect(() => keyedFrameLabels(labeler, { keyOf: 1 as never })).toThrow(/options\.keyOf/);
    expect(() => keyedFrameLabels(labeler, { keyOf: () => 1, maxKeys: 0 })).toThrow(/options\.maxKeys/);
  });
});
