/**
 * Finding Debian's PyTorch for the tests that talk to it. CI installs python3-torch, so there a missing torch
 * is a failure with a clear message; on a developer machine without it those tests are skipped.
 */
import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';
export const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch && process.env.CI) {
  throw new Error(`${PYTHON} cannot import torch under CI: .ci/run must install Debian's python3-torch`);
}
export const torchSkipNote = hasTorch
  ? ''
  : ' [skipped: /usr/bin/python3 cannot import torch; apt-get install -y python3-torch]';

/** Runs a python script file with arguments; returns stdout, throws with stderr on failure. */
export function runPython(script: string, args: string[]): string {
  const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python ${script} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
