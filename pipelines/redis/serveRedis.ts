/**
 * `eddy serve-redis`: one worker of a Redis Streams deployment (`runRedisWorker`). Start as many as wanted, on
 * any machines that reach Redis; they share the shards among themselves. Events go to stderr as one line each, with
 * a progress line (steps, steps/s, shards held) every `--stats-ms`. SIGINT / SIGTERM commit what is pending and
 * give the shards back; SIGKILL loses nothing either (the shards are taken over once their leases run out).
 *
 *   eddy serve-redis --model video-grid --redis redis://127.0.0.1:6379 --shards 16
 */
import { type RNNModel, type RedisWorkerStats, describeRedisWorkerEvent, runRedisWorker } from '../../src/index.ts';

/** What `serve-redis` runs with (its flags, parsed). */
export interface ServeRedisParams {
  model: RNNModel;
  redis: string;
  prefix: string;
  shards: number;
  group: string;
  commitMs: number;
  leaseMs: number;
  readCount: number;
  maxBatch: number;
  maxKeys: number;
  workerId?: string | undefined;
  /** Delete input entries once committed. */
  trimInput?: boolean;
  /** Progress line every this many ms (0: none). */
  statsMs: number;
  signal: AbortSignal;
  /** Called once the options are checked and the worker starts (before it connects). */
  started?: () => void;
  log: (line: string) => void;
}

/** Runs the worker until `signal`; returns its counters. */
export async function serveRedis(p: ServeRedisParams): Promise<RedisWorkerStats> {
  const worker = runRedisWorker({
    model: p.model,
    redis: p.redis,
    prefix: p.prefix,
    shards: p.shards,
    group: p.group,
    commitIntervalMs: p.commitMs,
    leaseMs: p.leaseMs,
    readCount: p.readCount,
    maxBatch: p.maxBatch,
    maxKeys: p.maxKeys,
    trimInput: p.trimInput ?? false,
    ...(p.workerId !== undefined ? { workerId: p.workerId } : {}),
    signal: p.signal,
    onEvent: (e) => {
      const line = describeRedisWorkerEvent(e);
      if (line !== null) p.log(line);
    },
  });
  p.log(
    `worker ${worker.id}: ${p.shards} shards under "${p.prefix}", commit every ${p.commitMs} ms, lease ${p.leaseMs} ms`,
  );
  let last = { t: performance.now(), steps: 0 };
  const timer =
    p.statsMs > 0
      ? setInterval(() => {
          const now = performance.now();
          const s = worker.stats;
          const rate = ((s.steps - last.steps) * 1000) / (now - last.t);
          last = { t: now, steps: s.steps };
          p.log(
            `steps ${s.steps}  ${Math.round(rate)} steps/s  committed ${s.committed}  shards [${s.shards.join(',')}]`,
          );
        }, p.statsMs)
      : null;
  try {
    await worker.done;
  } finally {
    if (timer) clearInterval(timer);
  }
  const s = worker.stats;
  p.log(`stopped: ${s.steps} steps, ${s.committed} entries committed in ${s.commits} commits, ${s.skipped} skipped`);
  return s;
}
