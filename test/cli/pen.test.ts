/**
 * `eddy pen train` as a user meets it: stopped by --minutes after a generator epoch, it leaves an atomic checkpoint
 * (OUT.ckpt) and no model; a rerun resumes from it (reading back the classifier trained the first time), finishes,
 * writes the model, the grid and the numbers, and removes the checkpoint; the numbers are those of an uninterrupted run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-pen-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli();

describe('eddy pen train', () => {
  it('stops at --minutes after an epoch with a checkpoint, and a rerun resumes from it', async () => {
    const model = join(dir, 'pen.safetensors');
    const args = [
      'pen',
      'train',
      '--input',
      dataPath('seq/onetomany/pendigits.tra'),
      '--out',
      model,
      '--png',
      join(dir, 'grid.png'),
      '--hidden',
      '16',
      '--epochs',
      '2',
      '--classifier-epochs',
      '1',
      '--per-digit',
      '2',
    ];
    expect(await main([...args, '--minutes', '0.0001'])).toBe(0);
    expect(cli.out).toMatch(/stopped after generator epoch 1 of 2; .*pen\.safetensors\.ckpt holds the training/);
    expect(existsSync(`${model}.ckpt`)).toBe(true);
    expect(existsSync(model)).toBe(false);
    expect(existsSync(join(dir, 'pen-classifier.safetensors'))).toBe(true);
    cli.out = '';
    cli.err = '';
    expect(await main(args)).toBe(0);
    expect(cli.err).toMatch(/resuming .*pen\.safetensors\.ckpt after generator epoch 1/);
    expect(cli.out).toMatch(/closed loop: [\d.]+% of 20 generated trajectories/);
    expect(existsSync(model)).toBe(true);
    expect(existsSync(`${model}.ckpt`)).toBe(false);
    expect(readFileSync(join(dir, 'grid.png')).subarray(1, 4).toString()).toBe('PNG');
    // the resumed training is the uninterrupted one: the same held-out NLL and closed loop
    const resumed = cli.out.split('\n').filter((l) => /held-out NLL|closed loop/.test(l));
    cli.out = '';
    const whole = args.map((a) => (a === model ? join(dir, 'whole.safetensors') : a));
    expect(await main(whole)).toBe(0);
    expect(cli.out.split('\n').filter((l) => /held-out NLL|closed loop/.test(l))).toEqual(resumed);
  }, 120_000);
});
