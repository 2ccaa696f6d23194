/**
 * `runRedisWorker`: one eddy worker of a deployment on Redis Streams. Many run at once (processes, machines); each
 * steps the keys of the shards it holds, with exactly-once state per key.
 *
 * ```
 * loop:  maintain   every leaseMs/3: heartbeat; renew leases; take or give back shards to hold ceil(shards / live)
 *        read       per held shard, fenced by its lease: XREADGROUP COUNT readCount, first our own pending entries
 *                   (after taking a shard, or a reconnect), then new ones ('>')
 *        step       load the states of keys not in memory (HMGET), skip entries <= a key's last applied id,
 *                   one batched model.step per round of distinct keys (keyedRecurrent's KeyedStepper)
 *        commit     per shard, one Lua script: HSET states + last ids, XADD outputs, XACK entries (at once, or every
 *                   commitIntervalMs with the entries in between unacknowledged); nothing is acked before its state
 *                   is stored, and the script does nothing if the lease is no longer ours
 *        wait       when every shard is drained: XREAD BLOCK on a second connection until an entry arrives
 * ```
 * 1. Per key in order: a key lives in one shard (`shardOf`), a shard is read by one lease holder, in id order.
 * 2. No step lost, none applied twice: an entry is acknowledged only in the commit that stores the state it led to;
 *    a dead worker's shards are taken when their leases run out, its pending entries claimed (XAUTOCLAIM) and stepped
 *    from the committed states. An entry at or below a key's last applied id is acknowledged without a step.
 * 3. A lost connection (or a Redis restart) is retried with backoff and reported; then the worker drops what it
 *    holds in memory, re-reads the states and reads its pending entries again: whether the last commit ran or not,
 *    Redis says. A lost lease drops the shard the same way.
 *
 * Why a function and not an operator pair (`redisSource$` / `redisSink`): acknowledging an entry is only correct
 * together with storing the state and the output it produced, in one write; split over a source and a sink, that
 * coupling would be hidden in the pipe between them. The outputs are read from Redis (`redisOutputs`).
 *
 * @example
 * const worker = runRedisWorker({ model: loadModel('labeler.safetensors'), redis: 'redis://10.0.0.5:6379',
 *   shards: 16, onEvent: (e) => console.error(e) });
 * process.on('SIGTERM', () => worker.stop());
 * await worker.done;
 *
 * @param options see `RedisWorkerOptions`
 * @returns the running worker
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { Redis } from 'ioredis';
import { EddyError } from '../util/errors.ts';
import { decodeKeyState } from './redisCodec.ts';
import { openRedis, whenReady } from './redisConnection.ts';
import { RedisKeyMemory } from './redisKeyMemory.ts';
import { RedisShardLeases } from './redisShardLeases.ts';
import {
  commitArguments,
  emptyPending,
  parseEntries,
  stepEntries,
  type Entry,
  type ReadEntry,
  type Shard,
} from './redisShardWork.ts';
import { shardOf } from './redisKeys.ts';
import { commitScript, readScript } from './redisScripts.ts';
import {
  resolveRedisWorkerOptions,
  type RedisWorkerOptions,
  type ResolvedRedisWorkerOptions,
} from './redisWorkerOptions.ts';

/** Counters of a running worker. */
export interface RedisWorkerStats {
  /** Steps applied (committed or not yet). */
  steps: number;
  /** Entries acknowledged by commits. */
  committed: number;
  /** Commits (one Lua call per shard). */
  commits: number;
  /** Entries skipped as already applied. */
  skipped: number;
  /** Entries that could not be stepped (acknowledged with an `err` output). */
  badEntries: number;
  /** Times the worker dropped its memory and re-read Redis (reconnects, lost leases, rebalancing). */
  resets: number;
  /** The shards held now. */
  shards: number[];
}

/** A running worker. */
export interface RedisWorker {
  /** Its consumer name. */
  readonly id: string;
  /** Live counters. */
  readonly stats: Readonly<RedisWorkerStats>;
  /** Settles when the worker has stopped: resolves after `stop()`, rejects on a fatal error (a wrong shard count, a stored state of another model). */
  readonly done: Promise<void>;
  /** Commits what is pending, gives the shards back and closes the connections. */
  stop(): Promise<void>;
}

export function runRedisWorker(options: RedisWorkerOptions): RedisWorker {
  const o = resolveRedisWorkerOptions(options);
  return new Worker(o);
}

const MAX_PENDING = 8192; // commit at least this often, whatever commitIntervalMs says

class Worker implements RedisWorker {
  readonly id: string;
  readonly stats: RedisWorkerStats = {
    steps: 0,
    committed: 0,
    commits: 0,
    skipped: 0,
    badEntries: 0,
    resets: 0,
    shards: [],
  };
  readonly done: Promise<void>;
  readonly #o: ResolvedRedisWorkerOptions;
  #cmd!: Redis; // the connections and the leases, from the start of #run (ioredis is loaded then)
  #blocking: Redis | null = null;
  #leases!: RedisShardLeases;
  readonly #stopping = new AbortController();
  readonly #memory: RedisKeyMemory;
  #nextMaintain = 0;
  #recovering = false;
  #connected = false; // the command connection was ready once

  constructor(o: ResolvedRedisWorkerOptions) {
    this.#o = o;
    this.id = o.workerId;
    const retry = (connection: string) => (attempt: number, delayMs: number, error: string) => {
      if (this.#stopping.signal.aborted) return;
      // Redis may have restarted and lost its last writes: whatever the loop was doing, re-read Redis once connected.
      if (connection === 'commands' && this.#connected) this.#recovering = true;
      o.onEvent({ type: 'reconnecting', connection, attempt, delayMs, error });
    };
    this.#memory = new RedisKeyMemory(o.model, o.maxBatch, o.maxKeys, (key) => this.#isDirty(key));
    o.signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.done = this.#run(retry);
    this.done.catch(() => undefined); // reported through `done`; no unhandled rejection if nobody awaits it
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#blocking?.disconnect(); // ends a blocked XREAD at once
    await this.done.catch(() => undefined);
  }

  async #run(retry: (connection: string) => (attempt: number, delayMs: number, error: string) => void): Promise<void> {
    const o = this.#o;
    const stop = this.#stopping.signal;
    let backoff = o.retryBaseMs;
    const conn = { retryBaseMs: o.retryBaseMs, retryMaxMs: o.retryMaxMs };
    try {
      this.#cmd = await openRedis(o.redis, { ...conn, name: `eddy-${o.workerId}`, onRetry: retry('commands') });
      this.#blocking = await openRedis(o.redis, { ...conn, name: `eddy-${o.workerId}-wait`, onRetry: retry('reads') });
      this.#leases = new RedisShardLeases(this.#cmd, o, o.workerId);
      while (!stop.aborted) {
        try {
          await whenReady(this.#cmd, stop);
          this.#connected = true;
          if (this.#recovering) {
            this.#recovering = false;
            this.#reset();
            this.#o.onEvent({ type: 'reconnected' });
          }
          await this.#iteration();
          backoff = this.#o.retryBaseMs;
        } catch (err) {
          if (stop.aborted) break;
          if (err instanceof EddyError && err.code !== 'ERR_ABORTED') throw err; // fatal: configuration or data
          const message = err instanceof Error ? err.message : String(err);
          this.#o.onEvent({ type: 'error', error: message });
          // A stream or group deleted under a held shard: give the shards back; taking one again recreates its group.
          if (message.includes('NOGROUP'))
            await this.#leases.release([...this.#leases.owned.values()]).catch(() => undefined);
          this.#recovering = true;
          this.#nextMaintain = 0;
          await sleep(backoff, stop);
          backoff = Math.min(this.#o.retryMaxMs, backoff * 2);
        }
      }
      await this.#shutdown();
    } finally {
      this.#cmd?.disconnect();
      this.#blocking?.disconnect();
    }
  }

  /** One turn of the loop. */
  async #iteration(): Promise<void> {
    if (Date.now() >= this.#nextMaintain) await this.#maintain();
    if (this.#leases.owned.size === 0) {
      await sleep(this.#nextMaintain - Date.now(), this.#stopping.signal);
      return;
    }
    const entries = await this.#read();
    if (entries === null) return; // a lease was lost: memory was reset
    if (entries.length > 0) await this.#process(entries);
    const due = this.#commitDue();
    if (due <= 0) await this.#commit();
    if (entries.length === 0 && this.#allDrained()) await this.#wait(Math.min(due, this.#nextMaintain - Date.now()));
  }

  /** Heartbeat, lease renewal and rebalancing. */
  async #maintain(): Promise<void> {
    const leases = this.#leases;
    this.#nextMaintain = Date.now() + Math.floor(this.#o.leaseMs / 3);
    await leases.checkShardCount();
    const live = await leases.heartbeat();
    if ((await leases.renew()).length > 0) this.#reset();
    const target = leases.fairShare(live);
    if (leases.owned.size > target) {
      await this.#commit();
      await leases.release([...leases.owned.values()].slice(target));
      this.#reset();
    }
    await leases.acquire(target);
    this.stats.shards = leases.held();
  }

  /** Reads every held shard once. Returns null when a lease was lost (memory reset, nothing to step). */
  async #read(): Promise<Entry[] | null> {
    const o = this.#o;
    const shards = [...this.#leases.owned.values()];
    const replies = (await Promise.all(
      shards.map((s) =>
        readScript.run(
          this.#cmd,
          [s.keys.lease, s.keys.input],
          [s.token, o.group, this.id, o.readCount, s.cursor, o.leaseMs],
        ),
      ),
    )) as unknown[][];
    const entries: Entry[] = [];
    let lost = false;
    shards.forEach((s, i) => {
      const [status, body] = replies[i];
      if (Number(status) === 0) {
        this.#leases.drop(s);
        lost = true;
      } else if (Number(status) === 2) {
        if (s.cursor === '>') s.wakeId = String(body);
        else s.cursor = '>'; // our pending entries are all read again: on to new ones
      } else {
        s.wakeId = null;
        const now = Date.now();
        if (s.pending.acks.length === 0 && s.pending.outputs.length === 0) s.pending.since = now;
        entries.push(...parseEntries(s, body as ReadEntry[]));
      }
    });
    if (lost) {
      this.#reset();
      return null;
    }
    return entries;
  }

  /** Loads missing states, skips applied entries, steps the rest and records the work to commit. */
  async #process(entries: Entry[]): Promise<void> {
    const o = this.#o;
    const memory = this.#memory;
    // 1. The states of keys not in memory, one HMGET per shard.
    const toLoad = new Map<Shard, string[]>();
    const asked = new Set<string>();
    for (const e of entries) {
      if (e.key === '' || asked.has(e.key) || !memory.needsLoad(e.key)) continue;
      asked.add(e.key);
      const list = toLoad.get(e.shard);
      if (list) list.push(e.key);
      else toLoad.set(e.shard, [e.key]);
    }
    const loads = [...toLoad];
    const blobs = await Promise.all(loads.map(([s, keys]) => this.#cmd.hmgetBuffer(s.keys.state, ...keys)));
    loads.forEach(([, keys], i) => {
      keys.forEach((key, j) => {
        const b = blobs[i][j];
        memory.setLoaded(key, b === null ? null : decodeKeyState(o.model, b, key));
      });
    });
    // 2. Skip, reject or step each entry, and record the work for the commits.
    stepEntries(entries, memory, o, this.stats);
  }

  #isDirty(key: string): boolean {
    const s = this.#leases.owned.get(shardOf(key, this.#o.shards));
    return s?.pending.keys.has(key) === true;
  }

  /** Milliseconds until a commit is due (<= 0: now; Infinity: nothing pending). */
  #commitDue(): number {
    let due = Infinity;
    for (const s of this.#leases.owned.values()) {
      const n = s.pending.acks.length;
      if (n === 0) continue;
      if (n >= MAX_PENDING) return 0;
      due = Math.min(due, s.pending.since + this.#o.commitIntervalMs - Date.now());
    }
    return due;
  }

  /** One atomic commit per shard with pending work. */
  async #commit(): Promise<void> {
    const o = this.#o;
    const shards = [...this.#leases.owned.values()].filter((s) => s.pending.acks.length > 0);
    if (shards.length === 0) return;
    const t0 = performance.now();
    const results = await Promise.all(
      shards.map((s) => {
        const args = commitArguments(s, o, this.#memory);
        return commitScript.run(this.#cmd, [s.keys.lease, s.keys.state, s.keys.input, s.keys.output], args);
      }),
    );
    let lost = false;
    let entries = 0;
    let keys = 0;
    shards.forEach((s, i) => {
      if (Number(results[i]) !== 1) {
        this.#leases.drop(s);
        lost = true;
        return;
      }
      entries += s.pending.acks.length;
      keys += s.pending.keys.size;
      this.#memory.committed(s.pending.keys.keys());
      s.pending = emptyPending();
    });
    this.stats.commits += shards.length;
    this.stats.committed += entries;
    this.#o.onEvent({ type: 'commit', entries, keys, ms: performance.now() - t0 });
    if (lost) this.#reset();
  }

  #allDrained(): boolean {
    for (const s of this.#leases.owned.values()) if (s.cursor !== '>' || s.wakeId === null) return false;
    return true;
  }

  /** Waits (at most `ms`) for a new entry in any held shard: a plain XREAD, which changes nothing in the group. */
  async #wait(ms: number): Promise<void> {
    const block = Math.floor(Math.min(ms, 1000));
    if (block <= 0) return;
    const shards = [...this.#leases.owned.values()];
    const blocking = this.#blocking as Redis;
    await whenReady(blocking, this.#stopping.signal);
    await blocking.xreadBuffer(
      'COUNT',
      1,
      'BLOCK',
      block,
      'STREAMS',
      ...shards.map((s) => s.keys.input),
      ...shards.map((s) => s.wakeId as string),
    );
  }

  /** Drops everything in memory; held shards read their pending entries again from the start. */
  #reset(): void {
    this.#memory.reset();
    for (const s of this.#leases.owned.values()) {
      s.cursor = '0-0';
      s.wakeId = null;
      s.pending = emptyPending();
    }
    this.stats.resets++;
  }

  /** Graceful end: commit, give the shards back, leave the registry. Best effort: Redis may be gone. */
  async #shutdown(): Promise<void> {
    if (this.#cmd.status !== 'ready') return;
    try {
      if (!this.#recovering) await this.#commit();
      await this.#leases.release([...this.#leases.owned.values()]);
      this.stats.shards = [];
      await this.#leases.heartbeat(true);
    } catch (err) {
      this.#o.onEvent({ type: 'error', error: err instanceof Error ? err.message : String(err) });
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
