/**
 * `Backend.release`: a wasm or native backend's memory is never returned to the system, so code that allocates per
 * stream or per episode must give its buffers back. The arena reuses a released block for an alloc of the same
 * size (zeroed), lowers its mark over released blocks at the top, and refuses part of a view or a second release.
 * Then the users of it: keyed subscriptions, glimpse episodes and evaluations run in bounded memory.
 */
import { from, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { keyedRecurrent } from '../../src/operators/keyedRecurrent.ts';
import { RamModel } from '../../src/ram/ramModel.ts';
import { ramGlimpses } from '../../src/ram/ramGlimpses.ts';
import { ramEvaluate } from '../../src/ram/ramEvaluate.ts';
import { ramTask } from '../../src/ram/ramTraining.ts';
import { releaseBuffers } from '../../src/tensor/releaseBuffers.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { createNativeBackend, nativeAvailable } from '../../src/tensor/nativeBackend.ts';
import { createWasmBackend } from '../../src/tensor/wasmBackend.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

const MiB = 2 ** 20;

describe('wasm arena: release', () => {
  it('reuses a released block of the same size, zeroed', () => {
    const be = createWasmBackend({ capacity: 4 * MiB });
    const a = be.alloc(100);
    const b = be.alloc(7); // keeps `a` below the mark
    a.fill(3);
    be.release(a);
    const used = be.used;
    const c = be.alloc(100);
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(c.every((x) => x === 0)).toBe(true);
    expect(be.used).toBe(used);
    const d = be.alloc(101); // another size: from the mark
    expect(d.byteOffset).toBeGreaterThan(b.byteOffset);
  });

  it('lowers the mark over released blocks at the top, and zeroes memory below the old mark', () => {
    const be = createWasmBackend({ capacity: 4 * MiB });
    const base = be.used;
    const a = be.alloc(8);
    const b = be.alloc(16);
    const c = be.alloc(32);
    b.fill(1);
    c.fill(2);
    be.release(b); // in the middle: waits
    expect(be.used).toBe(base + 32 + 64 + 128);
    be.release(c); // at the top: the mark drops over c, then over b
    expect(be.used).toBe(base + 32);
    const e = be.alloc(40); // overlaps where b and c were
    expect(e.byteOffset).toBe(b.byteOffset);
    expect(e.every((x) => x === 0)).toBe(true);
    be.release(e);
    be.release(a);
    expect(be.used).toBe(base);
  });

  it('refuses part of a view and a second release; ignores arrays outside the memory', () => {
    const be = createWasmBackend({ capacity: 4 * MiB });
    const a = be.alloc(64);
    be.alloc(4);
    expectError(() => be.release(a.subarray(4)), 'ERR_INVALID_ARG', 'release');
    expectError(() => be.release(a.subarray(0, 8)), 'ERR_INVALID_ARG', 'that buffer has 256 bytes');
    be.release(a);
    expectError(() => be.release(a), 'ERR_INVALID_ARG', 'no live buffer starts there');
    const used = be.used;
    be.release(new Float32Array(64)); // the heap: nothing to give back
    be.release(be.alloc(0));
    expect(be.used).toBe(used);
    expectError(() => be.release([1, 2] as unknown as Float32Array), 'ERR_INVALID_ARG', 'release x');
  });

  it('releaseBuffers skips what is not a Float32Array and backends without release', () => {
    const be = createWasmBackend({ capacity: 4 * MiB });
    const base = be.used;
    const ws = { B: 2, ids: new Int32Array(4), h: be.alloc(10), y: be.alloc(20), none: null };
    releaseBuffers(be, Object.values(ws));
    expect(be.used).toBe(base);
    releaseBuffers(jsBackend, [new Float32Array(3)]); // no release method: nothing happens
  });
});

describe('bounded memory for per-stream and per-episode buffers', () => {
  const backends = [
    ['wasm', () => createWasmBackend({ capacity: 8 * MiB })],
    ...(nativeAvailable() ? [['native', () => createNativeBackend({ capacity: 8 * MiB, threads: 1 })] as const] : []),
  ] as const;
  it.each(backends)('keyedRecurrent (%s): 200 subscriptions that end leave the memory as it was', async (_, make) => {
    // 8 MiB: each subscription's batch buffers (h, c, y for 256 rows) take ~0.2 MiB, so without release the
    // memory is exhausted after about 35 subscriptions
    const be = make();
    const model = RNNModel.create(
      { cell: 'lstm', input: 'onehot', inputSize: 12, hiddenSize: 64, outputSize: 12 },
      { seed: 3, backend: be },
    );
    const events = [
      { key: 'a', id: 1 },
      { key: 'b', id: 2 },
      { key: 'a', id: 3 },
    ];
    type Ev = { key: string; id: number };
    const op = () => keyedRecurrent(model, { keyOf: (e: Ev) => e.key, inputOf: (e: Ev) => e.id });
    const first = await lastValueFrom(from(events).pipe(op(), toArray()));
    const used = be.used;
    for (let i = 0; i < 100; i++) {
      const outs = await lastValueFrom(from(events).pipe(op(), toArray())); // completes
      expect(Array.from(outs[2].output)).toEqual(Array.from(first[2].output));
      await lastValueFrom(from(events).pipe(op(), take(1))); // unsubscribed early
    }
    expect(be.used).toBe(used);
  });

  it('ramGlimpses: an image an episode, the workspace given back after each (also when cut short)', async () => {
    const be = createWasmBackend({ capacity: 8 * MiB });
    const model = RamModel.create(
      { glimpses: 4, glimpseSize: 4, scales: 2, glimpseHidden: 8, glimpseOutput: 12, hiddenSize: 10 },
      { seed: 2, backend: be },
    );
    const rng = new Rng(1);
    const image = () => ({ data: Float32Array.from({ length: 400 }, () => rng.next()), C: 1, H: 20, W: 20 });
    await lastValueFrom(ramGlimpses(model, image()).pipe(toArray()));
    const used = be.used;
    for (let i = 0; i < 200; i++) {
      const events = await lastValueFrom(ramGlimpses(model, image()).pipe(toArray()));
      expect(events.at(-1)?.kind).toBe('answer');
      await lastValueFrom(ramGlimpses(model, image()).pipe(take(2)));
    }
    await new Promise((resolve) => setImmediate(resolve)); // the cut episode's generator ends after unsubscribe
    expect(be.used).toBe(used);
  });

  it('ramEvaluate gives its workspaces back', () => {
    const be = createWasmBackend({ capacity: 8 * MiB });
    const model = RamModel.create(
      { glimpses: 2, glimpseSize: 4, scales: 1, glimpseHidden: 8, glimpseOutput: 12, hiddenSize: 10 },
      { seed: 2, backend: be },
    );
    const set = {
      images: new Uint8Array(5 * 28 * 28).fill(9),
      labels: Uint8Array.of(0, 1, 2, 3, 4),
      count: 5,
      rows: 28,
      cols: 28,
    };
    const used = be.used;
    for (let i = 0; i < 3; i++) ramEvaluate(model, set, ramTask('mnist'), { count: 7, batch: 3 });
    expect(be.used).toBe(used);
  });
});
