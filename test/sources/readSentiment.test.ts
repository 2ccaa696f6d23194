/**
 * The sentiment reader: the real folds give 3,000 sentences, 300 per fold, balanced labels; a sentence line without
 * a tab, a label outside 0/1 and a folds line that disagrees get an `EddyError` naming the file and line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSentiment } from '../../src/sources/readSentiment.ts';
import { dataPath } from './dataPath.ts';
import { expectError } from '../helpers/expectError.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-sentiment-'));
function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const header = 'id\tfile\tline\tlabel\tfold\n';

describe('readSentiment', () => {
  it('reads the fixed folds: 3,000 sentences, 300 per fold, half positive', () => {
    const d = readSentiment(dataPath('seq/splits/sentiment_folds.tsv'), dataPath('seq/sentiment'));
    expect(d.texts).toHaveLength(3000);
    for (let k = 0; k < 10; k++) expect(d.folds.filter((f) => f === k).length).toBe(300);
    expect(d.labels.reduce((s, v) => s + v, 0)).toBe(1500);
    expect(d.texts.every((t) => t.length > 0 && !t.endsWith(' '))).toBe(true);
  });

  it('refuses a sentence line without a tab and a label outside 0/1, naming file and line', () => {
    const noTab = write('notab_labelled.txt', 'Great phone.\t1\nTerrible battery 0\n');
    const folds = write('f1.tsv', `${header}0\tnotab_labelled.txt\t1\t1\t0\n`);
    expectError(() => readSentiment(folds, dir), 'ERR_FILE', `${noTab} line 2`, 'no tab');
    const badLabel = write('label_labelled.txt', 'Great phone.\t1\nMeh.\t2\n');
    const folds2 = write('f2.tsv', `${header}0\tlabel_labelled.txt\t1\t1\t0\n`);
    expectError(() => readSentiment(folds2, dir), 'ERR_FILE', `${badLabel} line 2`, 'label "2" is not 0 or 1');
  });

  it('refuses a folds line that does not fit, naming the folds file and line', () => {
    write('ok_labelled.txt', 'Great phone.\t1\nBad.\t0\n');
    const wrongLabel = write('f3.tsv', `${header}0\tok_labelled.txt\t1\t1\t0\n1\tok_labelled.txt\t2\t1\t3\n`);
    expectError(() => readSentiment(wrongLabel, dir), 'ERR_FILE', `${wrongLabel} line 3`, 'differs');
    const badFold = write('f4.tsv', `${header}0\tok_labelled.txt\t1\t1\t10\n`);
    expectError(() => readSentiment(badFold, dir), 'ERR_FILE', `${badFold} line 2`, 'fold');
    const badLine = write('f5.tsv', `${header}0\tok_labelled.txt\t9\t1\t1\n`);
    expectError(() => readSentiment(badLine, dir), 'ERR_FILE', `${badLine} line 2`, 'not a line');
    const empty = write('empty_labelled.txt', '');
    const f6 = write('f6.tsv', `${header}0\tempty_labelled.txt\t1\t1\t1\n`);
    expectError(() => readSentiment(f6, dir), 'ERR_FILE', empty, 'empty');
  });
});
