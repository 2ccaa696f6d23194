import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { gridAlignLabels, isSilent, parseGridAlign, readGridAlign } from '../../src/sources/gridAlign.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const gridDir = resolve(repoRoot, '../shared/data/grid');

function alignFile(name: string): string {
  const p = join(gridDir, name);
  if (!existsSync(p))
    throw new Error(
      `GRID alignment missing: expected ${p} (shared data resolved as path.resolve(repoRoot, '../shared/data'), repoRoot ${repoRoot})`,
    );
  return p;
}

const tmp = mkdtempSync(join(tmpdir(), 'eddy-align-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readGridAlign', () => {
  // s1/bbiz2p.align (CRLF): 0 16750 sil | 16750 22000 bin | 22000 28500 blue | 28500 30750 in | 30750 35000 z |
  // 35000 35750 sp | 35750 41000 two | 41000 52250 please | 52250 74500 sil
  it('labels the 75 frames of s1/bbiz2p by start <= 1000k < end', async () => {
    const labels = await readGridAlign(alignFile('s1/bbiz2p.align'));
    expect(labels.length).toBe(75);
    const byHand: Array<[number, string]> = [
      [0, 'sil'],
      [16, 'sil'], // 16000 < 16750
      [17, 'bin'], // 17000 >= 16750
      [22, 'blue'], // 22000 is the start of blue, the end of bin
      [30, 'in'],
      [31, 'z'],
      [35, 'sp'], // the one short pause: only frame 35 (35000..35750)
      [36, 'two'],
      [52, 'please'], // 52000 < 52250
      [53, 'sil'],
      [74, 'sil'],
    ];
    for (const [k, word] of byHand) expect([k, labels[k]]).toEqual([k, word]);
    expect(labels.filter((w) => w === 'sp')).toEqual(['sp']);
    expect(labels.slice(17, 22)).toEqual(['bin', 'bin', 'bin', 'bin', 'bin']);
  });

  it('gives every frame of every GRID clip a label, silence first and last', async () => {
    for (const name of ['s1/lgaf4n.align', 's2/swwp2s.align']) {
      const labels = await readGridAlign(alignFile(name));
      expect(labels.length).toBe(75);
      expect(isSilent(labels[0])).toBe(true);
      expect(isSilent(labels[74])).toBe(true);
      expect(labels.some((w) => !isSilent(w))).toBe(true);
    }
    // lgaf4n: "lay green at f four now"; lay is 10000..23000, so frames 10..22.
    const lgaf4n = await readGridAlign(alignFile('s1/lgaf4n.align'));
    expect(lgaf4n.slice(9, 24)).toEqual(['sil', ...new Array<string>(13).fill('lay'), 'green']);
    expect([...new Set(lgaf4n.filter((w) => !isSilent(w)))]).toEqual(['lay', 'green', 'at', 'f', 'four', 'now']);
  });

  it('isSilent is true for sil and sp only', () => {
    expect(['sil', 'sp', 'bin', 'silence', ''].map(isSilent)).toEqual([true, true, false, false, false]);
  });

  it('parses LF or CRLF text, and labels with other frame counts and units', () => {
    const segs = parseGridAlign('0 2000 sil\n2000 5000 red\r\n5000 6000 sil\r\n');
    expect(segs).toEqual([
      { start: 0, end: 2000, word: 'sil' },
      { start: 2000, end: 5000, word: 'red' },
      { start: 5000, end: 6000, word: 'sil' },
    ]);
    expect(gridAlignLabels(segs, { frames: 6 })).toEqual(['sil', 'sil', 'red', 'red', 'red', 'sil']);
    expect(gridAlignLabels(segs, { frames: 3, unitsPerFrame: 2000 })).toEqual(['sil', 'red', 'red']);
  });

  it('fails with ERR_FILE for a missing file, a malformed line, or a frame outside every segment', async () => {
    await expect(readGridAlign(join(tmp, 'nope.align'))).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining('no such file'),
    });
    const bad = join(tmp, 'bad.align');
    writeFileSync(bad, '0 1000 sil\r\n1000 x red\r\n');
    await expect(readGridAlign(bad)).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringMatching(/Malformed line 2 .*bad\.align/),
    });
    const short = join(tmp, 'short.align');
    writeFileSync(short, '0 5000 sil\r\n');
    await expect(readGridAlign(short)).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringMatching(/Frame 5 .*no segment/),
    });
  });

  it('rejects bad arguments with ERR_INVALID_ARG', async () => {
    await expect(readGridAlign('' as string)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringContaining('for path'),
    });
    await expect(readGridAlign('x.align', { frames: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringContaining('options.frames'),
    });
    await expect(readGridAlign('x.align', { unitsPerFrame: 2.5 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringContaining('options.unitsPerFrame'),
    });
    await expect(readGridAlign('x.align', 'all' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    expect(() => parseGridAlign(5 as never)).toThrow(/for text/);
  });
});
