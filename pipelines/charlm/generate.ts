/**
 * `eddy generate`: streams generated text from a character-level model to stdout, one character as it is
 * sampled (`npm start` is this command with 2,000 characters).
 *
 *   eddy generate --model shakespeare --prime "ROMEO:" --length 500 --temperature 0.8 [--weights bf16]
 *   eddy generate --list
 */
import { generateTextAsync, loadModel, backendByName } from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { modelFlag, shippedModelsTable } from '../cli/shippedModels.ts';

export const command = defineCommand({
  name: 'generate',
  summary: 'stream text from a character-level model, one character as it is sampled',
  details: 'Example: eddy generate --model shakespeare --prime "ROMEO:" --temperature 0.6 --seed 7',
  flags: {
    model: modelFlag('shakespeare'),
    list: { type: 'boolean', description: 'list the shipped models (size, corpus, validation loss) and exit' },
    prime: { type: 'string', default: '\n', placeholder: 'TEXT', description: 'text the model reads first' },
    length: { type: 'integer', min: 0, max: 10_000_000, default: 1000, description: 'characters to generate' },
    temperature: { type: 'number', min: 0, exclusiveMin: true, default: 0.8, description: 'sampling temperature' },
    'top-k': { type: 'integer', min: 0, default: 0, description: 'sample among the k likeliest (0: all)' },
    'top-p': {
      type: 'number',
      min: 0,
      max: 1,
      exclusiveMin: true,
      default: 1,
      description: 'sample among the likeliest whose mass is p',
    },
    greedy: { type: 'boolean', description: 'always the likeliest character (no sampling)' },
    seed: { type: 'integer', min: 0, max: 0xffffffff, description: 'seed of the sampling [default: random, printed]' },
    backend: backendFlag,
    weights: {
      type: 'choice',
      choices: ['f32', 'bf16', 'int8'],
      default: 'f32',
      description:
        'weights as loaded for streaming (loadModel options.weights): bf16 or int8 rounding, fewer bytes a step',
    },
  },
  optionFlags: {
    'options.prime': '--prime',
    'options.length': '--length',
    'options.topK': '--top-k',
    'options.weights': '--weights',
  },
  async run(f, ctx) {
    if (f.list) {
      process.stdout.write(shippedModelsTable());
      return;
    }
    const seed = f.seed ?? Math.floor(Math.random() * 0xffffffff);
    const model = loadModel(f.model, {
      backend: backendByName(f.backend, { path: '--backend' }),
      weights: f.weights as 'f32' | 'bf16' | 'int8',
    });
    const c = model.config;
    // validates the options (an unseen character in the prime, say) before anything is printed
    const chars = generateTextAsync(model, {
      prime: f.prime,
      length: f.length,
      temperature: f.greedy ? 'greedy' : f.temperature,
      topK: f.topK,
      topP: f.topP,
      seed,
    });
    ctx.begin();
    ctx.log(
      `eddy: ${c.numLayers}-layer ${c.cell.toUpperCase()} ${c.hiddenSize}, ${c.vocab?.length ?? 0} characters, seed ${seed}${f.weights === 'f32' ? '' : `, ${f.weights} weights`}`,
    );
    await writeStreaming(f.prime, chars);
  },
});

/** Writes the prime, then the characters in small pieces (no write per character), waiting when stdout is full. */
async function writeStreaming(prime: string, chars: AsyncIterable<string>): Promise<void> {
  process.stdout.write(prime);
  let pending = '';
  for await (const ch of chars) {
    pending += ch;
    if (pending.length >= 16 || ch === '\n') {
      if (!process.stdout.write(pending)) await new Promise((r) => process.stdout.once('drain', r));
      pending = '';
    }
  }
  process.stdout.write(`${pending}\n`);
}
