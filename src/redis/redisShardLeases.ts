/**
 * The shards a worker holds, and the leases that make it their only reader and writer:
 *
 * 1. `heartbeat` registers the worker among the live ones (a sorted set by expiry on Redis' clock) and says how many
 *    there are; each worker holds its fair share, `ceil(shards / live)`.
 * 2. `renew` extends every held lease (`leaseMs`); a lease that is no longer ours (it ran out while the worker
 *    stalled, and another took it) drops its shard.
 * 3. `release` gives shards back (the caller commits first); `acquire` takes free shards up to the fair share,
 *    starting from a place that depends on the worker's id so that workers do not all race for shard 0, and claims
 *    the pending entries of the previous holder (`acquireScript`).
 */
import type { Redis } from 'ioredis';
import { EddyError } from '../util/errors.ts';
import { redisShardCountKey, redisShardKeys, redisWorkersKey, shardOf } from './redisKeys.ts';
import { acquireScript, heartbeatScript, releaseScript, renewScript } from './redisScripts.ts';
import { emptyPending, type Shard } from './redisShardWork.ts';
import type { ResolvedRedisWorkerOptions } from './redisWorkerOptions.ts';

/** The held shards of one worker. */
export class RedisShardLeases {
  /** Held shards by index. */
  readonly owned = new Map<number, Shard>();
  readonly #cmd: Redis;
  readonly #o: ResolvedRedisWorkerOptions;
  readonly #id: string;
  #tokens = 0;
  #checked = false;

  constructor(cmd: Redis, o: ResolvedRedisWorkerOptions, id: string) {
    this.#cmd = cmd;
    this.#o = o;
    this.#id = id;
  }

  /** The indices of the held shards, in order. */
  held(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /**
   * The first worker or producer sets the deployment's shard count; the others must agree.
   * @throws EddyError ERR_INVALID_ARG naming options.shards
   */
  async checkShardCount(): Promise<void> {
    if (this.#checked) return;
    const key = redisShardCountKey(this.#o.prefix);
    await this.#cmd.set(key, String(this.#o.shards), 'NX');
    const stored = await this.#cmd.get(key);
    if (stored !== String(this.#o.shards))
      throw new EddyError(
        'ERR_INVALID_ARG',
        `Expected options.shards to match the deployment "${this.#o.prefix}" (${stored} shards) but received ${this.#o.shards}`,
      );
    this.#checked = true;
  }

  /** Registers this worker as live (or, `leaving`, not); returns the number of live workers. */
  async heartbeat(leaving = false): Promise<number> {
    const ttl = leaving ? 0 : this.#o.leaseMs;
    const live = await heartbeatScript.run(
      this.#cmd,
      [redisWorkersKey(this.#o.prefix)],
      [this.#id, ttl, leaving ? '1' : '0'],
    );
    return Number(live);
  }

  /** How many shards this worker should hold with `live` workers. */
  fairShare(live: number): number {
    return Math.ceil(this.#o.shards / Math.max(1, live));
  }

  /** Renews every held lease; returns the shards whose lease was no longer ours (dropped). */
  async renew(): Promise<Shard[]> {
    const shards = [...this.owned.values()];
    const renewed = await Promise.all(
      shards.map((s) => renewScript.run(this.#cmd, [s.keys.lease], [s.token, this.#o.leaseMs])),
    );
    const lost = shards.filter((_, i) => Number(renewed[i]) !== 1);
    for (const s of lost) this.drop(s);
    return lost;
  }

  /** Forgets a shard whose lease was found not ours (by a renewal, a read or a commit). */
  drop(s: Shard): void {
    this.owned.delete(s.index);
    this.#o.onEvent({ type: 'lost', shard: s.index });
  }

  /** Gives shards back (their pending work is the caller's to commit first). */
  async release(shards: readonly Shard[]): Promise<void> {
    for (const s of shards) {
      this.owned.delete(s.index);
      await releaseScript.run(this.#cmd, [s.keys.lease], [s.token]);
      this.#o.onEvent({ type: 'released', shard: s.index });
    }
  }

  /** Takes free shards until `target` are held. */
  async acquire(target: number): Promise<void> {
    const o = this.#o;
    const start = shardOf(this.#id, o.shards);
    for (let j = 0; j < o.shards && this.owned.size < target; j++) {
      const index = (start + j) % o.shards;
      if (this.owned.has(index)) continue;
      const keys = redisShardKeys(o.prefix, index);
      const token = `${this.#id}#${++this.#tokens}`; // a new token per taking: an old one fences a stale holder
      const r = (await acquireScript.run(
        this.#cmd,
        [keys.lease, keys.input],
        [token, o.leaseMs, o.group, this.#id],
      )) as number[];
      if (Number(r[0]) !== 1) continue;
      this.owned.set(index, { index, keys, token, cursor: '0-0', wakeId: null, pending: emptyPending() });
      o.onEvent({ type: 'acquired', shard: index, claimed: Number(r[1]) });
    }
  }
}
