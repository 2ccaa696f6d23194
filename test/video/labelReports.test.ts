/** Report pictures: a contact sheet and a timeline are written as PNGs of the expected size; bad input is named. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { labelTimelineSvg, writeContactSheet, writeLabelTimeline } from '../../src/video/labelReports.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-video-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('label reports', () => {
  it('writes a contact sheet and a timeline', async () => {
    const frames = Array.from({ length: 7 }, (_, i) => ({
      pixels: Float32Array.from({ length: 12 * 8 }, (_, p) => ((p + i) % 12) / 11),
      width: 12,
      height: 8,
      title: `#${i}`,
      label: i % 2 ? 'speaking 0.91' : 'silent 0.77',
      wrong: i === 3,
    }));
    const sheet = join(dir, 'sheet.png');
    await writeContactSheet(sheet, frames, { columns: 3, scale: 4, title: 'clip' });
    const m = await sharp(readFileSync(sheet)).metadata();
    expect(m.format).toBe('png');
    expect(m.width).toBe(3 * (48 + 12) + 12);
    const timeline = join(dir, 'timeline.png');
    const pred = Int32Array.from({ length: 75 }, (_, t) => (t > 20 && t < 60 ? 1 : 0));
    const truth = Int32Array.from({ length: 75 }, (_, t) => (t > 18 && t < 62 ? 1 : 0));
    pred[40] = -1; // a dropped frame
    await writeLabelTimeline(timeline, {
      labels: ['silent', 'speaking'],
      pred,
      truth,
      confidence: new Float32Array(75).fill(0.8),
      title: 'clip',
    });
    expect((await sharp(readFileSync(timeline)).metadata()).format).toBe('png');
    expect(
      labelTimelineSvg({ labels: ['silent', 'speaking'], pred, truth, confidence: new Float32Array(75) }),
    ).toContain('accuracy 94.6% (70/74 frames)');
  });
  it('names bad input', async () => {
    await expect(writeContactSheet(join(dir, 'x.png'), [])).rejects.toThrow(/frames/);
    await expect(
      writeContactSheet(join(dir, 'x.png'), [
        { pixels: new Float32Array(3), width: 2, height: 2, title: '', label: '' },
      ]),
    ).rejects.toThrow(/frames\[0\]\.pixels/);
    expect(() =>
      labelTimelineSvg({
        labels: ['a'],
        pred: new Int32Array(3),
        truth: new Int32Array(2),
        confidence: new Float32Array(3),
      }),
    ).toThrow(/data\.truth/);
  });
});
