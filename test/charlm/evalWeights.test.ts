/**
 * `eddy eval --weights`: the char-LM's validation loss with lower-precision weights (issue 17), and a bad value is
 * one line with exit code 2 before any work.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-evalw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = join(dir, 'slice.txt');
writeFileSync(text, readFileSync(dataPath('tinyshakespeare.txt'), 'utf8').slice(0, 12_000));

const cli = captureCli();

describe('eddy eval --weights', () => {
  it('reports the loss with each precision, close to float32', async () => {
    const loss = async (w: string): Promise<number> => {
      cli.out = '';
      expect(await main(['eval', '--input', text, '--weights', w, '--backend', 'js', '--quiet'])).toBe(0);
      const m = /: ([0-9.]+) nats\/char/.exec(cli.out);
      expect(m, cli.out).not.toBeNull();
      if (w !== 'f32') expect(cli.out).toContain(`(${w} weights)`);
      return Number(m![1]);
    };
    const f32 = await loss('f32');
    expect(Math.abs((await loss('bf16')) - f32)).toBeLessThan(0.01);
    expect(Math.abs((await loss('int8')) - f32)).toBeLessThan(0.02);
  }, 60_000);

  it('a bad value is one line and exit code 2', async () => {
    expect(await main(['eval', '--weights', 'fp8'])).toBe(2);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err).toMatch(/--weights/);
  });
});
