/**
 * The `eddy translate` commands end to end on a slice of the pairs (tiny model, seconds): train writes a checkpoint
 * and a best model, a second run resumes it, export writes a plain translator, translate streams a sentence and
 * refuses bad input with exit code 2, eval prints the five-row BLEU table and writes the heat-map.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { loadTranslator } from '../../src/translate/translatorFile.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-translate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pairs = join(dir, 'pairs.txt');
writeFileSync(
  pairs,
  `${readFileSync(dataPath('seq/translation/eng-fra.head76037.txt'), 'utf8').split('\n').slice(0, 1500).join('\n')}\n`,
);

const cli = captureCli();

const tiny = [
  '--input',
  pairs,
  '--embed',
  '8',
  '--hidden',
  '16',
  '--min-count',
  '2',
  '--batch',
  '32',
  '--backend',
  'js',
];

describe('eddy translate', () => {
  const ckpt = join(dir, 'att.safetensors');
  const best = join(dir, 'att-best.safetensors');
  const plain = join(dir, 'plain-best.safetensors');
  const model = join(dir, 'model.safetensors');

  it('train: checkpoint and best model; a second run resumes from the checkpoint', async () => {
    expect(
      await main(['translate', 'train', ...tiny, '--attention', '--epochs', '1', '--out', ckpt, '--best', best]),
    ).toBe(0);
    expect(cli.err).toMatch(/attention GRU encoder-decoder, E=8 H=16/);
    expect(cli.err).toMatch(/epoch 1: train \d+\.\d+ {2}validation \d+\.\d+ nats\/word/);
    expect(existsSync(best)).toBe(true);
    cli.err = '';
    expect(await main(['translate', 'train', ...tiny, '--attention', '--epochs', '2', '--out', ckpt])).toBe(0);
    expect(cli.err).toMatch(/resuming .*: epoch 2, batch 0/);
    expect(cli.err).toMatch(/stopped after 2 epochs/);
    expect(
      await main([
        'translate',
        'train',
        ...tiny,
        '--epochs',
        '1',
        '--out',
        join(dir, 'p.safetensors'),
        '--best',
        plain,
      ]),
    ).toBe(0);
  }, 120_000);

  it('export: a plain translator file with the metadata eddy models lists', async () => {
    expect(await main(['translate', 'export', '--input', ckpt, '--out', model])).toBe(0);
    const { translator, metadata, tensors } = loadTranslator(model);
    expect(translator.model.config.attention).toBe(true);
    expect(tensors.size).toBe(0); // no optimizer state
    expect(metadata['eddy.task']).toMatch(/English -> French/);
  });

  it('export --dtype f16: half the file, every weight within half an f16 step, the metadata kept on a second export', async () => {
    const full = join(dir, 'from-best.safetensors'); // the --best file has the validation loss
    expect(await main(['translate', 'export', '--input', best, '--out', full])).toBe(0);
    const half = join(dir, 'half.safetensors');
    expect(await main(['translate', 'export', '--input', full, '--out', half, '--dtype', 'f16'])).toBe(0);
    expect(statSync(half).size).toBeLessThan(0.6 * statSync(full).size); // the vocabularies stay text
    const file = readSafetensors(half);
    expect(new Set([...file.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['F16']));
    const a = loadTranslator(full);
    const b = loadTranslator(half);
    expect(a.metadata['eddy.translate.valLoss']).toMatch(/^\d/);
    expect(b.metadata['eddy.translate.valLoss']).toBe(a.metadata['eddy.translate.valLoss']);
    expect(b.metadata['eddy.run']).toBe(a.metadata['eddy.run']);
    expect(b.translator.target.words).toEqual(a.translator.target.words);
    const pa = a.translator.model.params;
    const pb = b.translator.model.params;
    let worst = 0;
    for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - pb[i]) - Math.abs(pa[i]) * 2 ** -11);
    expect(worst).toBeLessThanOrEqual(2 ** -25);
    expect(await main(['translate', 'export', '--input', full, '--out', half, '--dtype', 'f8'])).toBe(2);
  });

  it('translate: streams a sentence; bad input exits with code 2 and one line', async () => {
    expect(await main(['translate', '--model', model, '--search', 'greedy', '--max-length', '8', 'I am cold.'])).toBe(
      0,
    );
    expect(cli.out.endsWith('\n')).toBe(true);
    expect(await main(['translate', '--model', model, ''])).toBe(2);
    expect(await main(['translate', '--model', model, '--text', 'Qqqzx vvvw'])).toBe(2);
    expect(cli.err).toMatch(/only unknown words/);
    expect(await main(['translate', '--model', model, 'I am \u0007 cold.'])).toBe(2);
    expect(cli.err).toMatch(/U\+0007/);
    expect(await main(['translate', '--model', model, Array(80).fill('cold').join(' ')])).toBe(2);
    expect(cli.err).toMatch(/at most \d+ tokens/);
  });

  it('eval: the five rows of BLEU, samples, JSON and the heat-map PNG', async () => {
    const json = join(dir, 'eval.json');
    const png = join(dir, 'heat.png');
    const args = ['translate', 'eval', '--input', pairs, '--model', model, '--plain', plain, '--backend', 'js'];
    const code = await main([...args, '--out', json, '--heatmap', png, '--samples', '2']);
    expect(code).toBe(0);
    for (const row of [
      'word-by-word baseline',
      'plain, greedy',
      'plain, beam 5',
      'attention, greedy',
      'attention, beam 5',
    ])
      expect(cli.out).toContain(`| ${row}`);
    const r = JSON.parse(readFileSync(json, 'utf8')) as { rows: { bleu: number }[] };
    expect(r.rows).toHaveLength(5);
    for (const row of r.rows) expect(row.bleu).toBeGreaterThanOrEqual(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  }, 120_000);
});
