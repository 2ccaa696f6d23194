/**
 * Finding Debian's PyTorch for the tests that talk to it. CI installs python3-torch, so there a missing torch
 * is a failure with a clear message; on a developer machine without it those tests are skipped.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { RNNModel } from '../../src/model/rnnModel.ts';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.ts';
import { Rng } from '../../src/util/rng.ts';

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

/**
 * Runs an eddy model file (an LSTM over ids, `[T, B]`, zero initial state) through PyTorch with
 * `fixtures/torch_roundtrip.py run` and returns what the script printed (the dtypes of the file's non-float32
 * tensors) and the largest difference between PyTorch's logits and eddy's for the same file and ids.
 */
export function torchRunDifference(
  path: string,
  eddy: RNNModel,
  scratchDir: string,
  T = 6,
  B = 2,
): { printed: string; maxDiff: number } {
  const rng = new Rng(3);
  const x = Int32Array.from({ length: T * B }, () => rng.int(eddy.config.inputSize));
  const state0 = eddy.createState(B);
  const n = [eddy.config.numLayers, B, eddy.config.hiddenSize];
  const io = join(scratchDir, 'torch-in.safetensors');
  const out = join(scratchDir, 'torch-out.safetensors');
  writeSafetensors(io, {
    x: { shape: [T, B], data: x },
    h0: { shape: n, data: state0.h },
    ...(state0.c ? { c0: { shape: n, data: state0.c } } : {}),
  });
  const script = join(import.meta.dirname, '../../fixtures/torch_roundtrip.py');
  const printed = runPython(script, ['run', path, io, out]);
  const ty = readSafetensors(out).tensors.get('y')?.data ?? new Float32Array(0);
  const { y } = eddy.forward(x, { T, B, state: state0 });
  let maxDiff = ty.length === y.length ? 0 : Infinity;
  for (let i = 0; i < y.length && maxDiff < Infinity; i++) maxDiff = Math.max(maxDiff, Math.abs(y[i] - ty[i]));
  return { printed, maxDiff };
}
