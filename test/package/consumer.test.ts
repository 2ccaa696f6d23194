/**
 * eddy as a user gets it: the packed tarball installed into a new app next to rxjs. The README's quick-start
 * snippets are run as they are written there: the plain-JavaScript one (`js app.mjs`) with plain `node`, the
 * TypeScript one (`ts app.ts`) type-checked with a stock `module: nodenext` + `strict` tsconfig and
 * `skipLibCheck: false` (so eddy's own declarations are checked too). Then `npx eddy` from the app, and
 * `require('eddy')` from CommonJS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../sources/dataPath.ts';

/** The body of the README's code block whose info string is exactly `info` (e.g. "js app.mjs"). */
function readmeBlock(info: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = new RegExp(`\`\`\`${info.replace('.', '\\.')}\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no \`\`\`${info} block`);
  return m[1];
}

const app = mkdtempSync(join(tmpdir(), 'eddy-consumer-'));
const run = (cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(cmd, args, { cwd: app, encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: 300_000 });

beforeAll(() => {
  // `npm pack` runs `prepare` (the build), so the tarball holds a fresh dist/
  execFileSync('npm', ['pack', '--pack-destination', app], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  const typescript = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).devDependencies.typescript;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const r = run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    `./${tarball}`,
    'rxjs@7.8.1', // an older rxjs than eddy's own: one copy, eddy's types follow the app's
    '@types/node@20',
    `typescript@${typescript}`,
  ]);
  if (r.status !== 0) throw new Error(`npm install failed:\n${r.stdout}\n${r.stderr}`);
}, 600_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe('the packed package in a new app', () => {
  it('ships dist, the models and the addon sources, not the tests', () => {
    const pkg = join(app, 'node_modules/eddy');
    const files = readdirSync(pkg, { recursive: true }).map(String);
    expect(files).toContain(join('dist', 'src', 'index.js'));
    expect(files).toContain(join('dist', 'src', 'index.d.ts'));
    expect(files).toContain(join('dist', 'pipelines', 'eddy.js'));
    expect(files).toContain(join('pipelines', 'models', 'shakespeare.safetensors'));
    expect(files).toContain(join('src', 'tensor', 'native', 'eddy_native.cc'));
    expect(files).toContain('LICENSE');
    for (const f of files) expect(f).not.toMatch(/^(test|fixtures|\.ci)\b|\.test\.|\.ts$(?<!\.d\.ts$)/);
    // one copy of rxjs: the app's
    expect(readdirSync(join(app, 'node_modules/rxjs')).length).toBeGreaterThan(0);
    expect(() => readdirSync(join(pkg, 'node_modules/rxjs'))).toThrow();
  });

  it("runs the README's plain-JavaScript quick start with node", () => {
    writeFileSync(join(app, 'app.mjs'), readmeBlock('js app.mjs'));
    const r = run(process.execPath, ['app.mjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ROMEO:/);
    expect(r.stdout).toMatch(/next-character guesses: "/);
    expect(r.stdout).toMatch(/per-user guesses: ann:. .*bob:/);
  });

  it("type-checks the README's TypeScript example with a stock nodenext + strict tsconfig", () => {
    writeFileSync(join(app, 'app.ts'), readmeBlock('ts app.ts'));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    const r = run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', '.']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('npx eddy: lists commands, generates text, refuses a bad flag with exit code 2', () => {
    const help = run('npx', ['--no-install', 'eddy', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/generate/);
    const gen = run('npx', ['--no-install', 'eddy', 'generate', '--length', '80', '--seed', '1', '--quiet']);
    expect(gen.status, gen.stderr).toBe(0);
    expect(gen.stdout.trim().length).toBeGreaterThan(40);
    const bad = run('npx', ['--no-install', 'eddy', 'generate', '--length', 'many']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--length: expected an integer .* but received "many"/);
  });

  it('builds the native addon at install where this checkout could build it (its sources are all in the tarball)', () => {
    const here = existsSync(join(repoRoot, 'src/tensor/native/build/Release/eddy_native.node'));
    const there = existsSync(join(app, 'node_modules/eddy/src/tensor/native/build/Release/eddy_native.node'));
    expect(there).toBe(here && process.env.EDDY_NATIVE !== '0');
  });

  it('a stacked bidirectional classifier from the package: trains a step, saves, loads (PyTorch names), disposes', () => {
    writeFileSync(
      join(app, 'bi.mjs'),
      `import { BidirectionalClassifier, Rng, loadClassifier, padBatch, saveModel, softmaxCrossEntropy } from 'eddy';
const m = BidirectionalClassifier.create({ cell: 'gru', input: 'embedding', inputSize: 8, embeddingSize: 4,
  hiddenSize: 6, numLayers: 2, dropout: 0.2, outputSize: 3 }, { seed: 1 });
const b = padBatch([Int32Array.of(1, 2, 3), Int32Array.of(4, 5)]);
const { logits, pass } = m.forward(b.ids, { T: b.T, B: b.B, lengths: b.lengths, training: true, rng: new Rng(2) });
const dl = new Float32Array(logits.length);
softmaxCrossEntropy(dl, logits, Int32Array.of(0, 2), b.B, 3, 1);
m.backward(pass, dl);
const g = m.grad('rnn.weight_ih_l1_reverse');
saveModel('bi.safetensors', m);
const back = loadClassifier('bi.safetensors');
const n = back.param('rnn.weight_ih_l1').length;
back.dispose();
console.log(g.length, g.some((v) => v !== 0), back.config.numLayers, n, back.disposed);`,
    );
    const r = run(process.execPath, ['bi.mjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('216 true 2 216 true');
  });

  it('distillation from the package: a student trained on soft targets only, and names train --teacher in --help', () => {
    writeFileSync(
      join(app, 'kd.mjs'),
      `import { RNNModel, Rng, adam, classifySequences, softenProbabilities, trainClassifierEpoch } from 'eddy';
const seqs = Array.from({ length: 24 }, (_, i) => Int32Array.of(1 + (i % 3), 4, 5));
const data = { seqs, labels: Int32Array.from(seqs, (s) => s[0] - 1) };
// the teacher: 0.6 on the label, 0.2 on each other class, softened to T 2
const raw = new Float32Array(24 * 3).map((_, j) => (j % 3 === data.labels[Math.floor(j / 3)] ? 0.6 : 0.2));
const probs = softenProbabilities(raw, 3, 2);
const m = RNNModel.create({ cell: 'gru', input: 'embedding', inputSize: 6, embeddingSize: 4, hiddenSize: 8, outputSize: 3 }, { seed: 1 });
const optimizer = adam({ lr: 0.03 });
const rng = new Rng(1);
for (let e = 0; e < 60; e++) trainClassifierEpoch(m, data, { optimizer, rng, batchSize: 8, distill: { probs, weight: 1, temperature: 2 } });
const p = classifySequences(m, seqs).probs;
console.log(p[0].toFixed(1), p[1].toFixed(1));`,
    );
    const r = run(process.execPath, ['kd.mjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('0.6 0.2'); // the teacher's distribution, not the label's 1 / 0
    const help = run('npx', ['--no-install', 'eddy', 'names', 'train', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/--teacher/);
  });

  it('from the package: a frame trainer resumed from its checkpoint ends as one run; keyed streams past maxKeys', () => {
    writeFileSync(
      join(app, 'resume.mjs'),
      `import { RNNModel, Rng, createFrameLabeler, keyedRecurrent, trainFrameLabeler } from 'eddy';
import { from, lastValueFrom, toArray } from 'rxjs';
const rng = new Rng(1);
const clips = Array.from({ length: 4 }, () => {
  const labels = Int32Array.from({ length: 12 }, () => rng.int(2));
  const pixels = Float32Array.from({ length: 12 * 16 }, (_, k) => rng.uniform(0, 1) + labels[Math.floor(k / 16)]);
  return { pixels, labels, T: 12 };
});
const make = () => createFrameLabeler({ labels: ['a', 'b'], width: 4, height: 4, hiddenSize: 3, seed: 2 });
const o = { lr: 0.01, window: 4, streams: 2, seed: 3 };
const whole = make();
const w = trainFrameLabeler(whole, clips, { ...o, epochs: 3 });
trainFrameLabeler(make(), clips, { ...o, epochs: 2, checkpoint: 'frames.ckpt' });
const resumed = make();
const r = trainFrameLabeler(resumed, clips, { ...o, epochs: 3, checkpoint: 'frames.ckpt' });
const same = r.losses.join() === w.losses.join() && resumed.model.params.every((v, i) => v === whole.model.params[i]);
const m = RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: 4, hiddenSize: 3, outputSize: 2 }, { seed: 1 });
let evicted = 0;
const events = Array.from({ length: 300 }, (_, i) => ({ key: i % 30, id: i % 4 }));
const out = await lastValueFrom(from(events).pipe(keyedRecurrent(m, { keyOf: (e) => e.key, inputOf: (e) => e.id,
  maxKeys: 10, onEvict: () => evicted++ }), toArray()));
console.log(r.resumedEpochs, same, out.length, evicted);`,
    );
    const r = run(process.execPath, ['resume.mjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('2 true 300 300'); // 290 LRU evictions, then the 10 keys held at completion
  });

  it('the shipped models stored in int8 (names) and F16 (ram-translated) load from the package', () => {
    const live = run('npx', ['--no-install', 'eddy', 'names', 'live', '--name', 'Schmidt']);
    expect(live.status, live.stderr).toBe(0);
    expect(live.stdout.trim().split('\n').pop()).toMatch(/^Schmidt\s+German \d+\.\d%/);
    const models = run('npx', ['--no-install', 'eddy', 'models']);
    expect(models.status, models.stderr).toBe(0);
    expect(models.stdout).toMatch(/names .*I8 weights/);
    expect(models.stdout).toMatch(/ram-translated .*F16 weights, test error 1\.36%/);
  });

  it("the native backend's fused one-row step from the package (a step alone has the bits of a batch's row), and generate --weights bf16", () => {
    writeFileSync(
      join(app, 'fused.mjs'),
      `import { RNNModel, createNativeBackend, nativeAvailable } from 'eddy';
if (!nativeAvailable()) { console.log('no native addon'); process.exit(0); }
const be = createNativeBackend({ threads: 2 });
const out = [typeof be.streamStep];
for (const weights of ['f32', 'bf16']) {
  const m = RNNModel.create({ cell: 'lstm', input: 'onehot', inputSize: 65, hiddenSize: 256, outputSize: 65 }, { seed: 1, backend: be });
  if (weights !== 'f32') m.quantizeWeights(weights);
  const one = m.createState(1);
  const two = m.createState(2);
  let same = true;
  for (let t = 0; t < 20; t++) {
    const a = m.step(Int32Array.of((t * 7) % 65), one); // one row: the fused step
    const b = m.step(Int32Array.of((t * 7) % 65, (t * 3) % 65), two); // two rows: method by method
    same &&= a.every((v, k) => Object.is(v, b[k]));
  }
  out.push(weights + ' ' + same);
}
be.close();
console.log(out.join(', '));`,
    );
    const r = run(process.execPath, ['fused.mjs']);
    expect(r.status, r.stderr).toBe(0);
    const built = existsSync(join(app, 'node_modules/eddy/src/tensor/native/build/Release/eddy_native.node'));
    expect(r.stdout.trim()).toBe(built ? 'function, f32 true, bf16 true' : 'no native addon');
    const gen = run('npx', ['--no-install', 'eddy', 'generate', '--weights', 'bf16', '--length', '80', '--seed', '1']);
    expect(gen.status, gen.stderr).toBe(0);
    expect(gen.stderr).toMatch(/seed 1, bf16 weights/);
    expect(gen.stdout.trim().length).toBeGreaterThan(40);
  });

  it('require("eddy") from CommonJS (Node >= 20.19 loads ES modules with require)', () => {
    writeFileSync(
      join(app, 'app.cjs'),
      "const e = require('eddy'); console.log(typeof e.loadModel, typeof e.recurrent);",
    );
    const r = run(process.execPath, ['app.cjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('function function');
  });
});
