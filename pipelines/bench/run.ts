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
import { checkKeyedTf, checkStreamTf, checkTrainTf, timeKeyedTf, timeStreamTf, timeTrainTf } from './tfBench.ts';
import { KEYED_MAX_BATCH, checkKeyedBackend, goldenKeyed, timeKeyed } from './keyedBench.ts';
import { maxAbsDiff, type Timing } from './timing.ts';
import { TorchSession } from './torchSession.ts';
import { createPlanner } from './planner.ts';
import { measureStartup } from './startup.ts';
import { RooflineProbe, rooflineOf } from './roofline.ts';
import { defineCommand } from '../cli/command.ts';
import { SPECS, metricOf, planOf, selectSpecs, type Spec } from './workloads.ts';

/** Seconds the whole run aims at (issue 7: under 5 minutes), and with --quick. A slow case still gets its fewest steps. */
const TOTAL_S = 255;
const QUICK_S = 75;
/** Seconds a workload's torch job may take beyond 3x its budget (its checks, and its fewest steps on a loaded machine). */
const TORCH_LIMIT_S = 60;

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
    ...(t.p99 !== undefined ? { p99: t.p99 } : {}),
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

/** The backend the keyed scaling variants (W4-100, W4-10k) run on: native where built, else the fastest wasm one. */
function scalingBackend(backends: readonly Backend[]): Backend | undefined {
  const rank = (b: Backend): number =>
    b.name.startsWith('native') ? 0 : b.name.endsWith('-2t') ? 1 : b.name.startsWith('wasm') ? 2 : 3;
  return [...backends].sort((a, b) => rank(a) - rank(b))[0];
}

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

  // Every case that will run, so each gets its weight's share of the time left when it starts. Keyed workloads
  // run on tfjs-wasm only (stepped per key, tfjs-cpu would take seconds a tick), and torch times two loops.
  const torchOn = !values.noTorch;
  const tfFor = (s: Spec): string[] =>
    s.kind !== 'keyed' ? tfBackends : s.allBackends ? tfBackends.filter((b) => b === 'wasm') : [];
  // Keyed ticks on eddy's js backend take seconds (the fallback, not what a server of many keys runs): not timed.
  const eddyFor = (s: Spec): Backend[] =>
    s.kind !== 'keyed'
      ? backends
      : s.allBackends
        ? backends.filter((b) => b.name !== 'js')
        : [scalingBackend(backends)].filter((b) => b !== undefined);
  // Streaming workloads also run on the native backend with bf16 weights (issue 17's lower-precision weights).
  const lowpFor = (s: Spec): Backend[] =>
    s.kind === 'stream' ? backends.filter((b) => b.name.startsWith('native')) : [];
  const perSpec = (s: Spec): number => eddyFor(s).length + lowpFor(s).length + tfFor(s).length + (torchOn ? 1 : 0);
  const planner = createPlanner(
    quick ? QUICK_S : TOTAL_S,
    specs.flatMap((s) => Array<ReturnType<typeof plan>>(perSpec(s)).fill(plan(s))),
    t0,
  );
  // The machine's limits, measured in this run on the fastest backend, for the roofline columns.
  const fastest = scalingBackend(backends);
  progress(`roofline: peak FLOP/s and weight-read bandwidth on ${fastest?.name ?? 'no backend'}`);
  const probe = fastest ? new RooflineProbe(fastest, specs) : null;
  probe?.sample();
  const goldens = new Map<string, Golden>();
  const torch = torchOn ? new TorchSession() : null;
  if (torch) {
    progress('torch: importing torch in its child process (pipelines/bench/torch_bench.py --serve)');
    await torch.ready(60); // before any timing: the import would compete with eddy's first cases
  }
  for (const spec of specs) {
    // 1. eddy: every backend against the reference kernels, then golden values for the peers, then timing.
    // What the peers must reproduce: eddy's model on the reference kernels (small: a slice, or the first steps;
    // keyed: the check keys each stepped alone).
    const golden =
      spec.kind === 'train'
        ? goldenTrain(spec, referenceBackend)
        : spec.kind === 'keyed'
          ? goldenKeyed(spec, referenceBackend)
          : goldenStream(spec, referenceBackend);
    goldens.set(spec.id, golden);
    const checks = new Map<Backend, number>();
    for (const b of eddyFor(spec)) {
      progress(`${spec.id} eddy-${b.name}: checking against the reference kernels`);
      checks.set(
        b,
        spec.kind === 'train'
          ? checkTrainBackend(spec, b)
          : spec.kind === 'keyed'
            ? await checkKeyedBackend(spec, b, golden)
            : checkStreamBackend(spec, b),
      );
    }
    for (const b of eddyFor(spec)) {
      const impl = `eddy-${b.name}`;
      progress(`${spec.id} ${impl}: timing (${spec.title})`);
      const budget = planner.next(plan(spec));
      const t =
        spec.kind === 'train'
          ? timeTrain(spec, b, budget, stepProgress(impl))
          : spec.kind === 'keyed'
            ? await timeKeyed(spec, b, budget, stepProgress(impl))
            : timeStream(spec, b, budget, stepProgress(impl));
      rows.push(row(spec, impl, 'eddy', t, `ref ${checks.get(b)!.toExponential(1)}`));
    }
    if (spec.kind === 'stream') {
      for (const b of lowpFor(spec)) {
        const impl = `eddy-${b.name}-bf16`;
        progress(`${spec.id} ${impl}: checking against the reference kernels with the same bf16 weights`);
        const check = checkStreamBackend(spec, b, 'bf16');
        progress(`${spec.id} ${impl}: timing (${spec.title}, bf16 weights)`);
        const t = timeStream(spec, b, planner.next(plan(spec)), stepProgress(impl), 'bf16');
        rows.push(row(spec, impl, 'eddy', t, `ref ${check.toExponential(1)}`));
      }
    }
    probe?.sample(); // the limits again, between this workload's eddy rows and its peers
    // 2. TensorFlow.js on each of its backends, from the same weights.
    if (tf) {
      for (const tb of tfFor(spec)) {
        const impl = `tfjs-${tb}`;
        await tf.setBackend(tb);
        progress(`${spec.id} ${impl}: checking against eddy`);
        let check: string;
        if (spec.kind === 'train') {
          const c = checkTrainTf(tf, spec, golden);
          check = compareTrain(golden, c.loss0, c.gradNorm0, c.loss1);
        } else if (spec.kind === 'keyed') {
          check = compareProbs(golden, checkKeyedTf(tf, spec, golden), maxAbsDiff);
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
            : spec.kind === 'keyed'
              ? timeKeyedTf(tf, spec, golden, budget, stepProgress(impl))
              : timeStreamTf(tf, spec, golden, budget, stepProgress(impl));
        rows.push(row(spec, impl, 'peer', t, check));
      }
    }
    // 3. PyTorch, in its one child process, right after eddy's and tfjs's cases of this workload.
    if (torch) {
      progress(`${spec.id} torch: pipelines/bench/torch_bench.py under /usr/bin/python3`);
      const budget = planner.next(plan(spec));
      const r = await torch.run([spec], goldens, [budget], TORCH_LIMIT_S + 3 * budget.seconds);
      rows.push(...r.rows);
      failures.push(...r.failures);
    }
  }

  if (torch) {
    footer.push(...torch.notes());
    torch.close();
  }

  // Each eddy row as a fraction of the best limits seen in the run.
  if (probe) {
    const roof = probe.limits();
    footer.push(...roof.notes);
    for (let i = 0; i < rows.length; i++) {
      const spec = specs.find((s) => s.id === rows[i].workload);
      if (rows[i].family === 'eddy' && spec) rows[i] = { ...rows[i], roofline: rooflineOf(rows[i], spec, roof) };
    }
  }

  progress('npm start: time to first character');
  footer.push(await measureStartup());
  footer.push(
    `steps: timed (+ warm-up); * = the time budget (${quick ? QUICK_S : TOTAL_S} s shared by all cases) allowed fewer than wanted (W1 wants ${plan(SPECS[0]).steps} + ${plan(SPECS[0]).warmup}).`,
    'metric: median over the timed steps.',
    'ratio eddy/peer = peer time per step / eddy time per step (> 1: eddy faster), measured in this run.',
    'check: max abs diff from eddy on the reference kernels, same weights and inputs (W1, W1b: loss on a T16 B8 slice; W2, W3: softmax of 8 steps; W4: softmax of keys 0-7 over 2 ticks, each key stepped alone).',
    ...(specs.some((s) => lowpFor(s).length > 0)
      ? [
          '-bf16: the same model with its weight matrices rounded to bf16 and packed (model.quantizeWeights), checked against the reference kernels on the same rounded weights; its ratios are against the float32 peers; weights % not given (the probe reads float32 sizes).',
        ]
      : []),
    ...(specs.some((s) => s.kind === 'keyed')
      ? [
          `W4: a step = a tick (every key once, random order), metric = keys / median tick; keyedRecurrent with maxBatch ${KEYED_MAX_BATCH}; eddy-js not timed (seconds a tick); W4-100 and W4-10k (maxKeys 4/5 of the keys: eviction with onEvict/initialState) on ${scalingBackend(backends)?.name ?? '-'} only; torch = hand-batched loop, torch-per-key = dict of states, LSTMCell per element`,
        ]
      : []),
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
