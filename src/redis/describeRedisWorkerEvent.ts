/**
 * A worker event as one line of a log (`acquired shard 3 (claimed 12 pending entries)`); null for `commit` events,
 * which are better summed into a progress line.
 */
import type { RedisWorkerEvent } from './redisWorkerOptions.ts';

export function describeRedisWorkerEvent(e: RedisWorkerEvent): string | null {
  switch (e.type) {
    case 'acquired':
      return `acquired shard ${e.shard} (claimed ${e.claimed} pending entries)`;
    case 'released':
      return `released shard ${e.shard}`;
    case 'lost':
      return `lost shard ${e.shard} (lease expired); its uncommitted work is read again by the next owner`;
    case 'reconnecting':
      return `connection ${e.connection} lost (${e.error}); reconnecting in ${e.delayMs} ms (attempt ${e.attempt})`;
    case 'reconnected':
      return 'reconnected: states reloaded, pending entries read again';
    case 'bad-entry':
      return `bad entry ${e.id} of key ${e.key} in shard ${e.shard}: ${e.error} (acknowledged with an err output)`;
    case 'skipped':
      return `skipped entry ${e.id} of key ${e.key} (already applied)`;
    case 'error':
      return `error: ${e.error}; retrying`;
    default:
      return null;
  }
}
