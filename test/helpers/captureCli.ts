/**
 * Captures what in-process CLI runs (`await main([...])`) write to stdout and stderr, for the test files that run
 * eddy's commands without spawning a process. Call it once at the top of a file (or of a `describe`): before each
 * test the text is emptied and `process.stdout.write` / `process.stderr.write` are replaced by spies that append to
 * `out` / `err` (nothing reaches the terminal); after each test the spies are restored.
 *
 * @example
 * const cli = captureCli();
 * it('lists the models', async () => {
 *   expect(await main(['models'])).toBe(0);
 *   expect(cli.out).toMatch(/shakespeare/);
 * });
 */
import { afterEach, beforeEach, vi } from 'vitest';

/** The text written so far in the current test; a test may empty either field itself between two runs. */
export interface CliCapture {
  /** everything written to stdout */
  out: string;
  /** everything written to stderr */
  err: string;
}

/** Registers the capture hooks in the enclosing scope and returns the live capture. */
export function captureCli(): CliCapture {
  const cli: CliCapture = { out: '', err: '' };
  beforeEach(() => {
    cli.out = '';
    cli.err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      cli.out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      cli.err += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());
  return cli;
}
