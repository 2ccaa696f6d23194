/**
 * W4's tick by CPU time (issue 17): on a shared, loaded machine wall times swing with the neighbours' work, and a
 * two-thread step waits for a descheduled helper; the process's CPU time per tick is steadier. Measures, in one
 * process and interleaved tick by tick (so that load drifts hit every configuration alike), eddy's native backend
 * through `keyedRecurrent` with `maxBatch` 256 (four gathered batches a tick) and 1024 (one batch, stepped in place
 * from the second tick), then PyTorch's hand-batched tick (as `torch_bench.py`'s peer) in a second process.
 * Prints the 10th percentile and the median of each, in ms of CPU per tick (all threads of the process).
 *
 *   node --import tsx pipelines/bench/keyedCpu.ts [threads 1|2] [ticks] [W4|W4-100|W4-10k]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import { RNNModel, createNativeBackend, keyedRecurrent, type RecurrentState } from '../../src/index.ts';
import { TORCH_PYTHON } from './torchPeer.ts';
import { SEED, SPECS, keyedData, type KeyedSpec } from './workloads.ts';

const threads = Number(process.argv[2] ?? 1);
const ticks = Number(process.argv[3] ?? 150);
const id = process.argv[4] ?? 'W4';
const spec = SPECS.find((s) => s.id === id && s.kind === 'keyed') as KeyedSpec | undefined;
if (!spec || !(threads === 1 || threads === 2) || !(ticks >= 10)) {
  process.stderr.write(
    'usage: node --import tsx pipelines/bench/keyedCpu.ts [threads 1|2] [ticks >= 10] [W4|W4-100|W4-10k]\n',
  );
  process.exit(2);
}
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One live keyedRecurrent subscription, fed a tick at a time (every key once, random order). */
function keyedRun(maxBatch: number): { tick: (i: number) => Promise<void>; checksum: () => number } {
  const model = RNNModel.create(
    { cell: 'lstm', input: 'onehot', inputSize: spec!.X, hiddenSize: spec!.H, outputSize: spec!.Y },
    { seed: SEED, backend: createNativeBackend({ threads }) },
  );
  const data = keyedData(spec!).map((t) => Array.from(t.keys, (key, i) => ({ key, id: t.ids[i] })));
  const persisted = new Map<number, RecurrentState>();
  const source = new Subject<{ key: number; id: number }>();
  let received = 0;
  let sum = 0;
  let done: (() => void) | null = null;
  source
    .pipe(
      keyedRecurrent(model, {
        keyOf: (e) => e.key,
        inputOf: (e) => e.id,
        maxKeys: spec!.maxKeys,
        microBatch: { maxBatch },
        onEvict: (key, state) => persisted.set(key, state),
        initialState: (key) => {
          const s = persisted.get(key);
          persisted.delete(key);
          return s;
        },
      }),
    )
    .subscribe((o) => {
      sum += o.output[0] * (o.key + 1);
      if (++received === spec!.keys) done?.();
    });
  return {
    tick: (i) => {
      received = 0;
      const all = new Promise<void>((resolve) => {
        done = resolve;
      });
      for (const e of data[i % data.length]) source.next(e);
      return all;
    },
    checksum: () => sum,
  };
}

const quantile = (a: number[], p: number): number => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))];
const runs = [
  { name: `eddy native, maxBatch 256`, run: keyedRun(256), cpu: [] as number[] },
  { name: `eddy native, maxBatch 1024`, run: keyedRun(1024), cpu: [] as number[] },
];
for (let i = 0; i < ticks + 5; i++) {
  for (let j = 0; j < runs.length; j++) {
    const r = runs[(i + j) % runs.length];
    const c0 = cpuMs();
    await r.run.tick(i);
    if (i >= 5) r.cpu.push(cpuMs() - c0);
  }
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`${spec.id}, ${threads} thread(s), ${ticks} ticks each, load average ${load} (ms of CPU per tick):`);
for (const r of runs)
  console.log(`  ${r.name}: p10 ${quantile(r.cpu, 0.1).toFixed(2)}, median ${quantile(r.cpu, 0.5).toFixed(2)}`);
if (runs[0].run.checksum() !== runs[1].run.checksum()) {
  console.log('  the two configurations disagree (outputs should be identical)');
  process.exitCode = 1;
}

// PyTorch's hand-batched tick (torch_bench.py's peer): states in one [keys, H] tensor, gathered and scattered.
const py = `
import sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(${threads}); torch.manual_seed(0)
K, X, H, Y, n = ${spec.keys}, ${spec.X}, ${spec.H}, ${spec.Y}, ${ticks}
cell, head = torch.nn.LSTMCell(X, H), torch.nn.Linear(H, Y)
ticks = [(torch.randperm(K), F.one_hot(torch.randint(0, X, (K,)), X).float()) for _ in range(4)]
hs, cs = torch.zeros(K, H), torch.zeros(K, H)
def step(i):
    idx, x = ticks[i % 4]
    h, c = cell(x, (hs.index_select(0, idx), cs.index_select(0, idx)))
    hs.index_copy_(0, idx, h); cs.index_copy_(0, idx, c)
    return head(h)
cpu = []
with torch.inference_mode():
    for i in range(n + 5):
        c0 = time.process_time(); step(i); c = (time.process_time() - c0) * 1e3
        if i >= 5: cpu.append(c)
cpu.sort()
print(f"  torch {torch.__version__}, hand-batched: p10 {cpu[int(0.1 * (n - 1))]:.2f}, median {cpu[int(0.5 * (n - 1))]:.2f}")
`;
const t = spawnSync(TORCH_PYTHON, ['-c', py], { encoding: 'utf8' });
process.stdout.write(
  t.status === 0
    ? t.stdout
    : `  torch: not measured (${(t.stderr || t.error?.message || '').trim().split('\n').pop()})\n`,
);
process.exit(process.exitCode ?? 0);
