/**
 * Options of `runRedisWorker`, validated in one place before anything connects.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RNNModel } from '../model/rnnModel.ts';
import { checkModel } from '../operators/stepper.ts';
import { invalidArg } from '../util/errors.ts';
import { checkBool, checkInt, checkObject } from '../util/validate.ts';
import type { RedisTarget } from './redisConnection.ts';

/** What a worker reports as it runs (for logs and metrics). */
export type RedisWorkerEvent =
  /** The worker took a shard: its lease, and `claimed` pending entries of the previous owner. */
  | { readonly type: 'acquired'; readonly shard: number; readonly claimed: number }
  /** The worker gave a shard back (rebalancing, or stopping) after committing its work. */
  | { readonly type: 'released'; readonly shard: number }
  /** The worker lost a shard's lease (it expired: the worker stalled); its uncommitted work there is dropped. */
  | { readonly type: 'lost'; readonly shard: number }
  /** A connection dropped; the next attempt is in `delayMs`. */
  | {
      readonly type: 'reconnecting';
      readonly connection: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: string;
    }
  /** Connected again: states were reloaded and uncommitted entries are read again from the pending list. */
  | { readonly type: 'reconnected' }
  /** One atomic write: `entries` acknowledged, `keys` states stored, in `ms`. */
  | { readonly type: 'commit'; readonly entries: number; readonly keys: number; readonly ms: number }
  /** An entry that cannot be stepped (bad input, a key of another shard): acknowledged with an `err` output. */
  | {
      readonly type: 'bad-entry';
      readonly shard: number;
      readonly id: string;
      readonly key: string;
      readonly error: string;
    }
  /** An entry at or below its key's last applied id: acknowledged without a step. */
  | { readonly type: 'skipped'; readonly shard: number; readonly id: string; readonly key: string }
  /** An unexpected error from Redis; the worker re-reads its state and goes on. */
  | { readonly type: 'error'; readonly error: string };

/** Options of `runRedisWorker`. */
export interface RedisWorkerOptions {
  /** The model every key is stepped with. Required. */
  model: RNNModel;
  /** Where Redis is: a URL or ioredis' options. @default 'redis://127.0.0.1:6379' */
  redis?: RedisTarget;
  /** Prefix of every Redis key of the deployment (see `redisShardKeys`). @default 'eddy' */
  prefix?: string;
  /** Number of shards (input streams); every worker and producer of a deployment uses the same. @default 16 */
  shards?: number;
  /** The consumer group's name. @default 'eddy' */
  group?: string;
  /** This worker's consumer name, unique in the deployment. @default host-pid-random */
  workerId?: string;
  /**
   * How often the work is committed (states, outputs, acknowledgements in one atomic write per shard): `0` after
   * every read batch; `> 0` at most every that many ms, the entries in between held unacknowledged. Outputs appear
   * in Redis at commit time.
   * @default 0
   */
  commitIntervalMs?: number;
  /**
   * Lease of a shard in ms: renewed by every read and every third of it; when a worker dies, its shards are taken
   * (and its pending entries claimed) once their leases have run out, so this is also the idle time before a claim.
   * Keep it well above the time one turn of the loop takes (stepping `readCount` entries of every held shard).
   * @default 5000
   */
  leaseMs?: number;
  /** The most entries read from one shard at a time. @default 256 */
  readCount?: number;
  /** The most keys stepped in one batched `model.step`. @default 256 */
  maxBatch?: number;
  /** The most keys whose state is held in memory (least recently stepped ones are reloaded when needed). @default 100000 */
  maxKeys?: number;
  /** Cap the output streams near this many entries (`XADD MAXLEN ~`); `0` keeps them all. @default 0 */
  outputMaxLen?: number;
  /**
   * Trim the input streams as the work is committed: entries below the oldest one still pending (delivered, not yet
   * acknowledged) are deleted (`XTRIM MINID ~`). Only for streams this group alone reads. @default false (kept)
   */
  trimInput?: boolean;
  /** First reconnection delay in ms, doubled per attempt. @default 50 */
  retryBaseMs?: number;
  /** Longest reconnection delay in ms. @default 2000 */
  retryMaxMs?: number;
  /** Receives the worker's events. A throw is ignored. @default undefined */
  onEvent?: (event: RedisWorkerEvent) => void;
  /** Stops the worker gracefully (as `stop()`). @default undefined */
  signal?: AbortSignal;
}

/** `RedisWorkerOptions` after validation. */
export interface ResolvedRedisWorkerOptions {
  readonly model: RNNModel;
  readonly redis: RedisTarget;
  readonly prefix: string;
  readonly shards: number;
  readonly group: string;
  readonly workerId: string;
  readonly commitIntervalMs: number;
  readonly leaseMs: number;
  readonly readCount: number;
  readonly maxBatch: number;
  readonly maxKeys: number;
  readonly outputMaxLen: number;
  readonly trimInput: boolean;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly onEvent: (event: RedisWorkerEvent) => void;
  readonly signal: AbortSignal | undefined;
}

const NAME = /^[\w.:@-]{1,200}$/;

function checkName(path: string, value: unknown, fallback: string): string {
  const v = value ?? fallback;
  if (typeof v !== 'string' || !NAME.test(v)) throw invalidArg(path, 'a name of 1-200 letters, digits or . _ : @ -', v);
  return v;
}

/** Checks a Redis target: a redis:// or rediss:// URL, or an options object. */
export function checkRedisTarget(path: string, value: unknown): RedisTarget {
  if (value === undefined) return 'redis://127.0.0.1:6379';
  if (typeof value === 'string' && /^rediss?:\/\/\S+$/.test(value)) return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as RedisTarget;
  throw invalidArg(path, 'a redis:// URL or ioredis options', value);
}

/** Validates the options. @throws EddyError ERR_INVALID_ARG naming `options.<field>` */
export function resolveRedisWorkerOptions(options: RedisWorkerOptions): ResolvedRedisWorkerOptions {
  const o = checkObject('options', options);
  const model = checkModel('options.model', o.model);
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function')
    throw invalidArg('options.onEvent', 'a function (event) => void', o.onEvent);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', o.signal);
  const leaseMs = checkInt('options.leaseMs', o.leaseMs ?? 5000, 300, 3_600_000);
  const retryBaseMs = checkInt('options.retryBaseMs', o.retryBaseMs ?? 50, 1, 60_000);
  const onEvent = o.onEvent;
  return {
    model,
    redis: checkRedisTarget('options.redis', o.redis),
    prefix: checkName('options.prefix', o.prefix, 'eddy'),
    shards: checkInt('options.shards', o.shards ?? 16, 1, 16384),
    group: checkName('options.group', o.group, 'eddy'),
    workerId: checkName(
      'options.workerId',
      o.workerId,
      `${hostname().replace(/[^\w.-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`,
    ),
    commitIntervalMs: checkInt('options.commitIntervalMs', o.commitIntervalMs ?? 0, 0, 3_600_000),
    leaseMs,
    readCount: checkInt('options.readCount', o.readCount ?? 256, 1, 100_000),
    maxBatch: checkInt('options.maxBatch', o.maxBatch ?? 256, 1),
    maxKeys: checkInt('options.maxKeys', o.maxKeys ?? 100_000, 1),
    outputMaxLen: checkInt('options.outputMaxLen', o.outputMaxLen ?? 0, 0),
    trimInput: checkBool('options.trimInput', o.trimInput ?? false),
    retryBaseMs,
    retryMaxMs: checkInt('options.retryMaxMs', o.retryMaxMs ?? 2000, retryBaseMs, 600_000),
    onEvent: (e) => {
      try {
        onEvent?.(e);
      } catch {
        // a reporting hook must not stop the worker
      }
    },
    signal: o.signal,
  };
}
