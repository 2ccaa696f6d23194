/**
 * Reads a split of the surnames data (`seq/splits/names/{train,val,test}.tsv`: `name<TAB>language`, UTF-8, one
 * pair per line, no header) with an error that names the file and line for every malformed line.
 *
 * 1. Records are split on `\n` only (a trailing newline ends the file, it does not add an empty record); a
 *    trailing `\r` is dropped.
 * 2. A line without a tab, with an empty name or language, or with more than one tab is refused.
 * 3. With `options.languages`, a language outside that list is refused ("unknown language").
 * 4. A file with no record is refused.
 *
 * @example
 * const train = readNamesSplit('../shared/data/seq/splits/names/train.tsv');
 * const test = readNamesSplit('.../test.tsv', { languages: train.languages });
 */
import { readFileSync } from 'node:fs';
import { EddyError } from '../util/errors.ts';

/** One split: names, their language ids, and the language list the ids index. */
export interface NamesSplit {
  /** The file read. */
  readonly source: string;
  /** `[N]` names. */
  readonly names: readonly string[];
  /** `[N]` language ids into `languages`. */
  readonly labels: Int32Array;
  /** The languages: `options.languages`, or those of the file sorted by name. */
  readonly languages: readonly string[];
}

/** Options of `readNamesSplit`. */
export interface ReadNamesSplitOptions {
  /** The known languages (ids are indices into it); another language is an error. @default those of the file */
  languages?: readonly string[];
}

/**
 * Reads one split file.
 * @throws EddyError ERR_FILE naming the file (and line): missing, empty, a line without a tab, an empty field or
 *   an unknown language
 */
export function readNamesSplit(path: string, options: ReadNamesSplitOptions = {}): NamesSplit {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EddyError('ERR_FILE', `Cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseNamesSplit(text, path, options);
}

/** Parses the text of a split file (see `readNamesSplit`); `source` names it in errors. */
export function parseNamesSplit(text: string, source: string, options: ReadNamesSplitOptions = {}): NamesSplit {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const names: string[] = [];
  const langs: string[] = [];
  const bad = (n: number, what: string): EddyError =>
    new EddyError('ERR_FILE', `${source} line ${n}: ${what} (expected name<TAB>language)`);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    const parts = line.split('\t');
    if (parts.length < 2) throw bad(i + 1, `no tab in ${JSON.stringify(line.slice(0, 40))}`);
    if (parts.length > 2) throw bad(i + 1, `${parts.length - 1} tabs`);
    const [name, lang] = [parts[0].trim(), parts[1].trim()];
    if (name === '') throw bad(i + 1, 'empty name');
    if (lang === '') throw bad(i + 1, 'empty language');
    names.push(name);
    langs.push(lang);
  }
  if (names.length === 0) throw new EddyError('ERR_FILE', `${source}: no names (the file is empty)`);
  const languages = options.languages ? [...options.languages] : [...new Set(langs)].sort();
  const index = new Map(languages.map((l, i) => [l, i]));
  const labels = new Int32Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const id = index.get(langs[i]);
    if (id === undefined)
      throw new EddyError(
        'ERR_FILE',
        `${source} line ${i + 1}: unknown language ${JSON.stringify(langs[i])} (known: ${languages.join(', ')})`,
      );
    labels[i] = id;
  }
  return { source, names, labels, languages };
}
