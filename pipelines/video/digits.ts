/**
 * Moving digits with occlusion: a digit from MNIST bounces inside the frame and passes behind a bar; every frame
 * is labelled with the digit, including the frames where the bar hides it entirely. Trains a recurrent frame
 * labeller and its per-frame baseline on the same joined streams (training digits), and reports accuracy and
 * macro F1 on visible and on hidden frames of clips made from MNIST test digits. On hidden frames a per-frame
 * model can do no better than the most frequent digit among them (printed as "chance"); memory can.
 *
 *   npm run video:digits -- [--data ../shared/data] [--clips 2000] [--epochs 15] [--out pipelines/models/video-digits.safetensors]
 *
 * Flags: --test-clips, --size S (frame side, default 40), --grid G (feature grid, default 10), --occluder W (bar
 * width, default 16), --frames T (per clip, default 20), --features pixels|motion|both (default both), --hidden,
 * --lr, --window, --streams, --seed, --limit (MNIST digits loaded per split, default 20000), --json.
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DIGIT_LABELS,
  EddyError,
  PerFrameClassifier,
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

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: '../shared/data' },
      out: { type: 'string', default: 'pipelines/models/video-digits.safetensors' },
      clips: { type: 'string', default: '2000' },
      'test-clips': { type: 'string', default: '200' },
      size: { type: 'string', default: '40' },
      grid: { type: 'string', default: '10' },
      occluder: { type: 'string', default: '16' },
      frames: { type: 'string', default: '20' },
      features: { type: 'string', default: 'both' },
      hidden: { type: 'string', default: '64' },
      epochs: { type: 'string', default: '15' },
      lr: { type: 'string', default: '0.003' },
      window: { type: 'string', default: '10' },
      streams: { type: 'string', default: '8' },
      seed: { type: 'string', default: '1' },
      limit: { type: 'string', default: '20000' },
      json: { type: 'boolean', default: false },
    },
  });
  const num = (flag: keyof typeof values): number => {
    const n = Number(values[flag]);
    if (!Number.isFinite(n))
      throw new EddyError(
        'ERR_INVALID_ARG',
        `Expected a number for --${flag} but received ${JSON.stringify(values[flag])}`,
      );
    return n;
  };
  const features = values.features;
  if (features !== 'pixels' && features !== 'motion' && features !== 'both')
    throw new EddyError(
      'ERR_INVALID_ARG',
      `Expected pixels, motion or both for --features but received ${JSON.stringify(features)}`,
    );
  const t0 = performance.now();
  const [train, test] = await Promise.all([
    loadMnist(mnistPaths(values.data, 'train'), { limit: num('limit') }),
    loadMnist(mnistPaths(values.data, 'test'), { limit: num('limit') }),
  ]);
  const S = num('size'),
    G = num('grid');
  const gen = { size: S, grid: G, occluderWidth: num('occluder'), frames: num('frames'), speedMin: 1, speedMax: 3 };
  const trainClips = digitClips(train, { ...gen, count: num('clips'), seed: num('seed') });
  const testClips = digitClips(test, { ...gen, count: num('test-clips'), seed: num('seed') + 1000 });
  const hiddenTrain = trainClips.reduce((s, c) => s + (c.flags?.reduce((a, b) => a + b, 0) ?? 0), 0);
  process.stderr.write(
    `generated ${trainClips.length} training clips (MNIST train digits; ${hiddenTrain} of ${trainClips.length * gen.frames} frames hidden) and ${testClips.length} test clips (MNIST test digits) of ${gen.frames} frames ${S}x${S}, features on a ${G}x${G} grid, in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );

  const labeler = createFrameLabeler({
    labels: [...DIGIT_LABELS],
    width: G,
    height: G,
    appearance: features !== 'motion',
    diff: features !== 'pixels',
    hiddenSize: num('hidden'),
    seed: num('seed'),
  });
  const opts = {
    epochs: num('epochs'),
    lr: num('lr'),
    window: num('window'),
    streams: num('streams'),
    seed: num('seed'),
  };
  const log = (who: string) => (e: number, loss: number) =>
    process.stderr.write(`${who} epoch ${e + 1}: loss ${loss.toFixed(4)}\n`);
  const rec = trainFrameLabeler(labeler, trainClips, { ...opts, onEpoch: log('recurrent') });
  const mlp = PerFrameClassifier.create(
    { inputSize: labeler.spec.size, hiddenSize: num('hidden'), outputSize: 10 },
    { seed: num('seed') },
  );
  const per = trainPerFrame(mlp, labeler.spec, trainClips, { ...opts, onEpoch: log('per-frame') });
  process.stderr.write(
    `trained on ${rec.frames} frames: recurrent ${labeler.model.numParams} params in ${rec.seconds.toFixed(1)} s, per-frame ${mlp.numParams} params in ${per.seconds.toFixed(1)} s\n`,
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
    process.stderr.write(`saved ${values.out} (${((await stat(values.out)).size / 1024).toFixed(1)} KiB)\n`);
  } else process.stderr.write(`model not saved: ${(bytes / 1048576).toFixed(1)} MB is over 2 MB\n`);
  if (values.json) process.stdout.write(`${JSON.stringify({ spec: labeler.spec, results })}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`video digits: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
