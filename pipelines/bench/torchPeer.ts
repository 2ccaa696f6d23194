/**
 * The PyTorch peer's jobs and answers: a job (shapes, budgets, eddy's weights, check inputs) written to a folder
 * for `torch_bench.py`, and its JSON lines turned into table rows (`torchSession.ts` runs the child).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareProbs, compareTrain, metricValue, type CaseResult, type Golden } from './results.ts';
import { maxAbsDiff, type Timing } from './timing.ts';
import {
  CHECK_KEYS,
  CHECK_STEPS,
  CHECK_TICKS,
  checkSlice,
  keyedData,
  metricOf,
  streamData,
  trainData,
  type Budget,
  type Spec,
} from './workloads.ts';

/** Debian's python, where `apt-get install python3-torch` puts torch (not the first python3 on PATH). */
export const TORCH_PYTHON = '/usr/bin/python3';

/** What the torch run produced. */
export interface TorchRun {
  readonly rows: CaseResult[];
  /** Footer lines: version, threads, BLAS, or why torch did not run. */
  readonly notes: string[];
  /** Check failures (a peer computing something else than eddy). */
  readonly failures: string[];
}

export interface Line {
  kind: 'info' | 'check' | 'result' | 'error' | 'done';
  workload?: string;
  [key: string]: unknown;
}

/**
 * Writes a job for `torch_bench.py` into `dir` (a JSON file and each workload's weights beside it).
 * @returns the job file's path
 */
export function writeJob(
  dir: string,
  name: string,
  specs: readonly Spec[],
  goldens: ReadonlyMap<string, Golden>,
  budgets: readonly Budget[],
): string {
  {
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
      if (spec.kind === 'keyed') {
        const ticks = keyedData(spec);
        return {
          ...common,
          tickKeys: ticks.map((t) => Array.from(t.keys)),
          tickIds: ticks.map((t) => Array.from(t.ids)),
          checkKeys: CHECK_KEYS,
          checkTicks: CHECK_TICKS,
        };
      }
      const { ids, frames } = streamData(spec);
      return { ...common, ids: Array.from(ids), frames: frames.map((f) => Array.from(f)) };
    });
    const jobPath = join(dir, `${name}.json`);
    writeFileSync(jobPath, JSON.stringify({ threads: 2, workloads }));
    return jobPath;
  }
}

/** The footer line of the child's info line: version, threads, BLAS; or why torch is not available. */
export function infoNote(info: Line | undefined, childError: string | null): { ok: boolean; note: string } {
  if (info?.available !== true)
    return {
      ok: false,
      note: `torch: skipped, ${info ? String(info.reason) : `no answer from ${TORCH_PYTHON} torch_bench.py${childError ? ` (${childError})` : ''}`}; apt-get install -y python3-torch`,
    };
  const blas = info.blas as { built: string; libs: string[]; kind: string };
  return {
    ok: true,
    note: `torch ${String(info.version)}: ${String(info.threads)} threads, BLAS_INFO=${blas.built}, BLAS loaded: ${blas.kind}${blas.libs.length ? ` (${blas.libs.join(', ')})` : ''}`,
  };
}

/** The rows of one job's answer lines (a row with a note for each case without a result). */
export function collect(lines: Line[], specs: readonly Spec[], goldens: ReadonlyMap<string, Golden>): TorchRun {
  const notes: string[] = [];
  const failures: string[] = [];
  const rows: CaseResult[] = [];
  for (const spec of specs) {
    for (const impl of spec.kind === 'keyed' && spec.perKey ? ['torch', 'torch-per-key'] : ['torch']) {
      const r = collectCase(lines, spec, impl, goldens.get(spec.id)!);
      rows.push(r.row);
      failures.push(...r.failures);
    }
  }
  return { rows, notes, failures };
}

/** The row of one (workload, torch loop): its check against eddy's golden values and its timing. */
function collectCase(lines: Line[], spec: Spec, impl: string, g: Golden): { row: CaseResult; failures: string[] } {
  const failures: string[] = [];
  const mine = (l: Line): boolean => l.workload === spec.id && (l.impl ?? 'torch') === impl;
  const err = lines.find((l) => l.kind === 'error' && l.workload === spec.id);
  const chk = lines.find((l) => l.kind === 'check' && mine(l));
  const res = lines.find((l) => l.kind === 'result' && mine(l));
  let check = 'none';
  if (chk) {
    check =
      spec.kind === 'train'
        ? compareTrain(g, chk.loss0 as number, chk.gradNorm0 as number, chk.loss1 as number)
        : compareProbs(g, Float32Array.from(chk.probs as number[]), maxAbsDiff);
    if (check.startsWith('FAIL')) failures.push(`${spec.id} ${impl}: ${check}`);
  }
  const base = { workload: spec.id, impl, family: 'peer' as const, metric: metricOf(spec), check };
  if (res) {
    const t: Timing = {
      median: res.median as number,
      n: res.n as number,
      warmup: res.warmup as number,
      cut: res.cut as boolean,
      ...(typeof res.p99 === 'number' ? { p99: res.p99 } : {}),
    };
    return {
      row: {
        ...base,
        value: metricValue(spec, t),
        secondsPerStep: t.median,
        ...(spec.kind === 'keyed' && t.p99 !== undefined ? { p99: t.p99 } : {}),
        n: t.n,
        warmup: t.warmup,
        cut: t.cut,
      },
      failures,
    };
  }
  const why = err ? String(err.message) : 'no result';
  if (err) failures.push(`${spec.id} ${impl}: ${why}`);
  return {
    row: { ...base, value: NaN, secondsPerStep: NaN, n: 0, warmup: 0, cut: false, note: why },
    failures,
  };
}
