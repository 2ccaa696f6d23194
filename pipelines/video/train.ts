/**
 * GRID speaking-vs-silent: trains a recurrent frame labeller and its per-frame baseline on 8 clips of speaker 1,
 * tests both on the 2 held-out speaker-1 clips and on speaker 2, prints accuracy and F1 (speaking = positive),
 * and saves the recurrent model (if under 2 MB).
 *
 *   npm run video:train -- [--data ../shared/data/grid] [--out pipelines/models/video-grid.safetensors]
 *
 * Flags: --size WxH (decode size, default 90x72), --crop left,top,width,height (mouth region in decoded pixels,
 * default 29,46,24,16), --pool k, --appearance (add the pixels to the motion features), --no-normalize (raw
 * frame differences instead of differences over their running RMS), --cell gru|lstm,
 * --hidden H, --epochs, --lr, --window k1, --streams B, --seed, --seeds N (repeat with seeds seed..seed+N-1 and
 * print the mean, min and max; the first seed's model is saved), --json (one JSON line of results on stdout).
 */
import { readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  EddyError,
  GRID_SPEECH_LABELS,
  PerFrameClassifier,
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

function parseSize(flag: string, v: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m)
    throw new EddyError('ERR_INVALID_ARG', `Expected WxH (e.g. 90x72) for --${flag} but received ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

function parseList(flag: string, v: string, n: number): number[] {
  const xs = v.split(',').map(Number);
  if (xs.length !== n || !xs.every((x) => Number.isInteger(x) && x >= 0))
    throw new EddyError(
      'ERR_INVALID_ARG',
      `Expected ${n} comma-separated integers for --${flag} but received ${JSON.stringify(v)}`,
    );
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

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: '../shared/data/grid' },
      out: { type: 'string', default: 'pipelines/models/video-grid.safetensors' },
      size: { type: 'string', default: '90x72' },
      crop: { type: 'string', default: '29,46,24,16' },
      pool: { type: 'string', default: '1' },
      appearance: { type: 'boolean', default: false },
      'no-normalize': { type: 'boolean', default: false },
      cell: { type: 'string', default: 'gru' },
      hidden: { type: 'string', default: '16' },
      epochs: { type: 'string', default: '30' },
      lr: { type: 'string', default: '0.003' },
      window: { type: 'string', default: '25' },
      streams: { type: 'string', default: '8' },
      seed: { type: 'string', default: '1' },
      seeds: { type: 'string', default: '1' },
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
  const [width, height] = parseSize('size', values.size);
  const [left, top, cw, ch] = parseList('crop', values.crop, 4);
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
  const train = clips.slice(0, 8);
  const heldOut = clips.slice(8);
  process.stderr.write(
    `decoded ${clips.length + speaker2.length} clips at ${width}x${height} in ${((performance.now() - t0) / 1000).toFixed(1)} s; train: ${train.map((c) => c.name).join(' ')}; held out: ${heldOut.map((c) => c.name).join(' ')}; speaker 2: ${speaker2.map((c) => c.name).join(' ')}\n`,
  );

  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7);
  const seeds = num('seeds');
  const runs: ReturnType<typeof score>[][] = [];
  for (let k = 0; k < seeds; k++) {
    const seed = num('seed') + k;
    const options: FrameLabelerOptions = {
      labels: [...GRID_SPEECH_LABELS],
      width,
      height,
      crop: { left, top, width: cw, height: ch },
      pool: num('pool'),
      appearance: values.appearance,
      diff: true,
      normalize: !values['no-normalize'],
      cell: values.cell as NonNullable<FrameLabelerOptions['cell']>,
      hiddenSize: num('hidden'),
      seed,
    };
    const labeler = createFrameLabeler(options);
    const train1 = { epochs: num('epochs'), lr: num('lr'), window: num('window'), streams: num('streams'), seed };
    const every = (who: string) => (e: number, loss: number) => {
      if ((e + 1) % 10 === 0) process.stderr.write(`seed ${seed} ${who} epoch ${e + 1}: loss ${loss.toFixed(4)}\n`);
    };
    const rec = trainFrameLabeler(labeler, train, { ...train1, onEpoch: every('recurrent') });
    const mlp = PerFrameClassifier.create(
      { inputSize: labeler.spec.size, hiddenSize: num('hidden'), outputSize: 2 },
      { seed },
    );
    const per = trainPerFrame(mlp, labeler.spec, train, { ...train1, onEpoch: every('per-frame') });
    process.stderr.write(
      `seed ${seed}: recurrent ${labeler.model.numParams} params in ${rec.seconds.toFixed(1)} s, per-frame ${mlp.numParams} params in ${per.seconds.toFixed(1)} s (${rec.updates} updates each, features X = ${labeler.spec.size})\n`,
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
      await saveSmall(values.out, labeler, {
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
  if (values.json) process.stdout.write(`${JSON.stringify({ runs })}\n`);
}

async function saveSmall(
  path: string,
  labeler: ReturnType<typeof createFrameLabeler>,
  extra: Record<string, string>,
): Promise<void> {
  const bytes = labeler.model.numParams * 4;
  if (bytes >= 2 * 1024 * 1024) {
    process.stderr.write(
      `model not saved: ${labeler.model.numParams} params (${(bytes / 1048576).toFixed(1)} MB) is over 2 MB\n`,
    );
    return;
  }
  saveFrameLabeler(path, labeler, extra);
  process.stderr.write(`saved ${path} (${((await stat(path)).size / 1024).toFixed(1)} KiB)\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`video train: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
