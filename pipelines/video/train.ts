/**
 * GRID speaking-vs-silent: trains a recurrent frame labeller and its per-frame baseline on 8 clips of speaker 1,
 * tests both on the 2 held-out speaker-1 clips and on speaker 2, prints accuracy and F1 (speaking = positive),
 * and saves the recurrent model (if under 2 MB).
 *
 *   eddy video-train [--data ../shared/data/grid] [--out runs/video-grid.safetensors] [--seeds 5]
 */
import { readdirSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EddyError,
  GRID_SPEECH_LABELS,
  PerFrameClassifier,
  backendByName,
  createFrameLabeler,
  frameMetrics,
  gridSpeechClip,
  labelClips,
  labelClipsPerFrame,
  saveFrameLabeler,
  trainFrameLabeler,
  trainPerFrame,
  type FrameLabelerOptions,
  type LabeledClip,
} from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';

/** `WxH` -> [W, H]. */
function parseSize(v: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error('not WxH');
  return [Number(m[1]), Number(m[2])];
}

/** `a,b,c,d` -> n integers >= 0. */
function parseList(v: string, n: number): number[] {
  const xs = v.split(',').map(Number);
  if (xs.length !== n || !xs.every((x) => Number.isInteger(x) && x >= 0)) throw new Error('not a list');
  return xs;
}

/** Accuracy and F1 of both models on one set, plus the majority-class accuracy. */
function score(
  name: string,
  labeler: ReturnType<typeof createFrameLabeler>,
  mlp: PerFrameClassifier,
  clips: LabeledClip[],
) {
  const rec = labelClips(labeler, clips);
  const per = labelClipsPerFrame(mlp, labeler.spec, clips);
  const r = frameMetrics(rec.pred, rec.truth, { classes: 2, positive: 1 });
  const p = frameMetrics(per.pred, per.truth, { classes: 2, positive: 1 });
  let speaking = 0;
  for (const t of rec.truth) speaking += t;
  const majority = Math.max(speaking, rec.truth.length - speaking) / rec.truth.length;
  return {
    set: name,
    clips: clips.length,
    frames: r.frames,
    recurrent: { accuracy: r.accuracy, f1: r.f1 },
    perFrame: { accuracy: p.accuracy, f1: p.f1 },
    majority,
  };
}

export const command = defineCommand({
  name: 'video-train',
  summary: 'GRID speaking vs silent: train a recurrent frame labeller and its per-frame baseline, test both',
  details:
    "Trains on 8 clips of speaker 1, tests on the 2 held-out speaker-1 clips and on speaker 2, prints accuracy\nand F1 (speaking = positive), and saves the first seed's recurrent model to --out. Each seed's two models\nwrite atomic checkpoints after every epoch (OUT.s<seed>.ckpt, OUT.s<seed>.per-frame.ckpt); a rerun of a killed\nrun continues from them, and they are removed when every seed is done.",
  flags: {
    data: {
      type: 'input',
      directory: true,
      default: '../shared/data/grid',
      description: 'directory holding s1/ and s2/',
    },
    out: {
      type: 'output',
      default: 'runs/video-grid.safetensors',
      description: "where the first seed's model is saved",
    },
    size: {
      type: 'custom',
      default: '90x72',
      placeholder: 'WxH',
      expected: 'WxH (e.g. 90x72)',
      parse: parseSize,
      description: 'decode size',
    },
    crop: {
      type: 'custom',
      default: '29,46,24,16',
      placeholder: 'L,T,W,H',
      expected: '4 comma-separated integers >= 0 (left,top,width,height)',
      parse: (v: string) => parseList(v, 4),
      description: 'mouth region in decoded pixels',
    },
    pool: { type: 'integer', min: 1, default: 1, description: 'average-pool the crop by k' },
    appearance: { type: 'boolean', description: 'add the pixels to the motion features' },
    'no-normalize': {
      type: 'boolean',
      description: 'raw frame differences instead of differences over their running RMS',
    },
    cell: {
      type: 'choice',
      choices: ['gru', 'lstm', 'rnn_tanh', 'rnn_relu'],
      default: 'gru',
      description: 'recurrent cell',
    },
    hidden: { type: 'integer', min: 1, max: 4096, default: 16, description: 'hidden units (both models)' },
    epochs: { type: 'integer', min: 1, default: 30, description: 'training epochs' },
    lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.003, description: 'learning rate (Adam)' },
    window: { type: 'integer', min: 1, default: 25, description: 'truncated-BPTT window k1' },
    streams: { type: 'integer', min: 1, default: 8, description: 'joined streams B' },
    seed: { type: 'integer', min: 0, max: 0xffffffff, default: 1, description: 'first seed' },
    seeds: {
      type: 'integer',
      min: 1,
      max: 100,
      default: 1,
      description: 'repeat with seeds seed..seed+N-1; print mean, min, max',
    },
    json: { type: 'boolean', description: 'one JSON line of results on stdout' },
    'no-resume': { type: 'boolean', description: 'start afresh even when the checkpoints OUT.s<seed>.ckpt exist' },
    backend: backendFlag,
  },
  async run(values, ctx) {
    const [width, height] = values.size;
    const [left, top, cw, ch] = values.crop;
    const s1 = join(values.data, 's1');
    const s2 = join(values.data, 's2');
    const list = (dir: string): string[] => {
      try {
        return readdirSync(dir)
          .filter((f) => f.endsWith('.mpg'))
          .sort()
          .map((f) => join(dir, f));
      } catch {
        throw new EddyError(
          'ERR_FILE',
          `Cannot read GRID clips in ${JSON.stringify(dir)} (pass --data DIR holding s1/ and s2/)`,
        );
      }
    };
    const s1Clips = list(s1);
    if (s1Clips.length < 10)
      throw new EddyError('ERR_FILE', `Expected 10 GRID clips in ${s1} but found ${s1Clips.length}`);
    const t0 = performance.now();
    const decode = { width, height };
    const clips = await Promise.all(s1Clips.map((p) => gridSpeechClip(p, decode)));
    const speaker2 = await Promise.all(list(s2).map((p) => gridSpeechClip(p, decode)));
    ctx.begin();
    const train = clips.slice(0, 8);
    const heldOut = clips.slice(8);
    ctx.log(
      `decoded ${clips.length + speaker2.length} clips at ${width}x${height} in ${((performance.now() - t0) / 1000).toFixed(1)} s; train: ${train.map((c) => c.name).join(' ')}; held out: ${heldOut.map((c) => c.name).join(' ')}; speaker 2: ${speaker2.map((c) => c.name).join(' ')}`,
    );

    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7);
    const seeds = values.seeds;
    const runs: ReturnType<typeof score>[][] = [];
    const checkpoints: string[] = [];
    for (let k = 0; k < seeds; k++) {
      const seed = values.seed + k;
      const options: FrameLabelerOptions = {
        labels: [...GRID_SPEECH_LABELS],
        width,
        height,
        crop: { left, top, width: cw, height: ch },
        pool: values.pool,
        appearance: values.appearance,
        diff: true,
        normalize: !values.noNormalize,
        cell: values.cell as NonNullable<FrameLabelerOptions['cell']>,
        hiddenSize: values.hidden,
        seed,
        backend: backendByName(values.backend, { path: '--backend' }),
      };
      const labeler = createFrameLabeler(options);
      const train1 = {
        epochs: values.epochs,
        lr: values.lr,
        window: values.window,
        streams: values.streams,
        seed,
        resume: !values.noResume,
      };
      const every = (who: string) => (e: number, loss: number) => {
        if ((e + 1) % 10 === 0) ctx.log(`seed ${seed} ${who} epoch ${e + 1}: loss ${loss.toFixed(4)}`);
      };
      // an atomic checkpoint per seed and model after every epoch; a rerun of a killed run continues from them
      const ck = { recurrent: `${values.out}.s${seed}.ckpt`, perFrame: `${values.out}.s${seed}.per-frame.ckpt` };
      checkpoints.push(ck.recurrent, ck.perFrame);
      const read = (who: string, path: string, epochs: number) => {
        if (epochs > 0)
          ctx.log(`seed ${seed} ${who}: epochs 1-${epochs} were read from ${path} (a run stopped before)`);
      };
      const rec = trainFrameLabeler(labeler, train, {
        ...train1,
        checkpoint: ck.recurrent,
        onEpoch: every('recurrent'),
      });
      read('recurrent', ck.recurrent, rec.resumedEpochs);
      const mlp = PerFrameClassifier.create(
        { inputSize: labeler.spec.size, hiddenSize: values.hidden, outputSize: 2 },
        { seed, backend: labeler.model.backend },
      );
      const per = trainPerFrame(mlp, labeler.spec, train, {
        ...train1,
        checkpoint: ck.perFrame,
        onEpoch: every('per-frame'),
      });
      read('per-frame', ck.perFrame, per.resumedEpochs);
      ctx.log(
        `seed ${seed}: recurrent ${labeler.model.numParams} params in ${rec.seconds.toFixed(1)} s, per-frame ${mlp.numParams} params in ${per.seconds.toFixed(1)} s (${rec.updates} updates each, features X = ${labeler.spec.size})`,
      );
      const results = [
        score('s1 train (8 clips)', labeler, mlp, train),
        score('s1 held-out (2 clips)', labeler, mlp, heldOut),
        score('s2 (new speaker)', labeler, mlp, speaker2),
      ];
      runs.push(results);
      process.stdout.write(
        `\nseed ${seed}\n${'set'.padEnd(24)}${'frames'.padStart(7)}  ${'recurrent acc'.padStart(13)} ${'F1'.padStart(6)}  ${'per-frame acc'.padStart(13)} ${'F1'.padStart(6)}  ${'majority'.padStart(8)}\n`,
      );
      for (const r of results) {
        process.stdout.write(
          `${r.set.padEnd(24)}${String(r.frames).padStart(7)}  ${pct(r.recurrent.accuracy).padStart(13)} ${r.recurrent.f1.toFixed(3).padStart(6)}  ${pct(r.perFrame.accuracy).padStart(13)} ${r.perFrame.f1.toFixed(3).padStart(6)}  ${pct(r.majority).padStart(8)}\n`,
        );
      }
      if (k === 0)
        await saveSmall(ctx.log, values.out, labeler, {
          'eddy.video.task': 'grid speaking vs silent',
          'eddy.video.train': train.map((c) => c.name).join(' '),
        });
    }
    if (seeds > 1) {
      const mean = (f: (r: ReturnType<typeof score>) => number, i: number): number =>
        runs.reduce((s, rs) => s + f(rs[i]), 0) / seeds;
      const min = (f: (r: ReturnType<typeof score>) => number, i: number): number =>
        Math.min(...runs.map((rs) => f(rs[i])));
      const max = (f: (r: ReturnType<typeof score>) => number, i: number): number =>
        Math.max(...runs.map((rs) => f(rs[i])));
      process.stdout.write(
        `\nmean over ${seeds} seeds [min, max]\n${'set'.padEnd(24)}  ${'recurrent acc'.padStart(22)} ${'F1'.padStart(6)}  ${'per-frame acc'.padStart(22)} ${'F1'.padStart(6)}\n`,
      );
      runs[0].forEach((r, i) => {
        const ra = (x: ReturnType<typeof score>) => x.recurrent.accuracy,
          pa = (x: ReturnType<typeof score>) => x.perFrame.accuracy;
        const rf = (x: ReturnType<typeof score>) => x.recurrent.f1,
          pf = (x: ReturnType<typeof score>) => x.perFrame.f1;
        const cell = (f: (x: ReturnType<typeof score>) => number) =>
          `${pct(mean(f, i)).trim()} [${pct(min(f, i)).trim()}, ${pct(max(f, i)).trim()}]`;
        process.stdout.write(
          `${r.set.padEnd(24)}  ${cell(ra).padStart(22)} ${mean(rf, i).toFixed(3).padStart(6)}  ${cell(pa).padStart(22)} ${mean(pf, i).toFixed(3).padStart(6)}\n`,
        );
      });
    }
    for (const path of checkpoints) rmSync(path, { force: true }); // every seed is done
    if (values.json) process.stdout.write(`${JSON.stringify({ runs })}\n`);
  },
});

async function saveSmall(
  log: (line: string) => void,
  path: string,
  labeler: ReturnType<typeof createFrameLabeler>,
  extra: Record<string, string>,
): Promise<void> {
  const bytes = labeler.model.numParams * 4;
  if (bytes >= 2 * 1024 * 1024) {
    log(`model not saved: ${labeler.model.numParams} params (${(bytes / 1048576).toFixed(1)} MB) is over 2 MB`);
    return;
  }
  saveFrameLabeler(path, labeler, extra);
  log(`saved ${path} (${((await stat(path)).size / 1024).toFixed(1)} KiB)`);
}
