/**
 * Connections to Redis for the scale-out, set up so that a lost connection can never write twice or hang:
 *
 * 1. A command sent before a connection drops is failed, never resent after the reconnect
 *    (`autoResendUnfulfilledCommands: false`, `maxRetriesPerRequest: 0`): a commit whose reply was lost may or may
 *    not have run, and only re-reading Redis tells which, so the worker re-reads instead of repeating it.
 * 2. A command sent while disconnected fails at once (`enableOfflineQueue: false`) instead of waiting in a queue.
 * 3. The connection itself is retried for ever with exponential backoff (`retryBaseMs` doubling up to
 *    `retryMaxMs`), and every retry is reported.
 * 4. ioredis is loaded on the first connection, not when eddy is imported: most users of eddy never need it.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { abortedError } from '../util/abort.ts';

/** Where Redis is: a `redis://host:port/db` URL, or ioredis' options object. */
export type RedisTarget = string | RedisOptions;

/** Options of `openRedis`. */
export interface OpenRedisOptions {
  /** The connection's name (`CLIENT SETNAME`, and in reports). */
  name: string;
  /** First retry delay in ms; doubles per attempt. */
  retryBaseMs: number;
  /** Longest retry delay in ms. */
  retryMaxMs: number;
  /** Called before each reconnection attempt. */
  onRetry?: ((attempt: number, delayMs: number, error: string) => void) | undefined;
}

/** Opens (starts connecting) a client with the settings above. */
export async function openRedis(target: RedisTarget, o: OpenRedisOptions): Promise<Redis> {
  const { Redis } = await import('ioredis');
  let lastError = 'connection closed';
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectionName: o.name,
    retryStrategy: (attempt: number) => {
      const delay = Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** Math.min(attempt - 1, 30));
      o.onRetry?.(attempt, delay, lastError);
      return delay;
    },
  };
  const redis = typeof target === 'string' ? new Redis(target, options) : new Redis({ ...target, ...options });
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  redis.connect().catch(() => undefined); // a failed first attempt is retried by retryStrategy
  return redis;
}

/** Resolves when the client is ready (connected, Redis done loading); rejects with ERR_ABORTED on `signal`. */
export function whenReady(redis: Redis, signal?: AbortSignal): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onReady = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      redis.off('ready', onReady);
      reject(abortedError(signal as AbortSignal));
    };
    if (signal?.aborted) return onAbort();
    redis.once('ready', onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
