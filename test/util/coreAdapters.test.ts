import { toArray } from 'ix/asynciterable';
import { take } from 'ix/asynciterable/operators';
import { lastValueFrom, take as rxTake, toArray as rxToArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';
import { checkAborted } from '../../src/util/abort.ts';
import { asIterable, asObservable, type SourceCore } from '../../src/util/coreAdapters.ts';

/** A counting core that records its runs and whether its finally ran. */
function counter(log: string[]): SourceCore<number> {
  let runs = 0;
  return async function* (signal) {
    const run = runs++;
    log.push(`start ${run}`);
    try {
      for (let i = 0; ; i++) {
        checkAborted(signal);
        await new Promise((r) => setImmediate(r)); // a macrotask, so timers can fire
        yield i;
      }
    } finally {
      log.push(`finally ${run}`);
    }
  };
}

describe('core adapters', () => {
  it('asIterable: a fresh run per iteration, finally on early stop', async () => {
    const log: string[] = [];
    const src = asIterable(counter(log));
    expect(await toArray(src.pipe(take(3)))).toEqual([0, 1, 2]);
    expect(await toArray(src.pipe(take(2)))).toEqual([0, 1]);
    expect(log).toEqual(['start 0', 'finally 0', 'start 1', 'finally 1']);
  });

  it('asObservable: a fresh run per subscription, finally on unsubscribe', async () => {
    const log: string[] = [];
    const src = asObservable(counter(log));
    expect(await lastValueFrom(src.pipe(rxTake(4), rxToArray()))).toEqual([0, 1, 2, 3]);
    expect(await lastValueFrom(src.pipe(rxTake(1), rxToArray()))).toEqual([0]);
    await new Promise((r) => setTimeout(r, 10));
    // The return queued by unsubscribing settles a few microtasks later, so only the set is fixed.
    expect([...log].sort()).toEqual(['finally 0', 'finally 1', 'start 0', 'start 1']);
  });

  it('the signal IxJS passes to the iterator and options.signal both abort', async () => {
    const a = new AbortController();
    const it1 = asIterable(counter([]))[Symbol.asyncIterator](a.signal);
    await it1.next();
    a.abort();
    await expect(it1.next()).rejects.toThrowError(EddyError);
    const b = new AbortController();
    const it2 = asIterable(counter([]), b.signal)[Symbol.asyncIterator]();
    await it2.next();
    b.abort('why');
    const err = await it2.next().then(
      () => null,
      (e: unknown) => e as EddyError,
    );
    expect(err?.code).toBe('ERR_ABORTED');
    expect(err?.cause).toBe('why');
  });

  it('an Observable errors with ERR_ABORTED when options.signal fires', async () => {
    const ac = new AbortController();
    const p = lastValueFrom(asObservable(counter([]), ac.signal));
    setTimeout(() => ac.abort(), 5);
    const err = await p.then(
      () => null,
      (e: unknown) => e as EddyError,
    );
    expect(err?.code).toBe('ERR_ABORTED');
  });
});
