/**
 * Char-LM training options for larger runs (issue 16): the embedding width and the optimizer's weight decay,
 * each reaching the model or the optimizer, saved with the run and checked like the other options.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { trainCharLM } from '../../src/charlm/trainCharLM.ts';
import type { TrainCharLMOptions } from '../../src/charlm/charLMOptions.ts';
import { dataPath } from '../sources/dataPath.ts';
import { loadModel } from '../../src/model/modelFile.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-trainopts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const corpus = join(dir, 'slice.txt');
writeFileSync(corpus, readFileSync(dataPath('sonnets.txt'), 'utf8').slice(0, 8_000));

const tiny = {
  corpus,
  backend: 'js',
  hiddenSize: 12,
  numLayers: 1,
  window: 8,
  batch: 4,
  lr: 0.01,
  evalEvery: 1000,
  maxValChars: 200,
  sampleEvery: 0,
  checkpointEvery: 1000,
  progress: false,
  plot: false,
  seed: 7,
  resume: false,
} satisfies Partial<TrainCharLMOptions>;

describe('char-LM training options', () => {
  it('embeddingSize sets the embedding width; it is refused without embedding input', async () => {
    const r = await trainCharLM({
      ...tiny,
      checkpoint: join(dir, 'emb.safetensors'),
      input: 'embedding',
      embeddingSize: 5,
      maxSteps: 3,
    });
    expect(r.model.config.embeddingSize).toBe(5);
    expect(r.model.layout.entries.find((e) => e.name === 'embedding.weight')?.shape).toEqual([
      r.model.config.inputSize,
      5,
    ]);
    await expect(trainCharLM({ ...tiny, checkpoint: join(dir, 'x.safetensors'), embeddingSize: 5 })).rejects.toThrow(
      /options\.embeddingSize/,
    );
  });

  it('outputDropout reaches the model and is saved with the run', async () => {
    const checkpoint = join(dir, 'od.safetensors');
    const r = await trainCharLM({ ...tiny, checkpoint, outputDropout: 0.3, maxSteps: 2 });
    expect(r.model.config.outputDropout).toBe(0.3);
    await expect(trainCharLM({ ...tiny, checkpoint, resume: true, outputDropout: 0.1, maxSteps: 3 })).rejects.toThrow(
      /options\.outputDropout 0\.1 \(the checkpoint's: 0\.3\)/,
    );
  });

  it('weightDecay reaches the optimizer: after one AdamW step the parameters differ by -lr * wd * p0', async () => {
    const one = async (weightDecay: number, name: string) =>
      (
        await trainCharLM({ ...tiny, checkpoint: join(dir, name), optimizer: 'adamw', weightDecay, maxSteps: 1 })
      ).model.params.slice();
    const p0 = await one(0, 'wd0.safetensors');
    const p1 = await one(0.25, 'wd1.safetensors');
    const p2 = await one(0.5, 'wd2.safetensors');
    // the gradient step is the same in all three; the decoupled decay scales with wd
    let moved = 0;
    for (let i = 0; i < p0.length; i++) {
      const d1 = p1[i] - p0[i];
      const d2 = p2[i] - p0[i];
      expect(Math.abs(d2 - 2 * d1)).toBeLessThan(1e-7);
      moved = Math.max(moved, Math.abs(d1));
    }
    expect(moved).toBeGreaterThan(1e-5);
  });

  it('weightDecay is saved with the run: resuming with another is refused by name', async () => {
    const checkpoint = join(dir, 'resume.safetensors');
    await trainCharLM({ ...tiny, checkpoint, weightDecay: 0.1, maxSteps: 2 });
    await expect(trainCharLM({ ...tiny, checkpoint, resume: true, weightDecay: 0.2, maxSteps: 4 })).rejects.toThrow(
      /options\.weightDecay 0\.2 \(the checkpoint's: 0\.1\)/,
    );
    const r = await trainCharLM({ ...tiny, checkpoint, resume: true, maxSteps: 4 });
    expect(r.resumed).toBe(true);
    expect(r.steps).toBe(4);
  });
});

describe('eddy budget with another shape', () => {
  const cli = captureCli();
  it('trains the shape the flags give, from scratch, and says what the budget bought', async () => {
    const args = ['budget', '--input', corpus, '--minutes', '0.02', '--backend', 'js', '--quiet'];
    const shape = ['--layers', '2', '--hidden', '8', '--dropout', '0.1', '--encoding', 'embedding', '--embedding', '4'];
    const more = ['--optimizer', 'adamw', '--weight-decay', '0.05', '--batch', '4', '--window', '8'];
    const paths = ['--out', join(dir, 'b.safetensors'), '--best', join(dir, 'b.best.safetensors')];
    expect(await main([...args, ...shape, ...more, ...paths])).toBe(0);
    expect(cli.out).toMatch(
      /^2-layer LSTM 8 dropout 0\.1 embedding 4, adamw 0\.002 wd 0\.05, batch 4 window 8 0\.02-minute budget: \d+ updates/,
    );
    expect(loadModel(join(dir, 'b.best.safetensors')).config).toMatchObject({
      numLayers: 2,
      hiddenSize: 8,
      embeddingSize: 4,
      dropout: 0.1,
    });
  });
});
