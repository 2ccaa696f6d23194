/**
 * Time to first character of `eddy generate` (what `npm start` runs), from process start, and the rate at which the
 * text then streams: the median of a few runs of the compiled CLI (`dist/pipelines/eddy.js`, as `npm start` runs it
 * when dist/ is fresh). A line for the bench's footer; the goal is under 2 s and at least 200 characters/s.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled CLI, from the sources' folder or from dist's. */
function compiledCli(): string | undefined {
  return [new URL('../../dist/pipelines/eddy.js', import.meta.url), new URL('../eddy.js', import.meta.url)]
    .map((u) => fileURLToPath(u))
    .find((p) => existsSync(p) && p.includes('/dist/pipelines/'));
}

interface StartRun {
  firstMs: number;
  charsPerSecond: number;
}

function once(cli: string, length: number): Promise<StartRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, 'generate', '--length', String(length), '--seed', '1', '--quiet'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let first = -1;
    let chars = 0;
    child.stdout.on('data', (d: Buffer) => {
      if (first < 0 && /\S/.test(d.toString())) first = performance.now();
      chars += d.length;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const end = performance.now();
      if (code !== 0 || first < 0) reject(new Error(`eddy generate exited with ${code}`));
      else resolve({ firstMs: first - t0, charsPerSecond: chars / ((end - first) / 1000) });
    });
  });
}

/** Median time to first character and streaming rate of `eddy generate`, or why it could not be measured. */
export async function measureStartup(runs = 5, length = 2000): Promise<string> {
  const cli = compiledCli();
  if (!cli) return 'npm start: not measured (dist/ is not built; npm run build)';
  const r: StartRun[] = [];
  for (let i = 0; i < runs; i++) r.push(await once(cli, length));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = median(r.map((x) => x.firstMs));
  const rate = median(r.map((x) => x.charsPerSecond));
  return `npm start (eddy generate, shipped model): first character after ${first.toFixed(0)} ms from process start, then ${Math.round(rate).toLocaleString('en-US')} characters/s (median of ${runs} runs of ${length} characters; goal: under 2,000 ms and at least 200 characters/s)`;
}
