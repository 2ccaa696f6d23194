/**
 * The core of `redisOutputs` (RxJS) and `redisOutputsAsync` (IxJS): the outputs the workers committed, read from
 * the shard output streams with a plain XREAD BLOCK (no group: any number of readers, each sees everything).
 *
 * 1. Starts after `from` (`'0'`: everything kept; `'$'`: only outputs committed from now on) on every shard.
 * 2. Each output appears once in Redis (it is written in the commit that acknowledges its input), so a reader
 *    sees every step exactly once, per key in order of the input entry ids.
 * 3. A lost connection is retried with backoff; reading goes on after the last output seen.
 */
import type { RNNModel } from '../model/rnnModel.ts';
import { checkModel } from '../operators/stepper.ts';
import { checkAborted } from '../util/abort.ts';
import type { SourceCore } from '../util/coreAdapters.ts';
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import { bytesToFloat32 } from './redisCodec.ts';
import { openRedis, whenReady, type RedisTarget } from './redisConnection.ts';
import { redisShardKeys } from './redisKeys.ts';
import { checkRedisTarget } from './redisWorkerOptions.ts';

/** One committed output. */
export interface RedisOutput {
  /** The key (stream id) it belongs to. */
  readonly key: string;
  /** The id of the input entry it answers. */
  readonly id: string;
  /** The model's output `Float32Array [Y]`; undefined for a bad entry. */
  readonly output: Float32Array | undefined;
  /** Why the entry could not be stepped; undefined for a step. */
  readonly error: string | undefined;
  /** The shard. */
  readonly shard: number;
  /** The output entry's own id. */
  readonly outputId: string;
}

/** Options of `redisOutputs` / `redisOutputsAsync`. */
export interface RedisOutputsOptions {
  /** The model (its output width checks each output). Required. */
  model: RNNModel;
  /** Where Redis is. @default 'redis://127.0.0.1:6379' */
  redis?: RedisTarget;
  /** Prefix of the deployment. @default 'eddy' */
  prefix?: string;
  /** Number of shards. @default 16 */
  shards?: number;
  /** Where to start in every output stream: `'0'` from the first kept output, `'$'` only new ones. @default '0' */
  from?: '0' | '$';
  /** The most outputs read per shard at a time. @default 1000 */
  count?: number;
  /** Cancels the reading (IxJS form). @default undefined */
  signal?: AbortSignal;
}

/** Validates the options and builds the core. @throws EddyError ERR_INVALID_ARG naming the option */
export function redisOutputsCore(options: RedisOutputsOptions): SourceCore<RedisOutput> {
  const o = checkObject('options', options);
  const model = checkModel('options.model', o.model);
  const target = checkRedisTarget('options.redis', o.redis);
  const prefix = o.prefix ?? 'eddy';
  if (typeof prefix !== 'string' || !/^[\w.:@-]{1,200}$/.test(prefix))
    throw invalidArg('options.prefix', 'a name of 1-200 letters, digits or . _ : @ -', prefix);
  const shards = checkInt('options.shards', o.shards ?? 16, 1, 16384);
  const from = o.from ?? '0';
  if (from !== '0' && from !== '$') throw invalidArg('options.from', "'0' or '$'", from);
  const count = checkInt('options.count', o.count ?? 1000, 1);
  const Y = model.config.outputSize > 0 ? model.config.outputSize : model.config.hiddenSize;
  const streams = Array.from({ length: shards }, (_, i) => redisShardKeys(prefix, i).output);
  const index = new Map(streams.map((s, i) => [s, i]));

  return async function* core(signal) {
    const redis = await openRedis(target, { name: 'eddy-outputs', retryBaseMs: 50, retryMaxMs: 2000 });
    const stop = new AbortController();
    const onAbort = (): void => {
      stop.abort();
      redis.disconnect(); // ends a blocked XREAD
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await whenReady(redis, stop.signal);
      const after = await Promise.all(
        streams.map(async (s) => {
          if (from === '0') return '0-0';
          const last = (await redis.xrevrange(s, '+', '-', 'COUNT', 1))[0];
          return last ? last[0] : '0-0';
        }),
      );
      while (true) {
        checkAborted(signal);
        let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
        try {
          await whenReady(redis, stop.signal);
          reply = (await redis.xreadBuffer('COUNT', count, 'BLOCK', 1000, 'STREAMS', ...streams, ...after)) as
            | [Buffer, [Buffer, Buffer[]][]][]
            | null;
        } catch (err) {
          if (stop.signal.aborted) checkAborted(signal);
          if (!(err instanceof Error)) throw err;
          await new Promise((r) => setTimeout(r, 100)); // the connection retries with backoff meanwhile
          continue;
        }
        for (const [name, entries] of reply ?? []) {
          const shard = index.get(name.toString()) as number;
          for (const [oid, fields] of entries) {
            const outputId = oid.toString();
            after[shard] = outputId;
            let key = '';
            let id = '';
            let output: Float32Array | undefined;
            let error: string | undefined;
            for (let f = 0; f + 1 < fields.length; f += 2) {
              const field = fields[f].toString();
              if (field === 'k') key = fields[f + 1].toString();
              else if (field === 'id') id = fields[f + 1].toString();
              else if (field === 'y') output = bytesToFloat32(fields[f + 1], `output of key ${key}`, Y);
              else if (field === 'err') error = fields[f + 1].toString();
            }
            yield { key, id, output, error, shard, outputId };
          }
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      redis.disconnect();
    }
  };
}
