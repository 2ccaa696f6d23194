/**
 * `eddy ram export`: a recurrent attention model (or a `ram train` checkpoint) as a plain model file, its weights
 * stored in float32 or, with `--dtype f16`, half precision (half the bytes; eddy computes in float32 either way).
 * A file that records its test error (`ram train` writes one) has it measured again from the written weights, on the
 * same test samples (count, seed, policy and task of the run), so the number `eddy models` lists is the file's own.
 *
 *   eddy ram export --input runs/ram-translated.safetensors --out runs/ram-translated-f16.safetensors --dtype f16
 */
import {
  backendByName,
  loadMnist,
  loadRamModel,
  mnistPaths,
  ramEvaluate,
  ramSequenceEvaluate,
  ramTask,
  saveRamModel,
  type MnistSet,
  type RamModel,
} from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';
import { mnistDataFlag } from './ramFlags.ts';
import { multiResultLine, multiTaskOf } from './trainMulti.ts';

/** The keys of a training checkpoint that a plain model file does not carry. */
const CHECKPOINT_KEYS = ['eddy.checkpoint', 'eddy.optimizer', 'eddy.rng', 'eddy.extra'];

export const command = defineCommand({
  name: 'ram export',
  summary:
    'a RAM model or checkpoint as a plain model file (--dtype f16: half the bytes), its test error measured again',
  details: `The metadata is kept (a checkpoint's optimizer, RNG and run state are left out). When it records a test
error, the written file is loaded back and evaluated on the run's test samples (its count, seed, policy and task;
the MNIST test digits under --data), and that error is what the file records; the line on stdout gives both.
Example: eddy ram export --input runs/ram-mnist.safetensors --out runs/ram-mnist-f16.safetensors --dtype f16`,
  flags: {
    input: { type: 'input', required: true, description: 'a RAM model file or checkpoint (from eddy ram train)' },
    out: { type: 'output', required: true, description: 'the model file to write' },
    dtype: {
      type: 'choice',
      choices: ['f32', 'f16'],
      default: 'f32',
      description: 'how the weights are stored: f16 is half the bytes (eddy computes in f32 either way)',
    },
    data: mnistDataFlag,
    backend: backendFlag,
  },
  async run(f, ctx) {
    const backend = backendByName(f.backend, { path: '--backend' });
    const dtype = f.dtype as 'f32' | 'f16';
    const { model, metadata } = loadRamModel(f.input, { backend });
    const keep: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata))
      if (!CHECKPOINT_KEYS.includes(k) && k !== 'eddy.ram.config') keep[k] = v;
    const before = keep['eddy.ram.testError'];
    // read before any write: a missing data set fails first
    const test = before === undefined ? null : await loadMnist(mnistPaths(f.data, 'test'));
    ctx.begin();
    saveRamModel(f.out, model, keep, { dtype });
    model.dispose();
    const size = `${dtype.toUpperCase()} weights`;
    if (before === undefined || test === null) {
      ctx.log(`wrote ${f.out} (${size}; no test error recorded, none measured)`);
      return;
    }
    const written = loadRamModel(f.out, { backend }).model;
    try {
      const line = measure(written, keep, test);
      saveRamModel(f.out, written, { ...keep, ...line.metadata }, { dtype });
      process.stdout.write(
        `${f.out} (${size}): ${line.text}; recorded before: ${(100 * Number(before)).toFixed(2)}%\n`,
      );
    } finally {
      written.dispose();
    }
  },
});

/** The test error of `model` on the run's samples, as new metadata and a line. */
function measure(
  model: RamModel,
  meta: Record<string, string>,
  test: MnistSet,
): { metadata: Record<string, string>; text: string } {
  const run = JSON.parse(meta['eddy.ram.run'] ?? '{}') as Record<string, unknown>;
  const count = typeof run.testCount === 'number' ? run.testCount : 10000;
  const seed = typeof run.testSeed === 'number' ? run.testSeed : 2014;
  if (meta['eddy.ram.task'] === 'multi') {
    const task = multiTaskOf(meta, 'the input');
    const raster = meta['eddy.ram.policy'] === 'raster';
    const r = ramSequenceEvaluate(model, test, task, { count, seed, policy: raster ? 'raster' : 'mean' });
    return {
      metadata: {
        'eddy.ram.testError': String(r.sequenceError),
        'eddy.ram.run': JSON.stringify({ ...run, digitError: r.digitError }),
      },
      text: multiResultLine(task, raster, r),
    };
  }
  const task = ramTask((meta['eddy.ram.task'] ?? 'mnist') as 'mnist');
  const random = meta['eddy.ram.policy'] === 'random';
  const r = ramEvaluate(model, test, task, { count, seed, policy: random ? 'random' : 'mean' });
  return {
    metadata: { 'eddy.ram.testError': String(r.error) },
    text: `${task.name}: test error ${(100 * r.error).toFixed(2)}% (${r.count - r.correct} of ${r.count.toLocaleString('en-US')}, seed ${seed}), ${random ? 'random glimpses' : 'learned policy'}`,
  };
}
