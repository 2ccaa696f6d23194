/**
 * The names split: the fixed files have no leakage (no (name, language) pair in two of train / val / test, and
 * every language in all three), and bad files get an `EddyError` naming the file and line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNamesSplit } from '../../src/sources/readNamesSplit.ts';
import { dataPath } from './dataPath.ts';
import { expectError } from '../helpers/expectError.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-names-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('readNamesSplit', () => {
  it('the fixed split has no leakage: disjoint pairs, the same 18 languages in each file', () => {
    const train = readNamesSplit(dataPath('seq/splits/names/train.tsv'));
    const val = readNamesSplit(dataPath('seq/splits/names/val.tsv'), { languages: train.languages });
    const test = readNamesSplit(dataPath('seq/splits/names/test.tsv'), { languages: train.languages });
    expect([train.names.length, val.names.length, test.names.length]).toEqual([14403, 1794, 1818]);
    expect(train.languages).toHaveLength(18);
    const pairs = (s: typeof train): Set<string> => new Set(s.names.map((n, i) => `${n}\t${s.labels[i]}`));
    const [a, b, c] = [pairs(train), pairs(val), pairs(test)];
    expect(a.size + b.size + c.size).toBe(18015); // no pair twice within a file either
    for (const p of b) expect(a.has(p)).toBe(false);
    for (const p of c) expect(a.has(p) || b.has(p)).toBe(false);
    for (const s of [val, test]) expect(new Set(s.labels).size).toBe(18);
  });

  it('reads name<TAB>language lines, ids by the language list', () => {
    const s = readNamesSplit(file('ok.tsv', 'Abe\tJapanese\nAbel\tFrench\r\n'));
    expect(s.names).toEqual(['Abe', 'Abel']);
    expect(s.languages).toEqual(['French', 'Japanese']);
    expect([...s.labels]).toEqual([1, 0]);
  });

  it('refuses an empty file, a missing tab, an empty field and an unknown language, naming file and line', () => {
    const empty = file('empty.tsv', '');
    expectError(() => readNamesSplit(empty), 'ERR_FILE', empty, 'empty');
    const noTab = file('notab.tsv', 'Abe\tJapanese\nAbel French\n');
    expectError(() => readNamesSplit(noTab), 'ERR_FILE', `${noTab} line 2`, 'no tab');
    const noName = file('noname.tsv', '\tJapanese\n');
    expectError(() => readNamesSplit(noName), 'ERR_FILE', `${noName} line 1`, 'empty name');
    const klingon = file('unknown.tsv', 'Abe\tJapanese\nWorf\tKlingon\n');
    expectError(
      () => readNamesSplit(klingon, { languages: ['Japanese'] }),
      'ERR_FILE',
      `${klingon} line 2`,
      'unknown language "Klingon"',
    );
    expectError(() => readNamesSplit(join(dir, 'missing.tsv')), 'ERR_FILE', 'missing.tsv');
  });
});
