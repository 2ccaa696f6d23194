import { Redis } from 'ioredis';
import { firstValueFrom, from, lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../pipelines/redis/redisServer.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { keyedRecurrent } from '../../src/operators/keyedRecurrent.ts';
import { encodeKeyState, encodeStepInput } from '../../src/redis/redisCodec.ts';
import { compareStreamIds, redisShardKeys, shardOf } from '../../src/redis/redisKeys.ts';
import { redisOutputs } from '../../src/redis/redisOutputs.ts';
import { redisOutputsAsync } from '../../src/redis/redisOutputs.ix.ts';
import { createRedisProducer } from '../../src/redis/redisProducer.ts';
import type { RedisWorkerEvent } from '../../src/redis/redisWorkerOptions.ts';
import { runRedisWorker } from '../../src/redis/runRedisWorker.ts';
import { Rng } from '../../src/util/rng.ts';
import { EddyError } from '../../src/util/errors.ts';

const model = RNNModel.create(
  { cell: 'lstm', input: 'dense', inputSize: 3, hiddenSize: 5, outputSize: 2 },
  { seed: 4 },
);
const charModel = RNNModel.create(
  { cell: 'gru', input: 'embedding', inputSize: 7, embeddingSize: 3, hiddenSize: 4, outputSize: 7 },
  { seed: 5 },
);
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
  admin.on('error', () => undefined);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

async function expectEddyError(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EddyError);
  expect((err as EddyError).code).toBe(code);
  expect((err as EddyError).message).toMatch(re);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await sleep(20);
  }
}

async function outputCount(prefix: string, shards: number): Promise<number> {
  let n = 0;
  for (let s = 0; s < shards; s++) n += await admin.xlen(redisShardKeys(prefix, s).output);
  return n;
}

async function pendingCount(prefix: string, shards: number): Promise<number> {
  let n = 0;
  for (let s = 0; s < shards; s++) {
    const p = (await admin.xpending(redisShardKeys(prefix, s).input, 'eddy').catch(() => [0])) as [number];
    n += Number(p[0]);
  }
  return n;
}

describe('runRedisWorker', () => {
  it('one worker: outputs equal keyedRecurrent; a dropped connection is retried and changes nothing', async () => {
    const prefix = 't1';
    const shards = 4;
    const events: RedisWorkerEvent[] = [];
    const worker = runRedisWorker({
      model,
      redis: server.url,
      prefix,
      shards,
      leaseMs: 600,
      commitIntervalMs: 10,
      onEvent: (e) => events.push(e),
    });
    const producer = createRedisProducer({ model, redis: server.url, prefix, shards });
    const rng = new Rng(3);
    const sent: { key: string; x: Float32Array; id: string }[] = [];
    const produce = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () => {
          const key = `k${rng.int(20)}`;
          const x = Float32Array.from({ length: 3 }, () => rng.normal());
          return producer.add(key, x).then((id) => void sent.push({ key, x, id }));
        }),
      );
    await produce(250);
    await waitFor(async () => (await outputCount(prefix, shards)) >= 100);
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // every other connection drops
    await produce(250);
    await waitFor(async () => (await outputCount(prefix, shards)) >= 500);
    const seen: { key: string; id: string; output: Float32Array | undefined }[] = [];
    for await (const o of redisOutputsAsync({ model, redis: server.url, prefix, shards })) {
      seen.push(o);
      if (seen.length === 500) break;
    }
    await producer.close();
    await worker.stop();
    expect(await outputCount(prefix, shards)).toBe(500);
    expect(await pendingCount(prefix, shards)).toBe(0);
    sent.sort((a, b) => compareStreamIds(a.id, b.id));
    const ref = await lastValueFrom(
      from(sent).pipe(keyedRecurrent(model, { keyOf: (e) => e.key, inputOf: (e) => e.x }), toArray()),
    );
    const got = new Map(seen.map((o) => [`${o.key} ${o.id}`, o.output]));
    for (const r of ref) expect(got.get(`${r.key} ${r.value.id}`)).toEqual(r.output);
    expect(events.some((e) => e.type === 'reconnecting')).toBe(true);
    expect(events.some((e) => e.type === 'reconnected')).toBe(true);
    expect(events.filter((e) => e.type === 'acquired').length).toBeGreaterThanOrEqual(shards);
    // stopping gave the shards back and left the registry
    for (let s = 0; s < shards; s++) expect(await admin.exists(redisShardKeys(prefix, s).lease)).toBe(0);
    expect(await admin.zcard(`${prefix}:workers`)).toBe(0);
  });

  it('token models: ids as decimal fields, outputs through redisOutputs (RxJS)', async () => {
    const prefix = 't2';
    const worker = runRedisWorker({ model: charModel, redis: server.url, prefix, shards: 2, leaseMs: 600 });
    const producer = createRedisProducer({ model: charModel, redis: server.url, prefix, shards: 2 });
    const sent: { key: string; x: number; id: string }[] = [];
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const key = `u${i % 5}`;
        const x = (i * 3) % 7;
        return producer.add(key, x).then((id) => void sent.push({ key, x, id }));
      }),
    );
    const outs = await firstValueFrom(
      redisOutputs({ model: charModel, redis: server.url, prefix, shards: 2 }).pipe(take(60), toArray()),
    );
    await producer.close();
    await worker.stop();
    sent.sort((a, b) => compareStreamIds(a.id, b.id));
    const ref = await lastValueFrom(
      from(sent).pipe(keyedRecurrent(charModel, { keyOf: (e) => e.key, inputOf: (e) => e.x }), toArray()),
    );
    const got = new Map(outs.map((o) => [`${o.key} ${o.id}`, o.output]));
    for (const r of ref) expect(got.get(`${r.key} ${r.value.id}`)).toEqual(r.output);
  });

  it('keys evicted from memory with uncommitted steps (maxKeys 3) are committed from their parked state', async () => {
    const prefix = 't8';
    const worker = runRedisWorker({
      model,
      redis: server.url,
      prefix,
      shards: 2,
      maxKeys: 3,
      maxBatch: 2,
      commitIntervalMs: 50,
    });
    const producer = createRedisProducer({ model, redis: server.url, prefix, shards: 2 });
    const rng = new Rng(8);
    const sent: { key: string; x: Float32Array; id: string }[] = [];
    await Promise.all(
      Array.from({ length: 300 }, () => {
        const key = `k${rng.int(12)}`;
        const x = Float32Array.from({ length: 3 }, () => rng.normal());
        return producer.add(key, x).then((id) => void sent.push({ key, x, id }));
      }),
    );
    await waitFor(async () => (await outputCount(prefix, 2)) >= 300);
    await producer.close();
    await worker.stop();
    sent.sort((a, b) => compareStreamIds(a.id, b.id));
    const ref = await lastValueFrom(
      from(sent).pipe(keyedRecurrent(model, { keyOf: (e) => e.key, inputOf: (e) => e.x }), toArray()),
    );
    const got = new Map<string, Buffer>();
    for (let s = 0; s < 2; s++)
      for (const [, f] of await admin.xrangeBuffer(redisShardKeys(prefix, s).output, '-', '+'))
        got.set(`${f[3]} ${f[1]}`, f[5]);
    expect(got.size).toBe(300);
    for (const r of ref) expect(got.get(`${r.key} ${r.value.id}`)?.equals(Buffer.from(r.output.buffer))).toBe(true);
  });

  it('trimInput deletes the committed entries from the input streams; outputs are unchanged', async () => {
    const prefix = 't9';
    const worker = runRedisWorker({ model, redis: server.url, prefix, shards: 1, trimInput: true, readCount: 50 });
    const producer = createRedisProducer({ model, redis: server.url, prefix, shards: 1 });
    const rng = new Rng(9);
    const sent: { key: string; x: Float32Array; id: string }[] = [];
    for (let burst = 0; burst < 4; burst++) {
      await Promise.all(
        Array.from({ length: 300 }, () => {
          const key = `k${rng.int(7)}`;
          const x = Float32Array.from({ length: 3 }, () => rng.normal());
          return producer.add(key, x).then((id) => void sent.push({ key, x, id }));
        }),
      );
      await waitFor(async () => (await outputCount(prefix, 1)) >= sent.length);
    }
    await producer.close();
    await worker.stop();
    const keys = redisShardKeys(prefix, 0);
    expect(await admin.xlen(keys.input)).toBeLessThan(200); // '~': whole nodes of 100 entries go at once
    sent.sort((a, b) => compareStreamIds(a.id, b.id));
    const ref = await lastValueFrom(
      from(sent).pipe(keyedRecurrent(model, { keyOf: (e) => e.key, inputOf: (e) => e.x }), toArray()),
    );
    const got = new Map<string, Buffer>();
    for (const [, f] of await admin.xrangeBuffer(keys.output, '-', '+')) got.set(`${f[3]} ${f[1]}`, f[5]);
    expect(got.size).toBe(1200);
    for (const r of ref) expect(got.get(`${r.key} ${r.value.id}`)?.equals(Buffer.from(r.output.buffer))).toBe(true);
  });

  it('skips entries at or below a key’s stored last id; a bad entry gets an err output; both are acknowledged', async () => {
    const prefix = 't3';
    const keys = redisShardKeys(prefix, 0);
    const xs = [0, 1, 2].map((i) => Float32Array.from([i, -i, 0.5]));
    const ids: string[] = [];
    for (const x of xs)
      ids.push((await admin.xadd(keys.input, '*', 'k', 'a', 'x', encodeStepInput(model, x))) as string);
    await admin.xadd(keys.input, '*', 'k', 'a', 'x', Buffer.alloc(5)); // not 3 floats
    // The stored state of key a says entries up to the second were applied, from this state.
    const stored = model.createState(1);
    stored.h.fill(0.25);
    (stored.c as Float32Array).fill(-0.5);
    await admin.hset(keys.state, 'a', encodeKeyState(ids[1], stored));
    const events: RedisWorkerEvent[] = [];
    const worker = runRedisWorker({ model, redis: server.url, prefix, shards: 1, onEvent: (e) => events.push(e) });
    await waitFor(async () => (await admin.xlen(keys.output)) >= 2);
    await worker.stop();
    const rows = await admin.xrangeBuffer(keys.output, '-', '+');
    expect(rows.length).toBe(2);
    const [f0, f1] = rows.map(
      ([, f]) => new Map(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i].toString(), f[2 * i + 1]])),
    );
    expect(f0.get('id')?.toString()).toBe(ids[2]);
    const state = { h: stored.h.slice(), c: (stored.c as Float32Array).slice() };
    const y = model.step(xs[2], state).slice();
    expect(Buffer.compare(f0.get('y') as Buffer, Buffer.from(y.buffer))).toBe(0);
    expect(f1.get('err')?.toString()).toMatch(/field x of key a 12 bytes.*received 5 bytes/);
    expect(events.filter((e) => e.type === 'skipped').map((e) => (e as { id: string }).id)).toEqual(ids.slice(0, 2));
    expect(events.filter((e) => e.type === 'bad-entry').length).toBe(1);
    expect(await pendingCount(prefix, 1)).toBe(0);
  });

  it('a key in the wrong shard is refused (a producer with another shard count)', async () => {
    const prefix = 't4';
    const key = ['a', 'b', 'c', 'd', 'e'].find((k) => shardOf(k, 2) === 1) as string;
    await admin.xadd(redisShardKeys(prefix, 0).input, '*', 'k', key, 'x', encodeStepInput(model, new Float32Array(3)));
    const events: RedisWorkerEvent[] = [];
    const worker = runRedisWorker({ model, redis: server.url, prefix, shards: 2, onEvent: (e) => events.push(e) });
    await waitFor(async () => events.some((e) => e.type === 'bad-entry'));
    await worker.stop();
    expect(events.find((e) => e.type === 'bad-entry')).toMatchObject({ error: expect.stringMatching(/shard 1/) });
  });

  it('the lease fences a worker out: while another holds it, nothing is read or written; then the worker takes over', async () => {
    const prefix = 't5';
    const keys = redisShardKeys(prefix, 0);
    await admin.set(keys.lease, 'someone-else', 'PX', 1500);
    const events: RedisWorkerEvent[] = [];
    const worker = runRedisWorker({
      model,
      redis: server.url,
      prefix,
      shards: 1,
      leaseMs: 300,
      onEvent: (e) => events.push(e),
    });
    await admin.xadd(keys.input, '*', 'k', 'a', 'x', encodeStepInput(model, new Float32Array(3)));
    await sleep(700);
    expect(await admin.xlen(keys.output)).toBe(0);
    expect(events.some((e) => e.type === 'acquired')).toBe(false);
    await waitFor(async () => (await admin.xlen(keys.output)) === 1);
    // The lease is taken from under the worker (as if it had stalled past it): it notices and stops writing.
    await admin.set(keys.lease, 'thief', 'PX', 100_000);
    await waitFor(async () => events.some((e) => e.type === 'lost'));
    await admin.xadd(keys.input, '*', 'k', 'a', 'x', encodeStepInput(model, new Float32Array(3)));
    await sleep(300);
    expect(await admin.xlen(keys.output)).toBe(1);
    await worker.stop();
    expect(await admin.get(keys.lease)).toBe('thief');
  });

  it('refuses a shard count other than the deployment’s', async () => {
    const prefix = 't6';
    await admin.set(`${prefix}:shards`, '4');
    const worker = runRedisWorker({ model, redis: server.url, prefix, shards: 3 });
    await expectEddyError(worker.done, 'ERR_INVALID_ARG', /options\.shards.*\(4 shards\) but received 3/);
    const producer = createRedisProducer({ model, redis: server.url, prefix, shards: 5 });
    await expectEddyError(producer.add('a', new Float32Array(3)), 'ERR_INVALID_ARG', /options\.shards/);
    await producer.close();
  });

  it('validates its options at the call, naming them', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /options\.model/],
      [{ model, shards: 0 }, /options\.shards/],
      [{ model, leaseMs: 10 }, /options\.leaseMs/],
      [{ model, redis: 'http://x' }, /options\.redis/],
      [{ model, prefix: 'a b' }, /options\.prefix/],
      [{ model, group: '' }, /options\.group/],
      [{ model, commitIntervalMs: -1 }, /options\.commitIntervalMs/],
      [{ model, readCount: 0 }, /options\.readCount/],
      [{ model, maxBatch: 1.5 }, /options\.maxBatch/],
      [{ model, maxKeys: 0 }, /options\.maxKeys/],
      [{ model, outputMaxLen: -2 }, /options\.outputMaxLen/],
      [{ model, trimInput: 1 }, /options\.trimInput/],
      [{ model, retryBaseMs: 0 }, /options\.retryBaseMs/],
      [{ model, retryBaseMs: 100, retryMaxMs: 50 }, /options\.retryMaxMs/],
      [{ model, onEvent: 3 }, /options\.onEvent/],
      [{ model, signal: {} }, /options\.signal/],
    ];
    for (const [o, re] of bad) {
      expect(() => runRedisWorker(o as never)).toThrow(re);
      try {
        runRedisWorker(o as never);
      } catch (err) {
        expect((err as { code: string }).code).toBe('ERR_INVALID_ARG');
      }
    }
    expect(() => createRedisProducer({ model, shards: -1 })).toThrow(/options\.shards/);
    expect(() => createRedisProducer({ model, maxLen: 0.5 })).toThrow(/options\.maxLen/);
    expect(() => redisOutputs({ model, from: 'x' as never })).toThrow(/options\.from/);
    expect(() => redisOutputsAsync({ model, count: 0 })).toThrow(/options\.count/);
    const p = createRedisProducer({ model, redis: server.url, prefix: 't7', shards: 1 });
    expect(() => p.add('a', new Float32Array(2))).toThrow(/Expected x Float32Array of length 3/);
    expect(() => p.add('', new Float32Array(3))).toThrow(/key/);
    return p.close();
  });
});
