/**
 * `eddy eval`: a char-LM's validation loss on the held-out end of a text, measured as training measures it.
 *
 *   eddy eval --model shakespeare --input ../shared/data/tinyshakespeare.txt [--weights bf16|int8]
 *   eddy eval --model warandpeace        (the text the model records it was trained on, from ../shared/data)
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { backendByName, evaluateCharLM, loadModel, readCorpus, readSafetensors } from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';

export const command = defineCommand({
  name: 'eval',
  summary: "a char-LM's validation loss (nats/char) on the held-out end of a text",
  flags: {
    model: modelFlag('shakespeare'),
    input: {
      type: 'input',
      url: true,
      description:
        "the text: a file or an http(s) URL [default: the model's own corpus (metadata eddy.corpus) in ../shared/data, else ../shared/data/tinyshakespeare.txt]",
    },
    'val-fraction': {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      max: 0.9,
      default: 0.1,
      description: 'held-out fraction at the end of the text',
    },
    backend: backendFlag,
    weights: {
      type: 'choice',
      choices: ['f32', 'bf16', 'int8'],
      default: 'f32',
      description: 'weights as loaded for streaming inference (loadModel options.weights): bf16 or int8 rounding',
    },
  },
  optionFlags: { 'options.valFraction': '--val-fraction', 'options.weights': '--weights' },
  async run(f, ctx) {
    const model = loadModel(f.model, {
      backend: backendByName(f.backend, { path: '--backend' }),
      weights: f.weights as 'f32' | 'bf16' | 'int8',
    });
    const input = f.input ?? defaultCorpus(f.model);
    const text = await readCorpus(input);
    ctx.begin();
    const r = evaluateCharLM(model, text, { valFraction: f.valFraction });
    process.stdout.write(
      `${f.model}${f.weights === 'f32' ? '' : ` (${f.weights} weights)`} on the last ${f.valFraction * 100}% of ${input}: ${r.nats.toFixed(4)} nats/char (${r.bits.toFixed(4)} bits/char) over ${r.chars.toLocaleString('en-US')} characters\n`,
    );
  },
});

/** The corpus a model file records (`eddy.corpus`, a file name) when it is in ../shared/data, else tinyshakespeare. */
function defaultCorpus(model: string): string {
  const corpus = readSafetensors(model).metadata['eddy.corpus'];
  const there = corpus === undefined ? undefined : join('../shared/data', basename(corpus));
  return there !== undefined && existsSync(there) ? there : '../shared/data/tinyshakespeare.txt';
}
