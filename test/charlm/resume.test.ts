/**
 * Resume after kill: a training process killed with SIGKILL after a checkpoint, then resumed, reaches the
 * same loss trajectory (bit for bit) as an uninterrupted run with the same seed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainCharLM } from '../../src/charlm/trainCharLM.ts';
import { dataPath, repoRoot } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const corpus = join(dir, 'slice.txt');
writeFileSync(corpus, readFileSync(dataPath('sonnets.txt'), 'utf8').slice(0, 30_000));

const STEPS = 200;
const args = [
  '--input',
  corpus,
  '--steps',
  String(STEPS),
  '--hidden',
  '64',
  '--layers',
  '2',
  '--dropout',
  '0.1',
  '--window',
  '20',
  '--batch',
  '8',
  '--lr',
  '0.01',
  '--eval-every',
  '25',
  '--max-val-chars',
  '2000',
  '--sample-every',
  '0',
  '--checkpoint-every',
  '10',
  '--seed',
  '5',
  '--no-plot',
];

describe('resume after SIGKILL', () => {
  it('continues exactly as the uninterrupted run', async () => {
    // the uninterrupted run, in this process
    const whole = await trainCharLM({
      corpus,
      checkpoint: join(dir, 'whole.safetensors'),
      maxSteps: STEPS,
      hiddenSize: 64,
      numLayers: 2,
      dropout: 0.1,
      window: 20,
      batch: 8,
      lr: 0.01,
      evalEvery: 25,
      maxValChars: 2000,
      sampleEvery: 0,
      checkpointEvery: 10,
      seed: 5,
      plot: false,
      progress: false,
    });

    // a separate process, killed with SIGKILL once it has written the checkpoint of step 20
    const checkpoint = join(dir, 'killed.safetensors');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'pipelines/eddy.ts'), 'train', ...args, '--out', checkpoint],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    const killedAt = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const last = Math.max(0, ...[...err.matchAll(/checkpoint step (\d+)/g)].map((m) => Number(m[1])));
        if (last >= 20 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          resolve(last);
        }
      });
      child.on('close', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`training exited (${code}) before it was killed: ${err}`));
      });
    });
    await new Promise((r) => child.once('close', r));
    expect(child.signalCode).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(20);
    expect(killedAt).toBeLessThan(STEPS);

    // resume (same flags) until the end
    const resumed = await trainCharLM({
      corpus,
      checkpoint,
      maxSteps: STEPS,
      evalEvery: 25,
      maxValChars: 2000,
      sampleEvery: 0,
      checkpointEvery: 10,
      plot: false,
      progress: false,
    });
    expect(resumed.resumed).toBe(true);
    expect(resumed.steps).toBe(STEPS);
    expect(resumed.history.map((p) => p.trainLoss)).toEqual(whole.history.map((p) => p.trainLoss));
    expect(resumed.history.map((p) => p.valLoss)).toEqual(whole.history.map((p) => p.valLoss));
    // the parameters' own bytes (a wasm backend's params are a view of its whole memory, which holds other state too)
    const bytes = (p: Float32Array): Buffer => Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    expect(bytes(resumed.model.params).equals(bytes(whole.model.params))).toBe(true);
  });
});
