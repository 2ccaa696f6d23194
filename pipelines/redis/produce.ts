/**
 * `eddy produce-redis` (`npm run produce:redis`): replays a GRID clip or a text as keyed steps into a Redis Streams
 * deployment (see `produceRedis.ts`).
 */
import { type RNNModel, loadModel } from '../../src/index.ts';
import { defineCommand, usage } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { clipSteps, produceRedis, type StepSequence, textSteps } from './produceRedis.ts';
import { REDIS_OPTION_FLAGS, redisFlags } from './redisFlags.ts';

export const command = defineCommand({
  name: 'produce-redis',
  summary: 'replay a GRID clip or a text as keyed steps (cameras, users) into a Redis Streams deployment',
  details: `Each of --keys keys replays the sequence from its own offset, round-robin, at --rate steps/s in all.
Examples: eddy produce-redis --clip ../shared/data/grid/s1/bbal6n.mpg --model video-grid --keys 200 --rate 5000
          eddy produce-redis --text ../shared/data/sonnets.txt --model shakespeare --keys 100`,
  flags: {
    model: {
      ...modelFlag(undefined, 'the model the steps are for: a frame labeller (--clip) or a char model (--text)'),
      required: true,
    },
    clip: { type: 'input', placeholder: 'VIDEO', description: 'a video clip to replay (with a frame labeller)' },
    text: { type: 'input', placeholder: 'PATH', description: 'a text to replay (with a char model)' },
    keys: { type: 'integer', min: 1, default: 100, description: 'keys (cameras, users) replaying it' },
    'key-prefix': {
      type: 'string',
      placeholder: 'TEXT',
      description: 'key names: this + index (default camera- or user-)',
    },
    steps: {
      type: 'integer',
      min: 0,
      default: 0,
      description: 'steps per key (0: the clip once, or 1,000 characters)',
    },
    rate: {
      type: 'number',
      min: 0,
      default: 0,
      description: 'steps per second in all (0: as fast as Redis takes them)',
    },
    ...redisFlags,
    'max-len': { type: 'integer', min: 0, default: 0, description: 'cap each input stream near N entries (0: none)' },
  },
  optionFlags: REDIS_OPTION_FLAGS,
  async run(f, ctx) {
    if ((f.clip === undefined) === (f.text === undefined)) usage('expected exactly one of --clip and --text');
    let model: RNNModel;
    let steps: StepSequence;
    if (f.clip !== undefined) ({ model, steps } = await clipSteps(f.clip, f.model));
    else {
      model = loadModel(f.model);
      steps = textSteps(f.text as string, model);
    }
    const perKey = f.steps > 0 ? f.steps : f.text !== undefined ? Math.min(1000, steps.length) : 0;
    ctx.begin();
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await produceRedis({
        model,
        steps,
        keys: f.keys,
        keyPrefix: f.keyPrefix ?? (f.clip !== undefined ? 'camera-' : 'user-'),
        perKey,
        rate: f.rate,
        redis: f.redis,
        prefix: f.prefix,
        shards: f.shards,
        maxLen: f.maxLen,
        signal: stop.signal,
        log: (line) => ctx.log(`${ctx.name}: ${line}`),
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});
