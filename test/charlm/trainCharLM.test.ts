/**
 * The character-level LM end to end, small enough for CI: training on a slice of the sonnets lowers the loss
 * well below ln V, samples use only the corpus's characters, and bad input gets clear errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainCharLM } from '../../src/charlm/trainCharLM.ts';
import { generateTextAsync, generateText } from '../../src/charlm/generateText.ts';
import { readCorpus } from '../../src/charlm/readCorpus.ts';
import { evaluateCharLM } from '../../src/charlm/evaluateCharLM.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { loadModel } from '../../src/model/modelFile.ts';
import { EddyError } from '../../src/util/errors.ts';
import { dataPath } from '../sources/dataPath.ts';
import { toArray } from 'rxjs';
import { firstValueFrom } from 'rxjs';

const dir = mkdtempSync(join(tmpdir(), 'eddy-charlm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sonnets = readFileSync(dataPath('sonnets.txt'), 'utf8');
const slice = join(dir, 'sonnets-slice.txt');
writeFileSync(slice, sonnets.slice(0, 30_000));

async function collect(it: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const ch of it) s += ch;
  return s;
}

const small = {
  hiddenSize: 48,
  numLayers: 1,
  window: 24,
  batch: 16,
  lr: 0.01,
  evalEvery: 40,
  sampleEvery: 0,
  checkpointEvery: 40,
  progress: false,
  plot: false,
} as const;

describe('trainCharLM', () => {
  it('a cosine schedule in a run limited by minutes alone decays over the minutes, after its warm-up', async () => {
    const lrs: number[] = [];
    const r = await trainCharLM(
      {
        corpus: slice,
        checkpoint: join(dir, 'cosine-time.safetensors'),
        maxMinutes: 0.04,
        schedule: 'cosine',
        warmupSteps: 5,
        ...small,
      },
      { onUpdate: (e) => lrs.push(e.lr) },
    );
    expect(r.stopped).toBe('time');
    expect(lrs.length).toBeGreaterThan(20);
    expect(lrs[0]).toBeCloseTo(small.lr / 5, 6); // warm-up: lr (step + 1) / W
    expect(lrs[4]).toBeCloseTo(small.lr, 6);
    for (let i = 5; i < lrs.length; i++) expect(lrs[i]).toBeLessThanOrEqual(lrs[i - 1]); // the decay only goes down
    expect(lrs[lrs.length - 1]).toBeLessThan(0.3 * small.lr); // near lr/10 when the minutes are spent
    expect(lrs[lrs.length - 1]).toBeGreaterThanOrEqual(small.lr / 10 - 1e-9);
  });

  it('lowers the loss well below ln V on a slice of the sonnets, samples only corpus characters, writes plots', async () => {
    const checkpoint = join(dir, 'smoke.safetensors');
    const result = await trainCharLM({ corpus: slice, checkpoint, maxSteps: 120, ...small, plot: true });
    const V = result.model.config.vocab!.length;
    expect(V).toBe(new Set(sonnets.slice(0, 30_000)).size);
    expect(result.model.config.vocab).toContain(' ');
    expect(result.model.config.vocab).toContain('\n');
    expect(result.steps).toBe(120);
    expect(result.stopped).toBe('steps');
    const first = result.history[0].trainLoss;
    expect(first).toBeGreaterThan(Math.log(V) - 0.3);
    expect(result.valLoss).toBeLessThan(Math.log(V) - 1.2); // ln 59 = 4.08; a unigram model reaches ~3.2
    expect(result.history.filter((p) => p.valLoss !== undefined).length).toBe(3);
    expect(result.plots).toHaveLength(2);
    for (const p of result.plots) expect(readFileSync(p).subarray(1, 4).toString()).toBe('PNG');
    const allowed = new Set(sonnets.slice(0, 30_000));
    let text = '';
    for await (const ch of generateTextAsync(result.model, { length: 300, seed: 4, temperature: 1 })) text += ch;
    expect(text.length).toBe(300);
    for (const ch of text) expect(allowed.has(ch)).toBe(true);
    // evaluateCharLM measures the same split the same way
    const ev = evaluateCharLM(result.model, sonnets.slice(0, 30_000), { window: 24, batch: 16 });
    expect(Math.abs(ev.nats - result.valLoss)).toBeLessThan(1e-9);
    expect(ev.bits).toBeCloseTo(ev.nats / Math.LN2, 12);
    expect(() => evaluateCharLM(result.model, 'text with a € sign')).toThrow(
      /does not match the model's vocabulary.*€/,
    );
    // the checkpoint holds the run
    const ck = loadCheckpoint<{ step: number; history: unknown[] }>(checkpoint);
    expect(ck.extra.step).toBe(120);
    expect(ck.extra.history).toHaveLength(120);
  });

  it('generation: same seed same text, greedy is the argmax path, RxJS and IxJS agree', async () => {
    const result = await trainCharLM({
      corpus: slice,
      checkpoint: join(dir, 'gen.safetensors'),
      maxSteps: 20,
      ...small,
    });
    const m = result.model;
    const a = await collect(generateTextAsync(m, { length: 80, seed: 9, prime: 'Thy ' }));
    const b = await collect(generateTextAsync(m, { length: 80, seed: 9, prime: 'Thy ' }));
    const c = (await firstValueFrom(generateText(m, { length: 80, seed: 9, prime: 'Thy ' }).pipe(toArray()))).join('');
    expect(a).toBe(b);
    expect(c).toBe(a);
    const greedy = await collect(generateTextAsync(m, { length: 30, temperature: 'greedy', prime: 'Thy ' }));
    // greedy by hand
    const vocab = m.config.vocab!;
    const state = m.createState(1);
    const out = new Float32Array(vocab.length);
    for (const ch of 'Thy ') m.step(Int32Array.of(vocab.indexOf(ch)), state, out);
    let manual = '';
    for (let i = 0; i < 30; i++) {
      let best = 0;
      for (let j = 1; j < out.length; j++) if (out[j] > out[best]) best = j;
      manual += vocab[best];
      m.step(Int32Array.of(best), state, out);
    }
    expect(greedy).toBe(manual);
  });

  it('bad input: empty and binary corpora, a prime with unseen characters, a vocabulary mismatch, a truncated checkpoint', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    await expect(readCorpus(empty)).rejects.toThrow(/empty/);
    const binary = join(dir, 'binary.bin');
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff, 0xfe]));
    await expect(readCorpus(binary)).rejects.toThrow(/binary\.bin.*(binary|UTF-8)/);
    const nul = join(dir, 'nul.txt');
    writeFileSync(nul, 'abc\u0000def');
    await expect(readCorpus(nul)).rejects.toThrow(/NUL character at position 3/);
    await expect(readCorpus(join(dir, 'missing.txt'))).rejects.toThrow(/missing\.txt/);

    const checkpoint = join(dir, 'mismatch.safetensors');
    const r = await trainCharLM({ corpus: slice, checkpoint, maxSteps: 5, ...small });
    expect(() => generateTextAsync(r.model, { prime: 'Thy €' })).toThrow(/options\.prime.*€.*position 4/);
    // resuming on a text with characters the checkpoint's vocabulary lacks
    const other = join(dir, 'other.txt');
    writeFileSync(other, `${sonnets.slice(0, 30_000)} {}|~`);
    const before = readFileSync(checkpoint);
    await expect(trainCharLM({ corpus: other, checkpoint, maxSteps: 10, ...small })).rejects.toThrow(
      /does not match the vocabulary of checkpoint .*mismatch\.safetensors/,
    );
    expect(readFileSync(checkpoint).equals(before)).toBe(true); // nothing already written is lost
    // a truncated checkpoint
    writeFileSync(checkpoint, before.subarray(0, before.length - 100));
    await expect(trainCharLM({ corpus: slice, checkpoint, maxSteps: 10, ...small })).rejects.toThrow(EddyError);
    await expect(trainCharLM({ corpus: slice, checkpoint, maxSteps: 10, ...small })).rejects.toThrow(
      /mismatch\.safetensors/,
    );
    expect(existsSync(checkpoint)).toBe(true);
    // a corpus too short for batch x window
    const tiny = join(dir, 'tiny.txt');
    writeFileSync(tiny, 'to be or not to be');
    await expect(trainCharLM({ corpus: tiny, checkpoint: join(dir, 't.safetensors'), ...small })).rejects.toThrow(
      /too short/,
    );
  });

  it('an abort signal stops between two updates and leaves a checkpoint of the last one', async () => {
    const controller = new AbortController();
    const checkpoint = join(dir, 'aborted.safetensors');
    const result = await trainCharLM(
      { corpus: slice, checkpoint, maxSteps: 10_000, ...small, checkpointEvery: 1000, signal: controller.signal },
      {
        onUpdate: (e) => {
          if (e.step === 6) setImmediate(() => controller.abort());
        },
      },
    );
    expect(result.stopped).toBe('signal');
    expect(result.steps).toBeGreaterThanOrEqual(7);
    expect(result.steps).toBeLessThan(10);
    const ck = loadCheckpoint<{ step: number }>(checkpoint);
    expect(ck.extra.step).toBe(result.steps);
    expect(Number.isFinite(result.valLoss)).toBe(true);
  });

  it('best: keeps the model with the lowest validation loss, even when the run gets worse after it', async () => {
    const checkpoint = join(dir, 'overfit.safetensors'),
      best = join(dir, 'sub', 'overfit.best.safetensors');
    // a high learning rate on a tiny corpus: validation goes down, then up
    const tiny = join(dir, 'tiny.txt');
    writeFileSync(tiny, sonnets.slice(0, 4_000));
    const result = await trainCharLM({
      corpus: tiny,
      checkpoint,
      best,
      maxSteps: 240,
      ...small,
      hiddenSize: 96,
      lr: 0.03,
      evalEvery: 10,
    });
    const vals = result.history
      .filter((p) => p.valLoss !== undefined)
      .map((p) => ({ step: p.step, val: p.valLoss as number }));
    const lowest = vals.reduce((a, b) => (b.val < a.val ? b : a));
    expect(lowest.step).toBeLessThan(240); // it did get worse after its best
    expect(result.valLoss).toBeGreaterThan(lowest.val);
    const file = readSafetensors(best);
    expect(Number(file.metadata['eddy.valLoss'])).toBe(lowest.val);
    expect(Number(file.metadata['eddy.steps'])).toBe(lowest.step);
    // and it is that model: it measures the same on the held-out split
    const ev = evaluateCharLM(loadModel(best), sonnets.slice(0, 4_000), { window: 24, batch: 16 });
    expect(Math.abs(ev.nats - lowest.val)).toBeLessThan(1e-4);
    await expect(trainCharLM({ corpus: tiny, checkpoint, best: checkpoint, maxSteps: 1, ...small })).rejects.toThrow(
      /options.best/,
    );
  });

  it('invalid options name the option', async () => {
    await expect(trainCharLM({ corpus: slice, checkpoint: join(dir, 'x.safetensors'), hiddenSize: 0 })).rejects.toThrow(
      /options\.hiddenSize/,
    );
    await expect(trainCharLM({ corpus: slice, checkpoint: join(dir, 'x.safetensors'), lr: -1 })).rejects.toThrow(
      /options\.lr/,
    );
    await expect(
      trainCharLM({ corpus: slice, checkpoint: join(dir, 'x.safetensors'), cell: 'tcn' as 'lstm' }),
    ).rejects.toThrow(/options\.cell/);
    await expect(trainCharLM({ corpus: '', checkpoint: join(dir, 'x.safetensors') })).rejects.toThrow(
      /options\.corpus/,
    );
    await expect(
      trainCharLM({ corpus: slice, checkpoint: join(dir, 'x.safetensors'), valFraction: 1 }),
    ).rejects.toThrow(/options\.valFraction/);
  });
});
