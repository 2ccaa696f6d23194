/**
 * The `eddy` command line as a user meets it: `--help` for every command, one line and exit code 2 for every bad
 * flag, value or file before any work, flag names (not API option paths) in messages, shipped models by name, the
 * training command's resume and `--init` rules, a closed stdout, and two SIGTERMs while a checkpoint is written.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { commandHelp, runCommand } from '../../pipelines/cli/command.ts';
import { COMMANDS, main } from '../../pipelines/cli/main.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { dataPath, repoRoot } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const corpus = join(dir, 'slice.txt');
writeFileSync(corpus, readFileSync(dataPath('sonnets.txt'), 'utf8').slice(0, 20_000));

const cli = captureCli();

/** Runs `eddy <argv>` in this process; returns the exit code. */
async function eddy(...argv: string[]): Promise<number> {
  return main(argv);
}

/**
 * Runs `eddy <command> <flags>` as `main` does, and also says whether the command reached `ctx.begin()`, where
 * its work (training, decoding, benchmarking) starts after the inputs are checked.
 */
async function eddyWatched(name: string, ...argv: string[]): Promise<{ code: number; begun: boolean }> {
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) throw new Error(`no command ${name}`);
  const { command } = await entry.load();
  let begun = false;
  const watched = {
    ...command,
    run: (f: Parameters<typeof command.run>[0], ctx: Parameters<typeof command.run>[1]) =>
      command.run(f, {
        ...ctx,
        begin: () => {
          begun = true;
          ctx.begin();
        },
      }),
  };
  return { code: await runCommand(watched, argv), begun };
}

describe('eddy --help', () => {
  it('lists every command; every command has --help with each flag, its default and meaning', async () => {
    expect(await eddy('--help')).toBe(0);
    for (const c of COMMANDS) expect(cli.out).toContain(c.name);
    for (const c of COMMANDS) {
      const { command } = await c.load();
      const help = commandHelp(command);
      expect(help).toMatch(new RegExp(`^eddy ${command.name}: `));
      for (const flag of Object.keys(command.flags)) expect(help).toContain(`--${flag}`);
      expect(help).toContain('--quiet');
    }
    cli.out = '';
    expect(await eddy('train', '--help')).toBe(0);
    expect(cli.out).toMatch(/--hidden N\s+hidden units per layer \[default: 256\]/);
    expect(cli.out).toMatch(/--out PATH\s+training checkpoint .*\[default: runs\/charlm\.safetensors\]/);
  });

  it('an unknown command is one line and exit code 2', async () => {
    expect(await eddy('trian')).toBe(2);
    expect(cli.err).toBe('eddy: unknown command "trian" (see eddy --help)\n');
  });
});

describe('bad flags: one line naming the flag, expected and received, exit code 2, before any work', () => {
  const cases: [string[], RegExp][] = [
    [
      ['generate', '--length', 'abc'],
      /^eddy generate: --length: expected an integer in \[0, 10000000\] but received "abc"$/,
    ],
    [['generate', '--temperature', '0'], /--temperature: expected a number > 0 but received "0"/],
    [
      ['generate', '--model', 'nope'],
      /--model: expected a model file or a shipped model's name \(.*shakespeare.*\) but received "nope"/,
    ],
    [['generate', '--bogus'], /unknown flag --bogus/],
    [['generate', '--backend', 'gpu'], /--backend: expected one of auto, native, wasm, js but received "gpu"/],
    [['generate', 'extra'], /unexpected argument "extra"/],
    [['train'], /--input: expected a file path or an http\(s\) URL \(the corpus.*\) but received none/],
    [
      ['train', '--input', join(dir, 'missing.txt')],
      /--input: expected an existing file .*missing\.txt does not exist/,
    ],
    [['train', '--input', corpus, '--steps', '1.5'], /--steps: expected an integer >= 1 but received "1\.5"/],
    [['train', '--input', corpus, '--hidden', '0'], /--hidden: expected an integer in \[1, 8192\] but received "0"/],
    [['train', '--input', corpus, '--lr'], /--lr: expected a value but received none/],
    [
      ['train', '--input', 'ftp://example.com/x.txt'],
      /--input: expected a file path or an http\(s\) URL but received "ftp/,
    ],
    [['eval', '--val-fraction', '2'], /--val-fraction: expected a number in \[0, 0\.9\] but received "2"/],
    [['budget', '--minutes', 'ten'], /--minutes: expected a number > 0 but received "ten"/],
    [['export'], /--input: expected a file path \(training checkpoint.*\) but received none/],
    [['export', '--input', corpus, '--out', dir], /--out: expected a file path \(this is a directory\)/],
    [['label', '--input', join(dir, 'none.mpg')], /--input: expected an existing video file but received/],
    [['label', '--input', 'x.mpg', '--align', join(dir, 'none.align')], /--align: expected an existing file/],
    [['label', '--input', 'x.mpg', '--max-lag=-1'], /--max-lag: expected a number >= 0 but received "-1"/],
    [['label', '--input', corpus, '--align', corpus], /Malformed line 1 in GRID alignment/],
    [['label', '--input', 'x.mpg', '--max-lag', '-1'], /--max-lag: expected a value but received another flag/],
    [['generate', '--greedy=yes'], /--greedy: expected no value \(it is a switch\)/],
    [['video-train', '--epochs', 'abc'], /--epochs: expected an integer >= 1 but received "abc"/],
    [['video-train', '--size', '90by72'], /--size: expected WxH \(e\.g\. 90x72\) but received "90by72"/],
    [['video-train', '--data', join(dir, 'nope')], /--data: expected an existing directory/],
    [
      ['video-digits', '--features', 'colour'],
      /--features: expected one of pixels, motion, both but received "colour"/,
    ],
    [['video-digits', '--size', '20'], /--size: expected an integer in \[28, 512\] but received "20"/],
    [['video-bench', '--runs', '0'], /--runs: expected an integer >= 1 but received "0"/],
    [['bench', '--only', 'W9'], /--only: expected workloads among W1, .* but received "W9"/],
  ];
  it.each(cases)('eddy %j', async (argv, message) => {
    const { code, begun } = await eddyWatched(argv[0], ...argv.slice(1));
    expect(code).toBe(2);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err.trim()).toMatch(message);
    expect(cli.out).toBe('');
    expect(begun).toBe(false); // refused before any training, decoding or benchmarking started
  });

  it('the watch sees a command begin its work (so that begun false above means something)', async () => {
    expect(await eddyWatched('generate', '--model', 'shakespeare', '--length', '5', '--quiet')).toEqual({
      code: 0,
      begun: true,
    });
  });

  it('a library error about an option names the flag the user typed', async () => {
    // --schedule cosine needs a step count: the library's message names options.maxSteps, the CLI --steps
    expect(await eddy('train', '--input', corpus, '--out', join(dir, 'c.safetensors'), '--schedule', 'cosine')).toBe(2);
    expect(cli.err).toMatch(/for --steps but received undefined/);
    expect(cli.err).not.toMatch(/options\./);
  });
});

describe('shipped models by name', () => {
  it('generate --model shakespeare and generate --list', async () => {
    expect(await eddy('generate', '--model', 'shakespeare', '--length', '30', '--seed', '1', '--quiet')).toBe(0);
    expect(cli.out.length).toBeGreaterThan(30);
    cli.out = '';
    expect(await eddy('generate', '--list')).toBe(0);
    expect(cli.out).toMatch(/shakespeare\s+6\.\d+ MB\s+1\.4296 nats\/char/);
    expect(cli.out).toMatch(/video-grid/);
  });
});

describe('eddy train', () => {
  const small = ['--hidden', '24', '--layers', '1', '--window', '16', '--batch', '8', '--eval-every', '5'];
  const common = ['--sample-every', '0', '--no-plot', '--quiet'];

  it('records the corpus; refuses to resume with a different architecture, naming the flags', async () => {
    const ck = join(dir, 'arch.safetensors');
    expect(await eddy('train', '--input', corpus, '--out', ck, '--steps', '3', ...small, ...common)).toBe(0);
    expect(loadCheckpoint<{ corpus: string }>(ck).extra.corpus).toBe(corpus);
    cli.err = '';
    const code = await eddy(
      'train',
      '--input',
      corpus,
      '--out',
      ck,
      '--steps',
      '6',
      ...small,
      '--hidden',
      '32',
      '--lr',
      '0.01',
      ...common,
    );
    expect(code).toBe(2);
    expect(cli.err).toMatch(
      /Cannot resume .*arch\.safetensors with --hidden 32 \(the checkpoint's: 24\), --lr 0\.01 \(the checkpoint's: 0\.002\)/,
    );
    expect(cli.err).not.toMatch(/options\./);
    // the same flags resume
    expect(await eddy('train', '--input', corpus, '--out', ck, '--steps', '6', ...small, ...common)).toBe(0);
    expect(loadCheckpoint<{ step: number }>(ck).extra.step).toBe(6);
  });

  it('--init takes the architecture and vocabulary from the model file; a differing flag is refused', async () => {
    const ck = join(dir, 'first.safetensors');
    const model = join(dir, 'first-model.safetensors');
    expect(await eddy('train', '--input', corpus, '--out', ck, '--steps', '2', ...small, ...common)).toBe(0);
    expect(await eddy('export', '--input', ck, '--out', model, '--quiet')).toBe(0);
    const ck2 = join(dir, 'second.safetensors');
    expect(
      await eddy('train', '--input', corpus, '--out', ck2, '--init', model, '--steps', '2', '--batch', '8', ...common),
    ).toBe(0);
    const second = loadCheckpoint(ck2);
    expect(second.model.config.hiddenSize).toBe(24);
    expect(second.model.config.numLayers).toBe(1);
    cli.err = '';
    expect(
      await eddy(
        'train',
        '--input',
        corpus,
        '--out',
        join(dir, 'third.safetensors'),
        '--init',
        model,
        '--hidden',
        '64',
        ...common,
      ),
    ).toBe(2);
    expect(cli.err).toMatch(/Cannot start from .*first-model\.safetensors with --hidden 64 \(.*: 24\)/);
  });
});

/** Spawns `eddy` from the sources (tsx), as `npm run` does without a build. */
function spawnEddy(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'pipelines/eddy.ts'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('processes', () => {
  it('a closed stdout (eddy generate | head -c 60) ends quietly with exit code 0', async () => {
    const child = spawnEddy(['generate', '--length', '100000', '--seed', '2']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let got = 0;
    child.stdout.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= 60) child.stdout.destroy(); // what head does after 60 bytes
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });

  it('SIGTERM twice (as npm run and timeout send it) still writes the final checkpoint, then exits 0', async () => {
    const ck = join(dir, 'sigterm.safetensors');
    const child = spawnEddy([
      'train',
      '--input',
      corpus,
      '--out',
      ck,
      '--steps',
      '100000',
      '--hidden',
      '256',
      '--val-fraction', // a long validation after the first signal: time for the second to arrive
      '0.5',
      '--checkpoint-every',
      '1000000',
      '--sample-every',
      '0',
      '--no-plot',
      '--json',
    ]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let lastStep = 0;
    // the second signal goes once the first is handled, while the last update, validation and checkpoint run
    // (two signals sent at once may be merged into one by the kernel)
    let second = false;
    child.stderr.on('data', () => {
      if (!second && /stopping after this update/.test(stderr)) {
        second = true;
        child.kill('SIGTERM');
      }
    });
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n').filter(Boolean))
          lastStep = (JSON.parse(line) as { step: number }).step;
        if (lastStep >= 3 && !child.killed) {
          child.kill('SIGTERM');
          resolve();
        }
      });
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/SIGTERM: stopping after this update/);
    // (the second signal's note may not show: it is handled once the synchronous checkpoint write is done; what
    // matters is that it did not kill the process, as the default action of a second SIGTERM would)
    expect(stderr).toMatch(/stopped \(signal\)/);
    expect(existsSync(ck)).toBe(true);
    expect(loadCheckpoint<{ step: number }>(ck).extra.step).toBeGreaterThanOrEqual(lastStep);
  });
});

describe('runCommand', () => {
  it('an error thrown while working is exit code 1 and one line', async () => {
    const { command } = await import('../../pipelines/charlm/eval.ts');
    // a model whose vocabulary does not cover the text: found while working (after begin)
    const text = join(dir, 'euro.txt');
    writeFileSync(text, '€'.repeat(5000));
    expect(await runCommand(command, ['--input', text])).toBe(1);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err).toMatch(/^eddy eval: .*€/);
  });
});
