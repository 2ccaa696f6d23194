/**
 * A small split directory for the names commands: every k-th line of each real split file in
 * `../shared/data/seq/splits/names` (the files are sorted by language, so every language is present), about `lines`
 * lines each, in `<root>/<name>/{train,val,test}.tsv`; `edit` may change a file's text before it is written.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../sources/dataPath.ts';

export function namesSplit(
  root: string,
  name: string,
  lines: number,
  edit?: (file: string, text: string) => string,
): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const f of ['train', 'val', 'test']) {
    const all = readFileSync(dataPath(`seq/splits/names/${f}.tsv`), 'utf8')
      .trimEnd()
      .split('\n');
    const step = Math.max(1, Math.floor(all.length / lines));
    const text = `${all.filter((_, i) => i % step === 0).join('\n')}\n`;
    writeFileSync(join(d, `${f}.tsv`), edit ? edit(f, text) : text);
  }
  return d;
}
