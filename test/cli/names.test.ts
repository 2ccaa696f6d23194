/**
 * `eddy names ...` and `eddy sentiment cv` as a user meets them: the shipped classifier live on a typed name (one
 * line per character), eval on a small split directory, a quick train that beats chance on val, an ensemble of two
 * quick members packed, evaluated and run live, and bad inputs (an
 * unknown language, a file with a line missing its tab, an empty file) as one line naming the file and line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { classifyNames, loadNamesClassifier, seenElsewhere } from '../../pipelines/names/namesData.ts';
import { readSafetensors } from '../../src/index.ts';
import { namesSplit } from '../helpers/namesSplit.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-names-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli();

/** A split directory of about `lines` lines a file (every language present in train). */
function smallSplit(name: string, lines: number, edit?: (file: string, text: string) => string): string {
  return namesSplit(dir, name, lines, edit);
}

describe('eddy names', () => {
  it('live: the shipped classifier prints the top-3 languages after every character', async () => {
    expect(await main(['names', 'live', '--name', 'Schmidt'])).toBe(0);
    const lines = cli.out.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0].startsWith('S ')).toBe(true);
    expect(lines[6].startsWith('Schmidt ')).toBe(true);
    for (const l of lines) expect(l.match(/\d+\.\d%/g)).toHaveLength(3);
  });

  it('eval on a small split: accuracy well above chance (1/18)', async () => {
    const d = smallSplit('eval', 400);
    expect(await main(['names', 'eval', '--input', d, '--split', 'val', '--out', join(dir, 'cm.png')])).toBe(0);
    const acc = Number(/accuracy ([\d.]+)%/.exec(cli.out)?.[1]);
    expect(acc).toBeGreaterThan(40);
    expect(readFileSync(join(dir, 'cm.png')).subarray(1, 4).toString()).toBe('PNG');
    const seen =
      /names train holds under another language: (\d+) \([\d.]+%\), (\d+) right, (\d+) read as their train language; the other (\d+): accuracy/.exec(
        cli.out,
      );
    expect(seen).not.toBeNull();
    const [count, right, asTrain, others] = (seen as RegExpExecArray).slice(1).map(Number);
    expect(right + asTrain).toBeLessThanOrEqual(count); // right is never the train language
    expect(count + others).toBe(Number(/\((\d+) names\)/.exec(cli.out)?.[1]));
  });

  it('train: a short training on a slice beats the majority class on val', async () => {
    const d = smallSplit('train', 3000);
    const model = join(dir, 'n.safetensors');
    const code = await main([
      'names',
      'train',
      '--input',
      d,
      '--out',
      model,
      '--epochs',
      '3',
      '--average-last',
      '0',
      '--quiet',
    ]);
    expect(code).toBe(0);
    const acc = Number(/val accuracy ([\d.]+)%/.exec(cli.out)?.[1]);
    expect(acc).toBeGreaterThan(55); // Russian, the majority, is about 52% of the sampled val lines
  }, 60_000);

  it('train stops at --minutes after an epoch with a checkpoint, and a rerun resumes from it', async () => {
    const d = smallSplit('resume', 1500);
    const model = join(dir, 'r.safetensors');
    const args = ['names', 'train', '--input', d, '--out', model, '--epochs', '2', '--average-last', '0'];
    expect(await main([...args, '--minutes', '0.0001'])).toBe(0);
    expect(cli.out).toMatch(/after 1 epochs/);
    expect(existsSync(`${model}.ckpt`)).toBe(true);
    cli.out = '';
    cli.err = '';
    expect(await main(args)).toBe(0);
    expect(cli.err).toMatch(/resuming .*r\.safetensors\.ckpt after epoch 1/);
    expect(cli.out).toMatch(/after 2 epochs/);
    expect(existsSync(`${model}.ckpt`)).toBe(false);
  }, 60_000);

  it('train --optimizer adamw --weight-decay shrinks the weights and records the setting', async () => {
    const d = smallSplit('decay', 800);
    const quick = ['--input', d, '--epochs', '2', '--hidden', '16', '--embedding', '8', '--average-last', '0'];
    const norm = (file: string): number => {
      const m = loadNamesClassifier(file).members[0].model;
      return Math.hypot(...m.param('rnn.weight_hh_l0'));
    };
    const plain = join(dir, 'plain.safetensors');
    const decayed = join(dir, 'decayed.safetensors');
    expect(await main(['names', 'train', ...quick, '--optimizer', 'adamw', '--out', plain, '--quiet'])).toBe(0);
    expect(
      await main(['names', 'train', ...quick, '--optimizer', 'adamw', '--weight-decay', '1', '--out', decayed]),
    ).toBe(0);
    expect(cli.err).toMatch(/adamw lr 0\.003 weight decay 1, batch 32/);
    expect(JSON.parse(readSafetensors(decayed).metadata['eddy.names.settings'])).toMatchObject({
      optimizer: 'adamw',
      weightDecay: 1,
    });
    // decoupled decay multiplies W by (1 - lr) at each of 50 updates (lr 0.003 decaying to 0.0003): about 7% smaller
    expect(norm(decayed)).toBeLessThan(0.97 * norm(plain));
  }, 60_000);

  it('train --embedding-dropout drops the embedded letters in training, records it, and needs an embedding', async () => {
    const d = smallSplit('embdrop', 600);
    const quick = ['--input', d, '--epochs', '1', '--hidden', '16', '--embedding', '8', '--average-last', '0'];
    const plain = join(dir, 'ed-plain.safetensors');
    const dropped = join(dir, 'ed-dropped.safetensors');
    expect(await main(['names', 'train', ...quick, '--out', plain, '--quiet'])).toBe(0);
    expect(await main(['names', 'train', ...quick, '--embedding-dropout', '0.3', '--out', dropped])).toBe(0);
    expect(cli.err).toMatch(/embedding 8 \(dropout 0\.3\), adam/);
    expect(JSON.parse(readSafetensors(dropped).metadata['eddy.names.settings'])).toMatchObject({
      embeddingDropout: 0.3,
    });
    const a = loadNamesClassifier(plain).members[0].model;
    const b = loadNamesClassifier(dropped).members[0].model;
    expect(b.config.embeddingDropout).toBe(0.3);
    // same seed, same batches: only the masks differ, so the trained weights do
    expect(Array.from(b.param('rnn.weight_hh_l0'))).not.toEqual(Array.from(a.param('rnn.weight_hh_l0')));
    cli.err = '';
    expect(await main(['names', 'train', '--input', d, '--preset', 'anchor', '--embedding-dropout', '0.3'])).toBe(2);
    expect(cli.err).toMatch(/--embedding-dropout: needs an embedding/);
  }, 60_000);

  it('train --bidirectional --layers 2: a stacked bidirectional model that eval and live read', async () => {
    const d = smallSplit('stacked', 600);
    const out = join(dir, 'bi2.safetensors');
    const args = ['--input', d, '--epochs', '1', '--hidden', '12', '--embedding', '8', '--average-last', '0'];
    expect(
      await main(['names', 'train', ...args, '--bidirectional', '--layers', '2', '--dropout', '0.2', '--out', out]),
    ).toBe(0);
    expect(cli.err).toMatch(/bidirectional 2-layer gru 12, embedding 8, adam/);
    const c = loadNamesClassifier(out);
    const m = c.members[0].model;
    expect(m.config.numLayers).toBe(2);
    expect(m.config.dropout).toBe(0.2);
    expect(readSafetensors(out).tensors.get('rnn.weight_ih_l1_reverse')?.shape).toEqual([36, 24]);
    cli.out = '';
    expect(await main(['names', 'eval', '--model', out, '--input', d, '--split', 'val'])).toBe(0);
    expect(cli.out).toMatch(/accuracy [\d.]+%/);
    cli.out = '';
    expect(await main(['names', 'live', '--model', out, '--name', 'Nguyen'])).toBe(0);
    const lines = cli.out.trim().split('\n');
    expect(lines).toHaveLength(6);
    // live re-reads the prefix for a stacked member: after the last letter it says what batched inference says
    const p = classifyNames(c, ['Nguyen']).probs;
    const top = Math.max(...p);
    expect(lines[5]).toContain(`${c.languages[p.indexOf(top)]} ${(100 * top).toFixed(1)}%`);
  }, 60_000);

  it('ensemble: two quick members (one reading right to left) packed into one file that eval and live read', async () => {
    const d = smallSplit('ensemble', 1500);
    const quick = ['--input', d, '--epochs', '1', '--hidden', '16', '--embedding', '8', '--quiet'];
    const a = join(dir, 'ea.safetensors');
    const b = join(dir, 'eb.safetensors');
    expect(await main(['names', 'train', ...quick, '--out', a])).toBe(0);
    expect(await main(['names', 'train', ...quick, '--out', b, '--reverse', '--seed', '2'])).toBe(0);
    cli.out = '';
    const e = join(dir, 'e.safetensors');
    const packed = await main([
      'names',
      'ensemble',
      '--input',
      d,
      '--members',
      `${a},${b}`,
      '--out',
      e,
      '--dtype',
      'f16',
    ]);
    expect(packed).toBe(0);
    expect(cli.out).toMatch(/eb\.safetensors \(right to left\): val accuracy/);
    expect(cli.out).toMatch(/e\.safetensors: an ensemble of 2 \(f16 weights\), val accuracy [\d.]+%/);
    cli.out = '';
    expect(await main(['names', 'eval', '--model', e, '--input', d, '--split', 'val'])).toBe(0);
    expect(cli.out).toMatch(/\(ensemble of 2\) on .*val\.tsv/);
    // --dtype i8: the val score printed and recorded is the written file's own (eval of the file gives it)
    const e8 = join(dir, 'e8.safetensors');
    cli.out = '';
    expect(
      await main(['names', 'ensemble', '--input', d, '--members', `${a},${b}`, '--out', e8, '--dtype', 'i8']),
    ).toBe(0);
    const printed = /e8\.safetensors: an ensemble of 2 \(i8 weights\), val accuracy ([\d.]+)%, macro-F1 ([\d.]+)/.exec(
      cli.out,
    );
    expect(printed, cli.out).not.toBeNull();
    const recorded = JSON.parse(readSafetensors(e8).metadata['eddy.names.val']) as {
      accuracy: number;
      macroF1: number;
    };
    expect((100 * recorded.accuracy).toFixed(2)).toBe(printed?.[1]);
    expect([...readSafetensors(e8).tensors.values()].some((t) => t.dtype === 'I8')).toBe(true);
    cli.out = '';
    expect(await main(['names', 'eval', '--model', e8, '--input', d, '--split', 'val'])).toBe(0);
    expect(cli.out).toContain(`accuracy ${printed?.[1]}%, macro-F1 ${printed?.[2]}`);
    // an ensemble packed again passes on its members' provenance (files and run settings), not its own file name
    const members = (file: string) =>
      JSON.parse(readSafetensors(file).metadata['eddy.names.members']) as { file: string; settings: string }[];
    const again = join(dir, 'e9.safetensors');
    expect(await main(['names', 'ensemble', '--input', d, '--members', e8, '--out', again, '--dtype', 'i8'])).toBe(0);
    expect(members(again).map((m) => m.file)).toEqual([a, b]);
    expect(members(again).map((m) => (m as { seed?: number }).seed)).toEqual([1, 2]); // --seed 2 for b
    expect(JSON.parse(members(again)[1].settings).reverse).toBe(1);
    cli.out = '';
    expect(await main(['names', 'live', '--model', e, '--name', 'Nguyen'])).toBe(0);
    const lines = cli.out.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l.match(/\d+\.\d%/g)).toHaveLength(3);
    // live (recurrent for the forward member, re-reading for the reversed one) ends where batched inference does
    const c = loadNamesClassifier(e);
    const p = classifyNames(c, ['Nguyen']).probs;
    const top = Math.max(...p);
    expect(lines[5]).toContain(`${c.languages[p.indexOf(top)]} ${(100 * top).toFixed(1)}%`);
    cli.err = '';
    expect(await main(['names', 'ensemble', '--input', d, '--members', ' , ', '--out', e])).toBe(2);
    expect(cli.err).toMatch(/--members: expected one or more model files/);
  }, 60_000);

  it('refuses an unknown language, a line without a tab and an empty file: one line naming file and line', async () => {
    const klingon = smallSplit('klingon', 1500, (f, t) => (f === 'val' ? `${t}Worf\tKlingon\n` : t));
    expect(await main(['names', 'train', '--input', klingon, '--out', join(dir, 'k.safetensors')])).toBe(2);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err).toMatch(/val\.tsv line \d+: unknown language "Klingon"/);
    cli.err = '';
    const noTab = smallSplit('notab', 1500, (f, t) => (f === 'test' ? `Smith English\n${t}` : t));
    expect(await main(['names', 'eval', '--input', noTab])).toBe(2);
    expect(cli.err).toMatch(/test\.tsv line 1: no tab/);
    cli.err = '';
    const empty = smallSplit('empty', 1500, (f, t) => (f === 'train' ? '' : t));
    expect(await main(['names', 'train', '--input', empty, '--out', join(dir, 'e.safetensors')])).toBe(2);
    expect(cli.err).toMatch(/train\.tsv: no names \(the file is empty\)/);
  });
});

describe('seenElsewhere', () => {
  it('counts the names train holds under another language apart, by hand', () => {
    const train = { names: ['Abel', 'Abel', 'Kim', 'Ito'], labels: Int32Array.of(0, 1, 2, 3) };
    // Abel is in train as 0 and 1: under 2 here it counts; Kim under its own language 2 does not; Ito under 1 counts
    const names = ['Abel', 'Kim', 'Ito', 'Novak'];
    const labels = Int32Array.of(2, 2, 1, 4);
    const s = seenElsewhere(train, names, labels, Int32Array.of(1, 2, 1, 0));
    expect(s).toEqual({ count: 2, right: 1, asTrain: 1, others: 2, othersRight: 1 });
  });
});

describe('eddy names generate', () => {
  it('streams names of the vocabulary from the shipped generator', async () => {
    expect(await main(['names', 'generate', '--language', 'Russian', '--count', '5', '--seed', '3'])).toBe(0);
    const names = cli.out.trim().split('\n');
    expect(names).toHaveLength(5);
    const vocab = new Set([...readFileSync(dataPath('seq/splits/names/train.tsv'), 'utf8').replace(/\t.*\n/g, '')]);
    for (const n of names) for (const c of n) expect(vocab.has(c)).toBe(true);
  });

  it('an unknown language is one line and exit code 2', async () => {
    expect(await main(['names', 'generate', '--language', 'Klingon'])).toBe(2);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err).toMatch(/unknown language "Klingon" \(known: Arabic, /);
  });

  it('an empty --name for names live is one line and exit code 2', async () => {
    expect(await main(['names', 'live', '--name', ' '])).toBe(2);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err).toMatch(/--name: expected a name of at least one character but received " "/);
  });
});

describe('eddy sentiment cv', () => {
  it('one fold, unidirectional and bidirectional: both beat chance, the fold file resumes only the same settings', async () => {
    const folds = dataPath('seq/splits/sentiment_folds.tsv');
    const data = dataPath('seq/sentiment/amazon_cells_labelled.txt').replace(/\/[^/]+$/, '');
    const out = join(dir, 'cv.json');
    const args = ['sentiment', 'cv', '--input', folds, '--data', data, '--folds', '1', '--epochs', '2', '--out', out];
    expect(await main(args)).toBe(0);
    const uni = /word-level GRU ([\d.]+)% .*bag-of-words logistic regression ([\d.]+)%/.exec(cli.out);
    expect(Number(uni?.[1])).toBeGreaterThan(55); // 300 sentences of two balanced classes: chance is 50%
    expect(Number(uni?.[2])).toBeGreaterThan(70);
    expect(JSON.parse(readFileSync(out, 'utf8')).rows).toHaveLength(1);
    cli.out = '';
    cli.err = '';
    expect(await main(args)).toBe(0); // the same settings: the fold is read back, not trained again
    expect(cli.err).toMatch(/resuming .*cv\.json: folds 0 done/);
    expect(cli.out).toContain(`word-level GRU ${uni?.[1]}%`);
    cli.out = '';
    cli.err = '';
    expect(await main([...args, '--bidirectional'])).toBe(0); // other settings: trained afresh
    expect(cli.err).not.toMatch(/resuming/);
    const bi = /word-level bidirectional GRU ([\d.]+)%/.exec(cli.out);
    expect(Number(bi?.[1])).toBeGreaterThan(55);
  }, 60_000);
});
