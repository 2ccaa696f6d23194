/**
 * `eddy translate "I am cold."`: translates one English sentence to French with a trained translator, printing
 * each French word as soon as the decoder has decided it (greedy: every step; beam: once all hypotheses agree).
 *
 *   npm run translate -- "I am cold."
 *   eddy translate --search greedy --model runs/att-best.safetensors "Where is the station?"
 */
import { backendByName, detokenize, EddyError, loadTranslator, translateWords } from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';

/** The shipped translator's name in pipelines/models/. */
export const SHIPPED_TRANSLATOR = 'translate-en-fr';

export const command = defineCommand({
  name: 'translate',
  summary: 'translate an English sentence to French, word by word as it is decoded (npm run translate)',
  details: `The sentence is the positional argument (or --text). Words of the sentence the model never saw in
training become <unk>; a sentence with no known word, an empty one, one with a control character or one longer than
the model's limit is refused. Other commands of the group: eddy translate train, eddy translate eval.
Example: npm run translate -- "I am cold."`,
  positionals: { usage: '"English sentence"', max: 64 },
  flags: {
    text: { type: 'string', description: 'the English sentence (instead of the positional argument)' },
    model: modelFlag(SHIPPED_TRANSLATOR, 'translator file, or the name of a shipped one'),
    search: { type: 'choice', choices: ['beam', 'greedy'], default: 'beam', description: 'decoding' },
    'beam-width': { type: 'integer', min: 1, max: 64, default: 5, description: 'beam width k' },
    'length-penalty': { type: 'number', min: 0, default: 1, description: 'rank beams by log p / length^α' },
    'max-length': { type: 'integer', min: 1, max: 1000, default: 50, description: 'at most this many words' },
    attention: { type: 'boolean', description: 'also print the attention of each word over the English tokens' },
    backend: backendFlag,
  },
  async run(f, ctx) {
    const text = f.text ?? ctx.positionals.join(' ');
    if (f.text !== undefined && ctx.positionals.length > 0)
      throw new EddyError('ERR_INVALID_ARG', 'Give the sentence either as --text or as the argument, not both');
    if (text === '')
      throw new EddyError('ERR_INVALID_ARG', 'Expected an English sentence (the argument or --text) but received none');
    const { translator } = loadTranslator(f.model, backendByName(f.backend, { path: '--backend' }));
    const { tokens } = translator.encodeSentence(text, 'the sentence');
    ctx.begin();
    const words: string[] = [];
    let printed = '';
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      translateWords(translator, text, {
        search: f.search as 'beam' | 'greedy',
        beamWidth: f.beamWidth,
        lengthPenalty: f.lengthPenalty,
        maxLength: f.maxLength,
      }).subscribe({
        next: (w) => {
          words.push(w.word);
          const now = detokenize(words, 'fr');
          process.stdout.write(now.slice(printed.length));
          printed = now;
          if (f.attention && w.attention) {
            const best = w.attention.indexOf(Math.max(...w.attention));
            lines.push(
              `${w.word.padEnd(14)} <- ${tokens.map((t, i) => `${t}:${w.attention?.[i].toFixed(2)}`).join(' ')}  (${tokens[best]})`,
            );
          }
        },
        error: reject,
        complete: resolve,
      });
    });
    process.stdout.write('\n');
    for (const l of lines) process.stdout.write(`${l}\n`);
  },
});
