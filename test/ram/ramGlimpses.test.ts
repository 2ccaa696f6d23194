/**
 * The model as a stream: `ramGlimpses` (the retina source's policy callback driving the model one glimpse at a
 * time) gives the same locations and answer as the batched `ramForward`, for the learned policy's mean and for
 * random glimpses: the two policies and the two drivers share one code path. Plus the files and the checks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toArray } from 'ix/asynciterable';
import { lastValueFrom, toArray as rxToArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { RamModel } from '../../src/ram/ramModel.ts';
import { ramForward } from '../../src/ram/ramEpisode.ts';
import { createRamWorkspace } from '../../src/ram/ramWorkspace.ts';
import { ramGlimpses, ramGlimpsesAsync, type RamEvent } from '../../src/ram/ramGlimpses.ts';
import { loadRamCheckpoint, loadRamModel, saveRamCheckpoint, saveRamModel } from '../../src/ram/ramModelFile.ts';
import { resolveRamConfig } from '../../src/ram/ramConfig.ts';
import { ramTask } from '../../src/ram/ramTraining.ts';
import { adam } from '../../src/train/adam.ts';
import { softmaxRows } from '../../src/tensor/softmax.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

const S = 20;
const options = { glimpses: 4, glimpseSize: 4, scales: 2, glimpseHidden: 8, glimpseOutput: 12, hiddenSize: 10 };
const dir = mkdtempSync(join(tmpdir(), 'eddy-ram-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: S * S }, () => rng.next());
}

function batchRun(model: RamModel, img: Float32Array, policy: 'mean' | 'random', seed: number) {
  const ws = createRamWorkspace(model, 1);
  const logits = ramForward(model, ws, img, S, S, policy, new Rng(seed));
  const probs = new Float32Array(10);
  softmaxRows(probs, 0, logits, 0, 1, 10);
  return { probs, locations: ws.loc.slice() };
}

describe('ramGlimpses: the model inside a stream', () => {
  for (const policy of ['mean', 'random'] as const) {
    it(`${policy} policy: same locations and answer as ramForward`, async () => {
      const model = RamModel.create(options, { seed: 2 });
      model.params[model.offsets.bL] = 0.4; // look off-centre first
      const img = image(1);
      const events: RamEvent[] = await lastValueFrom(
        ramGlimpses(model, { data: img, C: 1, H: S, W: S }, { policy, seed: 5 }).pipe(rxToArray()),
      );
      expect(events.map((e) => e.kind)).toEqual(['glimpse', 'glimpse', 'glimpse', 'glimpse', 'answer']);
      const answer = events[4];
      if (answer.kind !== 'answer') throw new Error('no answer');
      const ref = batchRun(model, img, policy, 5);
      expect(Array.from(answer.locations)).toEqual(Array.from(ref.locations));
      expect(Array.from(answer.probs)).toEqual(Array.from(ref.probs));
      events.slice(0, 4).forEach((e, t) => {
        if (e.kind !== 'glimpse') throw new Error('not a glimpse');
        expect(e.step).toBe(t);
        expect(e.data.length).toBe(2 * 4 * 4);
        expect([...e.location]).toEqual([ref.locations[2 * t], ref.locations[2 * t + 1]]);
      });
      // the learned policy moves: its locations differ from step to step
      if (policy === 'mean') expect(answer.locations[0]).not.toBe(answer.locations[2]);
    });
  }

  it('the async-iterable gives the same events, and two iterations share no state', async () => {
    const model = RamModel.create(options, { seed: 2 });
    const src = ramGlimpsesAsync(model, { data: image(3), C: 1, H: S, W: S }, { policy: 'random', seed: 1 });
    const a = await toArray(src);
    const b = await toArray(src);
    expect(a.length).toBe(5);
    expect(b).toEqual(a);
  });

  it('checks its arguments at the call', () => {
    const model = RamModel.create(options, { seed: 2 });
    const px = { data: image(3), C: 1, H: S, W: S };
    expectError(() => ramGlimpses(model, px, { policy: 'greedy' as 'mean' }), 'ERR_INVALID_ARG', 'options.policy');
    expectError(
      () => ramGlimpses(model, { ...px, C: 2, data: new Float32Array(2 * S * S) }),
      'ERR_INVALID_ARG',
      'image.C',
    );
    expectError(() => ramGlimpses(model, { ...px, H: 3 }), 'ERR_SHAPE', 'image.data');
  });
});

describe('RAM files and options', () => {
  it('a model and a checkpoint read back exactly', () => {
    const model = RamModel.create({ ...options, cell: 'lstm' }, { seed: 4 });
    const p = join(dir, 'm.safetensors');
    saveRamModel(p, model, { 'eddy.task': 'test' });
    const back = loadRamModel(p);
    expect(back.model.config).toEqual(model.config);
    expect(Array.from(back.model.params)).toEqual(Array.from(model.params));
    expect(back.metadata['eddy.task']).toBe('test');
    const opt = adam();
    model.grads.fill(0.1);
    opt.step(model.params, model.grads);
    const c = join(dir, 'c.safetensors');
    const rng = new Rng(8);
    saveRamCheckpoint(c, model, { optimizer: opt.getState(), rng: rng.getState(), extra: { step: 1 } });
    const r = loadRamCheckpoint<{ step: number }>(c);
    expect(r.extra.step).toBe(1);
    expect(r.rng).toEqual(rng.getState());
    expect(Array.from(r.optimizer.buffers.m)).toEqual(Array.from(opt.getState().buffers.m));
    expect(Array.from(r.model.params)).toEqual(Array.from(model.params));
    // a model file is not a checkpoint
    expectError(() => loadRamCheckpoint(p), 'ERR_FILE', p, 'not a training checkpoint');
  });

  it('a file that is not a RAM model is refused, naming it', () => {
    const p = join(dir, 'bad.safetensors');
    writeFileSync(p, 'not safetensors at all');
    expectError(() => loadRamModel(p), 'ERR_FILE', p);
  });

  it('bad options name the option', () => {
    expectError(() => resolveRamConfig({ glimpses: 0 }), 'ERR_INVALID_ARG', 'options.glimpses');
    expectError(() => resolveRamConfig({ cell: 'gru' as 'lstm' }), 'ERR_INVALID_ARG', 'options.cell');
    expectError(() => resolveRamConfig({ locationStd: 0 }), 'ERR_INVALID_ARG', 'options.locationStd');
    expectError(() => ramTask('svhn' as 'mnist'), 'ERR_INVALID_ARG', 'task');
    expectError(() => RamModel.fromParams(options, new Float32Array(3)), 'ERR_INVALID_ARG', 'params');
  });
});
