/** The pendigits reader: the real file (7,494 trajectories, per-digit counts as documented) and bad lines named. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPendigits } from '../../src/sources/readPendigits.ts';
import { dataPath } from './dataPath.ts';
import { expectError } from '../helpers/expectError.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-pen-'));

describe('readPendigits', () => {
  it('reads the real file', () => {
    const p = readPendigits(dataPath('seq/onetomany/pendigits.tra'));
    expect(p.count).toBe(7494);
    const per = Array.from({ length: 10 }, (_, d) => p.digits.filter((v) => v === d).length);
    expect(per).toEqual([780, 779, 780, 719, 780, 720, 720, 778, 719, 719]);
    expect([...p.points.subarray(16, 20)]).toEqual([0, 89, 27, 100]);
  });

  it('names the file and line of a short line, a bad value and an empty file', () => {
    const good = '  0, 89, 27,100, 42, 75, 29, 45, 15, 15, 37,  0, 69,  2,100,  6, 2\n';
    const short = join(dir, 'short.tra');
    writeFileSync(short, `${good} 1, 2, 3\n`);
    expectError(() => readPendigits(short), 'ERR_FILE', `${short} line 2`, '3 values, expected 17');
    const bad = join(dir, 'bad.tra');
    writeFileSync(bad, good.replace(' 2\n', '12\n'));
    expectError(() => readPendigits(bad), 'ERR_FILE', `${bad} line 1`, 'value 17 "12"');
    const empty = join(dir, 'empty.tra');
    writeFileSync(empty, '');
    expectError(() => readPendigits(empty), 'ERR_FILE', empty, 'empty');
  });
});
