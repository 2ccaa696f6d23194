/**
 * `npm run serve:redis -- [flags]`: one worker of a Redis Streams deployment (see `serveRedis.ts`). Exit codes: 0
 * stopped by SIGINT / SIGTERM, 1 a failure while working, 2 a bad flag or model file, before any work.
 */
import { EddyError, backendByName, loadModel } from '../../src/index.ts';
import { FlagError, type FlagTable, flagLines, parseFlagTable } from './redisFlags.ts';
import { serveRedis } from './serveRedis.ts';

export const serveFlags = {
  model: { type: 'input', required: true, description: 'the model file (safetensors) every key is stepped with' },
  backend: { type: 'choice', choices: ['auto', 'native', 'wasm', 'js'], default: 'auto', description: 'kernels' },
  redis: { type: 'string', default: 'redis://127.0.0.1:6379', description: 'where Redis is' },
  prefix: { type: 'string', default: 'eddy', description: 'prefix of the deployment’s Redis keys' },
  shards: { type: 'integer', min: 1, max: 16384, default: 16, description: 'shards (input streams) of the deployment' },
  group: { type: 'string', default: 'eddy', description: 'consumer group' },
  commitMs: { type: 'integer', min: 0, default: 0, description: 'commit every N ms (0: after every read batch)' },
  leaseMs: {
    type: 'integer',
    min: 300,
    default: 5000,
    description: 'shard lease; a dead worker’s shards move after it',
  },
  readCount: { type: 'integer', min: 1, default: 256, description: 'entries read per shard at a time' },
  maxBatch: { type: 'integer', min: 1, default: 256, description: 'keys per batched model step' },
  maxKeys: { type: 'integer', min: 1, default: 100000, description: 'key states held in memory' },
  workerId: { type: 'string', description: 'consumer name (default host-pid-random)' },
  statsMs: { type: 'integer', min: 0, default: 10000, description: 'progress line every N ms (0: none)' },
  quiet: { type: 'boolean', description: 'no progress or events on stderr' },
} satisfies FlagTable;

export async function main(argv: readonly string[]): Promise<number> {
  const name = 'eddy serve-redis';
  let begun = false;
  try {
    const f = parseFlagTable(serveFlags, argv);
    if (f.help) {
      process.stdout.write(
        `${name}: run one worker of a Redis Streams deployment\n\nFlags:\n${flagLines(serveFlags).join('\n')}\n`,
      );
      return 0;
    }
    const model = loadModel(f.model as string, { backend: backendByName(f.backend as string, { path: '--backend' }) });
    begun = true;
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const quiet = f.quiet === true;
    await serveRedis({
      model,
      redis: f.redis as string,
      prefix: f.prefix as string,
      shards: f.shards as number,
      group: f.group as string,
      commitMs: f.commitMs as number,
      leaseMs: f.leaseMs as number,
      readCount: f.readCount as number,
      maxBatch: f.maxBatch as number,
      maxKeys: f.maxKeys as number,
      workerId: f.workerId as string | undefined,
      statsMs: f.statsMs as number,
      signal: stop.signal,
      log: (line) => {
        if (!quiet) process.stderr.write(`${name}: ${line}\n`);
      },
    });
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${name}: ${message}\n`);
    if (err instanceof FlagError) return 2;
    return err instanceof EddyError && !begun && (err.code === 'ERR_INVALID_ARG' || err.code === 'ERR_FILE') ? 2 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main(process.argv.slice(2)));
