/**
 * `eddy bench-redis` (`npm run bench:redis`): steps/s and XADD->output latency through Redis Streams for 1 and 2
 * workers and 1 / 100 / 1,000 keys, next to the in-process `keyedRecurrent` (see `benchRedis.ts`). Prints a table.
 */
import { backendByName, loadModel } from '../../src/index.ts';
import { backendFlag, defineCommand, usage } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { benchRedis } from './benchRedis.ts';

function list(flag: string, s: string): number[] {
  const v = s.split(',').map(Number);
  if (v.some((n) => !Number.isInteger(n) || n < 1))
    usage(`${flag}: expected a comma-separated list of integers >= 1 but received ${JSON.stringify(s)}`);
  return v;
}

export const command = defineCommand({
  name: 'bench-redis',
  summary: 'steps/s and XADD->output latency through Redis Streams (1, 2 workers; 1, 100, 1,000 keys) vs in-process',
  details: `Starts a throwaway redis-server (unless --redis) and the workers (eddy serve-redis processes); checks the
outputs byte for byte against one in-process keyedRecurrent run before reporting. Everything shares this machine.`,
  flags: {
    model: modelFlag('video-grid', 'a model with dense inputs: a file or a shipped model name'),
    backend: backendFlag,
    redis: { type: 'string', placeholder: 'URL', description: 'an existing Redis (default: a throwaway redis-server)' },
    fsync: {
      type: 'choice',
      choices: ['always', 'everysec'],
      default: 'everysec',
      description: 'AOF fsync of the throwaway Redis',
    },
    entries: { type: 'integer', min: 100, default: 20000, description: 'steps of the throughput run, per row' },
    rate: { type: 'integer', min: 1, default: 1000, description: 'steps per second of the latency run' },
    seconds: { type: 'number', min: 0.5, default: 3, description: 'length of the latency run, per row' },
    workers: { type: 'string', default: '1,2', placeholder: 'LIST', description: 'worker counts' },
    keys: { type: 'string', default: '1,100,1000', placeholder: 'LIST', description: 'key counts' },
    shards: { type: 'integer', min: 1, max: 16384, default: 16, description: 'shards' },
    'commit-ms': { type: 'integer', min: 0, default: 0, description: 'commit interval of the workers' },
  },
  async run(f, ctx) {
    const workers = list('--workers', f.workers);
    const keys = list('--keys', f.keys);
    const model = loadModel(f.model, { backend: backendByName(f.backend, { path: '--backend' }) });
    if (model.config.input !== 'dense') usage('--model: expected a model with dense inputs (a frame labeller, say)');
    ctx.begin();
    await benchRedis({
      model,
      modelPath: f.model,
      backend: f.backend,
      redis: f.redis,
      fsync: f.fsync as 'always' | 'everysec',
      entries: f.entries,
      seconds: f.seconds,
      rate: f.rate,
      workers,
      keys,
      shards: f.shards,
      commitMs: f.commitMs,
      log: (line) => ctx.log(`${ctx.name}: ${line}`),
    });
  },
});
