/**
 * `eddy names live`: a name's language as it is typed. The characters are a stream; `recurrent` steps the
 * classifier once per character (the state carried between them), and after every character the top-3 languages
 * of the output so far are printed. With no `--name`, every line of stdin is a name.
 *
 *   eddy names live --name Schmidt
 *   S        Dutch 21.3%   English 18.0%  Italian 12.0%
 *   Sc       ...
 */
import { createInterface } from 'node:readline';
import { from, lastValueFrom, map, tap } from 'rxjs';
import { backendByName, loadModel, recurrent, softmaxRows } from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { UsageError } from '../cli/flags.ts';
import { modelFlag } from '../cli/shippedModels.ts';
import { loadNamesClassifier, type NamesClassifier } from './namesData.ts';

/** The top-k languages of a logits row: `[language, probability]`, most probable first. */
export function topLanguages(logits: Float32Array, languages: readonly string[], k: number): [string, number][] {
  const p = new Float32Array(logits.length);
  softmaxRows(p, 0, logits, 0, 1, logits.length);
  return [...p]
    .map((v, i) => [languages[i], v] as [string, number])
    .sort((a, b) => b[1] - a[1])
    .slice(0, k);
}

/** Streams one name through the classifier; resolves with the lines printed (one per character). */
export async function liveName(
  c: NamesClassifier,
  name: string,
  k: number,
  write: (line: string) => void,
): Promise<string[]> {
  const chars = [...name];
  const lines: string[] = [];
  let typed = '';
  await lastValueFrom(
    from(chars).pipe(
      tap((ch) => {
        typed += ch;
      }),
      map((ch) => c.alphabet.id(ch)),
      recurrent(c.model),
      tap((y) => {
        const top = topLanguages(y, c.languages, k)
          .map(([l, p]) => `${l} ${(100 * p).toFixed(1)}%`.padEnd(18))
          .join(' ');
        const line = `${typed.padEnd(Math.max(12, chars.length + 2))}${top.trimEnd()}`;
        lines.push(line);
        write(line);
      }),
    ),
    { defaultValue: null },
  );
  return lines;
}

export const command = defineCommand({
  name: 'names live',
  summary: "a surname's top-3 languages after every typed character (recurrent over the characters)",
  details: `Characters the model's alphabet lacks are read as the unknown id 0.
Example: eddy names live --name Schmidt      echo -e "Nguyen\\nO'Brien" | eddy names live`,
  flags: {
    model: modelFlag('names'),
    name: { type: 'string', description: 'the name to type (default: every line of stdin)' },
    top: { type: 'integer', min: 1, max: 18, default: 3, description: 'languages shown per character' },
    backend: backendFlag,
  },
  async run(f, ctx) {
    if (f.name !== undefined && f.name.trim() === '')
      throw new UsageError(`--name: expected a name of at least one character but received ${JSON.stringify(f.name)}`);
    const model = loadModel(f.model, { backend: backendByName(f.backend, { path: '--backend' }) });
    const c = loadNamesClassifier(f.model, model);
    ctx.begin();
    const write = (line: string): void => {
      process.stdout.write(`${line}\n`);
    };
    if (f.name !== undefined) {
      await liveName(c, f.name, f.top, write);
      return;
    }
    for await (const line of createInterface({ input: process.stdin })) {
      const name = line.trim();
      if (name !== '') await liveName(c, name, f.top, write);
    }
  },
});
