/**
 * Output of the benchmark: a text table with one row per (workload, implementation) and, for eddy's rows, the
 * speed ratio against each peer measured in the same run; or one JSON line per row (`--json`).
 */
import type { CaseResult } from './results.ts';
import { SPECS } from './workloads.ts';

/** Speed of `a` relative to `b` (> 1: `a` is faster), from the median step times. */
export function speedRatio(a: CaseResult, b: CaseResult): number {
  return b.secondsPerStep / a.secondsPerStep;
}

/** Peer names in a fixed order, those present in the rows. */
export function peersOf(rows: readonly CaseResult[]): string[] {
  const order = ['tfjs-cpu', 'tfjs-wasm', 'torch'];
  const present = new Set(rows.filter((r) => r.family === 'peer').map((r) => r.impl));
  return [...order.filter((p) => present.has(p)), ...[...present].filter((p) => !order.includes(p))];
}

/** The ratios of one eddy row against each peer of the same workload (NaN where either did not run). */
export function ratiosOf(row: CaseResult, rows: readonly CaseResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of peersOf(rows)) {
    const peer = rows.find((r) => r.workload === row.workload && r.impl === p);
    out[p] = peer && Number.isFinite(peer.value) && Number.isFinite(row.value) ? speedRatio(row, peer) : NaN;
  }
  return out;
}

function fmtMetric(r: CaseResult): string {
  if (!Number.isFinite(r.value)) return '-';
  if (r.metric === 'us/step') return `${r.value.toFixed(r.value < 100 ? 1 : 0)} us/step`;
  const p99 = r.p99 !== undefined ? `, p99 tick ${fmtMs(r.p99)}` : '';
  return `${Math.round(r.value).toLocaleString('en-US')} ${r.metric}${p99}`;
}

/** Seconds as milliseconds with 2-3 significant digits. */
function fmtMs(s: number): string {
  const ms = s * 1000;
  return `${ms.toFixed(ms < 10 ? 2 : ms < 100 ? 1 : 0)} ms`;
}

function fmtPct(x: number | undefined): string {
  return x !== undefined && Number.isFinite(x) ? `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%` : '';
}

function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(x < 10 ? 2 : 1)}x` : '-';
}

/** Rows sorted by workload order, eddy first. */
function sorted(rows: readonly CaseResult[]): CaseResult[] {
  const w = (r: CaseResult): number => SPECS.findIndex((s) => s.id === r.workload);
  return [...rows].sort((a, b) => w(a) - w(b) || (a.family === b.family ? 0 : a.family === 'eddy' ? -1 : 1));
}

/** The text table, with the footer lines under it. */
export function formatTable(rows: readonly CaseResult[], footer: readonly string[]): string {
  const peers = peersOf(rows);
  const header = [
    'workload',
    'implementation',
    'metric (median)',
    'steps',
    'check',
    ...peers.map((p) => `eddy/${p}`),
    'FLOP %',
    'weights %',
  ];
  const body = sorted(rows).map((r) => {
    const ratios = r.family === 'eddy' ? ratiosOf(r, rows) : {};
    return [
      r.workload,
      r.impl,
      fmtMetric(r),
      r.n === 0 ? '-' : `${r.n} (+${r.warmup})${r.cut ? '*' : ''}`,
      r.note ? `${r.check} (${r.note})` : r.check,
      ...peers.map((p) => (r.family === 'eddy' ? fmtRatio(ratios[p]) : '')),
      fmtPct(r.roofline?.flop),
      fmtPct(r.roofline?.weights),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([2, 3, ...peers.map((_, i) => 5 + i), 5 + peers.length, 6 + peers.length]);
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  return [...out, '', ...footer].join('\n');
}

/** One JSON line per row: the metric, its unit, the step count, the check and the ratios for eddy's rows. */
export function formatJson(rows: readonly CaseResult[]): string {
  return sorted(rows)
    .map((r) =>
      JSON.stringify({
        workload: r.workload,
        impl: r.impl,
        metric: r.metric,
        value: Number.isFinite(r.value) ? Number(r.value.toPrecision(6)) : null,
        ...(r.p99 !== undefined ? { p99TickMs: Number((r.p99 * 1000).toPrecision(4)) } : {}),
        ...(r.roofline
          ? {
              roofline: {
                flop: Number.isFinite(r.roofline.flop) ? Number(r.roofline.flop.toFixed(4)) : null,
                weights: Number.isFinite(r.roofline.weights) ? Number(r.roofline.weights.toFixed(4)) : null,
              },
            }
          : {}),
        steps: r.n,
        warmup: r.warmup,
        cut: r.cut,
        check: r.check,
        ...(r.note ? { note: r.note } : {}),
        ...(r.family === 'eddy'
          ? {
              speedup: Object.fromEntries(
                Object.entries(ratiosOf(r, rows)).map(([k, v]) => [
                  k,
                  Number.isFinite(v) ? Number(v.toFixed(3)) : null,
                ]),
              ),
            }
          : {}),
      }),
    )
    .join('\n');
}
