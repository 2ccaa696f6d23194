/**
 * `npm run produce:redis -- [flags]`: replays a GRID clip or a text as keyed steps (see `produceRedis.ts`).
 *
 *   npm run produce:redis -- --clip ../shared/data/grid/s1/bbal6n.mpg --model pipelines/models/video-grid.safetensors --keys 200 --rate 5000
 *   npm run produce:redis -- --text ../shared/data/sonnets.txt --model pipelines/models/shakespeare.safetensors --keys 100
 */
import { EddyError, type RNNModel, loadModel } from '../../src/index.ts';
import { clipSteps, produceRedis, type StepSequence, textSteps } from './produceRedis.ts';
import { FlagError, type FlagTable, flagLines, parseFlagTable } from './redisFlags.ts';

export const produceFlags = {
  model: {
    type: 'input',
    required: true,
    description: 'the model the steps are for (a frame labeller or a char model)',
  },
  clip: { type: 'input', description: 'a video clip to replay (needs a frame labeller)' },
  text: { type: 'input', description: 'a text to replay (needs a char model)' },
  keys: { type: 'integer', min: 1, default: 100, description: 'keys (cameras, users) replaying it' },
  keyPrefix: { type: 'string', description: 'key names: prefix + index (default camera- or user-)' },
  steps: { type: 'integer', min: 0, default: 0, description: 'steps per key (0: the clip once, or 1000 characters)' },
  rate: { type: 'number', min: 0, default: 0, description: 'steps per second in all (0: as fast as possible)' },
  redis: { type: 'string', default: 'redis://127.0.0.1:6379', description: 'where Redis is' },
  prefix: { type: 'string', default: 'eddy', description: 'prefix of the deployment’s Redis keys' },
  shards: { type: 'integer', min: 1, max: 16384, default: 16, description: 'shards of the deployment' },
  maxLen: { type: 'integer', min: 0, default: 0, description: 'cap each input stream near N entries (0: none)' },
  quiet: { type: 'boolean', description: 'no progress on stderr' },
} satisfies FlagTable;

export async function main(argv: readonly string[]): Promise<number> {
  const name = 'eddy produce-redis';
  let begun = false;
  try {
    const f = parseFlagTable(produceFlags, argv);
    if (f.help) {
      process.stdout.write(
        `${name}: replay a GRID clip or a text as keyed steps into Redis Streams\n\nFlags:\n${flagLines(produceFlags).join('\n')}\n`,
      );
      return 0;
    }
    if ((f.clip === undefined) === (f.text === undefined))
      throw new FlagError('Expected exactly one of --clip and --text');
    let model: RNNModel;
    let steps: StepSequence;
    if (f.clip !== undefined) ({ model, steps } = await clipSteps(f.clip as string, f.model as string));
    else {
      model = loadModel(f.model as string);
      steps = textSteps(f.text as string, model);
    }
    const perKey =
      (f.steps as number) > 0 ? (f.steps as number) : f.text !== undefined ? Math.min(1000, steps.length) : 0;
    begun = true;
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    const quiet = f.quiet === true;
    await produceRedis({
      model,
      steps,
      keys: f.keys as number,
      keyPrefix: (f.keyPrefix as string | undefined) ?? (f.clip !== undefined ? 'camera-' : 'user-'),
      perKey,
      rate: f.rate as number,
      redis: f.redis as string,
      prefix: f.prefix as string,
      shards: f.shards as number,
      maxLen: f.maxLen as number,
      signal: stop.signal,
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
