/**
 * One ffmpeg child process with the lifecycle the sources need: spawn with pipes, collect stderr, report how it
 * ended, and kill it for good (SIGKILL, then wait until the OS has reaped it, so its pid is gone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EddyError } from '../util/errors.ts';

/** How the child ended: an exit code, a signal, or a spawn error (binary missing, not executable). */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error: NodeJS.ErrnoException | undefined;
}

/** A running ffmpeg with promises for its end. */
export interface FfmpegChild {
  child: ChildProcess;
  /** Resolves when the process has exited and been reaped (or failed to spawn). */
  exited: Promise<FfmpegExit>;
  /** Resolves after `exited` once stdout and stderr are closed too. */
  closed: Promise<FfmpegExit>;
  /** SIGKILLs the child if it still runs, closes its pipes and waits until it is reaped. Never throws. */
  kill(): Promise<void>;
}

/** Spawns `ffmpegPath` with `args`; stdin is a pipe only when `stdin` is true. */
export function spawnFfmpeg(ffmpegPath: string, args: readonly string[], stdin = false): FfmpegChild {
  const child = spawn(ffmpegPath, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], windowsHide: true });
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<FfmpegExit>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      spawnError ??= err;
      // A spawn failure never emits 'exit'; a later error (kill failed) comes after 'exit' and is harmless.
      if (child.pid === undefined) resolve({ code: null, signal: null, error: err });
    });
    child.once('exit', (code, signal) => resolve({ code, signal, error: undefined }));
  });
  const closed = new Promise<FfmpegExit>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, error: spawnError }));
  });
  // Keep the stdin pipe from crashing the process with EPIPE when ffmpeg dies first; writers see the exit instead.
  child.stdin?.on('error', () => undefined);
  const kill = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
    await exited;
  };
  return { child, exited, closed, kill };
}

/** The error for a binary that could not be started, naming the path and the input it was meant to read. */
export function spawnFailure(err: NodeJS.ErrnoException, ffmpegPath: string, input: string): EddyError {
  const why = err.code === 'ENOENT' ? 'not found' : err.code === 'EACCES' ? 'not executable' : err.message;
  return new EddyError(
    'ERR_SOURCE',
    `Cannot start ffmpeg at ${JSON.stringify(ffmpegPath)} (options.ffmpegPath) for ${JSON.stringify(input)}: ${why}; install ffmpeg (apt-get install ffmpeg) or set options.ffmpegPath`,
    { cause: err },
  );
}
