/** Checkpoints: everything needed to continue a run survives a save and load, bit for bit. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { adam } from '../../src/train/adam.ts';
import { saveCheckpoint, loadCheckpoint, loadClassifierCheckpoint } from '../../src/train/checkpoint.ts';
import { BidirectionalClassifier } from '../../src/model/bidirectionalClassifier.ts';
import { loadModel, saveModel } from '../../src/model/modelFile.ts';
import { Rng } from '../../src/util/rng.ts';
import { EddyError } from '../../src/util/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoints', () => {
  const make = () => {
    const model = RNNModel.create(
      { cell: 'lstm', input: 'onehot', inputSize: 5, hiddenSize: 6, outputSize: 5, vocab: ['a', 'b', 'c', 'd', '\n'] },
      { seed: 3 },
    );
    const opt = adam({ lr: 0.01 });
    const rng = new Rng(9);
    return { model, opt, rng };
  };
  const train = (model: RNNModel, opt: ReturnType<typeof adam>, rng: Rng, steps: number) => {
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < model.grads.length; i++) model.grads[i] = rng.uniform(-1, 1);
      opt.step(model.params, model.grads);
    }
  };
  it('resuming from a checkpoint continues exactly like the uninterrupted run', () => {
    const a = make();
    train(a.model, a.opt, a.rng, 10);
    const state = a.model.createState(2);
    state.h.fill(0.25);
    state.c!.fill(-0.5);
    const path = join(dir, 'run.ckpt.safetensors');
    saveCheckpoint(path, a.model, {
      optimizer: a.opt.getState(),
      state,
      rng: a.rng.getState(),
      extra: { step: 10, cursor: 1234 },
    });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    train(a.model, a.opt, a.rng, 10);

    const ck = loadCheckpoint<{ step: number; cursor: number }>(path);
    expect(ck.extra).toEqual({ step: 10, cursor: 1234 });
    expect(Array.from(ck.state!.h)).toEqual(Array.from(state.h));
    expect(Array.from(ck.state!.c!)).toEqual(Array.from(state.c!));
    expect(ck.model.config).toEqual(a.model.config);
    const opt = adam({ lr: 0.01 });
    opt.setState(ck.optimizer);
    const rng = new Rng(0);
    rng.setState(ck.rng!);
    train(ck.model, opt, rng, 10);
    expect(Buffer.from(ck.model.params.buffer).equals(Buffer.from(a.model.params.buffer))).toBe(true);
    // the checkpoint is also a model file
    expect(loadModel(path).config.vocab).toEqual(['a', 'b', 'c', 'd', '\n']);
  });
  it('a truncated checkpoint and a plain model file give clear errors', () => {
    const a = make();
    const path = join(dir, 'cut.safetensors');
    saveCheckpoint(path, a.model, { optimizer: a.opt.getState(), state: null, rng: null, extra: {} });
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    expect(() => loadCheckpoint(path)).toThrow(EddyError);
    expect(() => loadCheckpoint(path)).toThrow(/cut\.safetensors/);
    const plain = join(dir, 'plain.safetensors');
    saveModel(plain, a.model);
    expect(() => loadCheckpoint(plain)).toThrow(/not an eddy training checkpoint/);
  });
});

describe('checkpoints of a bidirectional classifier', () => {
  it('loadClassifierCheckpoint gives back the classifier, its optimizer and its RNG; loadCheckpoint names it', () => {
    const model = BidirectionalClassifier.create(
      { cell: 'gru', input: 'embedding', inputSize: 7, embeddingSize: 3, hiddenSize: 4, outputSize: 3 },
      { seed: 5 },
    );
    const opt = adam({ lr: 0.01 });
    const rng = new Rng(4);
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < model.grads.length; i++) model.grads[i] = rng.uniform(-1, 1);
      opt.step(model.params, model.grads);
    }
    const path = join(dir, 'bi.ckpt');
    saveCheckpoint(path, model, { optimizer: opt.getState(), state: null, rng: rng.getState(), extra: { epoch: 3 } });
    const c = loadClassifierCheckpoint<{ epoch: number }>(path);
    expect(c.model).toBeInstanceOf(BidirectionalClassifier);
    expect(Array.from(c.model.params)).toEqual(Array.from(model.params));
    expect(c.model.config).toEqual(model.config);
    const o = adam({ lr: 0.01 });
    o.setState(c.optimizer);
    expect(o.getState()).toEqual(opt.getState());
    expect(c.rng).toEqual(rng.getState());
    expect(c.extra).toEqual({ epoch: 3 });
    expect(c.state).toBeNull();
    expect(() => loadCheckpoint(path)).toThrow(
      /bi\.ckpt: it holds a bidirectional classifier's checkpoint \(load it with loadClassifierCheckpoint\)/,
    );
  });
});

describe('checkpoints: a killed write', () => {
  it('leaves a temporary that the resume (loadCheckpoint) removes', async () => {
    const { spawnSync } = await import('node:child_process');
    const model = RNNModel.create({ cell: 'gru', inputSize: 3, hiddenSize: 4 }, { seed: 1 });
    const path = join(dir, 'killed.ckpt.safetensors');
    const parts = { optimizer: adam({ lr: 0.01 }).getState(), state: null, rng: null, extra: {} };
    saveCheckpoint(path, model, parts);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number; // a writer that is gone
    const tmp = `killed.ckpt.safetensors.${dead}.0123456789ab.tmp`;
    writeFileSync(join(dir, tmp), readFileSync(path).subarray(0, 100));
    loadCheckpoint(path);
    expect(readdirSync(dir)).not.toContain(tmp);
  });
});
