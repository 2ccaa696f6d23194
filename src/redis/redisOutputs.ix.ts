/**
 * `redisOutputsAsync`: the outputs committed by the Redis workers of a deployment, as an IxJS async-iterable (see
 * `redisOutputsCore` for the semantics); cancelled through `options.signal` or by ending the iteration.
 *
 * @example
 * for await (const { key, output } of redisOutputsAsync({ model, shards: 16 })) show(key, output);
 *
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { AsyncIterableX } from 'ix/asynciterable/asynciterablex';
import { asIterable } from '../util/coreAdapters.ts';
import { redisOutputsCore, type RedisOutput, type RedisOutputsOptions } from './redisOutputsCore.ts';

export function redisOutputsAsync(options: RedisOutputsOptions): AsyncIterableX<RedisOutput> {
  return asIterable(redisOutputsCore(options), options.signal);
}
