/**
 * `redisOutputs`: the outputs committed by the Redis workers of a deployment, as an RxJS Observable (see
 * `redisOutputsCore` for the semantics). Unsubscribing closes its connection.
 *
 * @example
 * redisOutputs({ model, shards: 16, from: '$' }).subscribe(({ key, id, output }) => show(key, argmax(output)));
 *
 * @throws EddyError ERR_INVALID_ARG naming the option, at the call
 */
import type { Observable } from 'rxjs';
import { asObservable } from '../util/coreAdapters.ts';
import { redisOutputsCore, type RedisOutput, type RedisOutputsOptions } from './redisOutputsCore.ts';

export function redisOutputs(options: RedisOutputsOptions): Observable<RedisOutput> {
  return asObservable(redisOutputsCore(options), options.signal);
}
