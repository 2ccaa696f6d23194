/**
 * SIGTERM (or Ctrl-C) during a training command stops it early with its checkpoint written and exit code 0, as the
 * commands promise: the handler runs on the event loop, so each training loop must await between two updates or
 * epochs (`letSignalsIn`). A loop that never yields would run its whole budget (here a million updates or a
 * thousand epochs; `--minutes 0.3` ends it after 18 s instead, with no signal seen: the test fails, not hangs).
 * The signal goes once the command has written its first checkpoint (a point in the run, not a delay). The signal is emitted in-process, as Node delivers a real one, once the
 * command has installed its handler.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { loadRamCheckpoint } from '../../src/index.ts';
import { namesSplit } from '../helpers/namesSplit.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-signal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli();

/**
 * Runs `eddy args` in-process and sends it SIGTERM once it has installed its handler and written its first
 * checkpoint (`ckpt`): a point in the run, not a time, so a loaded machine changes nothing but the wait.
 */
async function stopped(args: string[], ckpt: string): Promise<number> {
  const before = process.listenerCount('SIGTERM');
  let sent = false;
  const timer = setInterval(() => {
    if (sent || process.listenerCount('SIGTERM') <= before || !existsSync(ckpt)) return;
    sent = true;
    process.emit('SIGTERM', 'SIGTERM');
  }, 20);
  try {
    return await main(args);
  } finally {
    clearInterval(timer);
    expect(sent, 'the signal was never sent: no handler or no checkpoint while the command ran').toBe(true);
  }
}

describe('SIGTERM stops a training command early, checkpoint written, exit code 0', () => {
  it('ram train (between two updates)', async () => {
    const out = join(dir, 'ram.safetensors');
    const tiny = ['--hidden', '16', '--glimpse-hidden', '8', '--batch', '8', '--backend', 'js'];
    const args = [
      'ram',
      'train',
      '--steps',
      '1000000',
      '--minutes',
      '0.3',
      '--checkpoint-every',
      '1',
      '--test-count',
      '100',
      '--out',
      out,
      ...tiny,
    ];
    expect(
      await stopped([...args, '--data', dirname(dataPath('t10k-images-idx3-ubyte.gz'))], join(dir, 'ram.ckpt')),
    ).toBe(0);
    expect(cli.err).toMatch(/SIGTERM: stopping after this update/);
    const step = loadRamCheckpoint<{ step: number }>(join(dir, 'ram.ckpt')).extra.step;
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(1_000_000);
    expect(cli.out).toMatch(new RegExp(`test error .* ${step} updates of 8`));
  }, 60_000);

  it('translate train (between two batches)', async () => {
    const pairs = join(dir, 'pairs.txt');
    const text = readFileSync(dataPath('seq/translation/eng-fra.head76037.txt'), 'utf8');
    writeFileSync(pairs, `${text.split('\n').slice(0, 1500).join('\n')}\n`);
    const out = join(dir, 'translate.safetensors');
    const tiny = ['--input', pairs, '--embed', '8', '--hidden', '16', '--min-count', '2', '--batch', '8'];
    expect(
      await stopped(
        [
          'translate',
          'train',
          ...tiny,
          '--epochs',
          '1000',
          '--minutes',
          '0.3',
          '--checkpoint-every',
          '5',
          '--backend',
          'js',
          '--out',
          out,
        ],
        out,
      ),
    ).toBe(0);
    expect(cli.err).toMatch(/SIGTERM: stopping after this update/);
    expect(cli.err).toMatch(/stopped after 0 epochs \+ \d+ batches/);
    expect(existsSync(out)).toBe(true);
  }, 60_000);

  for (const [command, extra] of [
    ['train', ['--hidden', '8', '--embedding', '4']],
    ['gen-train', ['--hidden', '8', '--embedding', '4']],
  ] as const) {
    it(`names ${command} (at the end of the epoch)`, async () => {
      const d = namesSplit(dir, 'names', 600);
      const out = join(dir, `names-${command}.safetensors`);
      const args = ['names', command, '--input', d, '--out', out, '--epochs', '1000', '--minutes', '0.3', ...extra];
      expect(await stopped(args, `${out}.ckpt`)).toBe(0);
      expect(cli.err).toMatch(/SIGTERM: stopping after this update/);
      const epochs = (cli.err.match(/: epoch \d+: train/g) ?? []).length; // one line per epoch done
      expect(epochs).toBeGreaterThan(0);
      expect(epochs).toBeLessThan(1000);
      expect(existsSync(`${out}.ckpt`)).toBe(true); // the run did not finish: a rerun resumes
    }, 60_000);
  }

  it('pen train (at the end of a generator epoch)', async () => {
    const out = join(dir, 'pen.safetensors');
    const args = [
      'pen',
      'train',
      '--input',
      dataPath('seq/onetomany/pendigits.tra'),
      '--out',
      out,
      '--png',
      join(dir, 'grid.png'),
      '--hidden',
      '8',
      '--epochs',
      '1000',
      '--minutes',
      '0.3',
      '--classifier-epochs',
      '1',
      '--per-digit',
      '1',
    ];
    expect(await stopped(args, `${out}.ckpt`)).toBe(0);
    expect(cli.err).toMatch(/SIGTERM: stopping after this update/);
    expect(existsSync(`${out}.ckpt`)).toBe(true);
  }, 60_000);
});
