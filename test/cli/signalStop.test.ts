/**
 * SIGTERM (or Ctrl-C) during a training command stops it early with its checkpoint written and exit code 0, as the
 * commands promise: the handler runs on the event loop, so each training loop must await between two updates or
 * epochs (`letSignalsIn`). A loop that never yields would run its whole budget (here a million updates or a
 * thousand epochs; `--minutes 0.3` ends it after 18 s instead, with no signal seen: the test fails, not hangs). The signal is emitted in-process, as Node delivers a real one, once the
 * command has installed its handler and had a moment to start.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { loadRamCheckpoint } from '../../src/index.ts';
import { dataPath } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-signal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli();

/** Runs `eddy args` in-process and sends it SIGTERM `afterMs` after it has installed its handler. */
async function stopped(args: string[], afterMs: number): Promise<number> {
  const before = process.listenerCount('SIGTERM');
  let sent = false;
  const timer = setInterval(() => {
    if (sent || process.listenerCount('SIGTERM') <= before) return;
    sent = true;
    setTimeout(() => process.emit('SIGTERM', 'SIGTERM'), afterMs);
  }, 20);
  try {
    return await main(args);
  } finally {
    clearInterval(timer);
    expect(sent, 'the command never installed its SIGTERM handler').toBe(true);
  }
}

/** A split directory of every k-th line of the real names split. */
function namesSplit(lines: number): string {
  const d = join(dir, 'names');
  mkdirSync(d, { recursive: true });
  for (const f of ['train', 'val', 'test']) {
    const all = readFileSync(dataPath(`seq/splits/names/${f}.tsv`), 'utf8')
      .trimEnd()
      .split('\n');
    const step = Math.max(1, Math.floor(all.length / lines));
    writeFileSync(join(d, `${f}.tsv`), `${all.filter((_, i) => i % step === 0).join('\n')}\n`);
  }
  return d;
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
      '--test-count',
      '100',
      '--out',
      out,
      ...tiny,
    ];
    expect(await stopped([...args, '--data', dirname(dataPath('t10k-images-idx3-ubyte.gz'))], 500)).toBe(0);
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
        ['translate', 'train', ...tiny, '--epochs', '1000', '--minutes', '0.3', '--backend', 'js', '--out', out],
        500,
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
      const d = namesSplit(600);
      const out = join(dir, `names-${command}.safetensors`);
      const args = ['names', command, '--input', d, '--out', out, '--epochs', '1000', '--minutes', '0.3', ...extra];
      expect(await stopped(args, 300)).toBe(0);
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
    expect(await stopped(args, 300)).toBe(0);
    expect(cli.err).toMatch(/SIGTERM: stopping after this update/);
    expect(existsSync(`${out}.ckpt`)).toBe(true);
  }, 60_000);
});
