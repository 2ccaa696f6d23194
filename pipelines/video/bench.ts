/**
 * Speed of live frame labelling: frames per second through the whole pipeline (ffmpeg decode, features, GRU
 * step, softmax) for a GRID clip at 64x64 grayscale features with hidden size 128, each stage alone, the model
 * step alone (checked against the reference backend first, and timed against it as a peer), and a real-time
 * run at 25 fps with its latency, dropped frames and CPU use. Not a test.
 *
 *   eddy video-bench [--input ../shared/data/grid/s1/bbal6n.mpg] [--hidden 128] [--size 64] [--runs 5]
 *                    [--stress-hidden 2048] [--backend auto|native|wasm|js]
 *
 * A last run labels the clip in real time with a model too big to keep up (--stress-hidden, 0 to skip), to show
 * late frames being dropped. CPU time is read from /proc (this process plus the ffmpeg children it has reaped), so "share of a core"
 * counts decoding too. Other work on the machine slows wall-clock numbers; the load average is printed.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import {
  EddyError,
  FrameFeatures,
  RNNModel,
  Rng,
  backendByName,
  createFrameLabeler,
  createLiveStats,
  labelVideoAsync,
  latencySummary,
  referenceBackend,
  videoFramesAsync,
  type FrameLabeler,
} from '../../src/index.ts';
import { backendFlag, defineCommand } from '../cli/command.ts';

/** CPU seconds of this process and its reaped children (ffmpeg), from /proc/self/stat. */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in ticks of 1/100 s
  } catch {
    // not Linux: children unknown
  }
  return (own.user + own.system) / 1e6 + children;
}

async function drain<T>(it: AsyncIterable<T>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

interface Timed {
  frames: number;
  wall: number;
  cpu: number;
}

async function timed(run: () => Promise<number>): Promise<Timed> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const frames = await run();
  return { frames, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
}

function best(xs: Timed[]): Timed {
  return xs.reduce((a, b) => (b.wall < a.wall ? b : a));
}

/** Times `steps` model steps on one row, after checking the step against the reference backend's. */
function stepRate(
  labeler: FrameLabeler,
  steps: number,
): { js: number; jsCpuMs: number; reference: number; maxDiff: number } {
  const { model } = labeler;
  const X = labeler.spec.size;
  const rng = new Rng(5);
  const xs = Array.from({ length: 8 }, () => Float32Array.from({ length: X }, () => rng.uniform(0, 1)));
  const peer = new RNNModel(model.config, model.params.slice(), referenceBackend);
  const s1 = model.createState(1),
    s2 = peer.createState(1);
  const y1 = new Float32Array(labeler.labels.length),
    y2 = new Float32Array(labeler.labels.length);
  let maxDiff = 0;
  for (let t = 0; t < 20; t++) {
    model.step(xs[t % 8], s1, y1);
    peer.step(xs[t % 8], s2, y2);
    for (let k = 0; k < y1.length; k++) maxDiff = Math.max(maxDiff, Math.abs(y1[k] - y2[k]));
    for (let k = 0; k < s1.h.length; k++) maxDiff = Math.max(maxDiff, Math.abs(s1.h[k] - s2.h[k]));
  }
  if (!(maxDiff < 1e-4))
    throw new EddyError('ERR_NON_FINITE', `video bench: the js step differs from the reference step by ${maxDiff}`);
  let cpuMs = 0;
  const rate = (m: RNNModel, n: number): number => {
    const s = m.createState(1);
    for (let t = 0; t < 20; t++) m.step(xs[t % 8], s, y1); // warm up
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let t = 0; t < n; t++) m.step(xs[t % 8], s, y1);
    const c = process.cpuUsage(c0);
    cpuMs = (c.user + c.system) / 1000 / n;
    return (n * 1000) / (performance.now() - t0);
  };
  const js = rate(model, steps);
  const jsCpuMs = cpuMs;
  return { js, jsCpuMs, reference: rate(peer, Math.max(50, Math.floor(steps / 10))), maxDiff };
}

export const command = defineCommand({
  name: 'video-bench',
  summary: 'time the live video pipeline: decode, features, model step, real-time latency',
  flags: {
    input: { type: 'input', default: '../shared/data/grid/s1/bbal6n.mpg', description: 'the video clip' },
    hidden: { type: 'integer', min: 1, max: 8192, default: 128, description: 'GRU hidden units' },
    size: { type: 'integer', min: 8, max: 1024, default: 64, description: 'square gray frame side' },
    runs: { type: 'integer', min: 1, default: 5, description: 'repeats of the unpaced pipeline (best is kept)' },
    steps: { type: 'integer', min: 10, default: 2000, description: 'model steps timed alone' },
    'stress-hidden': { type: 'integer', min: 0, default: 2048, description: 'H of the overloaded labeller (0: skip)' },
    backend: backendFlag,
  },
  async run(values) {
    const backend = backendByName(values.backend, { path: '--backend' });
    const H = values.hidden;
    const S = values.size;
    const runs = values.runs;
    const steps = values.steps;
    const clip = values.input;
    const out = (s: string): void => void process.stdout.write(`${s}\n`);
    out(
      `video bench: ${clip}, ${S}x${S} gray features, GRU H=${H}, ${backend.name} kernels; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on this machine`,
    );
    for (const diff of [false, true]) {
      const labeler = createFrameLabeler({
        labels: ['silent', 'speaking'],
        width: S,
        height: S,
        appearance: true,
        diff,
        cell: 'gru',
        hiddenSize: H,
        seed: 1,
        backend,
      });
      const X = labeler.spec.size;
      out(
        `\nfeatures: ${diff ? 'pixels + differences' : 'pixels'} (X = ${X}), ${labeler.model.numParams.toLocaleString('en-US')} parameters`,
      );
      const size = { width: S, height: S, channels: 1 as const };
      const decode: Timed[] = [],
        whole: Timed[] = [];
      for (let r = 0; r < runs; r++) {
        decode.push(await timed(() => drain(videoFramesAsync(clip, size))));
        whole.push(await timed(() => drain(labelVideoAsync(clip, labeler))));
      }
      // features alone, on the decoded frames
      const frames: Float32Array[] = [];
      for await (const f of videoFramesAsync(clip, size)) frames.push(f.data);
      const fx = new FrameFeatures(labeler.spec);
      const reps = 20;
      const f0 = performance.now();
      for (let r = 0; r < reps; r++) for (const data of frames) fx.extract({ data, width: S, height: S, channels: 1 });
      const featRate = (reps * frames.length * 1000) / (performance.now() - f0);
      const step = stepRate(labeler, steps);
      const d = best(decode),
        w = best(whole);
      const perFrameCpuMs = (1000 * w.cpu) / w.frames;
      out(
        `  whole pipeline (decode + features + step + softmax), unpaced: ${(w.frames / w.wall).toFixed(0)} frames/s (best of ${runs}: ${w.frames} frames in ${(w.wall * 1000).toFixed(0)} ms, ffmpeg start-up included)`,
      );
      out(
        `    CPU: ${perFrameCpuMs.toFixed(2)} ms per frame (node + ffmpeg) -> at 25 fps ${(perFrameCpuMs * 2.5).toFixed(1)}% of one core`,
      );
      out(
        `  decode alone (ffmpeg -> frames): ${(d.frames / d.wall).toFixed(0)} frames/s, ${((1000 * d.cpu) / d.frames).toFixed(2)} ms CPU per frame`,
      );
      out(`  features alone: ${featRate.toFixed(0)} frames/s (${(1000 / featRate).toFixed(3)} ms per frame)`);
      out(
        `  model step alone (B = 1, checked against the reference backend: max |diff| ${step.maxDiff.toExponential(1)}): ${step.js.toFixed(0)} steps/s (${(1000 / step.js).toFixed(3)} ms wall, ${step.jsCpuMs.toFixed(3)} ms CPU); reference backend ${step.reference.toFixed(0)} steps/s; ${backend.name}/reference ${(step.js / step.reference).toFixed(1)}x`,
      );
      out(
        `    headroom over 25 fps: whole pipeline ${(w.frames / w.wall / 25).toFixed(1)}x, step alone ${(step.js / 25).toFixed(0)}x`,
      );
      // real time: paced by the clip's timestamps, as a camera would deliver it
      const stats = createLiveStats();
      const rt = await timed(() => drain(labelVideoAsync(clip, labeler, { realtime: true, stats })));
      const l = latencySummary(stats);
      out(
        `  real time (25 fps pacing): ${stats.labeled}/${stats.received} frames labelled, ${stats.dropped} dropped, latency p50 ${l.p50Ms.toFixed(2)} ms, p95 ${l.p95Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms; CPU ${((100 * rt.cpu) / rt.wall).toFixed(1)}% of one core over ${rt.wall.toFixed(2)} s`,
      );
      const keepsUp = stats.dropped === 0 && (100 * rt.cpu) / rt.wall < 50;
      out(
        `  => ${keepsUp ? 'keeps up with 25 fps with most of a core to spare' : 'does NOT keep up with 25 fps with most of a core to spare'}`,
      );
    }
    // an overloaded labeller, to show the real-time policy at work: late frames are dropped, latency stays bounded
    const Hs = values.stressHidden;
    if (Hs > 0) {
      const big = createFrameLabeler({
        labels: ['silent', 'speaking'],
        width: S,
        height: S,
        diff: true,
        hiddenSize: Hs,
        seed: 1,
        backend,
      });
      const stats = createLiveStats();
      const rt = await timed(() => drain(labelVideoAsync(clip, big, { realtime: true, maxLagMs: 100, stats })));
      const l = latencySummary(stats);
      out(
        `\noverloaded (GRU H=${Hs} on pixels + differences, ${big.model.numParams.toLocaleString('en-US')} parameters; real time, maxLagMs 100): ${stats.labeled}/${stats.received} frames labelled, ${stats.dropped} dropped late, latency p50 ${l.p50Ms.toFixed(1)} ms, p95 ${l.p95Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms over ${rt.wall.toFixed(2)} s`,
      );
    }
  },
});
