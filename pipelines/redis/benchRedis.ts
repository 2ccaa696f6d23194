/**
 * `eddy bench-redis`: what the Redis Streams scale-out costs and gives, on this machine. For 1 and 2 worker
 * processes (`serve-redis`) and 1 / 100 / 1,000 keys:
 *
 * 1. throughput: `--entries` steps written as fast as the producer can, timed from the first XADD to the last
 *    output read back; the outputs are compared with one in-process `keyedRecurrent` run, byte for byte (a row of a
 *    batched step does not depend on the other rows, so the workers' batches give the same bits), else the largest
 *    difference is shown;
 * 2. latency: then steps at a steady `--rate` (default 1,000/s: 40 cameras at 25 fps) for `--seconds`, each timed
 *    from its XADD to its output being read back (p50, p99), with commits after every read batch (`--commit-ms 0`);
 * 3. next to it, the in-process `keyedRecurrent` over the same entries (one process, no Redis).
 *
 * Redis is a throwaway `redis-server` (AOF, `--fsync`) unless `--redis` names one. Everything (Redis, the workers,
 * the producer and the reader) shares this machine's cores, so 2 workers only help where there are cores to spare.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { from, lastValueFrom, toArray } from 'rxjs';
import {
  type RNNModel,
  Rng,
  createRedisProducer,
  keyedRecurrent,
  redisOutputsAsync,
  redisShardKeys,
} from '../../src/index.ts';
import { startRedisServer } from './redisServer.ts';

/** What `bench-redis` runs with. */
export interface BenchRedisParams {
  model: RNNModel;
  modelPath: string;
  backend: string;
  redis: string | undefined;
  fsync: 'always' | 'everysec';
  entries: number;
  seconds: number;
  /** Steps per second of the latency run. */
  rate: number;
  workers: number[];
  keys: number[];
  shards: number;
  commitMs: number;
  log: (line: string) => void;
}

/** One row of the table. */
export interface BenchRedisRow {
  workers: number;
  keys: number;
  stepsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  latencyRate: number;
  inProcessStepsPerSecond: number;
  /** Every output byte-identical to the in-process run's. */
  identical: boolean;
  /** Else the largest difference (batches are composed differently; kernels that are not exact per row show it). */
  maxDiff: number;
}

/** The `eddy` entry beside this file: the TypeScript one (run through tsx) or the compiled one in dist/. */
const EDDY = fileURLToPath(new URL(`../eddy.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));

/** The command line of one worker process (`eddy serve-redis`). */
function workerArgs(p: BenchRedisParams, url: string, prefix: string, id: string): string[] {
  const pre = EDDY.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return [
    ...pre,
    EDDY,
    'serve-redis',
    ...['--model', p.modelPath, '--backend', p.backend, '--redis', url, '--prefix', prefix],
    ...['--shards', String(p.shards), '--commit-ms', String(p.commitMs), '--lease-ms', '2000', '--stats-ms', '0'],
    ...['--worker-id', id, '--quiet'],
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** In-process keyedRecurrent steps/s over the same kind of entries (best of 3). */
async function inProcess(model: RNNModel, entries: { key: string; x: Float32Array }[]): Promise<number> {
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await lastValueFrom(
      from(entries).pipe(keyedRecurrent(model, { keyOf: (e) => e.key, inputOf: (e) => e.x }), toArray()),
    );
    best = Math.max(best, entries.length / ((performance.now() - t0) / 1000));
  }
  return best;
}

async function oneConfig(p: BenchRedisParams, url: string, admin: Redis, W: number, K: number): Promise<BenchRedisRow> {
  const { model } = p;
  const X = model.config.inputSize;
  const prefix = `bench-${W}w-${K}k-${Date.now()}`;
  const rng = new Rng(W * 1000 + K);
  const pool = Array.from({ length: 64 }, () => Float32Array.from({ length: X }, () => rng.normal()));
  const children: ChildProcess[] = [];
  for (let w = 0; w < W; w++) {
    children.push(
      spawn(process.execPath, workerArgs(p, url, prefix, `bench-w${w}`), { stdio: ['ignore', 'ignore', 'inherit'] }),
    );
  }
  const reader = new AbortController();
  let reading: Promise<void> = Promise.resolve();
  try {
    // Wait until the workers hold every shard between them, each some.
    const leases = Array.from({ length: p.shards }, (_, s) => redisShardKeys(prefix, s).lease);
    for (let t = 0; ; t++) {
      const owners = (await admin.mget(...leases)).map((v) => v?.split('#')[0]);
      if (owners.every((o) => o !== undefined) && new Set(owners).size === W) break;
      if (t > 600) throw new Error(`${W} workers did not share the ${p.shards} shards within 60 s`);
      await sleep(100);
    }
    // Outputs are matched to their inputs per key in order (a key's outputs come in its input order).
    const sentAt = new Map<string, number[]>();
    const outputs = new Map<string, Float32Array[]>();
    const latencies: number[] = [];
    let received = 0;
    let record = true;
    let measure = false;
    reading = (async () => {
      for await (const o of redisOutputsAsync({ model, redis: url, prefix, shards: p.shards, signal: reader.signal })) {
        const t = performance.now();
        const q = sentAt.get(o.key);
        const t0 = q?.shift();
        if (measure && t0 !== undefined) latencies.push(t - t0);
        if (record) {
          const list = outputs.get(o.key);
          if (list) list.push(o.output as Float32Array);
          else outputs.set(o.key, [o.output as Float32Array]);
        }
        received++;
      }
    })().catch(() => undefined);
    const producer = createRedisProducer({ model, redis: url, prefix, shards: p.shards });
    const entries: { key: string; x: Float32Array }[] = [];
    const add = (key: string, x: Float32Array): Promise<string> => {
      const q = sentAt.get(key);
      if (q) q.push(performance.now());
      else sentAt.set(key, [performance.now()]);
      return producer.add(key, x);
    };
    // 1. Throughput.
    const t0 = performance.now();
    const adds: Promise<string>[] = [];
    for (let i = 0; i < p.entries; i++) {
      const e = { key: `k${rng.int(K)}`, x: pool[rng.int(pool.length)] };
      entries.push(e);
      adds.push(add(e.key, e.x));
      if (adds.length >= 2000) await Promise.all(adds.splice(0));
    }
    await Promise.all(adds);
    while (received < p.entries) await sleep(2);
    const stepsPerSecond = p.entries / ((performance.now() - t0) / 1000);
    record = false;
    const ref = await lastValueFrom(
      from(entries).pipe(keyedRecurrent(model, { keyOf: (e) => e.key, inputOf: (e) => e.x }), toArray()),
    );
    const seen = new Map<string, number>();
    let same = 0;
    let maxDiff = 0;
    for (const r of ref) {
      const n = seen.get(r.key) ?? 0;
      seen.set(r.key, n + 1);
      const y = outputs.get(r.key)?.[n];
      if (y === undefined) maxDiff = Infinity;
      else if (Buffer.from(y.buffer).equals(Buffer.from(r.output.buffer))) same++;
      else for (let k = 0; k < y.length; k++) maxDiff = Math.max(maxDiff, Math.abs(y[k] - r.output[k]));
    }
    // 2. Latency at a steady rate.
    const rate = p.rate;
    measure = true;
    const n = Math.floor(rate * p.seconds);
    const tl = performance.now();
    const tick = Math.max(1, Math.round(rate / 200)); // 200 bursts per second
    for (let i = 0; i < n; i += tick) {
      for (let j = i; j < Math.min(n, i + tick); j++) void add(`k${rng.int(K)}`, pool[rng.int(pool.length)]);
      const wait = tl + ((i + tick) * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
    }
    while (received < p.entries + n && performance.now() - tl < p.seconds * 1000 + 30_000) await sleep(5);
    await producer.close();
    latencies.sort((a, b) => a - b);
    return {
      workers: W,
      keys: K,
      stepsPerSecond,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      latencyRate: rate,
      inProcessStepsPerSecond: await inProcess(model, entries),
      identical: same === p.entries,
      maxDiff,
    };
  } finally {
    reader.abort();
    await reading;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  }
}

/** Runs every configuration; returns the rows (also printed as a table). */
export async function benchRedis(p: BenchRedisParams): Promise<BenchRedisRow[]> {
  const server = p.redis === undefined ? await startRedisServer({ appendfsync: p.fsync }) : null;
  const url = p.redis ?? (server?.url as string);
  const admin = new Redis(url);
  const rows: BenchRedisRow[] = [];
  try {
    const { cell, inputSize, hiddenSize, outputSize } = p.model.config;
    p.log(
      `model ${cell} X=${inputSize} H=${hiddenSize} Y=${outputSize} (${p.modelPath}), ${p.backend} kernels; ` +
        `${p.shards} shards, commit every ${p.commitMs} ms; Redis ${server ? `throwaway, AOF appendfsync ${p.fsync}` : url}; ` +
        `${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`,
    );
    for (const W of p.workers) {
      for (const K of p.keys) {
        const row = await oneConfig(p, url, admin, W, K);
        rows.push(row);
        p.log(
          `${W} worker(s), ${K} keys: ${Math.round(row.stepsPerSecond)} steps/s, p50 ${row.p50Ms.toFixed(1)} ms, ` +
            `p99 ${row.p99Ms.toFixed(1)} ms at ${row.latencyRate}/s; in-process ${Math.round(row.inProcessStepsPerSecond)} steps/s`,
        );
      }
    }
  } finally {
    admin.disconnect();
    await server?.stop();
  }
  const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
  const lines = [
    '| workers | keys | steps/s through Redis | p50 XADD->output | p99 | (at steps/s) | in-process keyedRecurrent steps/s | outputs vs keyedRecurrent |',
    '|---:|---:|---:|---:|---:|---:|---:|:---:|',
    ...rows.map(
      (r) =>
        `| ${r.workers} | ${fmt(r.keys)} | ${fmt(r.stepsPerSecond)} | ${r.p50Ms.toFixed(1)} ms | ${r.p99Ms.toFixed(1)} ms | ${fmt(r.latencyRate)} | ${fmt(r.inProcessStepsPerSecond)} | ${r.identical ? 'identical' : `max diff ${r.maxDiff.toExponential(1)}`} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return rows;
}
