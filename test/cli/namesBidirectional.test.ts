/**
 * `eddy names train --bidirectional` as a user meets it: a short training on a slice of the real split beats the
 * majority class on val; the file says bidirectional and packs into an ensemble with a unidirectional member that
 * eval and live read (live, stepping the forward direction and re-reading the prefix for the reverse one, ends where
 * batched inference does); a stopped run resumes from its checkpoint to the unbroken run's weights; bad flag combinations are one line and exit code 2.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { classifyNames, loadNamesClassifier } from '../../pipelines/names/namesData.ts';
import { BidirectionalClassifier, loadClassifierCheckpoint, readSafetensors } from '../../src/index.ts';
import { namesSplit } from '../helpers/namesSplit.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-names-bi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli();

/** A split directory of about `lines` lines a file (every language present in train). */
function smallSplit(name: string, lines: number): string {
  return namesSplit(dir, name, lines);
}

describe('eddy names train --bidirectional', () => {
  it('a short training on a slice beats the majority class on val', async () => {
    const d = smallSplit('train', 3000);
    const model = join(dir, 'bi.safetensors');
    const code = await main([
      'names',
      'train',
      '--input',
      d,
      '--out',
      model,
      '--bidirectional',
      '--hidden',
      '48',
      '--embedding',
      '24',
      '--epochs',
      '3',
      '--average-last',
      '0',
      '--quiet',
    ]);
    expect(code).toBe(0);
    const acc = Number(/val accuracy ([\d.]+)%/.exec(cli.out)?.[1]);
    expect(acc).toBeGreaterThan(55); // Russian, the majority, is about 52% of the sampled val lines
    const meta = readSafetensors(model).metadata;
    expect(JSON.parse(meta['eddy.config']).bidirectional).toBe(true);
    expect(loadNamesClassifier(model).members[0].model).toBeInstanceOf(BidirectionalClassifier);
  }, 120_000);

  it('packs with a unidirectional member into an ensemble that eval and live read', async () => {
    const d = smallSplit('ensemble', 1500);
    const quick = ['--input', d, '--epochs', '1', '--hidden', '16', '--embedding', '8', '--quiet'];
    const a = join(dir, 'ea.safetensors');
    const b = join(dir, 'eb.safetensors');
    expect(await main(['names', 'train', ...quick, '--out', a, '--bidirectional'])).toBe(0);
    expect(await main(['names', 'train', ...quick, '--out', b, '--reverse', '--seed', '2'])).toBe(0);
    cli.out = '';
    const e = join(dir, 'e.safetensors');
    expect(
      await main(['names', 'ensemble', '--input', d, '--members', `${a},${b}`, '--out', e, '--dtype', 'f16']),
    ).toBe(0);
    expect(cli.out).toMatch(/ea\.safetensors \(bidirectional\): val accuracy/);
    cli.out = '';
    expect(await main(['names', 'eval', '--model', e, '--input', d, '--split', 'val'])).toBe(0);
    expect(cli.out).toMatch(/\(ensemble of 2\) on .*val\.tsv/);
    for (const [file, n] of [
      [a, 1],
      [e, 2],
    ] as const) {
      cli.out = '';
      expect(await main(['names', 'live', '--model', file, '--name', 'Nguyen'])).toBe(0);
      const lines = cli.out.trim().split('\n');
      expect(lines).toHaveLength(6);
      const c = loadNamesClassifier(file);
      expect(c.members).toHaveLength(n);
      const p = classifyNames(c, ['Nguyen']).probs;
      const top = Math.max(...p);
      expect(lines[5]).toContain(`${c.languages[p.indexOf(top)]} ${(100 * top).toFixed(1)}%`);
    }
  }, 120_000);

  it('a run stopped after an epoch resumes from its checkpoint and ends where an unbroken run ends', async () => {
    const d = smallSplit('resume', 1500);
    const args = (out: string) => [
      'names',
      'train',
      '--input',
      d,
      '--out',
      out,
      '--bidirectional',
      '--hidden',
      '16',
      '--embedding',
      '8',
      '--output-dropout',
      '0.3', // the dropout masks draw from the RNG, so its state must come back too
      '--epochs',
      '2',
      '--average-last',
      '2',
    ];
    const whole = join(dir, 'whole.safetensors');
    expect(await main(args(whole))).toBe(0);
    const broken = join(dir, 'broken.safetensors');
    expect(await main([...args(broken), '--minutes', '0.0001'])).toBe(0);
    expect(existsSync(`${broken}.ckpt`)).toBe(true);
    const ckpt = loadClassifierCheckpoint<{ epoch: number }>(`${broken}.ckpt`);
    expect(ckpt.model).toBeInstanceOf(BidirectionalClassifier);
    expect(ckpt.extra.epoch).toBe(1);
    expect(ckpt.optimizer.name).toBe('adam');
    cli.err = '';
    cli.out = '';
    expect(await main(args(broken))).toBe(0);
    expect(cli.err).toMatch(/resuming .*broken\.safetensors\.ckpt after epoch 1/);
    expect(cli.out).toMatch(/average of the last 2 epochs/);
    expect(existsSync(`${broken}.ckpt`)).toBe(false);
    const a = loadNamesClassifier(whole).members[0].model;
    const b = loadNamesClassifier(broken).members[0].model;
    expect(b).toBeInstanceOf(BidirectionalClassifier);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
  }, 120_000);

  it('refuses --bidirectional with --reverse: one line, exit code 2 (stacked layers are test/cli/names.test.ts)', async () => {
    const out = join(dir, 'x.safetensors');
    cli.err = '';
    expect(await main(['names', 'train', '--bidirectional', '--reverse', '--out', out])).toBe(2);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err).toMatch(/--reverse: a --bidirectional model reads every name both ways/);
    expect(existsSync(out)).toBe(false);
  });
});
