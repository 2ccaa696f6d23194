/**
 * Live labelling end to end on a real GRID clip: exactly 75 labelled frames in order, the same labels as the
 * offline evaluation path, RxJS = IxJS, two videos at once each with its own state, real-time drop and latency
 * accounting, and clear errors for a missing or corrupt video and for a model trained for another frame size.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { saveModel } from '../../src/model/modelFile.ts';
import { videoFramesAsync, videoFrames } from '../../src/sources/ffmpegFrames.ts';
import { EddyError } from '../../src/util/errors.ts';
import { createLiveStats, latencySummary, type LiveFrame } from '../../src/video/frameLabelCore.ts';
import { createFrameLabeler, loadFrameLabeler, saveFrameLabeler } from '../../src/video/frameLabeler.ts';
import { frameLabels } from '../../src/video/frameLabels.ts';
import { frameLabelsAsync } from '../../src/video/frameLabels.ix.ts';
import { labelClips } from '../../src/video/labelClips.ts';
import { labelVideoAsync, labelVideos } from '../../src/video/labelVideo.ts';
import { GRID_SPEECH_LABELS, gridSpeechClip } from '../../src/video/videoClips.ts';
import { dataPath } from '../sources/dataPath.ts';

vi.setConfig({ testTimeout: 30_000 }); // ffmpeg start-up on a busy machine
const dir = mkdtempSync(join(tmpdir(), 'eddy-video-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const clip = dataPath('grid/s1/bbal6n.mpg');
const other = dataPath('grid/s1/prbd1s.mpg');
const labeler = createFrameLabeler({
  labels: [...GRID_SPEECH_LABELS],
  width: 90,
  height: 72,
  crop: { left: 29, top: 46, width: 24, height: 16 },
  appearance: false,
  normalize: true,
  hiddenSize: 16,
  seed: 1,
});

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<EddyError> {
  try {
    await p;
  } catch (err) {
    return err as EddyError;
  }
  throw new Error('expected a rejection');
}

describe('live labelling of a GRID clip', () => {
  it('emits exactly 75 labelled frames in order, equal to the offline path', async () => {
    const stats = createLiveStats();
    // a clock that ticks 5 ms at each reading (arrival, then label): latencies without reading the wall clock
    let clock = 0;
    const labels = await all(labelVideoAsync(clip, labeler, { stats, now: () => (clock += 5) }));
    expect(labels).toHaveLength(75);
    labels.forEach((l, i) => {
      expect(l.frameIndex).toBe(i);
      expect(l.timeMs).toBeCloseTo(40 * i, 6);
      expect(GRID_SPEECH_LABELS).toContain(l.label);
      expect(l.label).toBe(GRID_SPEECH_LABELS[l.labelIndex]);
      expect(l.confidence).toBeGreaterThanOrEqual(0.5);
      expect(l.confidence).toBeLessThanOrEqual(1);
      expect(l.latencyMs).toBe(5);
    });
    expect(stats).toMatchObject({ received: 75, labeled: 75, dropped: 0, missing: 0 });
    expect(latencySummary(stats)).toEqual({ meanMs: 5, p50Ms: 5, p95Ms: 5, maxMs: 5 });
    // the offline evaluation path (forward over the whole clip) gives the same labels
    const offline = labelClips(labeler, [await gridSpeechClip(clip, { width: 90, height: 72 })]);
    expect(labels.map((l) => l.labelIndex)).toEqual(Array.from(offline.pred));
    labels.forEach((l, i) => expect(l.confidence).toBeCloseTo(offline.confidence[i], 4));
  });

  it('RxJS frameLabels equals the IxJS form; two videos at once keep separate states', async () => {
    const size = { width: 90, height: 72, channels: 1 as const };
    const ix = await all(videoFramesAsync(clip, size).pipe(frameLabelsAsync(labeler)));
    const rx = await lastValueFrom(videoFrames(clip, size).pipe(frameLabels(labeler), toArray()));
    expect(rx.map((l) => [l.frameIndex, l.labelIndex, l.confidence])).toEqual(
      ix.map((l) => [l.frameIndex, l.labelIndex, l.confidence]),
    );
    const alone = await all(labelVideoAsync(other, labeler));
    const both = await lastValueFrom(labelVideos({ a: clip, b: other }, labeler).pipe(toArray()));
    for (const [key, want] of [
      ['a', ix],
      ['b', alone],
    ] as const) {
      const got = both.filter((l) => l.key === key);
      expect(got.map((l) => l.frameIndex)).toEqual(want.map((l) => l.frameIndex));
      expect(got.map((l) => l.labelIndex)).toEqual(want.map((l) => l.labelIndex));
      got.forEach((l, i) => expect(l.confidence).toBeCloseTo(want[i].confidence, 5));
    }
  });

  it('realtime: frames later than maxLagMs are dropped and counted; latency runs from the due time', async () => {
    let clock = 0;
    const arrivals = [0, 40, 400, 410, 420, 430, 440];
    const data = new Float32Array(90 * 72);
    async function* paced(): AsyncGenerator<LiveFrame> {
      for (let i = 0; i < arrivals.length; i++) {
        clock = arrivals[i];
        yield { index: i === 6 ? 7 : i, timeMs: 40 * (i === 6 ? 6 : i), data, width: 90, height: 72, channels: 1 };
      }
    }
    const stats = createLiveStats();
    const dropped: number[] = [];
    const out = await all(
      frameLabelsAsync(labeler, {
        realtime: true,
        maxLagMs: 200,
        stats,
        now: () => clock,
        onDrop: (f, lag) => dropped.push(f.index, lag),
      })(paced()),
    );
    expect(out.map((l) => l.frameIndex)).toEqual([0, 1, 7]);
    expect(dropped).toEqual([2, 320, 3, 290, 4, 260, 5, 230]);
    expect(out.map((l) => l.latencyMs)).toEqual([0, 0, 200]);
    expect(stats).toMatchObject({ received: 7, labeled: 3, dropped: 4, missing: 1 });
  });
});

describe('bad input', () => {
  it('a missing video fails with ERR_FILE naming it', async () => {
    const err = await errorOf(all(labelVideoAsync(join(dir, 'nope.mpg'), labeler)));
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toMatch(/nope\.mpg.*no such file/);
  });

  it('a corrupt video fails with ERR_FILE', async () => {
    const bad = join(dir, 'garbage.mpg');
    writeFileSync(bad, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 255)));
    const err = await errorOf(all(labelVideoAsync(bad, labeler)));
    expect(err).toBeInstanceOf(EddyError);
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toMatch(/garbage\.mpg/);
  });

  it('a model trained for another frame size names the expected and the received size', async () => {
    const small = createFrameLabeler({ labels: ['a', 'b'], width: 32, height: 32, hiddenSize: 4 });
    const err = await errorOf(
      all(videoFramesAsync(clip, { width: 90, height: 72, channels: 1 }).pipe(frameLabelsAsync(small))),
    );
    expect(err.code).toBe('ERR_SHAPE');
    expect(err.message).toMatch(/frame 0 of 32x32x1 pixels/);
    expect(err.message).toMatch(/received 90x72x1/);
    const path = join(dir, 'small.safetensors');
    saveFrameLabeler(path, small);
    const loaded = loadFrameLabeler(path);
    expect(loaded.spec).toEqual(small.spec);
    expect(loaded.labels).toEqual(['a', 'b']);
    expect(Array.from(loaded.model.params)).toEqual(Array.from(small.model.params));
    expect(() => loadFrameLabeler(path, { expect: { width: 90, height: 72 } })).toThrow(
      /trained on 32x32x1 frames but 90x72x1/,
    );
    // through labelVideoAsync the decode size comes from the model, so the same clip just works
    expect(await all(labelVideoAsync(clip, loaded))).toHaveLength(75);
  });

  it('a model file without frame-labeller metadata is refused with ERR_FILE', () => {
    const path = join(dir, 'plain.safetensors');
    saveModel(path, RNNModel.create({ cell: 'gru', inputSize: 8, hiddenSize: 4, outputSize: 2 }));
    expect(() => loadFrameLabeler(path)).toThrow(/no eddy\.video metadata/);
    expect(() => loadFrameLabeler(join(dir, 'missing.safetensors'))).toThrow(EddyError);
  });

  it('invalid options name the option', () => {
    expect(() => frameLabelsAsync(labeler, { maxLagMs: -1 })).toThrow(/options\.maxLagMs/);
    expect(() => frameLabels(labeler, { signal: new AbortController().signal })).toThrow(/options\.signal/);
    expect(() => frameLabels({} as never)).toThrow(/labeler/);
    expect(() => labelVideoAsync(clip, labeler, { decode: { width: 10 } as never })).toThrow(/options\.decode\.width/);
    expect(() => createFrameLabeler({ labels: ['x'], width: 4, height: 4 })).toThrow(/options\.labels/);
  });
});
