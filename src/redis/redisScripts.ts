/**
 * The Lua scripts of the scale-out. Each runs atomically inside Redis and touches the keys of one shard only
 * (one hash slot on Redis Cluster). The lease token fences every read and every commit: a worker that lost its
 * lease (it stalled, or Redis expired it) can neither take new entries of the shard nor write a state.
 *
 * - `acquire`  SET lease NX PX; create the group (from id 0) if missing; XAUTOCLAIM every pending entry of the
 *              group to this consumer (the previous owner is fenced out, so no idle time is needed beyond the lease).
 * - `renew`    PEXPIRE the lease if it is still ours.  `release`: DEL it if it is still ours.
 * - `read`     if the lease is ours (and then renewing it): XREADGROUP COUNT n from `cursor` ('>' new entries, or an id for our own pending
 *              ones); when nothing comes, the id of the stream's last entry, to wait for anything after it.
 * - `commit`   if the lease is ours: HSET the keys' states (each with its last applied id), XADD the outputs, XACK
 *              the entries, and optionally trim the input below what is still pending. Arguments are checked by the
 *              worker before, so no command in it can fail half-way.
 * - `heartbeat` registers the worker until now + ttl (Redis' clock), forgets expired ones, returns how many live.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A script run by EVALSHA, loaded with EVAL when Redis does not know it (a restarted server). */
export class RedisScript {
  readonly lua: string;
  readonly sha: string;
  constructor(lua: string) {
    this.lua = lua;
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script; replies come back as Buffers (binary-safe). */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | Buffer | number)[]): Promise<unknown> {
    try {
      return await redis.callBuffer('EVALSHA', [this.sha, keys.length, ...keys, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await redis.callBuffer('EVAL', [this.lua, keys.length, ...keys, ...args]);
    }
  }
}

/** KEYS: lease, input. ARGV: token, leaseMs, group, consumer. Returns {1, claimed} or {0}. */
export const acquireScript = new RedisScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
redis.pcall('XGROUP', 'CREATE', KEYS[2], ARGV[3], '0', 'MKSTREAM')
local cursor, claimed = '0-0', 0
repeat
  local r = redis.call('XAUTOCLAIM', KEYS[2], ARGV[3], ARGV[4], 0, cursor, 'COUNT', 1000, 'JUSTID')
  cursor = r[1]
  claimed = claimed + #r[2]
until cursor == '0-0'
return {1, claimed}
`);

/** KEYS: lease. ARGV: token, leaseMs. Returns 1 if renewed, 0 if the lease is not ours. */
export const renewScript = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** KEYS: lease. ARGV: token. Returns 1 if released. */
export const releaseScript = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * KEYS: lease, input. ARGV: token, group, consumer, count, cursor, leaseMs (the lease is renewed by every read).
 * Returns {0} (lease lost), {1, entries} or {2, last entry id of the stream}.
 */
export const readScript = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
local r = redis.call('XREADGROUP', 'GROUP', ARGV[2], ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], ARGV[5])
if r and #r[1][2] > 0 then return {1, r[1][2]} end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if last[1] then return {2, last[1][1]} end
return {2, '0-0'}
`);

/**
 * KEYS: lease, state, input, output. ARGV: token, group, nStates, nOutputs, outputMaxLen (0: none), trimInput ('1':
 * trim the input stream below the oldest entry not yet acknowledged, or delivered), then nStates pairs (key, state
 * bytes), nOutputs quadruples (input id, key, field 'y' or 'err', value), then the ids to ack.
 * Returns 1, or 0 when the lease is not ours (nothing written).
 */
export const commitScript = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ns, no, maxlen = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local i = 7
local last = 6 + 2 * ns
while i <= last do
  local j = math.min(i + 999, last)
  redis.call('HSET', KEYS[2], unpack(ARGV, i, j))
  i = j + 1
end
for n = 1, no do
  if maxlen > 0 then
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', maxlen, '*', 'id', ARGV[i], 'k', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
  else
    redis.call('XADD', KEYS[4], '*', 'id', ARGV[i], 'k', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
  end
  i = i + 4
end
while i <= #ARGV do
  local j = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[3], ARGV[2], unpack(ARGV, i, j))
  i = j + 1
end
if ARGV[6] == '1' then
  local p = redis.call('XPENDING', KEYS[3], ARGV[2])
  local keep = p[2]
  if p[1] == 0 then
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[3])) do
      local name, delivered
      for f = 1, #g, 2 do
        if g[f] == 'name' then name = g[f + 1] elseif g[f] == 'last-delivered-id' then delivered = g[f + 1] end
      end
      if name == ARGV[2] then keep = delivered end
    end
  end
  if keep then redis.call('XTRIM', KEYS[3], 'MINID', '~', keep) end
end
return 1
`);

/** KEYS: workers. ARGV: worker id, ttlMs, '1' to leave. Returns the number of live workers. */
export const heartbeatScript = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[3] == '1' then redis.call('ZREM', KEYS[1], ARGV[1])
else redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]) end
return redis.call('ZCARD', KEYS[1])
`);
