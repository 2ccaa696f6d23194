/**
 * The frame trainers' checkpoints: a run stopped (between epochs or inside one) and started again with the same
 * checkpoint ends with the weights, losses and update count of the uninterrupted run, bit for bit, for the
 * recurrent labeller and the per-frame baseline; a checkpoint of other settings, other clips or the other trainer
 * is refused by name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.ts';
import { createFrameLabeler, saveFrameLabeler } from '../../src/video/frameLabeler.ts';
import type { LabeledClip } from '../../src/video/joinClips.ts';
import { PerFrameClassifier } from '../../src/video/perFrameClassifier.ts';
import { trainFrameLabeler, trainPerFrame, type TrainFramesOptions } from '../../src/video/trainFrameLabeler.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-frames-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** n clips of 6x6 noise with a bright square on the labelled side (so that training has something to learn). */
function clips(n: number, seed: number): LabeledClip[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const T = 12 + rng.int(8);
    const pixels = new Float32Array(T * 36);
    const labels = new Int32Array(T);
    for (let t = 0; t < T; t++) {
      labels[t] = rng.int(2);
      for (let k = 0; k < 36; k++)
        pixels[t * 36 + k] = 0.3 * rng.uniform(0, 1) + (k % 6 < 3 === (labels[t] === 0) ? 0.6 : 0);
    }
    return { pixels, labels, T, name: `clip ${i}` };
  });
}

const data = clips(6, 1);
const base: TrainFramesOptions = { epochs: 4, lr: 0.01, window: 5, streams: 3, seed: 2 };
const newLabeler = () => createFrameLabeler({ labels: ['left', 'right'], width: 6, height: 6, hiddenSize: 5, seed: 3 });
const newMlp = (X: number) => PerFrameClassifier.create({ inputSize: X, hiddenSize: 4, outputSize: 2 }, { seed: 3 });

/** An AbortSignal that reads as aborted from its `after`-th reading on (to stop a run inside an epoch). */
function abortAfter(after: number): AbortSignal {
  let reads = 0;
  const s = Object.create(AbortSignal.prototype) as AbortSignal;
  Object.defineProperty(s, 'aborted', { get: () => ++reads > after });
  return s;
}

describe('trainFrameLabeler / trainPerFrame checkpoints', () => {
  it('recurrent: stopped between epochs and inside one, resumed twice, ends as the uninterrupted run', () => {
    const ref = newLabeler();
    const whole = trainFrameLabeler(ref, data, base);
    expect(whole.resumedEpochs).toBe(0);

    const path = join(dir, 'rec.ckpt');
    const ac = new AbortController();
    const a = newLabeler();
    const first = trainFrameLabeler(a, data, {
      ...base,
      checkpoint: path,
      signal: ac.signal,
      onEpoch: (e) => e === 1 && ac.abort(), // stop after 2 of 4 epochs
    });
    expect(first.losses).toEqual(whole.losses.slice(0, 2));
    // a fresh process: a new labeller; stopped again inside epoch 3 (that partial epoch is not checkpointed)
    const b = newLabeler();
    const second = trainFrameLabeler(b, data, { ...base, checkpoint: path, signal: abortAfter(4) });
    expect(second.resumedEpochs).toBe(2);
    expect(second.updates).toBeLessThan(whole.updates);
    const c = newLabeler();
    const third = trainFrameLabeler(c, data, { ...base, checkpoint: path });
    expect(third.resumedEpochs).toBe(2);
    expect(third.losses).toEqual(whole.losses);
    expect(third.updates).toBe(whole.updates);
    expect(third.frames).toBe(whole.frames);
    expect(c.model.params).toEqual(ref.model.params);
    // a finished run read again: nothing to train, the same result
    const d = newLabeler();
    const again = trainFrameLabeler(d, data, { ...base, checkpoint: path });
    expect(again.resumedEpochs).toBe(4);
    expect(again.losses).toEqual(whole.losses);
    expect(d.model.params).toEqual(ref.model.params);
  });

  it('recurrent: a run extended from 2 to 4 epochs equals 4 epochs at once; resume false starts afresh', () => {
    const ref = newLabeler();
    const whole = trainFrameLabeler(ref, data, base);
    const path = join(dir, 'extend.ckpt');
    trainFrameLabeler(newLabeler(), data, { ...base, epochs: 2, checkpoint: path });
    const l = newLabeler();
    const more = trainFrameLabeler(l, data, { ...base, checkpoint: path });
    expect(more.resumedEpochs).toBe(2);
    expect(more.losses).toEqual(whole.losses);
    expect(l.model.params).toEqual(ref.model.params);
    const fresh = newLabeler();
    const r = trainFrameLabeler(fresh, data, { ...base, checkpoint: path, resume: false });
    expect(r.resumedEpochs).toBe(0);
    expect(fresh.model.params).toEqual(ref.model.params);
  });

  it('per-frame: stopped and resumed, ends as the uninterrupted run', () => {
    const X = newLabeler().spec.size;
    const ref = newMlp(X);
    const spec = newLabeler().spec;
    const whole = trainPerFrame(ref, spec, data, base);
    const path = join(dir, 'per.ckpt');
    const ac = new AbortController();
    trainPerFrame(newMlp(X), spec, data, {
      ...base,
      checkpoint: path,
      signal: ac.signal,
      onEpoch: (e) => e === 0 && ac.abort(),
    });
    trainPerFrame(newMlp(X), spec, data, { ...base, checkpoint: path, signal: abortAfter(3) });
    const m = newMlp(X);
    const resumed = trainPerFrame(m, spec, data, { ...base, checkpoint: path });
    expect(resumed.resumedEpochs).toBe(1);
    expect(resumed.losses).toEqual(whole.losses);
    expect(resumed.updates).toBe(whole.updates);
    expect(m.params).toEqual(ref.params);
  });

  it('refuses a checkpoint of other settings, other clips, the other trainer, more epochs, or no checkpoint', () => {
    const path = join(dir, 'refuse.ckpt');
    trainFrameLabeler(newLabeler(), data, { ...base, epochs: 2, checkpoint: path });
    const run =
      (o: TrainFramesOptions, d = data) =>
      () =>
        trainFrameLabeler(newLabeler(), d, { ...o, checkpoint: path });
    expect(run({ ...base, lr: 0.02 })).toThrow(/other settings \(lr 0\.01, now 0\.02\)/);
    expect(run({ ...base, streams: 2 })).toThrow(/B 3, now 2/);
    expect(run(base, clips(6, 9))).toThrow(/other settings \(.*clips "[0-9a-f]{8}", now "[0-9a-f]{8}"/);
    expect(run({ ...base, epochs: 1 })).toThrow(
      /at least 2 \(the epochs .*refuse\.ckpt holds\) for options\.epochs but received 1/,
    );
    const spec = newLabeler().spec;
    expect(() => trainPerFrame(newMlp(spec.size), spec, data, { ...base, checkpoint: path })).toThrow(
      /recurrent trainer's checkpoint, not the per-frame one's/,
    );
    const other = createFrameLabeler({ labels: ['left', 'right'], width: 6, height: 6, hiddenSize: 7, seed: 3 });
    expect(() => trainFrameLabeler(other, data, { ...base, checkpoint: path })).toThrow(/other settings \(model /);
    const model = join(dir, 'model.safetensors');
    saveFrameLabeler(model, newLabeler());
    expect(() => trainFrameLabeler(newLabeler(), data, { ...base, checkpoint: model })).toThrow(
      /model\.safetensors: not a frame trainer's checkpoint/,
    );
    const junk = join(dir, 'junk.ckpt');
    writeFileSync(junk, 'not safetensors');
    expect(() => trainFrameLabeler(newLabeler(), data, { ...base, checkpoint: junk })).toThrow(/junk\.ckpt/);
    expect(() => trainFrameLabeler(newLabeler(), data, { ...base, checkpoint: '' })).toThrow(/options\.checkpoint/);
    expect(() => trainFrameLabeler(newLabeler(), data, { ...base, resume: 1 as unknown as boolean })).toThrow(
      /options\.resume/,
    );
  });
});
