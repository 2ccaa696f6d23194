/**
 * The PyTorch peer: writes a job (shapes, budgets, eddy's weights, check inputs) to a temporary folder, runs
 * `torch_bench.py` under Debian's `/usr/bin/python3` as a child process, and turns its JSON lines into table rows.
 * Absent torch (or python) is a note in the footer, not a failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDir } from './tfApi.ts';
import { compareProbs, compareTrain, metricValue, type CaseResult, type Golden } from './results.ts';
import { maxAbsDiff, type Timing } from './timing.ts';
import { CHECK_STEPS, checkSlice, metricOf, streamData, trainData, type Budget, type Spec } from './workloads.ts';

/** Debian's python, where `apt-get install python3-torch` puts torch (not the first python3 on PATH). */
export const TORCH_PYTHON = '/usr/bin/python3';

const here = benchDir;

/** What the torch run produced. */
export interface TorchRun {
  readonly rows: CaseResult[];
  /** Footer lines: version, threads, BLAS, or why torch did not run. */
  readonly notes: string[];
  /** Check failures (a peer computing something else than eddy). */
  readonly failures: string[];
}

interface Line {
  kind: 'info' | 'check' | 'result' | 'error';
  workload?: string;
  [key: string]: unknown;
}

/** Runs every spec on torch; `killAfterS` bounds the whole child process. */
export async function runTorch(
  specs: readonly Spec[],
  goldens: ReadonlyMap<string, Golden>,
  budgets: readonly Budget[],
  killAfterS: number,
): Promise<TorchRun> {
  if (!existsSync(TORCH_PYTHON))
    return { rows: [], notes: [`torch: skipped, ${TORCH_PYTHON} not found`], failures: [] };
  const dir = mkdtempSync(join(tmpdir(), 'eddy-bench-'));
  try {
    const workloads = specs.map((spec, k) => {
      const g = goldens.get(spec.id)!;
      const entries: Record<string, { shape: readonly number[]; offset: number; size: number }> = {};
      let offset = 0;
      for (const [name, p] of Object.entries(g.params)) {
        entries[name] = { shape: p.shape, offset, size: p.data.length };
        offset += p.data.length;
      }
      const flat = new Float32Array(offset);
      for (const [name, p] of Object.entries(g.params)) flat.set(p.data, entries[name].offset);
      const paramsFile = `${spec.id}.f32`;
      writeFileSync(join(dir, paramsFile), flat);
      const common = {
        ...spec,
        budget: budgets[k],
        params: entries,
        paramsFile,
        paramsSize: offset,
        checkSteps: CHECK_STEPS,
      };
      if (spec.kind === 'train') {
        const data = trainData(spec);
        const slice = checkSlice(spec);
        const check = trainData(slice);
        return {
          ...common,
          ids: data.map((w) => Array.from(w.ids)),
          targets: data.map((w) => Array.from(w.targets)),
          check: {
            T: slice.T,
            B: slice.B,
            ids: check.map((w) => Array.from(w.ids)),
            targets: check.map((w) => Array.from(w.targets)),
          },
        };
      }
      const { ids, frames } = streamData(spec);
      return { ...common, ids: Array.from(ids), frames: frames.map((f) => Array.from(f)) };
    });
    const jobPath = join(dir, 'job.json');
    writeFileSync(jobPath, JSON.stringify({ threads: 2, workloads }));
    const lines = await runChild([join(here, 'torch_bench.py'), jobPath], killAfterS);
    return collect(lines.out, specs, goldens, lines.error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawns the script; stderr is passed through as progress; stdout lines are parsed. */
function runChild(args: string[], killAfterS: number): Promise<{ out: Line[]; error: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(TORCH_PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Line[] = [];
    let buf = '';
    let error: string | null = null;
    const timer = setTimeout(() => {
      error = `killed after ${killAfterS} s`;
      child.kill('SIGKILL');
    }, killAfterS * 1000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === '') continue;
        try {
          out.push(JSON.parse(line) as Line);
        } catch {
          process.stderr.write(`torch (stdout): ${line}\n`);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('error', (err) => {
      error = err.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && error === null) error = `exit code ${code}`;
      resolve({ out, error });
    });
  });
}

function collect(
  lines: Line[],
  specs: readonly Spec[],
  goldens: ReadonlyMap<string, Golden>,
  childError: string | null,
): TorchRun {
  const notes: string[] = [];
  const failures: string[] = [];
  const rows: CaseResult[] = [];
  const info = lines.find((l) => l.kind === 'info');
  if (info?.available !== true) {
    notes.push(
      `torch: skipped, ${info ? String(info.reason) : `no answer from ${TORCH_PYTHON} torch_bench.py${childError ? ` (${childError})` : ''}`}; apt-get install -y python3-torch`,
    );
    return { rows, notes, failures };
  }
  const blas = info.blas as { built: string; libs: string[]; kind: string };
  notes.push(
    `torch ${String(info.version)}: ${String(info.threads)} threads, BLAS_INFO=${blas.built}, BLAS loaded: ${blas.kind}${blas.libs.length ? ` (${blas.libs.join(', ')})` : ''}`,
  );
  if (childError) notes.push(`torch: ${childError}`);
  for (const spec of specs) {
    const g = goldens.get(spec.id)!;
    const err = lines.find((l) => l.kind === 'error' && l.workload === spec.id);
    const chk = lines.find((l) => l.kind === 'check' && l.workload === spec.id);
    const res = lines.find((l) => l.kind === 'result' && l.workload === spec.id);
    let check = 'none';
    if (chk) {
      check =
        spec.kind === 'train'
          ? compareTrain(g, chk.loss0 as number, chk.gradNorm0 as number, chk.loss1 as number)
          : compareProbs(g, Float32Array.from(chk.probs as number[]), maxAbsDiff);
      if (check.startsWith('FAIL')) failures.push(`${spec.id} torch: ${check}`);
    }
    if (res) {
      const t: Timing = {
        median: res.median as number,
        n: res.n as number,
        warmup: res.warmup as number,
        cut: res.cut as boolean,
      };
      rows.push({
        workload: spec.id,
        impl: 'torch',
        family: 'peer',
        metric: metricOf(spec),
        value: metricValue(spec, t),
        secondsPerStep: t.median,
        n: t.n,
        warmup: t.warmup,
        cut: t.cut,
        check,
      });
    } else {
      const why = err ? String(err.message) : 'no result';
      rows.push({
        workload: spec.id,
        impl: 'torch',
        family: 'peer',
        metric: metricOf(spec),
        value: NaN,
        secondsPerStep: NaN,
        n: 0,
        warmup: 0,
        cut: false,
        check,
        note: why,
      });
      if (err) failures.push(`${spec.id} torch: ${why}`);
    }
  }
  return { rows, notes, failures };
}
