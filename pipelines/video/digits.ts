/**
 * Moving digits with occlusion: a digit from MNIST bounces inside the frame and passes behind a bar; every frame
 * is labelled with the digit, including the frames where the bar hides it entirely. Trains a recurrent frame
 * labeller and its per-frame baseline on the same joined streams (training digits), and reports accuracy and
 * macro F1 on visible and on hidden frames of clips made from MNIST test digits. On hidden frames a per-frame
 * model can do no better than the most frequent digit among them (printed as "chance"); memory can.
 *
 *   eddy video-digits [--data ../shared/data] [--clips 2000] [--epochs 15] [--out runs/video-digits.safetensors]
 */
import { rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  DIGIT_LABELS,
  PerFrameClassifier,
  backendByName,
  createFrameLabeler,
  digitClips,
  frameMetrics,
  labelClips,
  labelClipsPerFrame,
  loadMnist,
  mnistPaths,
  saveFrameLabeler,
  trainFrameLabeler,
  trainPerFrame,
  type ClipPredictions,
  type LabeledClip,
} from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';

/** 1 for the hidden frames that come after a visible frame of the same clip (memory can know them), `// [ΣT]`. */
function hiddenAfterVisible(clips: readonly LabeledClip[]): Uint8Array {
  const out = new Uint8Array(clips.reduce((s, c) => s + c.T, 0));
  let at = 0;
  for (const c of clips) {
    let seen = false;
    for (let t = 0; t < c.T; t++) {
      const hidden = c.flags !== undefined && c.flags[t] === 1;
      if (!hidden) seen = true;
      else if (seen) out[at + t] = 1;
    }
    at += c.T;
  }
  return out;
}

function majority(truth: Int32Array, mask: Uint8Array, value: number): number {
  const counts = new Array<number>(10).fill(0);
  let n = 0;
  for (let i = 0; i < truth.length; i++)
    if (mask[i] === value) {
      counts[truth[i]]++;
      n++;
    }
  return n > 0 ? Math.max(...counts) / n : NaN;
}

export const command = defineCommand({
  name: 'video-digits',
  summary: 'moving MNIST digits behind a bar: train a recurrent frame labeller and its per-frame baseline',
  details:
    'Reports accuracy and macro F1 on visible and hidden frames of clips made from MNIST test digits. Each model ' +
    'writes an atomic checkpoint after every epoch (OUT.ckpt, OUT.per-frame.ckpt); a rerun of a killed run ' +
    'continues from them with the result of an uninterrupted run, and they are removed when the run completes.',
  flags: {
    data: {
      type: 'input',
      directory: true,
      default: '../shared/data',
      description: 'directory holding the MNIST .gz files',
    },
    out: {
      type: 'output',
      default: 'runs/video-digits.safetensors',
      description: 'where the recurrent model is saved',
    },
    clips: { type: 'integer', min: 1, default: 2000, description: 'training clips' },
    'test-clips': { type: 'integer', min: 1, default: 200, description: 'test clips' },
    size: {
      type: 'integer',
      min: 28,
      max: 512,
      default: 40,
      description: 'frame side in pixels (at least an MNIST digit, 28)',
    },
    grid: { type: 'integer', min: 1, max: 128, default: 10, description: 'feature grid side' },
    occluder: { type: 'integer', min: 0, default: 16, description: 'occluding bar width in pixels' },
    frames: { type: 'integer', min: 2, default: 20, description: 'frames per clip' },
    features: { type: 'choice', choices: ['pixels', 'motion', 'both'], default: 'both', description: 'frame features' },
    hidden: { type: 'integer', min: 1, max: 4096, default: 64, description: 'hidden units (both models)' },
    epochs: { type: 'integer', min: 1, default: 15, description: 'training epochs' },
    lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.003, description: 'learning rate (Adam)' },
    window: { type: 'integer', min: 1, default: 10, description: 'truncated-BPTT window' },
    streams: { type: 'integer', min: 1, default: 8, description: 'joined streams per batch' },
    seed: { type: 'integer', min: 0, max: 0xffffffff, default: 1, description: 'seed of clips, init and training' },
    limit: { type: 'integer', min: 1, default: 20000, description: 'MNIST digits loaded per split' },
    json: { type: 'boolean', description: 'one JSON line of results on stdout' },
    'no-resume': { type: 'boolean', description: 'start afresh even when the checkpoints OUT.ckpt exist' },
    backend: backendFlag,
  },
  async run(values, ctx) {
    const features = values.features;
    const t0 = performance.now();
    const [train, test] = await Promise.all([
      loadMnist(mnistPaths(values.data, 'train'), { limit: values.limit }),
      loadMnist(mnistPaths(values.data, 'test'), { limit: values.limit }),
    ]);
    ctx.begin();
    const S = values.size,
      G = values.grid;
    const gen = { size: S, grid: G, occluderWidth: values.occluder, frames: values.frames, speedMin: 1, speedMax: 3 };
    const trainClips = digitClips(train, { ...gen, count: values.clips, seed: values.seed });
    const testClips = digitClips(test, { ...gen, count: values.testClips, seed: values.seed + 1000 });
    const hiddenTrain = trainClips.reduce((s, c) => s + (c.flags?.reduce((a, b) => a + b, 0) ?? 0), 0);
    ctx.log(
      `generated ${trainClips.length} training clips (MNIST train digits; ${hiddenTrain} of ${trainClips.length * gen.frames} frames hidden) and ${testClips.length} test clips (MNIST test digits) of ${gen.frames} frames ${S}x${S}, features on a ${G}x${G} grid, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const labeler = createFrameLabeler({
      labels: [...DIGIT_LABELS],
      width: G,
      height: G,
      appearance: features !== 'motion',
      diff: features !== 'pixels',
      hiddenSize: values.hidden,
      seed: values.seed,
      backend: backendByName(values.backend, { path: '--backend' }),
    });
    const opts = {
      epochs: values.epochs,
      lr: values.lr,
      window: values.window,
      streams: values.streams,
      seed: values.seed,
      resume: !values.noResume,
    };
    // after every epoch an atomic checkpoint per model; a rerun of a killed run continues from them
    const ckpts = { recurrent: `${values.out}.ckpt`, perFrame: `${values.out}.per-frame.ckpt` };
    const log = (who: string) => (e: number, loss: number) => ctx.log(`${who} epoch ${e + 1}: loss ${loss.toFixed(4)}`);
    const resumed = (who: string, path: string, epochs: number) => {
      if (epochs > 0) ctx.log(`${who}: epochs 1-${epochs} were read from ${path} (a run stopped before)`);
    };
    const rec = trainFrameLabeler(labeler, trainClips, {
      ...opts,
      checkpoint: ckpts.recurrent,
      onEpoch: log('recurrent'),
    });
    resumed('recurrent', ckpts.recurrent, rec.resumedEpochs);
    const mlp = PerFrameClassifier.create(
      { inputSize: labeler.spec.size, hiddenSize: values.hidden, outputSize: 10 },
      { seed: values.seed, backend: labeler.model.backend },
    );
    const per = trainPerFrame(mlp, labeler.spec, trainClips, {
      ...opts,
      checkpoint: ckpts.perFrame,
      onEpoch: log('per-frame'),
    });
    resumed('per-frame', ckpts.perFrame, per.resumedEpochs);
    ctx.log(
      `trained on ${rec.frames} frames: recurrent ${labeler.model.numParams} params in ${rec.seconds.toFixed(1)} s, per-frame ${mlp.numParams} params in ${per.seconds.toFixed(1)} s`,
    );

    const r = labelClips(labeler, testClips);
    const p = labelClipsPerFrame(mlp, labeler.spec, testClips);
    const after = hiddenAfterVisible(testClips);
    const row = (name: string, mask: Uint8Array, value: number) => {
      const m = (x: ClipPredictions) => frameMetrics(x.pred, x.truth, { classes: 10, mask, maskValue: value });
      const a = m(r),
        b = m(p);
      return {
        set: name,
        frames: a.frames,
        recurrent: { accuracy: a.accuracy, f1: a.f1 },
        perFrame: { accuracy: b.accuracy, f1: b.f1 },
        chance: majority(r.truth, mask, value),
      };
    };
    const results = [row('visible', r.flags, 0), row('hidden', r.flags, 1), row('hidden, seen before', after, 1)];
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
    process.stdout.write(
      `\n${'test frames'.padEnd(22)}${'frames'.padStart(7)}  ${'recurrent acc'.padStart(13)} ${'F1'.padStart(6)}  ${'per-frame acc'.padStart(13)} ${'F1'.padStart(6)}  ${'chance'.padStart(7)}\n`,
    );
    for (const x of results) {
      process.stdout.write(
        `${x.set.padEnd(22)}${String(x.frames).padStart(7)}  ${pct(x.recurrent.accuracy).padStart(13)} ${x.recurrent.f1.toFixed(3).padStart(6)}  ${pct(x.perFrame.accuracy).padStart(13)} ${x.perFrame.f1.toFixed(3).padStart(6)}  ${pct(x.chance).padStart(7)}\n`,
      );
    }
    const bytes = labeler.model.numParams * 4;
    if (bytes < 2 * 1024 * 1024) {
      saveFrameLabeler(values.out, labeler, { 'eddy.video.task': 'moving MNIST digits with occlusion' });
      ctx.log(`saved ${values.out} (${((await stat(values.out)).size / 1024).toFixed(1)} KiB)`);
    } else ctx.log(`model not saved: ${(bytes / 1048576).toFixed(1)} MB is over 2 MB`);
    for (const path of Object.values(ckpts)) rmSync(path, { force: true }); // the run is complete
    if (values.json) process.stdout.write(`${JSON.stringify({ spec: labeler.spec, results })}\n`);
  },
});
