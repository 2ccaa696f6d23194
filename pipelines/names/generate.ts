/**
 * `eddy names generate`: surnames for a language, streamed character by character from the conditional generator
 * (`generate` started from the language's learned state).
 *
 *   eddy names generate --language Russian --count 5
 */
import { lastValueFrom, tap } from 'rxjs';
import { backendByName, loadModel } from '../../src/index.ts';
import { backendFlag, defineCommand, seedFlag } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { languageId, loadNamesGenerator, nameChars } from './generator.ts';

export const command = defineCommand({
  name: 'names generate',
  summary: 'stream surnames for a language from the conditional generator',
  details: 'Example: eddy names generate --language Japanese --count 10 --temperature 0.8',
  flags: {
    model: modelFlag('names-gen'),
    language: { type: 'string', required: true, description: 'the language (one of the 18 of the data set)' },
    count: { type: 'integer', min: 1, max: 100000, default: 5, description: 'names to generate' },
    temperature: { type: 'number', min: 0, max: 10, default: 0.8, description: 'sampling temperature (0: greedy)' },
    backend: backendFlag,
    seed: seedFlag,
  },
  async run(f, ctx) {
    const model = loadModel(f.model, { backend: backendByName(f.backend, { path: '--backend' }) });
    const g = loadNamesGenerator(f.model, model);
    const k = languageId(g.languages, f.language);
    ctx.begin();
    for (let i = 0; i < f.count; i++) {
      const chars = nameChars(g, k, { seed: f.seed + i, temperature: f.temperature });
      await lastValueFrom(chars.pipe(tap((c) => process.stdout.write(c))), { defaultValue: '' });
      process.stdout.write('\n');
    }
  },
});
