/**
 * `eddy pen train`: one-to-many on pen trajectories: a digit in, 8 (x, y) pen positions out. The digit sets a
 * learned initial state (`CategoryStates`); each step reads the previous point and emits a 3-component Gaussian
 * mixture over the next (`mixtureDensityLoss`), so sampling gives varied strokes (an MSE head would give each digit
 * one averaged stroke). A many-to-one GRU classifier trained on the real trajectories judges the generated ones
 * (closed-loop accuracy), and a PNG grid shows generated digits next to real ones.
 *
 *   eddy pen train --out runs/pen-gen.safetensors --png runs/pen-grid.png
 *
 * Held out: every 10th trajectory (rows 1, 11, 21, ... of the file; 750 of 7,494).
 * A checkpoint after every generator epoch (`<out>.ckpt`, atomic) that a rerun resumes from (the classifier is
 * already saved beside `<out>` by then and is read back).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import {
  CategoryStates,
  type CategoryStatesJSON,
  EddyError,
  type OptimizerState,
  ProgressLine,
  RNNModel,
  Rng,
  adam,
  backendByName,
  clipGradNorm,
  confusionMatrix,
  loadCheckpoint,
  loadModel,
  manyToOneCrossEntropy,
  mixtureDensityLoss,
  readPendigits,
  readSafetensors,
  sampleMixture,
  saveCheckpoint,
  saveModel,
  writeFileAtomic,
  type PenDigits,
} from '../../src/index.ts';
import { backendFlag, defineCommand, seedFlag } from '../cli/command.ts';
import { letSignalsIn, stopOnSignals } from '../cli/signals.ts';

/** What the checkpoint carries beside the generator and its optimizer. */
interface Extra {
  /** generator epochs done */
  epoch: number;
  seconds: number;
  /** the trajectory classifier's file (trained before the generator, or --classifier) */
  classifier: string;
  hidden: number;
  table: CategoryStatesJSON;
  tableOptimizer: { name: string; step: number; scalars: Record<string, number>; buffers: Record<string, string> };
}

const b64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const unb64 = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const packState = (s: OptimizerState): Extra['tableOptimizer'] => ({
  name: s.name,
  step: s.step,
  scalars: s.scalars,
  buffers: Object.fromEntries(Object.entries(s.buffers).map(([k, v]) => [k, b64(v)])),
});
const unpackState = (s: Extra['tableOptimizer']): OptimizerState => ({
  ...s,
  buffers: Object.fromEntries(Object.entries(s.buffers).map(([k, v]) => [k, unb64(v)])),
});

const T = 8;
const K = 3; // mixture components
const Y = K * (1 + 2 * 2);

/** Rows `idx` as time-major inputs/targets: points [T, B, 2] in 0..1, generator inputs [T, B, 3]. */
function batchOf(pen: PenDigits, idx: readonly number[]): { pts: Float32Array; gen: Float32Array } {
  const B = idx.length;
  const pts = new Float32Array(T * B * 2);
  const gen = new Float32Array(T * B * 3);
  idx.forEach((r, b) => {
    for (let t = 0; t < T; t++) {
      pts[(t * B + b) * 2] = pen.points[r * 16 + t * 2] / 100;
      pts[(t * B + b) * 2 + 1] = pen.points[r * 16 + t * 2 + 1] / 100;
      if (t === 0) gen[b * 3 + 2] = 1;
      else {
        gen[(t * B + b) * 3] = pen.points[r * 16 + (t - 1) * 2] / 100;
        gen[(t * B + b) * 3 + 1] = pen.points[r * 16 + (t - 1) * 2 + 1] / 100;
      }
    }
  });
  return { pts, gen };
}

function shuffled(n: readonly number[], rng: Rng): number[] {
  const a = [...n];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Draws one trajectory `[8, 2]` (0..1) for a digit, stepping the generator on its own samples. */
export function drawDigit(
  model: RNNModel,
  table: CategoryStates,
  digit: number,
  rng: Rng,
  temperature: number,
): Float32Array {
  const state = table.stateOf(digit);
  const x = Float32Array.of(0, 0, 1);
  const out = new Float32Array(T * 2);
  const p = new Float32Array(2);
  for (let t = 0; t < T; t++) {
    const y = model.step(x, state);
    sampleMixture(y, K, 2, rng, temperature, p);
    out[t * 2] = p[0];
    out[t * 2 + 1] = p[1];
    x[0] = p[0];
    x[1] = p[1];
    x[2] = 0;
  }
  return out;
}

/** The SVG of a grid: one row per digit, generated trajectories left, real ones right. */
function gridSvg(generated: Float32Array[][], real: Float32Array[][]): string {
  const cs = 44;
  const cols = generated[0].length + real[0].length;
  const gap = 24;
  const W = 30 + cols * cs + gap;
  const H = 40 + 10 * cs;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${30 + (generated[0].length * cs) / 2}" y="22" font-size="14" text-anchor="middle">generated</text>`,
    `<text x="${30 + gap + (generated[0].length + real[0].length / 2) * cs}" y="22" font-size="14" text-anchor="middle">real (held out)</text>`,
  ];
  const cell = (traj: Float32Array, x0: number, y0: number, color: string): void => {
    const pts: string[] = [];
    for (let t = 0; t < T; t++) {
      const px = x0 + 4 + Math.min(1, Math.max(0, traj[t * 2])) * (cs - 8);
      const py = y0 + 4 + (1 - Math.min(1, Math.max(0, traj[t * 2 + 1]))) * (cs - 8);
      pts.push(`${px.toFixed(1)},${py.toFixed(1)}`);
    }
    parts.push(`<rect x="${x0}" y="${y0}" width="${cs}" height="${cs}" fill="none" stroke="#eee"/>`);
    parts.push(
      `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"/>`,
    );
    const [sx, sy] = pts[0].split(',');
    parts.push(`<circle cx="${sx}" cy="${sy}" r="2.5" fill="#d62728"/>`);
  };
  for (let d = 0; d < 10; d++) {
    const y0 = 32 + d * cs;
    parts.push(`<text x="12" y="${y0 + cs / 2 + 5}" font-size="14">${d}</text>`);
    generated[d].forEach((g, i) => cell(g, 30 + i * cs, y0, '#1f77b4'));
    real[d].forEach((r, i) => cell(r, 30 + gap + (generated[d].length + i) * cs, y0, '#333'));
  }
  parts.push('</svg>');
  return parts.join('');
}

export const command = defineCommand({
  name: 'pen train',
  summary: 'digit -> pen trajectory generator (mixture density head), judged by a trajectory classifier',
  details: `Trains on 9/10 of ../shared/data/seq/onetomany/pendigits.tra (every 10th row held out): a GRU classifier of
trajectories (many-to-one), then the generator (GRU, digit -> initial state, previous point in, 3-component Gaussian
mixture out). Prints the classifier's held-out accuracy, the generator's held-out NLL, and the share of generated
trajectories (--per-digit per digit) the classifier assigns to the requested digit; writes the PNG grid.
A checkpoint (OUT.ckpt) is written after every generator epoch; a rerun resumes from it (--no-resume: afresh).
Example: eddy pen train --out runs/pen-gen.safetensors --png runs/pen-grid.png`,
  flags: {
    input: { type: 'input', default: '../shared/data/seq/onetomany/pendigits.tra', description: 'the pendigits file' },
    out: {
      type: 'output',
      default: 'runs/pen-gen.safetensors',
      description: 'the generator (the classifier: OUT with -classifier)',
    },
    png: { type: 'output', default: 'runs/pen-grid.png', description: 'the grid of generated and real digits' },
    classifier: { type: 'input', description: 'use this trajectory classifier instead of training one' },
    hidden: { type: 'integer', min: 1, max: 4096, default: 64, description: 'GRU hidden units of the generator' },
    epochs: { type: 'integer', min: 1, max: 10000, default: 40, description: 'generator epochs' },
    'classifier-epochs': { type: 'integer', min: 1, max: 10000, default: 20, description: 'classifier epochs' },
    'per-digit': {
      type: 'integer',
      min: 1,
      max: 100000,
      default: 100,
      description: 'generated trajectories per digit judged',
    },
    temperature: {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      max: 10,
      default: 1,
      description: 'sampling temperature',
    },
    minutes: {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      description: 'stop after this wall time (at a generator epoch end; rerun to resume)',
    },
    'no-resume': { type: 'boolean', description: 'start afresh even when OUT.ckpt exists' },
    backend: backendFlag,
    seed: seedFlag,
  },
  async run(f, ctx) {
    const pen = readPendigits(f.input);
    const backend = backendByName(f.backend, { path: '--backend' });
    const rows = [...Array(pen.count).keys()];
    const test = rows.filter((r) => r % 10 === 0);
    const train = rows.filter((r) => r % 10 !== 0);
    const rng = new Rng(f.seed);
    const ckpt = `${f.out}.ckpt`;
    const resumed = existsSync(ckpt) && !f.noResume ? loadCheckpoint<Extra>(ckpt, { backend }) : null;
    if (resumed) rng.setState(resumed.rng ?? new Rng(f.seed).getState());
    // 1. the judge: a many-to-one classifier over real trajectories (or a given one, checked before any work)
    let clf: RNNModel;
    if (f.classifier && readSafetensors(f.classifier).metadata['eddy.task'] !== 'pen trajectory -> digit')
      throw new EddyError('ERR_FILE', `--classifier: ${f.classifier} is not a pen trajectory classifier`);
    ctx.begin();
    const t0 = Date.now();
    const clfPath = resumed?.extra.classifier ?? f.classifier;
    if (resumed) ctx.log(`${ctx.name}: resuming ${ckpt} after generator epoch ${resumed.extra.epoch}`);
    if (clfPath) clf = loadModel(clfPath, { backend });
    else {
      clf = RNNModel.create(
        { cell: 'gru', input: 'dense', inputSize: 2, hiddenSize: 32, outputSize: 10 },
        { seed: f.seed, backend },
      );
      const opt = adam({ lr: 0.005 });
      for (let e = 0; e < f.classifierEpochs; e++) {
        const order = shuffled(train, rng);
        let sum = 0;
        for (let s = 0; s < order.length; s += 64) {
          const idx = order.slice(s, s + 64);
          const { pts } = batchOf(pen, idx);
          const { y, workspace } = clf.forward(pts, { T, B: idx.length });
          const dy = new Float32Array(y.length);
          sum += manyToOneCrossEntropy(
            dy,
            y,
            Int32Array.from(idx, (r) => pen.digits[r]),
            { T, B: idx.length, Y: 10 },
          ).loss;
          clf.backward(workspace, dy);
          clipGradNorm(clf.grads, 5);
          opt.step(clf.params, clf.grads);
          clf.zeroGrads();
        }
        if ((e + 1) % 5 === 0)
          ctx.log(`${ctx.name}: classifier epoch ${e + 1}: loss ${(sum / Math.ceil(order.length / 64)).toFixed(4)}`);
      }
      saveModel(classifierPath(f.out), clf, { 'eddy.task': 'pen trajectory -> digit' });
    }
    const judge = (trajs: Float32Array[]): Int32Array => {
      const B = trajs.length;
      const x = new Float32Array(T * B * 2);
      trajs.forEach((tr, b) => {
        for (let t = 0; t < T; t++) {
          x[(t * B + b) * 2] = tr[t * 2];
          x[(t * B + b) * 2 + 1] = tr[t * 2 + 1];
        }
      });
      const { y } = clf.forward(x, { T, B });
      return Int32Array.from({ length: B }, (_, b) => {
        let best = 0;
        for (let k = 1; k < 10; k++) if (y[((T - 1) * B + b) * 10 + k] > y[((T - 1) * B + b) * 10 + best]) best = k;
        return best;
      });
    };
    const realTest = test.map((r) => Float32Array.from(pen.points.subarray(r * 16, r * 16 + 16), (v) => v / 100));
    const clfAcc = confusionMatrix(
      Int32Array.from(test, (r) => pen.digits[r]),
      judge(realTest),
      10,
    ).accuracy;
    ctx.log(`${ctx.name}: trajectory classifier, held-out accuracy ${(100 * clfAcc).toFixed(2)}%`);
    // 2. the generator (from the checkpoint when there is one)
    const opt = adam({ lr: 0.003 });
    const tableOpt = adam({ lr: 0.03 });
    let model: RNNModel;
    let table: CategoryStates;
    let extra: Extra;
    if (resumed) {
      model = resumed.model;
      opt.setState(resumed.optimizer);
      extra = resumed.extra;
      table = CategoryStates.fromJSON(extra.table, model, ckpt);
      tableOpt.setState(unpackState(extra.tableOptimizer));
    } else {
      model = RNNModel.create(
        { cell: 'gru', input: 'dense', inputSize: 3, hiddenSize: f.hidden, outputSize: Y },
        { seed: f.seed, backend },
      );
      table = CategoryStates.create(model, 10, { seed: f.seed });
      extra = {
        epoch: 0,
        seconds: (Date.now() - t0) / 1000,
        classifier: f.classifier ?? classifierPath(f.out),
        hidden: f.hidden,
        table: table.toJSON(),
        tableOptimizer: packState(tableOpt.getState()),
      };
    }
    const tStart = Date.now() - extra.seconds * 1000;
    const loss = mixtureDensityLoss(K, 2);
    const nll = (idx: readonly number[]): number => {
      const { pts, gen } = batchOf(pen, idx);
      const { y } = model.forward(gen, { T, B: idx.length, state: table.gather(idx.map((r) => pen.digits[r])) });
      return loss(null, y, pts, { T, B: idx.length, Y }).loss;
    };
    const progress = ctx.quiet ? null : new ProgressLine({ total: f.epochs });
    const stop = stopOnSignals(ctx);
    const deadline = f.minutes === undefined ? Infinity : Date.now() + f.minutes * 60_000;
    try {
      while (extra.epoch < f.epochs && Date.now() < deadline) {
        await letSignalsIn(); // a signal during the epoch stops the run at its end
        if (stop.signal.aborted) break;
        const e = extra.epoch;
        const order = shuffled(train, rng);
        let sum = 0;
        let n = 0;
        for (let s = 0; s < order.length; s += 64) {
          const idx = order.slice(s, s + 64);
          const cats = idx.map((r) => pen.digits[r]);
          const { pts, gen } = batchOf(pen, idx);
          const { y, workspace } = model.forward(gen, { T, B: idx.length, state: table.gather(cats) });
          const dy = new Float32Array(y.length);
          sum += loss(dy, y, pts, { T, B: idx.length, Y }).loss;
          n++;
          table.backward(model.backward(workspace, dy), cats);
          clipGradNorm(model.grads, 5);
          opt.step(model.params, model.grads);
          tableOpt.step(table.params, table.grads);
          model.zeroGrads();
          table.zeroGrads();
        }
        progress?.update(
          e + 1,
          { 'train NLL/point': (sum / n).toFixed(3), 'held-out': nll(test).toFixed(3) },
          e + 1 === f.epochs,
        );
        extra.epoch = e + 1;
        extra.seconds = (Date.now() - tStart) / 1000;
        extra.table = table.toJSON();
        extra.tableOptimizer = packState(tableOpt.getState());
        saveCheckpoint(ckpt, model, { optimizer: opt.getState(), state: null, rng: rng.getState(), extra });
      }
    } finally {
      stop.dispose();
    }
    progress?.done();
    if (extra.epoch < f.epochs) {
      process.stdout.write(
        `stopped after generator epoch ${extra.epoch} of ${f.epochs}; ${ckpt} holds the training, rerun to resume\n`,
      );
      return;
    }
    const heldOut = nll(test);
    // 3. closed loop: generated trajectories judged by the classifier
    const sampleRng = new Rng(f.seed + 1);
    const wanted: number[] = [];
    const drawn: Float32Array[] = [];
    for (let d = 0; d < 10; d++)
      for (let i = 0; i < f.perDigit; i++) {
        drawn.push(drawDigit(model, table, d, sampleRng, f.temperature));
        wanted.push(d);
      }
    const m = confusionMatrix(wanted, judge(drawn), 10);
    const generated = [...Array(10).keys()].map((d) => drawn.slice(d * f.perDigit, d * f.perDigit + 10));
    const real = [...Array(10).keys()].map((d) =>
      test
        .filter((r) => pen.digits[r] === d)
        .slice(0, 10)
        .map((r) => Float32Array.from(pen.points.subarray(r * 16, r * 16 + 16), (v) => v / 100)),
    );
    const { default: sharp } = await import('sharp');
    writeFileAtomic(
      f.png,
      await sharp(Buffer.from(gridSvg(generated, real)))
        .png()
        .toBuffer(),
    );
    const table2: CategoryStatesJSON = table.toJSON();
    saveModel(f.out, model, {
      'eddy.task': 'digit -> pen trajectory (8 points, 3-component mixture density head)',
      'eddy.pen.categoryStates': JSON.stringify(table2),
      'eddy.pen.heldOutNll': heldOut.toFixed(4),
    });
    const result = {
      classifierHeldOutAccuracy: clfAcc,
      generatorHeldOutNllPerPoint: heldOut,
      closedLoopAccuracy: m.accuracy,
      perDigit: Array.from(m.recall),
      seconds: (Date.now() - tStart) / 1000,
    };
    writeFileSync(f.out.replace(/(\.safetensors)?$/, '.json'), JSON.stringify(result, null, 1));
    rmSync(ckpt, { force: true });
    process.stdout.write(
      `trajectory classifier: held-out accuracy ${(100 * clfAcc).toFixed(2)}% (${test.length} real trajectories)\n` +
        `generator: held-out NLL ${heldOut.toFixed(3)} nats per point (coordinates in 0..1)\n` +
        `closed loop: ${(100 * m.accuracy).toFixed(2)}% of ${drawn.length} generated trajectories judged as the requested digit ` +
        `(per digit: ${Array.from(m.recall, (r) => `${(100 * r).toFixed(0)}%`).join(' ')})\n` +
        `wrote ${f.png}, ${f.out} (${result.seconds.toFixed(0)} s)\n`,
    );
  },
});

/** Where the trajectory classifier trained beside the generator `out` is saved. */
function classifierPath(out: string): string {
  return out.replace(/(\.safetensors)?$/, '-classifier.safetensors');
}
