/**
 * `eddy serve-redis` (`npm run serve:redis`): one worker of a Redis Streams deployment (see `serveRedis.ts`).
 * Exit codes: 0 stopped by SIGINT / SIGTERM (after committing and handing its shards back), 1 a failure while
 * working, 2 a bad flag or model file, before anything connects.
 */
import { backendByName, loadModel } from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { REDIS_OPTION_FLAGS, redisFlags } from './redisFlags.ts';
import { serveRedis } from './serveRedis.ts';

export const command = defineCommand({
  name: 'serve-redis',
  summary: 'run one worker of a Redis Streams deployment: keyed steps with exactly-once state per key',
  details: `Start as many as wanted, on any machines that reach Redis: they share the shards, and take over a dead
worker's shards once its leases run out. Events on stderr, one line each; a progress line every --stats-ms.
Example: eddy serve-redis --model video-grid --redis redis://10.0.0.5:6379 --shards 16`,
  flags: {
    model: {
      ...modelFlag(undefined, 'the model every key is stepped with: a file or a shipped model name'),
      required: true,
    },
    backend: backendFlag,
    ...redisFlags,
    group: { type: 'string', default: 'eddy', placeholder: 'NAME', description: 'consumer group' },
    'commit-ms': { type: 'integer', min: 0, default: 0, description: 'commit every N ms (0: after every read batch)' },
    'lease-ms': {
      type: 'integer',
      min: 300,
      default: 5000,
      description: "shard lease: a dead worker's shards move after it",
    },
    'read-count': { type: 'integer', min: 1, default: 256, description: 'entries read per shard at a time' },
    'max-batch': { type: 'integer', min: 1, default: 256, description: 'keys per batched model step' },
    'max-keys': { type: 'integer', min: 1, default: 100000, description: 'key states held in memory' },
    'trim-input': {
      type: 'boolean',
      description: 'delete input entries once committed (streams this group alone reads)',
    },
    'worker-id': { type: 'string', placeholder: 'NAME', description: 'consumer name (default: host-pid-random)' },
    'stats-ms': { type: 'integer', min: 0, default: 10000, description: 'a progress line every N ms (0: none)' },
  },
  optionFlags: REDIS_OPTION_FLAGS,
  async run(f, ctx) {
    const model = loadModel(f.model, { backend: backendByName(f.backend, { path: '--backend' }) });
    const stop = new AbortController();
    let signals = 0;
    const onSignal = (name: NodeJS.Signals): void => {
      if (++signals === 1) ctx.log(`${ctx.name}: ${name}: committing what is pending and handing the shards back`);
      else if (signals >= 3) process.exit(130); // the leases run out and another worker takes over
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await serveRedis({
        model,
        redis: f.redis,
        prefix: f.prefix,
        shards: f.shards,
        group: f.group,
        commitMs: f.commitMs,
        leaseMs: f.leaseMs,
        readCount: f.readCount,
        maxBatch: f.maxBatch,
        maxKeys: f.maxKeys,
        workerId: f.workerId,
        trimInput: f.trimInput,
        statsMs: f.statsMs,
        signal: stop.signal,
        started: () => ctx.begin(),
        log: (line) => ctx.log(`${ctx.name}: ${line}`),
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});
