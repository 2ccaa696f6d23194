/**
 * eddy's benchmark suite (`npm run bench`): fixed workloads on every backend eddy exports, each checked against
 * the reference kernels before it is timed, and the same workloads on TensorFlow.js (cpu, wasm) and PyTorch in
 * the same run, from the same weights, checked against eddy's outputs. Prints a table of medians and speed ratios
 * (or JSON lines with `--json`); progress goes to stderr. See README.md beside this file.
 *
 *   eddy bench [--quick] [--only W1,W2] [--json] [--no-tfjs] [--no-torch] [--no-install]   (npm run bench)
 */
import { spawnSync } from 'node:child_process';
import { nativeInfo, nativeProblem, referenceBackend, type Backend } from '../../src/index.ts';
import {
  checkStreamBackend,
  checkTrainBackend,
  discoverBackends,
  goldenStream,
  goldenTrain,
  timeStream,
  timeTrain,
} from './eddyBench.ts';
import { compareProbs, compareTrain, metricValue, type CaseResult, type Golden } from './results.ts';
import { formatJson, formatTable } from './table.ts';
import { benchDir, loadTf, peersInstalled, type Tf } from './tfApi.ts';
import { checkStreamTf, checkTrainTf, timeStreamTf, timeTrainTf } from './tfBench.ts';
import { maxAbsDiff, type Timing } from './timing.ts';
import { runTorch } from './torchPeer.ts';
import { createPlanner } from './planner.ts';
import { measureStartup } from './startup.ts';
import { defineCommand } from '../cli/command.ts';
import { SPECS, metricOf, planOf, selectSpecs, type Spec } from './workloads.ts';

/** Seconds the whole run aims at (issue 7: under 5 minutes), and with --quick. A slow case still gets its fewest steps. */
const TOTAL_S = 255;
const QUICK_S = 75;
/** Seconds the torch child needs besides its timed cases (import torch, checks). */
const TORCH_OVERHEAD_S = 8;

let t0 = performance.now();
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
const progress = (msg: string): void => {
  process.stderr.write(`[${elapsed()}] ${msg}\n`);
};
const stepProgress =
  (label: string) =>
  (done: number, wanted: number): void =>
    progress(`  ${label}: ${done}/${wanted} steps`);

function row(
  spec: Spec,
  impl: string,
  family: CaseResult['family'],
  t: Timing,
  check: string,
  note?: string,
): CaseResult {
  return {
    workload: spec.id,
    impl,
    family,
    metric: metricOf(spec),
    value: metricValue(spec, t),
    secondsPerStep: t.median,
    n: t.n,
    warmup: t.warmup,
    cut: t.cut,
    check,
    ...(note ? { note } : {}),
  };
}

function skippedRow(spec: Spec, impl: string, check: string, note: string): CaseResult {
  return {
    workload: spec.id,
    impl,
    family: 'peer',
    metric: metricOf(spec),
    value: NaN,
    secondsPerStep: NaN,
    n: 0,
    warmup: 0,
    cut: false,
    check,
    note,
  };
}

/** Installs the TensorFlow.js peers from pipelines/bench/package-lock.json (registry only; binaries ship inside). */
function installPeers(): boolean {
  const dir = benchDir;
  progress(`installing the TensorFlow.js peers: npm ci --prefix ${dir} (first run only)`);
  const r = spawnSync('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
  return r.status === 0;
}

export const command = defineCommand({
  name: 'bench',
  summary: "eddy's benchmark suite: fixed workloads on every eddy backend, TensorFlow.js and PyTorch, same run",
  details: 'About 3-4 minutes; see pipelines/bench/README.md. Exits with 1 when a peer disagrees with eddy.',
  flags: {
    quick: { type: 'boolean', description: 'fewer steps (about a minute in all)' },
    only: {
      type: 'custom',
      placeholder: 'LIST',
      expected: `workloads among ${SPECS.map((s) => s.id).join(', ')} (or W2), comma-separated`,
      parse: (v: string) => {
        selectSpecs(v);
        return v;
      },
      description: 'workloads, e.g. W1,W2 (W2 = W2-lstm, W2-gru, W2-rnn) [default: all]',
    },
    json: { type: 'boolean', description: 'one JSON line per (workload, implementation) instead of the table' },
    'no-tfjs': { type: 'boolean', description: 'skip TensorFlow.js' },
    'no-torch': { type: 'boolean', description: 'skip PyTorch' },
    'no-install': { type: 'boolean', description: 'do not install the TensorFlow.js peers when they are missing' },
  },
  async run(values) {
    process.exitCode = await bench(values);
  },
});

async function bench(values: {
  quick: boolean;
  only: string | undefined;
  json: boolean;
  noTfjs: boolean;
  noTorch: boolean;
  noInstall: boolean;
}): Promise<number> {
  t0 = performance.now();
  const quick = values.quick;
  const specs = selectSpecs(values.only);
  const plan = (s: Spec) => planOf(s, quick);
  const footer: string[] = [];
  const failures: string[] = [];
  const rows: CaseResult[] = [];

  const { backends, skipped } = discoverBackends();
  const native = nativeInfo();
  const threads = `js and wasm-simd on 1 thread; wasm-simd-2t splits products of >= 2^20 multiply-adds (streaming steps >= 2^17) with a helper Worker; ${native ? `native (${native.isa}, ${native.vectorFloats} floats a vector) on ${native.threads} thread(s) for products >= 2^22 and streaming steps >= 2^17` : `native addon ${nativeProblem()}`}`;
  footer.push(
    `eddy backends timed: ${backends.map((b) => b.name).join(', ')}${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''} (${threads})`,
  );

  let tf: Tf | null = null;
  let tfBackends: string[] = [];
  if (!values.noTfjs) {
    if (!peersInstalled() && !values.noInstall && !installPeers())
      footer.push('tfjs: install failed (npm ci --prefix pipelines/bench)');
    const load = await loadTf();
    if (load.ok) {
      tf = load.tf;
      tfBackends = load.backends;
      footer.push(
        `tfjs ${tf.version['tfjs-core'] ?? '?'}: backends ${tfBackends.join(', ')}; explicit time loop over tf ops, tf.variableGrads, tf.train.adam`,
        ...load.notes,
      );
    } else footer.push(`tfjs: skipped, ${load.reason}`);
  }

  // Every case that will run, so each gets its weight's share of the time left when it starts.
  const torchOn = !values.noTorch;
  const perSpec = backends.length + tfBackends.length + (torchOn ? 1 : 0);
  const planner = createPlanner(
    quick ? QUICK_S : TOTAL_S,
    specs.flatMap((s) => Array<ReturnType<typeof plan>>(perSpec).fill(plan(s))),
    t0,
  );
  const goldens = new Map<string, Golden>();
  for (const spec of specs) {
    // 1. eddy: every backend against the reference kernels, then golden values for the peers, then timing.
    const checks = new Map<Backend, number>();
    for (const b of backends) {
      progress(`${spec.id} eddy-${b.name}: checking against the reference kernels`);
      checks.set(b, spec.kind === 'train' ? checkTrainBackend(spec, b) : checkStreamBackend(spec, b));
    }
    // What the peers must reproduce: eddy's model on the reference kernels (small: a slice, or the first steps).
    const golden = spec.kind === 'train' ? goldenTrain(spec, referenceBackend) : goldenStream(spec, referenceBackend);
    goldens.set(spec.id, golden);
    for (const b of backends) {
      const impl = `eddy-${b.name}`;
      progress(`${spec.id} ${impl}: timing (${spec.title})`);
      const budget = planner.next(plan(spec));
      const t =
        spec.kind === 'train'
          ? timeTrain(spec, b, budget, stepProgress(impl))
          : timeStream(spec, b, budget, stepProgress(impl));
      rows.push(row(spec, impl, 'eddy', t, `ref ${checks.get(b)!.toExponential(1)}`));
    }
    // 2. TensorFlow.js on each of its backends, from the same weights.
    if (tf) {
      for (const tb of tfBackends) {
        const impl = `tfjs-${tb}`;
        await tf.setBackend(tb);
        progress(`${spec.id} ${impl}: checking against eddy`);
        let check: string;
        if (spec.kind === 'train') {
          const c = checkTrainTf(tf, spec, golden);
          check = compareTrain(golden, c.loss0, c.gradNorm0, c.loss1);
        } else {
          check = compareProbs(golden, checkStreamTf(tf, spec, golden), maxAbsDiff);
        }
        const budget = planner.next(plan(spec));
        if (check.startsWith('FAIL')) {
          failures.push(`${spec.id} ${impl}: ${check}`);
          rows.push(skippedRow(spec, impl, check, 'not timed'));
          continue;
        }
        progress(`${spec.id} ${impl}: timing`);
        const t =
          spec.kind === 'train'
            ? timeTrainTf(tf, spec, golden, budget, stepProgress(impl))
            : timeStreamTf(tf, spec, golden, budget, stepProgress(impl));
        rows.push(row(spec, impl, 'peer', t, check));
      }
    }
  }

  // 3. PyTorch, all workloads in one child process (one import of torch).
  if (torchOn) {
    progress('torch: running pipelines/bench/torch_bench.py under /usr/bin/python3');
    const budgets = planner.batch(specs.map(plan), TORCH_OVERHEAD_S);
    const killAfter = 60 + budgets.reduce((s, b) => s + 2 * b.seconds, 0);
    const torch = await runTorch(specs, goldens, budgets, killAfter);
    rows.push(...torch.rows);
    footer.push(...torch.notes);
    failures.push(...torch.failures);
  }

  progress('npm start: time to first character');
  footer.push(await measureStartup());
  footer.push(
    `steps: timed (+ warm-up); * = the time budget (${quick ? QUICK_S : TOTAL_S} s shared by all cases) allowed fewer than wanted (W1 wants ${plan(SPECS[0]).steps} + ${plan(SPECS[0]).warmup}).`,
    'metric: median over the timed steps.',
    'ratio eddy/peer = peer time per step / eddy time per step (> 1: eddy faster), measured in this run.',
    'check: max abs diff from eddy on the reference kernels, same weights and inputs (W1, W1b: loss on a T16 B8 slice; W2, W3: softmax of 8 steps).',
    `total wall time ${elapsed()}${quick ? ' (--quick)' : ''}`,
  );
  process.stdout.write(`${values.json ? formatJson(rows) : formatTable(rows, footer)}\n`);
  if (values.json) process.stderr.write(`${footer.join('\n')}\n`);
  if (failures.length > 0) {
    process.stderr.write(`\nFAILED checks (a peer disagrees with eddy):\n  ${failures.join('\n  ')}\n`);
    return 1;
  }
  return 0;
}
