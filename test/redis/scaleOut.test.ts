/**
 * The scale-out under failure: 3 worker processes (`workerProcess.ts`: `runRedisWorker`), 200 keys, 20,000 entries;
 * a random worker is SIGKILLed (and replaced) at random moments at least 5 times, and Redis itself is SIGKILLed and
 * restarted once from its append-only file mid-run. Every output, compared per key by entry id, must be
 * byte-identical to one in-process `keyedRecurrent` run over the same entries; there must be exactly one output per
 * entry; every key's stored state must be the in-process final state, with the id of its last entry.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../pipelines/redis/redisServer.ts';
import { loadModel, saveModel } from '../../src/model/modelFile.ts';
import type { RecurrentState } from '../../src/model/recurrentState.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { keyedRecurrent } from '../../src/operators/keyedRecurrent.ts';
import { decodeKeyState } from '../../src/redis/redisCodec.ts';
import { compareStreamIds, redisShardKeys } from '../../src/redis/redisKeys.ts';
import { createRedisProducer } from '../../src/redis/redisProducer.ts';
import { Rng } from '../../src/util/rng.ts';

const WORKER = fileURLToPath(new URL('./workerProcess.ts', import.meta.url));
const PREFIX = 'so';
const SHARDS = 6;
const KEYS = 200;
const ENTRIES = 20_000;
const CHUNK = 500;

let server: RedisServer;
let admin: Redis;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer({ appendfsync: 'always' });
  admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: null });
  admin.on('error', () => undefined); // refused while Redis restarts; the client retries
  await admin.connect();
  dir = mkdtempSync(join(tmpdir(), 'eddy-scaleout-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  admin?.disconnect();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerProc {
  child: ChildProcess;
  exited: Promise<void>;
  /** It has taken a shard (so a kill hits a worker at work, not one still starting). */
  working: boolean;
  /** Its consumer name in the group. */
  id: string;
}

describe('scale-out on Redis Streams', () => {
  it('3 workers, 200 keys, 20,000 entries, >= 5 SIGKILLs and a Redis restart: outputs and states exact', async () => {
    const modelPath = join(dir, 'model.safetensors');
    saveModel(
      modelPath,
      RNNModel.create({ cell: 'gru', input: 'dense', inputSize: 4, hiddenSize: 8, outputSize: 3 }, { seed: 7 }),
    );
    const model = loadModel(modelPath);
    const log: string[] = [];
    const rng = new Rng(2024);
    const workers: WorkerProc[] = [];
    const spawnWorker = (n: number): WorkerProc => {
      const options = {
        model: modelPath,
        redis: server.url,
        prefix: PREFIX,
        shards: SHARDS,
        leaseMs: 1000,
        commitIntervalMs: [0, 20, 200][rng.int(3)],
        readCount: 200,
        workerId: `w${n}`,
      };
      const args = ['--import', 'tsx', WORKER, JSON.stringify(options)];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const w: WorkerProc = { child, exited, working: false, id: options.workerId };
      child.stderr?.on('data', (d: Buffer) => {
        const lines = d.toString().trim().split('\n');
        log.push(...lines.map((l) => `w${n} ${l}`));
        if (lines.some((l) => l.includes('acquired shard'))) w.working = true;
      });
      return w;
    };
    const tStart = Date.now();
    for (let i = 0; i < 3; i++) workers.push(spawnWorker(i));

    const outputs = async (): Promise<number> => {
      let n = 0;
      for (let s = 0; s < SHARDS; s++) n += await admin.xlen(redisShardKeys(PREFIX, s).output);
      return n;
    };
    const until = async (cond: () => boolean): Promise<void> => {
      const t0 = Date.now();
      while (!cond()) {
        if (Date.now() - t0 > 60_000) throw new Error('timed out');
        await sleep(20);
      }
    };

    // The consumers that hold entries read but not yet committed (pending), over all shards.
    const pendingConsumers = async (): Promise<Set<string>> => {
      const names = new Set<string>();
      try {
        for (let s = 0; s < SHARDS; s++) {
          const summary = (await admin.xpending(redisShardKeys(PREFIX, s).input, 'eddy')) as unknown[];
          for (const [name, n] of (summary[3] ?? []) as [string, string][]) if (Number(n) > 0) names.add(name);
        }
      } catch {
        // no group yet, or Redis restarting: nobody known to hold pending entries
      }
      return names;
    };

    // Chaos: every 0.6-1.2 s, a worker that holds shards is SIGKILLed and replaced (a fresh process). One that
    // holds pending entries is preferred (watched for up to 1 s), so that every run exercises the claim of a dead
    // worker's pending entries, however fast the workers commit; otherwise a random one.
    let kills = 0;
    let producing = true;
    let restarting = false;
    const chaos = (async () => {
      while (producing && kills < 8) {
        await sleep(600 + rng.int(600));
        const up = workers.map((w, i) => (w.working ? i : -1)).filter((i) => i >= 0);
        if (up.length === 0 || restarting) continue;
        let holding: number[] = [];
        for (let t = 0; t < 100 && holding.length === 0 && producing && !restarting; t++) {
          const names = await pendingConsumers();
          holding = up.filter((j) => names.has(workers[j].id));
          if (holding.length === 0) await sleep(10);
        }
        if (restarting) continue;
        const pick = holding.length > 0 ? holding : up;
        const i = pick[rng.int(pick.length)];
        workers[i].child.kill('SIGKILL');
        await workers[i].exited;
        kills++;
        workers[i] = spawnWorker(3 + kills);
      }
    })();

    // Entries in bursts of 500; production waits for the kills to keep pace (6 over the run, whatever the
    // machine's speed), and Redis is SIGKILLed and restarted from its AOF halfway, while workers hold shards.
    const producer = createRedisProducer({ model, redis: server.url, prefix: PREFIX, shards: SHARDS });
    const data = new Rng(11);
    const chunks = ENTRIES / CHUNK;
    for (let c = 0; c < chunks; c++) {
      await until(() => kills >= Math.floor((c * 6) / chunks));
      if (c === chunks / 2) {
        await until(() => workers.some((w) => w.working));
        restarting = true;
        await server.restart({ kill: true, downMs: 200 });
        await until(() => log.some((l) => l.includes('reconnected'))); // no kill until the workers are back
        restarting = false;
      }
      const adds: Promise<string>[] = [];
      for (let i = 0; i < CHUNK; i++) {
        const x = Float32Array.from({ length: 4 }, () => data.normal());
        adds.push(producer.add(`cam-${data.int(KEYS)}`, x));
      }
      await Promise.all(adds);
      await sleep(150);
    }
    await producer.close();
    const tProduced = Date.now();
    producing = false;
    await chaos;

    const t0 = Date.now();
    while ((await outputs()) < ENTRIES && Date.now() - t0 < 60_000) await sleep(100);
    const tDone = Date.now();
    await sleep(300);
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(await outputs()).toBe(ENTRIES); // exactly one output per entry

    // The entries as Redis holds them, in id order per shard (so per key), through one in-process keyedRecurrent.
    const entries: { key: string; id: string; x: Float32Array }[] = [];
    for (let s = 0; s < SHARDS; s++) {
      const rows = await admin.xrangeBuffer(redisShardKeys(PREFIX, s).input, '-', '+');
      for (const [id, f] of rows) {
        const x = new Float32Array(4);
        new Uint8Array(x.buffer).set(f[3]); // copied: the reply's bytes can start at an odd offset
        entries.push({ key: f[1].toString(), id: id.toString(), x });
      }
    }
    expect(entries.length).toBe(ENTRIES);
    const finals = new Map<string, RecurrentState>();
    const ref = await lastValueFrom(
      from(entries).pipe(
        keyedRecurrent(model, { keyOf: (e) => e.key, inputOf: (e) => e.x, onEvict: (k, s) => finals.set(k, s) }),
        toArray(),
      ),
    );
    const got = new Map<string, Buffer>();
    for (let s = 0; s < SHARDS; s++) {
      for (const [, f] of await admin.xrangeBuffer(redisShardKeys(PREFIX, s).output, '-', '+')) {
        const m = new Map<string, Buffer>();
        for (let i = 0; i < f.length; i += 2) m.set(f[i].toString(), f[i + 1]);
        got.set(`${m.get('k')} ${m.get('id')}`, m.get('y') as Buffer);
      }
    }
    expect(got.size).toBe(ENTRIES); // no entry answered twice
    let same = 0;
    for (const r of ref) {
      const y = got.get(`${r.key} ${r.value.id}`);
      if (y !== undefined && Buffer.compare(y, Buffer.from(r.output.buffer, r.output.byteOffset, 12)) === 0) same++;
    }
    expect(same).toBe(ENTRIES);

    // Every key's stored state: the in-process final state, after its last entry.
    const lastIds = new Map<string, string>();
    for (const e of entries) {
      const prev = lastIds.get(e.key);
      if (prev === undefined || compareStreamIds(e.id, prev) > 0) lastIds.set(e.key, e.id);
    }
    let states = 0;
    for (let s = 0; s < SHARDS; s++) {
      const h = await admin.hgetallBuffer(redisShardKeys(PREFIX, s).state);
      for (const [key, blob] of Object.entries(h)) {
        const stored = decodeKeyState(model, blob, key);
        expect(stored.lastId).toBe(lastIds.get(key));
        expect(
          Buffer.from(stored.state.h.buffer).equals(Buffer.from((finals.get(key) as RecurrentState).h.buffer)),
        ).toBe(true);
        states++;
      }
    }
    expect(states).toBe(finals.size);

    // The failure paths really ran: pending entries of killed workers were claimed; connections were retried.
    const claimed = log.map((l) => /claimed (\d+) pending/.exec(l)).reduce((a, m) => a + (m ? Number(m[1]) : 0), 0);
    expect(claimed).toBeGreaterThan(0);
    if (process.env.EDDY_DEBUG === '1') console.log(log.join('\n'));
    expect(log.some((l) => l.includes('reconnecting in'))).toBe(true);
    expect(log.some((l) => l.includes('reconnected'))).toBe(true);
    console.log(
      `kills ${kills}, pending entries claimed ${claimed}; produced after ${((tProduced - tStart) / 1000).toFixed(1)} s, ` +
        `all outputs ${((tDone - tProduced) / 1000).toFixed(1)} s later`,
    );
  }, 120_000);
});
