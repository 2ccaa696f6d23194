/**
 * `createRedisProducer`: writes keyed step inputs to the shard streams of a deployment (`XADD {k, x}` to the input
 * stream of `shardOf(key)`), pipelined: the adds made in one turn of the event loop go out together.
 *
 * 1. `add(key, x)` queues one step and resolves with its entry id once Redis has it. Adds reach Redis in call order,
 *    so a key's steps are in order in its stream.
 * 2. A lost connection is retried with backoff (reported through `onRetry`); the adds not confirmed are sent again
 *    in order. An add whose reply was lost may then be written twice (at-least-once): the duplicate is a new entry
 *    and is stepped. Run Redis with `appendfsync always` for confirmed adds to survive a Redis crash.
 *
 * @example
 * const p = createRedisProducer({ model, redis: 'redis://127.0.0.1:6379', shards: 16 });
 * await p.add('camera-7', features);   // '1733130000000-0'
 * await p.close();
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { checkModel, type StepInput } from '../operators/stepper.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import { encodeStepInput } from './redisCodec.ts';
import { openRedis, whenReady, type RedisTarget } from './redisConnection.ts';
import { redisShardCountKey, redisShardKeys, shardOf } from './redisKeys.ts';
import { checkRedisTarget } from './redisWorkerOptions.ts';

/** Options of `createRedisProducer`. */
export interface RedisProducerOptions {
  /** The model the steps are for: inputs are checked against it and encoded for it. Required. */
  model: RNNModel;
  /** Where Redis is. @default 'redis://127.0.0.1:6379' */
  redis?: RedisTarget;
  /** Prefix of the deployment's keys. @default 'eddy' */
  prefix?: string;
  /** Number of shards of the deployment (checked against Redis). @default 16 */
  shards?: number;
  /** Cap each input stream near this many entries (`XADD MAXLEN ~`); entries not yet read are lost past it. `0`: no cap. @default 0 */
  maxLen?: number;
  /** First reconnection delay in ms, doubled per attempt. @default 50 */
  retryBaseMs?: number;
  /** Longest reconnection delay in ms. @default 2000 */
  retryMaxMs?: number;
  /** Called before each reconnection attempt. @default undefined */
  onRetry?: ((attempt: number, delayMs: number, error: string) => void) | undefined;
}

/** A producer of keyed steps. */
export interface RedisProducer {
  /** Queues one step of `key`; resolves with its entry id. @throws EddyError ERR_SHAPE / ERR_INVALID_ARG at the call for an input that does not fit the model */
  add(key: string, x: StepInput): Promise<string>;
  /** Waits for the queued adds, then closes the connection. */
  close(): Promise<void>;
}

interface Queued {
  stream: string;
  key: string;
  x: Buffer | string;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
  done: boolean;
}

const BATCH = 1000;

export function createRedisProducer(options: RedisProducerOptions): RedisProducer {
  const o = checkObject('options', options);
  const model = checkModel('options.model', o.model);
  const target = checkRedisTarget('options.redis', o.redis);
  const prefix = o.prefix ?? 'eddy';
  if (typeof prefix !== 'string' || !/^[\w.:@-]{1,200}$/.test(prefix))
    throw invalidArg('options.prefix', 'a name of 1-200 letters, digits or . _ : @ -', prefix);
  const shards = checkInt('options.shards', o.shards ?? 16, 1, 16384);
  const maxLen = checkInt('options.maxLen', o.maxLen ?? 0, 0);
  const retryBaseMs = checkInt('options.retryBaseMs', o.retryBaseMs ?? 50, 1, 60_000);
  const retryMaxMs = checkInt('options.retryMaxMs', o.retryMaxMs ?? 2000, retryBaseMs, 600_000);
  if (o.onRetry !== undefined && typeof o.onRetry !== 'function')
    throw invalidArg('options.onRetry', 'a function (attempt, delayMs, error) => void', o.onRetry);
  const opened = openRedis(target, { name: 'eddy-producer', retryBaseMs, retryMaxMs, onRetry: o.onRetry });
  opened.catch(() => undefined); // (a failure to load ioredis surfaces in add)
  const streams = Array.from({ length: shards }, (_, i) => redisShardKeys(prefix, i).input);
  const queue: Queued[] = [];
  let draining: Promise<void> | null = null;
  let checked = false;
  let closed = false;

  const send = async (batch: Queued[]): Promise<void> => {
    const redis = await opened;
    if (!checked) {
      const key = redisShardCountKey(prefix);
      await redis.set(key, String(shards), 'NX');
      const stored = await redis.get(key);
      if (stored !== String(shards))
        throw new EddyError(
          'ERR_INVALID_ARG',
          `Expected options.shards to match the deployment "${prefix}" (${stored} shards) but received ${shards}`,
        );
      checked = true;
    }
    const pipe = redis.pipeline();
    for (const q of batch) {
      if (maxLen > 0) pipe.xadd(q.stream, 'MAXLEN', '~', maxLen, '*', 'k', q.key, 'x', q.x);
      else pipe.xadd(q.stream, '*', 'k', q.key, 'x', q.x);
    }
    const results = (await pipe.exec()) ?? [];
    for (let i = 0; i < batch.length; i++) {
      const [err, id] = results[i] ?? [new Error('no reply')];
      if (err) throw err; // the rest of the batch goes again, in order
      batch[i].done = true;
      batch[i].resolve(String(id));
    }
  };

  const drain = async (): Promise<void> => {
    let backoff = retryBaseMs;
    while (queue.length > 0) {
      const batch = queue.splice(0, BATCH);
      try {
        await whenReady(await opened);
        await send(batch);
        backoff = retryBaseMs;
      } catch (err) {
        if (err instanceof EddyError) {
          for (const q of [...batch, ...queue.splice(0)]) q.reject(err); // (a resolved promise ignores it)
          return;
        }
        queue.unshift(...batch.filter((q) => !q.done)); // not confirmed: again, in order
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(retryMaxMs, backoff * 2);
      }
    }
  };

  /** Starts a drain in the next turn (so that the adds of this turn go out together), unless one runs. */
  const kick = (): void => {
    if (draining !== null) return;
    draining = new Promise<void>((r) => setImmediate(r)).then(drain).finally(() => {
      draining = null;
      if (queue.length > 0) kick();
    });
  };

  return {
    add(key, x) {
      if (closed) throw new EddyError('ERR_INVALID_ARG', 'The producer is closed');
      if (typeof key !== 'string' || key.length === 0) throw invalidArg('key', 'a non-empty string', key);
      const value = encodeStepInput(model, x);
      return new Promise<string>((resolve, reject) => {
        queue.push({ stream: streams[shardOf(key, shards)], key, x: value, resolve, reject, done: false });
        kick();
      });
    },
    async close() {
      closed = true;
      while (draining !== null) await draining;
      const redis = await opened;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
