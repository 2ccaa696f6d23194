/**
 * CI smoke test of the whole training path on generated data: a tiny GRU frame labeller, trained in seconds by
 * truncated BPTT on moving digits (0 and 1) joined at random offsets, labels frames where the digit is hidden
 * behind the bar better than the per-frame model trained on the very same frames, which cannot beat the most
 * frequent digit there. A saved and reloaded labeller labels the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist, mnistPaths } from '../../src/sources/mnist.ts';
import { createFrameLabeler, loadFrameLabeler, saveFrameLabeler } from '../../src/video/frameLabeler.ts';
import { frameMetrics } from '../../src/video/frameMetrics.ts';
import { labelClips, labelClipsPerFrame } from '../../src/video/labelClips.ts';
import { PerFrameClassifier } from '../../src/video/perFrameClassifier.ts';
import { trainFrameLabeler, trainPerFrame } from '../../src/video/trainFrameLabeler.ts';
import { DIGIT_LABELS, digitClips } from '../../src/video/videoClips.ts';
import { dataDir } from '../sources/dataPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-digits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('moving digits with occlusion', () => {
  it('the recurrent labeller beats the per-frame model on hidden frames', async () => {
    const [train, test] = await Promise.all([
      loadMnist(mnistPaths(dataDir, 'train'), { limit: 3000 }),
      loadMnist(mnistPaths(dataDir, 'test'), { limit: 3000 }),
    ]);
    const gen = { size: 36, grid: 12, occluderWidth: 20, frames: 20, speedMin: 1, speedMax: 3, digits: [0, 1] };
    const trainClips = digitClips(train, { ...gen, count: 200, seed: 1 });
    const testClips = digitClips(test, { ...gen, count: 60, seed: 2 });
    const labeler = createFrameLabeler({ labels: [...DIGIT_LABELS], width: 12, height: 12, hiddenSize: 16, seed: 1 });
    const opts = { epochs: 8, lr: 0.01, window: 10, streams: 8, seed: 1 };
    const rec = trainFrameLabeler(labeler, trainClips, opts);
    const mlp = PerFrameClassifier.create(
      { inputSize: labeler.spec.size, hiddenSize: 16, outputSize: 10 },
      { seed: 1 },
    );
    const per = trainPerFrame(mlp, labeler.spec, trainClips, opts);
    expect(rec.updates).toBe(per.updates);
    expect(rec.losses.at(-1)).toBeLessThan(Math.min(rec.losses[0], 0.6)); // from ln 10 = 2.30 untrained

    const r = labelClips(labeler, testClips);
    const p = labelClipsPerFrame(mlp, labeler.spec, testClips);
    const hidden = (x: typeof r) => frameMetrics(x.pred, x.truth, { classes: 10, mask: x.flags, maskValue: 1 });
    const rh = hidden(r),
      ph = hidden(p);
    expect(rh.frames).toBeGreaterThan(300);
    let ones = 0;
    for (let i = 0; i < r.truth.length; i++) if (r.flags[i] === 1 && r.truth[i] === 1) ones++;
    const chance = Math.max(ones, rh.frames - ones) / rh.frames; // the most frequent digit among hidden frames
    expect(ph.accuracy).toBeLessThan(chance + 0.05);
    expect(rh.accuracy).toBeGreaterThan(chance + 0.05);
    expect(rh.accuracy).toBeGreaterThan(ph.accuracy + 0.03);
    expect(rh.f1).toBeGreaterThan(ph.f1);

    const path = join(dir, 'digits.safetensors');
    saveFrameLabeler(path, labeler);
    expect(Array.from(labelClips(loadFrameLabeler(path), testClips.slice(0, 5)).pred)).toEqual(
      Array.from(r.pred.subarray(0, 100)),
    );
  }, 60_000);
});
