/**
 * Labels a video live, frame by frame, with a trained frame labeller: one JSON line per frame on stdout
 * (`{"frameIndex","timeMs","label","confidence","latencyMs"}`), a summary on stderr, and for one input a
 * contact sheet of sampled frames with their labels and a timeline of true (with --align) vs predicted labels.
 *
 *   npm run video:label -- --model pipelines/models/video-grid.safetensors --input ../shared/data/grid/s1/prbd1s.mpg \
 *     --align ../shared/data/grid/s1/prbd1s.align --realtime --sheet runs/sheet.png --timeline runs/timeline.png
 *
 * Flags: --input (a file, URL or device ffmpeg reads; repeat it to label several videos concurrently, each with
 * its own state: lines then carry "video"), --realtime (pace the video by its timestamps and report latency and
 * dropped frames), --max-lag ms (realtime: drop frames later than this, default 200), --align FILE (GRID
 * alignment: true labels for the timeline and an accuracy), --sheet PNG, --timeline PNG, --sheet-frames N
 * (default 18), --input-format FMT (ffmpeg -f, e.g. v4l2 for a camera), --backend auto|native|wasm|js (kernels of
 * the model; auto, the default, picks the fastest this machine has).
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  backendByName,
  createLiveStats,
  frameLabelsAsync,
  isSilent,
  labelVideos,
  latencySummary,
  loadFrameLabeler,
  parseGridAlign,
  readGridAlign,
  videoFramesAsync,
  writeContactSheet,
  writeLabelTimeline,
  type Frame,
  type FrameLabeler,
  type LiveStats,
  type SheetFrame,
} from '../../src/index.ts';
import { backendFlag, defineCommand, usage } from '../cli/command.ts';
import { modelFlag } from '../cli/shippedModels.ts';

interface Kept {
  index: number;
  timeMs: number;
  pixels: Float32Array;
}

/** Keeps a bounded, evenly spaced sample of frames: every `every`-th; when full, every other one goes and `every` doubles. */
class FrameSample {
  readonly kept: Kept[] = [];
  #every = 6;
  constructor(readonly max: number) {}
  offer(f: Frame): void {
    if (f.index % this.#every !== 0) return;
    this.kept.push({ index: f.index, timeMs: f.timeMs, pixels: f.data.slice() });
    if (this.kept.length > this.max) {
      this.#every *= 2;
      const keep = this.kept.filter((k) => k.index % this.#every === 0);
      this.kept.length = 0;
      this.kept.push(...keep);
    }
  }
}

/** `--align` needs a speaking-vs-silent model. */
function checkSpeechLabels(labeler: FrameLabeler): void {
  if (labeler.labels.indexOf('silent') < 0 || labeler.labels.indexOf('speaking') < 0)
    usage(`--align: needs a speaking-vs-silent model, but this one's labels are ${labeler.labels.join(', ')}`);
}

/** True labels from a GRID alignment, as ids of the labeller's classes `silent` / `speaking`. */
async function truthOf(align: string, labeler: FrameLabeler, frames: number): Promise<Int32Array> {
  const silent = labeler.labels.indexOf('silent');
  const speaking = labeler.labels.indexOf('speaking');
  const words = await readGridAlign(align, { frames });
  return Int32Array.from(words, (w) => (isSilent(w) ? silent : speaking));
}

function summary(stats: LiveStats, seconds: number): string {
  const l = latencySummary(stats);
  return `${stats.labeled} frames labelled of ${stats.received} received (${stats.dropped} dropped late, ${stats.missing} missing from the source) in ${seconds.toFixed(2)} s (${(stats.labeled / seconds).toFixed(1)} frames/s); latency mean ${l.meanMs.toFixed(2)} ms, p50 ${l.p50Ms.toFixed(2)} ms, p95 ${l.p95Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms`;
}

export const command = defineCommand({
  name: 'label',
  summary: 'label a video live, frame by frame: JSON lines on stdout, a summary on stderr, pictures',
  details: `Example: eddy label --model video-grid --input ../shared/data/grid/s1/prbd1s.mpg \\
  --align ../shared/data/grid/s1/prbd1s.align --realtime --sheet runs/sheet.png --timeline runs/timeline.png
Several --input label several videos concurrently, each with its own state (lines then carry "video").`,
  flags: {
    model: modelFlag('video-grid', 'frame labeller: a model file or a shipped model name'),
    input: {
      type: 'input',
      multiple: true,
      unchecked: true,
      placeholder: 'VIDEO',
      description: 'a video file, URL or device ffmpeg reads',
    },
    align: { type: 'input', description: 'GRID alignment: true labels for the timeline and an accuracy' },
    realtime: { type: 'boolean', description: 'pace the video by its timestamps; report latency and dropped frames' },
    'max-lag': {
      type: 'number',
      min: 0,
      default: 200,
      placeholder: 'MS',
      description: 'realtime: drop frames later than this',
    },
    sheet: { type: 'output', description: 'contact sheet PNG of sampled frames and their labels' },
    timeline: { type: 'output', description: 'timeline PNG of true (with --align) and predicted labels' },
    'sheet-frames': { type: 'integer', min: 1, max: 1000, default: 18, description: 'frames on the contact sheet' },
    'input-format': { type: 'string', placeholder: 'FMT', description: "ffmpeg's -f (e.g. v4l2 for a camera)" },
    backend: backendFlag,
  },
  async run(values, ctx) {
    const inputs = values.input;
    if (inputs.length === 0)
      usage('--input: expected a video file, URL or device (repeat for several) but received none');
    for (const input of inputs) {
      if (values.inputFormat !== undefined || /^[a-z][a-z0-9+.-]*:/i.test(input)) continue;
      if (!existsSync(input)) usage(`--input: expected an existing video file but received ${JSON.stringify(input)}`);
    }
    const maxLagMs = values.maxLag;
    const sheetFrames = values.sheetFrames;
    const labeler = loadFrameLabeler(values.model, { backend: backendByName(values.backend, { path: '--backend' }) });
    if (values.align !== undefined) {
      checkSpeechLabels(labeler);
      parseGridAlign(readFileSync(values.align, 'utf8'), values.align); // a malformed file fails now, not after labelling
    }
    ctx.begin();
    const { width, height } = labeler.spec;
    ctx.log(
      `model ${values.model}: ${labeler.model.config.cell} H=${labeler.model.config.hiddenSize}, ${width}x${height} gray frames, labels ${labeler.labels.join('/')}, ${labeler.model.backend.name} kernels`,
    );
    const decode = values.inputFormat === undefined ? {} : { inputFormat: values.inputFormat };
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    const t0 = performance.now();

    if (inputs.length > 1) {
      if (values.sheet || values.timeline || values.align)
        ctx.log('note: --sheet, --timeline and --align apply to a single --input; ignored');
      const perVideo = new Map<string, LiveStats>();
      await new Promise<void>((resolve, reject) => {
        const sub = labelVideos(inputs, labeler, { realtime: values.realtime, decode }).subscribe({
          next: (l) => {
            let s = perVideo.get(l.key);
            if (!s) {
              s = createLiveStats();
              perVideo.set(l.key, s);
            }
            s.received++;
            s.labeled++;
            s.latencySumMs += l.latencyMs;
            s.latencyMaxMs = Math.max(s.latencyMaxMs, l.latencyMs);
            s.recentLatenciesMs.push(l.latencyMs);
            process.stdout.write(
              `${JSON.stringify({ video: l.key, frameIndex: l.frameIndex, timeMs: l.timeMs, label: l.label, confidence: Number(l.confidence.toFixed(4)), latencyMs: Number(l.latencyMs.toFixed(3)) })}\n`,
            );
          },
          error: reject,
          complete: resolve,
        });
        controller.signal.addEventListener(
          'abort',
          () => {
            sub.unsubscribe();
            resolve();
          },
          { once: true },
        );
      });
      const seconds = (performance.now() - t0) / 1000;
      for (const [key, s] of perVideo) ctx.log(`${key}: ${summary(s, seconds)}`);
      return;
    }

    const input = inputs[0];
    const stats = createLiveStats();
    const sample = new FrameSample(sheetFrames);
    const frames = videoFramesAsync(input, {
      width,
      height,
      channels: 1,
      realtime: values.realtime,
      signal: controller.signal,
      ...decode,
    });
    async function* tapped(): AsyncGenerator<Frame> {
      for await (const f of frames) {
        sample.offer(f);
        yield f;
      }
    }
    const byIndex = new Map<number, { labelIndex: number; confidence: number; label: string }>();
    let last = -1;
    for await (const l of frameLabelsAsync(labeler, {
      realtime: values.realtime,
      maxLagMs,
      stats,
      signal: controller.signal,
    })(tapped())) {
      byIndex.set(l.frameIndex, l);
      last = Math.max(last, l.frameIndex);
      process.stdout.write(
        `${JSON.stringify({ frameIndex: l.frameIndex, timeMs: l.timeMs, label: l.label, confidence: Number(l.confidence.toFixed(4)), latencyMs: Number(l.latencyMs.toFixed(3)) })}\n`,
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    ctx.log(`${summary(stats, seconds)}${values.realtime ? '' : ' (not paced: pass --realtime for live timing)'}`);
    const T = Math.max(last + 1, stats.received);
    const pred = new Int32Array(T).fill(-1);
    const confidence = new Float32Array(T);
    for (const [i, l] of byIndex) {
      pred[i] = l.labelIndex;
      confidence[i] = l.confidence;
    }
    const truth = values.align ? await truthOf(values.align, labeler, T) : undefined;
    if (truth) {
      let ok = 0,
        n = 0;
      for (let t = 0; t < T; t++)
        if (pred[t] >= 0) {
          n++;
          if (pred[t] === truth[t]) ok++;
        }
      ctx.log(`accuracy against ${values.align}: ${((100 * ok) / Math.max(1, n)).toFixed(1)}% (${ok}/${n} frames)`);
    }
    const name = input.split('/').pop() ?? input;
    if (values.sheet) {
      const tiles: SheetFrame[] = sample.kept.map((k) => {
        const l = byIndex.get(k.index);
        const said = l ? `${l.label} ${l.confidence.toFixed(2)}` : 'dropped';
        const t = truth ? ` (true: ${labeler.labels[truth[k.index]]})` : '';
        return {
          pixels: k.pixels,
          width,
          height,
          title: `#${k.index}  ${(k.timeMs / 1000).toFixed(2)} s`,
          label: `${said}${t}`,
          wrong: truth !== undefined && l !== undefined && l.labelIndex !== truth[k.index],
        };
      });
      await writeContactSheet(values.sheet, tiles, {
        columns: 6,
        scale: Math.max(1, Math.round(160 / width)),
        title: `${name}: sampled frames and their labels`,
      });
      ctx.log(`contact sheet: ${values.sheet}`);
    }
    if (values.timeline) {
      await writeLabelTimeline(values.timeline, {
        labels: labeler.labels,
        pred,
        confidence,
        ...(truth ? { truth } : {}),
        title: name,
      });
      ctx.log(`timeline: ${values.timeline}`);
    }
  },
});
