/**
 * Streams generated text from a character-level model to stdout, one character as it is sampled.
 *
 *   npm run generate -- --model pipelines/models/shakespeare.safetensors --prime "ROMEO:" --length 500 --temperature 0.8
 *
 * Options: --model PATH (default: the shipped Shakespeare model), --prime TEXT, --length N (default 1000),
 * --temperature T (default 0.8), --top-k K, --top-p P, --greedy, --seed N (default: random, printed on stderr).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { generateTextAsync, loadModel, EddyError } from '../src/index.ts';

/** The shipped model, found from pipelines/ (sources) or from dist/pipelines/ (compiled by `npm run build`). */
export const SHIPPED_MODEL =
  [
    new URL('./models/shakespeare.safetensors', import.meta.url),
    new URL('../../pipelines/models/shakespeare.safetensors', import.meta.url),
  ]
    .map((u) => fileURLToPath(u))
    .find((p) => existsSync(p)) ?? fileURLToPath(new URL('./models/shakespeare.safetensors', import.meta.url));

/** Parses the command line and streams the text. Exported for `start.ts`. */
export async function main(argv: string[], defaults: { prime?: string; length?: number } = {}): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: SHIPPED_MODEL },
      prime: { type: 'string' },
      length: { type: 'string', default: String(defaults.length ?? 1000) },
      temperature: { type: 'string', default: '0.8' },
      'top-k': { type: 'string', default: '0' },
      'top-p': { type: 'string', default: '1' },
      greedy: { type: 'boolean', default: false },
      seed: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: generate [--model PATH] [--prime TEXT] [--length N] [--temperature T] [--top-k K] [--top-p P] [--greedy] [--seed N]\n',
    );
    return;
  }
  const num = (name: string, v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n))
      throw new EddyError('ERR_INVALID_ARG', `Expected a number for --${name} but received ${JSON.stringify(v)}`);
    return n;
  };
  const seed = values.seed === undefined ? Math.floor(Math.random() * 0xffffffff) : num('seed', values.seed);
  const model = loadModel(values.model);
  const prime = values.prime ?? defaults.prime ?? '\n';
  process.stderr.write(
    `eddy: ${model.config.numLayers}-layer ${model.config.cell.toUpperCase()} ${model.config.hiddenSize}, ${model.config.vocab?.length ?? 0} characters, seed ${seed}\n`,
  );
  const chars = generateTextAsync(model, {
    prime,
    length: num('length', values.length),
    temperature: values.greedy ? 'greedy' : num('temperature', values.temperature),
    topK: num('top-k', values['top-k']),
    topP: num('top-p', values['top-p']),
    seed,
  }); // validates the options (an unseen character in the prime, say) before anything is printed
  process.stdout.write(prime);
  let pending = '';
  for await (const ch of chars) {
    // flush in small pieces so the text streams without one write per character
    pending += ch;
    if (pending.length >= 16 || ch === '\n') {
      if (!process.stdout.write(pending)) await new Promise((r) => process.stdout.once('drain', r));
      pending = '';
    }
  }
  process.stdout.write(`${pending}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`generate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
