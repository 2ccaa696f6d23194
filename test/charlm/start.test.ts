/**
 * The main job: `npm start` on a clean clone streams Shakespeare-like text from the committed checkpoint. How
 * fast the first character comes is a benchmark's business (`npm run bench` prints it), not a timed test's: CI
 * machines are loaded.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../sources/dataPath.ts';

describe('npm start', () => {
  it('prints generated text', async () => {
    const child = spawn('npm', ['start', '--silent', '--', '--length', '400', '--seed', '1'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, err).toBe(0);
    expect(out.length).toBeGreaterThan(400);
    // it looks like text: mostly letters and spaces, several words
    const letters = out.replace(/[^A-Za-z ]/g, '').length;
    expect(letters / out.length).toBeGreaterThan(0.75);
    expect(out.split(/\s+/).filter((w) => w.length > 1).length).toBeGreaterThan(30);
    expect(err).toMatch(/LSTM/);
  });
});
