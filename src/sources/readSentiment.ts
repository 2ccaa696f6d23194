/**
 * Reads the labelled sentences (`seq/sentiment/*_labelled.txt`: `sentence<TAB>label`, label 0 or 1) through the
 * fixed 10-fold assignment (`seq/splits/sentiment_folds.tsv`: header `id file line label fold`), with an error
 * naming the file and line for every malformed line.
 *
 * 1. Records are split on `\n` only (the imdb file holds U+0085, a line break for some splitters); the sentence is
 *    what comes before the last tab, trimmed (imdb sentences end in two spaces).
 * 2. A sentence line without a tab, or with a label other than `0` / `1`, is refused; so is a folds line whose
 *    file, line, label (which must agree with the sentence file) or fold (0-9) is wrong.
 *
 * @example
 * const data = readSentiment('../shared/data/seq/splits/sentiment_folds.tsv', '../shared/data/seq/sentiment');
 * data.texts.length;   // 3000
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EddyError } from '../util/errors.ts';

/** The sentences with their labels and folds. */
export interface SentimentData {
  /** `[N]` sentences. */
  readonly texts: readonly string[];
  /** `[N]` 0 (negative) or 1 (positive). */
  readonly labels: Int32Array;
  /** `[N]` fold 0-9. */
  readonly folds: Int32Array;
  /** `[N]` where each sentence comes from (`amazon_cells_labelled.txt:12`). */
  readonly origins: readonly string[];
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new EddyError('ERR_FILE', `Cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function records(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Parses one labelled-sentences file.
 * @throws EddyError ERR_FILE naming `source` and the line: no tab, or a label other than 0 / 1
 */
export function parseLabelledSentences(text: string, source: string): { texts: string[]; labels: number[] } {
  const texts: string[] = [];
  const labels: number[] = [];
  const lines = records(text);
  if (lines.length === 0) throw new EddyError('ERR_FILE', `${source}: no sentences (the file is empty)`);
  lines.forEach((line, i) => {
    const tab = line.lastIndexOf('\t');
    if (tab < 0) throw new EddyError('ERR_FILE', `${source} line ${i + 1}: no tab (expected sentence<TAB>label)`);
    const label = line.slice(tab + 1).trim();
    if (label !== '0' && label !== '1')
      throw new EddyError('ERR_FILE', `${source} line ${i + 1}: label ${JSON.stringify(label)} is not 0 or 1`);
    texts.push(line.slice(0, tab).trim());
    labels.push(Number(label));
  });
  return { texts, labels };
}

/**
 * Reads the folds file and the sentence files it names (in `dataDir`).
 * @throws EddyError ERR_FILE naming the file and line of the first problem
 */
export function readSentiment(foldsPath: string, dataDir: string): SentimentData {
  const lines = records(read(foldsPath));
  if (lines.length < 2) throw new EddyError('ERR_FILE', `${foldsPath}: no folds (expected a header and lines)`);
  const header = lines[0].split('\t').join(' ');
  if (header !== 'id file line label fold')
    throw new EddyError('ERR_FILE', `${foldsPath} line 1: header "${header}", expected "id file line label fold"`);
  const files = new Map<string, { texts: string[]; labels: number[] }>();
  const texts: string[] = [];
  const labels: number[] = [];
  const folds: number[] = [];
  const origins: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const bad = (what: string): EddyError => new EddyError('ERR_FILE', `${foldsPath} line ${i + 1}: ${what}`);
    const cols = lines[i].split('\t');
    if (cols.length !== 5) throw bad(`${cols.length} columns, expected 5 (id file line label fold)`);
    const [, file, lineNo, label, fold] = cols;
    if (!/^[\w.-]+$/.test(file)) throw bad(`file name ${JSON.stringify(file)}`);
    let f = files.get(file);
    if (!f) {
      const p = join(dataDir, file);
      f = parseLabelledSentences(read(p), p);
      files.set(file, f);
    }
    const n = Number(lineNo);
    if (!Number.isInteger(n) || n < 1 || n > f.texts.length) throw bad(`line ${lineNo} is not a line of ${file}`);
    if (label !== '0' && label !== '1') throw bad(`label ${JSON.stringify(label)} is not 0 or 1`);
    if (Number(label) !== f.labels[n - 1]) throw bad(`label ${label} differs from ${file} line ${n}`);
    const k = Number(fold);
    if (!Number.isInteger(k) || k < 0 || k > 9) throw bad(`fold ${JSON.stringify(fold)} is not 0-9`);
    texts.push(f.texts[n - 1]);
    labels.push(Number(label));
    folds.push(k);
    origins.push(`${file}:${n}`);
  }
  return { texts, labels: Int32Array.from(labels), folds: Int32Array.from(folds), origins };
}
