/**
 * The samples file of a training run (`<stem>.samples.md`): one section per sample point with the update count
 * and the validation loss measured at that update, and a resumed run continues it without duplicates, as the
 * uninterrupted run wrote it, even when the run was stopped after a sample but before the next checkpoint.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainCharLM } from '../../src/charlm/trainCharLM.ts';
import type { TrainCharLMOptions } from '../../src/charlm/charLMOptions.ts';
import { charLMSamplesMarkdown, charLMSamplesPath } from '../../src/charlm/charLMSamples.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-samples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const corpus = join(dir, 'slice.txt');
writeFileSync(corpus, readFileSync(dataPath('sonnets.txt'), 'utf8').slice(0, 20_000));

const tiny = {
  corpus,
  hiddenSize: 32,
  numLayers: 1,
  window: 16,
  batch: 8,
  lr: 0.01,
  evalEvery: 1000,
  maxValChars: 1500,
  sampleEvery: 20,
  sampleLength: 60,
  checkpointEvery: 20,
  progress: false,
  plot: false,
  seed: 3,
} satisfies Partial<TrainCharLMOptions>;

/** The sections of a samples file: update count, validation loss as written, text. */
function sections(md: string): { step: number; val: string; text: string }[] {
  return Array.from(
    md.matchAll(/^## After (\d+) updates\n\nvalidation ([\d.]+) nats\/char.*\n\n(`{3,})text\n([\s\S]*?)\n\3\n/gm),
    (m) => ({ step: Number(m[1]), val: m[2], text: m[4] }),
  );
}

describe('the samples file', () => {
  it('has each sample point with its update count and the validation loss measured there', async () => {
    const checkpoint = join(dir, 'whole.safetensors');
    const seen: string[] = [];
    const r = await trainCharLM({ ...tiny, checkpoint, maxSteps: 60 }, { onSample: (_s, file) => seen.push(file) });
    const path = charLMSamplesPath(checkpoint);
    expect(path).toBe(join(dir, 'whole.samples.md'));
    expect(r.samplesFile).toBe(path);
    expect(seen).toEqual([path, path, path]);
    expect(r.samples.map((s) => s.step)).toEqual([20, 40, 60]);
    // evalEvery is 1000: the validation at 20 and 40 is there because they are sample points
    for (const s of r.samples) {
      const point = r.history.find((p) => p.step === s.step);
      expect(point?.valLoss).toBe(s.valLoss);
      expect(s.text).toHaveLength(60);
    }
    const md = readFileSync(path, 'utf8');
    expect(md.startsWith('# Samples during training on slice.txt\n')).toBe(true);
    const got = sections(md);
    expect(got.map((s) => s.step)).toEqual([20, 40, 60]);
    expect(got.map((s) => s.val)).toEqual(r.samples.map((s) => s.valLoss.toFixed(4)));
    expect(got.map((s) => s.text)).toEqual(r.samples.map((s) => s.text));
    // the loss falls from the first sample point to the last
    expect(r.samples[2].valLoss).toBeLessThan(r.samples[0].valLoss);
  });

  it('a run resumed from a checkpoint older than its last sample continues the file as the whole run wrote it', async () => {
    const whole = await trainCharLM({ ...tiny, checkpoint: join(dir, 'ref.safetensors'), maxSteps: 60 });
    const checkpoint = join(dir, 'parts.safetensors');
    const at20 = join(dir, 'parts-at-20.safetensors');
    await trainCharLM(
      { ...tiny, checkpoint, maxSteps: 40 },
      { onCheckpoint: (step, p) => step === 20 && copyFileSync(p, at20) },
    );
    // as if killed after the sample at 40 but before its checkpoint: the file has 20 and 40, the checkpoint 20
    copyFileSync(at20, checkpoint);
    expect(sections(readFileSync(charLMSamplesPath(checkpoint), 'utf8')).map((s) => s.step)).toEqual([20, 40]);
    const resumed = await trainCharLM({ ...tiny, checkpoint, maxSteps: 60 });
    expect(resumed.resumed).toBe(true);
    const got = sections(readFileSync(charLMSamplesPath(checkpoint), 'utf8'));
    expect(got.map((s) => s.step)).toEqual([20, 40, 60]);
    expect(got.map((s) => s.text)).toEqual(whole.samples.map((s) => s.text));
    expect(resumed.samples.map((s) => s.valLoss)).toEqual(whole.samples.map((s) => s.valLoss));
  });

  it('sampleAt adds sample points to sampleEvery; a bad one is named', async () => {
    const r = await trainCharLM({
      ...tiny,
      checkpoint: join(dir, 'at.safetensors'),
      maxSteps: 45,
      sampleEvery: 40,
      sampleAt: [25, 5, 5],
    });
    expect(r.samples.map((s) => s.step)).toEqual([5, 25, 40]);
    expect(sections(readFileSync(charLMSamplesPath(join(dir, 'at.safetensors')), 'utf8')).map((s) => s.step)).toEqual([
      5, 25, 40,
    ]);
    await expect(trainCharLM({ ...tiny, checkpoint: join(dir, 'bad.safetensors'), sampleAt: [10, 0] })).rejects.toThrow(
      /options\.sampleAt\[1\]/,
    );
  });

  it('fences a text that holds backticks with a longer fence', () => {
    const md = charLMSamplesMarkdown('c.txt', 'about', [
      { step: 5, valLoss: 2, elapsedMs: 60_000, text: 'a ``` b ```` c' },
    ]);
    expect(md).toContain('\n`````text\na ``` b ```` c\n`````\n');
    expect(sections(md)).toEqual([{ step: 5, val: '2.0000', text: 'a ``` b ```` c' }]);
    expect(md).toContain('validation 2.0000 nats/char (2.8854 bits/char), 1.0 minutes of training');
  });
});
