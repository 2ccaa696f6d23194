/**
 * `eddy video-digits` killed (SIGKILL: no handler, no last write) after its first checkpoint, then run again with
 * the same flags: the rerun continues from the checkpoints and prints the results of an uninterrupted run, digit
 * for digit; the checkpoints are removed when the run completes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataDir, repoRoot } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-digits-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `eddy video-digits` with small settings; `killAt` kills it with SIGKILL once that file exists. */
function digits(out: string, killAt?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const flags = ['--data', dataDir, '--out', out, '--limit', '500', '--clips', '120', '--test-clips', '20'];
  const small = ['--size', '28', '--grid', '4', '--hidden', '8', '--epochs', '12', '--backend', 'js'];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'pipelines/eddy.ts'), 'video-digits', ...flags, ...small],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const poll =
    killAt === undefined
      ? null
      : setInterval(() => {
          if (existsSync(killAt)) child.kill('SIGKILL');
        }, 5);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      if (poll !== null) clearInterval(poll);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('eddy video-digits: a killed run resumes', () => {
  it('killed after the first checkpoint, rerun: the results of an uninterrupted run; checkpoints removed', async () => {
    const whole = await digits(join(dir, 'whole.safetensors'));
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toMatch(/hidden, seen before/);

    const out = join(dir, 'killed.safetensors');
    const killed = await digits(out, `${out}.ckpt`);
    expect(killed.code).toBeNull(); // ended by the signal
    expect(killed.stdout).toBe('');
    expect(existsSync(`${out}.ckpt`)).toBe(true);

    const rerun = await digits(out);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/recurrent: epochs 1-\d+ were read from .*killed\.safetensors\.ckpt/);
    expect(rerun.stdout).toBe(whole.stdout);
    expect(existsSync(`${out}.ckpt`)).toBe(false);
    expect(existsSync(`${out}.per-frame.ckpt`)).toBe(false);
    expect(existsSync(out)).toBe(true);
  }, 120_000);
});
