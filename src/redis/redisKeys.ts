/**
 * Where the scale-out keeps things in Redis, and which shard a key belongs to.
 *
 * ```
 * producers ─XADD {k, x}─► {eddy:3}:in ──group "eddy"──► the worker holding {eddy:3}:lease
 *                                                        └─ one Lua commit ─► {eddy:3}:state  HSET key -> last id + h (+ c)
 *                                                                            {eddy:3}:out    XADD {id, k, y}
 *                                                                            {eddy:3}:in     XACK id
 * ```
 * 1. A key belongs to shard `shardOf(key, shards)` (FNV-1a of its UTF-8 bytes, modulo the shard count), so all of a
 *    key's steps go through one stream, in order, and one worker steps them at a time.
 * 2. The four keys of a shard share one hash tag (`{prefix:shard}`), so on Redis Cluster they live in one hash slot
 *    and the commit (a Lua script over all four) is allowed and atomic there too; shards spread over the slots.
 * 3. `prefix:shards` holds the shard count (written by the first worker or producer, checked by the others);
 *    `prefix:workers` is the registry of live workers (a sorted set by expiry time).
 */

/** The Redis keys of one shard. */
export interface RedisShardKeys {
  /** The input stream: entries `{ k: key, x: input }`. */
  readonly input: string;
  /** The output stream: entries `{ id: input entry id, k: key, y: Float32 bytes }` (or `err` for a bad entry). */
  readonly output: string;
  /** A hash: key -> last applied entry id and the key's state (`encodeKeyState`). */
  readonly state: string;
  /** The lease: the token of the worker that owns the shard, with a time to live. */
  readonly lease: string;
}

/** The keys of shard `shard` under `prefix`. */
export function redisShardKeys(prefix: string, shard: number): RedisShardKeys {
  const tag = `{${prefix}:${shard}}`;
  return { input: `${tag}:in`, output: `${tag}:out`, state: `${tag}:state`, lease: `${tag}:lease` };
}

/** The key holding the shard count of a deployment. */
export function redisShardCountKey(prefix: string): string {
  return `${prefix}:shards`;
}

/** The sorted set of live workers (member: worker id, score: expiry time in ms of Redis' clock). */
export function redisWorkersKey(prefix: string): string {
  return `${prefix}:workers`;
}

const utf8 = new TextEncoder();

/**
 * The shard of a key: FNV-1a (32 bits) of its UTF-8 bytes, modulo `shards`. Producers route with it; it never
 * changes for a key while the shard count stays the same.
 *
 * @example shardOf('camera-17', 16) // 0..15
 */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (const b of utf8.encode(key)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/**
 * Compares two stream entry ids (`ms-seq`) as Redis orders them: negative, zero or positive.
 * Both parts are compared as unsigned decimal integers of any length.
 */
export function compareStreamIds(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  const c = compareDecimal(a.slice(0, da), b.slice(0, db));
  return c !== 0 ? c : compareDecimal(a.slice(da + 1), b.slice(db + 1));
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
