/**
 * `npm run bench:redis -- [flags]`: steps/s and XADD->output latency through Redis Streams for 1 and 2 workers and
 * 1 / 100 / 1,000 keys, next to the in-process `keyedRecurrent` (see `benchRedis.ts`). Prints a table.
 */
import { fileURLToPath } from 'node:url';
import { EddyError, backendByName, loadModel } from '../../src/index.ts';
import { benchRedis } from './benchRedis.ts';
import { FlagError, type FlagTable, flagLines, parseFlagTable } from './redisFlags.ts';

const defaultModel = fileURLToPath(new URL('../models/video-grid.safetensors', import.meta.url));

export const benchFlags = {
  model: { type: 'input', default: defaultModel, description: 'the model (default: the GRID frame labeller)' },
  backend: { type: 'choice', choices: ['auto', 'native', 'wasm', 'js'], default: 'js', description: 'kernels' },
  redis: { type: 'string', description: 'an existing Redis (default: a throwaway redis-server)' },
  fsync: {
    type: 'choice',
    choices: ['always', 'everysec'],
    default: 'everysec',
    description: 'AOF fsync of the throwaway Redis',
  },
  entries: { type: 'integer', min: 100, default: 20000, description: 'steps of the throughput run, per configuration' },
  seconds: { type: 'number', min: 0.5, default: 3, description: 'length of the latency run, per configuration' },
  rate: { type: 'integer', min: 1, default: 1000, description: 'steps per second of the latency run' },
  workers: { type: 'string', default: '1,2', description: 'worker counts to run' },
  keys: { type: 'string', default: '1,100,1000', description: 'key counts to run' },
  shards: { type: 'integer', min: 1, max: 16384, default: 16, description: 'shards' },
  commitMs: { type: 'integer', min: 0, default: 0, description: 'commit interval of the workers' },
  quiet: { type: 'boolean', description: 'only the table' },
} satisfies FlagTable;

function list(flag: string, s: string): number[] {
  const v = s.split(',').map(Number);
  if (v.length === 0 || v.some((n) => !Number.isInteger(n) || n < 1))
    throw new FlagError(
      `Expected a comma-separated list of integers >= 1 for ${flag} but received ${JSON.stringify(s)}`,
    );
  return v;
}

export async function main(argv: readonly string[]): Promise<number> {
  const name = 'eddy bench-redis';
  let begun = false;
  try {
    const f = parseFlagTable(benchFlags, argv);
    if (f.help) {
      process.stdout.write(
        `${name}: steps/s and latency through Redis Streams vs in-process\n\nFlags:\n${flagLines(benchFlags).join('\n')}\n`,
      );
      return 0;
    }
    const workers = list('--workers', f.workers as string);
    const keys = list('--keys', f.keys as string);
    const modelPath = f.model as string;
    const model = loadModel(modelPath, { backend: backendByName(f.backend as string, { path: '--backend' }) });
    if (model.config.input !== 'dense') throw new FlagError('Expected a model with dense inputs for --model');
    begun = true;
    const quiet = f.quiet === true;
    await benchRedis({
      model,
      modelPath,
      backend: f.backend as string,
      redis: f.redis as string | undefined,
      fsync: f.fsync as 'always' | 'everysec',
      entries: f.entries as number,
      seconds: f.seconds as number,
      rate: f.rate as number,
      workers,
      keys,
      shards: f.shards as number,
      commitMs: f.commitMs as number,
      log: (line) => {
        if (!quiet) process.stderr.write(`${name}: ${line}\n`);
      },
    });
    return 0;
  } catch (err) {
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof FlagError) return 2;
    return err instanceof EddyError && !begun && (err.code === 'ERR_INVALID_ARG' || err.code === 'ERR_FILE') ? 2 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main(process.argv.slice(2)));
