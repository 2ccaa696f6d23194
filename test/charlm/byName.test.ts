/**
 * Every char-LM command takes a shipped model by name as well as a path (issue 16, item 4): generate (npm start),
 * eval (which then measures on the model's own corpus), train --init; and `--list` / `eddy models` show each
 * shipped model with its size, corpus and validation loss as its metadata records them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { listShippedModels, shippedModelPath } from '../../pipelines/cli/shippedModels.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { saveModel } from '../../src/model/modelFile.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { Vocabulary } from '../../src/sources/vocabulary.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-byname-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli();

describe('shipped char-LMs by name', () => {
  it('--list and eddy models: every shipped char-LM with its size, corpus and validation loss from its metadata', async () => {
    expect(await main(['generate', '--list'])).toBe(0);
    const listed = cli.out;
    cli.out = '';
    expect(await main(['models'])).toBe(0);
    expect(cli.out).toBe(listed);
    // char LMs: a vocabulary and no other task (names-gen also has a vocabulary, but conditions on a language)
    const charLMs = listShippedModels().filter((m) => {
      const meta = readSafetensors(m.path).metadata;
      return meta['eddy.vocab'] !== undefined && meta['eddy.task'] === undefined;
    });
    expect(charLMs.map((m) => m.name)).toContain('shakespeare');
    for (const m of charLMs) {
      const meta = readSafetensors(m.path).metadata;
      const line = listed.split('\n').find((l) => l.startsWith(`${m.name} `));
      expect(line, m.name).toBeDefined();
      expect(line).toContain(`${(statSync(m.path).size / 2 ** 20).toFixed(2)} MB`);
      expect(line).toContain(`${Number(meta['eddy.valLoss']).toFixed(4)} nats/char`);
      const corpus = meta['eddy.corpus'] ?? (JSON.parse(meta['eddy.run'] ?? '{}') as { corpus?: string }).corpus;
      expect(corpus, `${m.name} records its corpus`).toBeDefined();
      expect(line).toContain(`char LM on ${basename(corpus as string)}`);
    }
  });

  it('generate and eval take a name; eval without --input measures on the corpus the model records', async () => {
    for (const name of ['shakespeare', 'warandpeace']) {
      cli.out = '';
      expect(await main(['generate', '--model', name, '--length', '20', '--seed', '3', '--quiet'])).toBe(0);
      expect(cli.out.length).toBeGreaterThan(20);
    }
    // the War and Peace model is stored as F16 and listed so
    expect(readSafetensors(shippedModelPath('warandpeace') as string).tensors.get('head.weight')?.dtype).toBe('F16');
    // a small model that records sonnets.txt: eval finds it in ../shared/data by itself
    const text = readFileSync(dataPath('sonnets.txt'), 'utf8');
    const vocab = Vocabulary.fromText(text);
    const model = RNNModel.create(
      {
        cell: 'gru',
        input: 'onehot',
        inputSize: vocab.size,
        hiddenSize: 8,
        numLayers: 1,
        outputSize: vocab.size,
        vocab: vocab.toJSON(),
      },
      { seed: 1 },
    );
    const path = join(dir, 'sonnets-model.safetensors');
    saveModel(path, model, { 'eddy.corpus': 'sonnets.txt' });
    cli.out = '';
    expect(await main(['eval', '--model', path, '--backend', 'js', '--quiet'])).toBe(0);
    expect(cli.out).toMatch(/on the last 10% of \.\.\/shared\/data\/sonnets\.txt: [\d.]+ nats\/char/);
  });

  it('train --init takes a name', async () => {
    const corpus = join(dir, 'slice.txt');
    writeFileSync(corpus, readFileSync(dataPath('tinyshakespeare.txt'), 'utf8').slice(0, 3_000));
    const ck = join(dir, 'ft.safetensors');
    const args = ['--input', corpus, '--out', ck, '--steps', '1', '--window', '8', '--batch', '2'];
    const quiet = ['--sample-every', '0', '--no-plot', '--quiet', '--backend', 'js'];
    expect(await main(['train', '--init', 'shakespeare', ...args, ...quiet])).toBe(0);
    const shipped = shippedModelPath('shakespeare');
    expect(shipped).toBeDefined();
    expect(loadCheckpoint(ck).model.config.hiddenSize).toBe(
      (JSON.parse(readSafetensors(shipped as string).metadata['eddy.config']) as { hiddenSize: number }).hiddenSize,
    );
    expect(await main(['train', '--init', 'no-such-model', ...args, ...quiet])).toBe(2);
    expect(cli.err).toMatch(/--init: expected a model file or a shipped model's name/);
  });
});
