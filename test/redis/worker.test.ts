import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { Redis } from 'ioredis';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { keyedRecurrent } from '../../src/operators/keyedRecurrent.ts';
import { runRedisWorker, type RedisWorker } from '../../src/redis/runRedisWorker.ts';
import { createRedisProducer } from '../../src/redis/redisProducer.ts';
import { compareStreamIds, redisShardKeys } from '../../src/redis/redisKeys.ts';
import type { RedisWorkerEvent } from '../../src/redis/redisWorkerOptions.ts';
import { startRedisServer, type RedisServer } from '../../pipelines/redis/redisServer.ts';
import { Rng } from '../../src/util/rng.ts';

const model = RNNModel.create(
  { cell: 'lstm', input: 'dense', inputSize: 3, hiddenSize: 5, outputSize: 2 },
  { seed: 4 },
);
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

async function waitFor(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runRedisWorker', () => {
  it('one worker: outputs equal keyedRecurrent over the same entries', async () => {
    const prefix = 't1';
    const shards = 4;
    const events: RedisWorkerEvent[] = [];
    const worker: RedisWorker = runRedisWorker({
      model,
      redis: server.url,
      prefix,
      shards,
      leaseMs: 600,
      onEvent: (e) => events.push(e),
    });
    const producer = createRedisProducer({ model, redis: server.url, prefix, shards });
    const rng = new Rng(3);
    const sent: { key: string; x: Float32Array; id: string }[] = [];
    const adds: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      const key = `k${rng.int(20)}`;
      const x = Float32Array.from({ length: 3 }, () => rng.normal());
      adds.push(producer.add(key, x).then((id) => void sent.push({ key, x, id })));
    }
    await Promise.all(adds);
    await producer.close();
    const outLen = async () => {
      let n = 0;
      for (let s = 0; s < shards; s++) n += await admin.xlen(redisShardKeys(prefix, s).output);
      return n;
    };
    await waitFor(async () => (await outLen()) >= 500);
    await worker.stop();
    expect(await outLen()).toBe(500);
    const got = new Map<string, Buffer>();
    for (let s = 0; s < shards; s++) {
      for (const [, f] of await admin.xrangeBuffer(redisShardKeys(prefix, s).output, '-', '+')) {
        const m = new Map<string, Buffer>();
        for (let i = 0; i < f.length; i += 2) m.set(f[i].toString(), f[i + 1]);
        got.set(`${m.get('k')} ${m.get('id')}`, m.get('y')!);
      }
    }
    sent.sort((a, b) => compareStreamIds(a.id, b.id));
    const ref = await lastValueFrom(
      from(sent).pipe(keyedRecurrent(model, { keyOf: (e) => e.key, inputOf: (e) => e.x }), toArray()),
    );
    for (const r of ref) {
      const y = got.get(`${r.key} ${r.value.id}`)!;
      expect(Buffer.compare(y, Buffer.from(r.output.buffer))).toBe(0);
    }
    expect(events.filter((e) => e.type === 'acquired').length).toBe(shards);
  });
});
