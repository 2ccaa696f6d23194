/**
 * The Trainer core: events, clipping and schedules, NaN / Inf guards that leave everything untouched,
 * checkpoint state that resumes bit for bit, evaluation from its own state, and an invalid-argument test for
 * each option and window field.
 */
import { describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { Trainer, type TrainerOptions, type TrainEvent } from '../../src/train/trainer.ts';
import { charRnnBatches, sequenceWindows } from '../../src/train/charRnnBatches.ts';
import { sequenceMse } from '../../src/train/losses.ts';
import { sgd } from '../../src/train/sgd.ts';
import type { TbpttWindow } from '../../src/train/windows.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

const TEXT =
  'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness';
const chars = [...new Set(TEXT)].sort();
const corpus = Int32Array.from([...TEXT].map((c) => chars.indexOf(c)));
const V = chars.length;

const denseOpts: ModelOptions = { cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 2 };
function denseWindows(n: number, T: number, B: number, seed: number): TbpttWindow[] {
  const rng = new Rng(seed);
  const N = n * T;
  const x = Float32Array.from({ length: N * B * 3 }, () => rng.uniform(-1, 1));
  const targets = Int32Array.from({ length: N * B }, () => rng.int(2));
  return [...sequenceWindows({ x, targets, N, B }, { k1: T })];
}

describe('Trainer.update', () => {
  it('reports step, loss, gradient norm before clipping, lr of the schedule, tokens and timing', () => {
    const model = RNNModel.create(denseOpts, { seed: 1 });
    const trainer = new Trainer(model, {
      optimizer: { name: 'sgd', lr: 1 },
      k1: 5,
      clipNorm: 1e-3,
      schedule: { kind: 'step', lr: 0.1, stepSize: 2, gamma: 0.5 },
      now: (() => {
        let t = 0;
        return () => (t += 4); // a clock that ticks 4 ms at each reading: every update takes 4 ms
      })(),
    });
    const events: TrainEvent[] = [];
    for (const w of denseWindows(4, 5, 3, 2)) {
      events.push(trainer.update(w));
      let sq = 0;
      for (const g of model.grads) sq += g * g;
      expect(Math.sqrt(sq)).toBeLessThanOrEqual(1e-3 * 1.0001); // clipped in place
    }
    expect(events.map((e) => e.step)).toEqual([0, 1, 2, 3]);
    expect(events.map((e) => e.lr)).toEqual([0.1, 0.1, 0.05, 0.05]);
    expect(events.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    for (const e of events) {
      expect(e.gradNorm).toBeGreaterThan(1e-3);
      expect(e.tokens).toBe(15);
      expect(e.loss).toBeGreaterThan(0);
      expect(e.elapsedMs).toBe(4);
      expect(e.tokensPerSecond).toBe(3750); // 15 tokens in 4 ms
    }
    expect(trainer.step).toBe(4);
    expect(trainer.cursor).toBe(4);
    expect(trainer.optimizer.lr).toBe(0.05);
  });

  it('clipValue clamps every gradient', () => {
    const model = RNNModel.create(denseOpts, { seed: 1 });
    const trainer = new Trainer(model, { optimizer: sgd({ lr: 0.1 }), k1: 5, clipValue: 1e-4 });
    trainer.update(denseWindows(1, 5, 2, 3)[0]);
    expect(Math.max(...model.grads.map(Math.abs))).toBeLessThanOrEqual(1e-4);
  });

  it('an MSE regression window and a many-to-one window train with their losses', () => {
    const model = RNNModel.create({ cell: 'gru', inputSize: 2, hiddenSize: 4, outputSize: 3 }, { seed: 2 });
    const x = new Float32Array(4 * 2 * 2).fill(0.5);
    const reg = new Trainer(model, { optimizer: { name: 'adam', lr: 0.01 }, k1: 4, loss: 'mse' });
    const targets = new Float32Array(4 * 2 * 3).fill(0.25);
    const first = reg.update({ x, targets, T: 4, B: 2 }).loss;
    for (let i = 0; i < 50; i++) reg.update({ x, targets, T: 4, B: 2, reset: true });
    expect(reg.update({ x, targets, T: 4, B: 2, reset: true }).loss).toBeLessThan(first / 10);
    const cls = new Trainer(model, {
      optimizer: { name: 'adam', lr: 0.01 },
      k1: 4,
      loss: 'manyToOne',
      reduction: 'sum',
    });
    expect(cls.update({ x, targets: Int32Array.of(2, 0), T: 4, B: 2 }).tokens).toBe(8);
  });

  it('resetState starts the next window from zeros, as window.reset does', () => {
    const ws = denseWindows(2, 5, 2, 4);
    const a = RNNModel.create(denseOpts, { seed: 1 });
    const b = RNNModel.create(denseOpts, { seed: 1 });
    const ta = new Trainer(a, { optimizer: { name: 'sgd', lr: 0.1 }, k1: 5 });
    const tb = new Trainer(b, { optimizer: { name: 'sgd', lr: 0.1 }, k1: 5 });
    ta.update(ws[0]);
    tb.update(ws[0]);
    ta.resetState();
    expect(ta.update(ws[1]).loss).toBe(tb.update({ ...ws[1], reset: true }).loss);
    expect(a.params).toEqual(b.params);
  });

  it('a carried state of another batch size is refused, naming window.B', () => {
    const trainer = new Trainer(RNNModel.create(denseOpts), { optimizer: { name: 'sgd', lr: 0.1 }, k1: 5 });
    trainer.update(denseWindows(1, 5, 2, 1)[0]);
    expectError(
      () => trainer.update({ ...denseWindows(1, 5, 3, 1)[0], reset: false }),
      'ERR_SHAPE',
      'window.B',
      'carried state',
    );
  });
});

describe('non-finite values throw ERR_NON_FINITE naming the step and the tensor, and change nothing', () => {
  function setup(extra: Partial<TrainerOptions> = {}) {
    const model = RNNModel.create({ ...denseOpts, numLayers: 2, dropout: 0.2 }, { seed: 5 });
    const trainer = new Trainer(model, { optimizer: { name: 'adam', lr: 0.01 }, k1: 5, seed: 3, ...extra });
    const ws = denseWindows(3, 5, 2, 6);
    trainer.update(ws[0]);
    trainer.update(ws[1]);
    return { model, trainer, w: ws[2], params: model.params.slice(), state: trainer.getState() };
  }
  function expectUnchanged(s: ReturnType<typeof setup>): void {
    expect(s.model.params).toEqual(s.params);
    expect(s.trainer.getState()).toEqual(s.state);
    expect(s.trainer.step).toBe(2);
  }

  it('a NaN in the dense input names window.x', () => {
    const s = setup();
    const x = (s.w.x as Float32Array).slice();
    x[7] = NaN;
    expectError(() => s.trainer.update({ ...s.w, x }), 'ERR_NON_FINITE', 'window.x', 'at step 2', 'window.x[7] is NaN');
    expectUnchanged(s);
    // the same trainer then continues as if the bad window never came
    const t = setup();
    expect(s.trainer.update(s.w)).toMatchObject({ step: 2, loss: t.trainer.update(t.w).loss });
    expect(s.model.params).toEqual(t.model.params);
  });

  it('an Inf reaching the gradients names the parameter tensor', () => {
    const s = setup({
      loss: (dy, y, targets, shape) => {
        const r = sequenceMse(dy, y, new Float32Array(y.length), shape);
        if (dy && targets.length === 10 && (targets as Int32Array)[0] === 99) dy[3] = Infinity; // forced Inf
        return r;
      },
    });
    const targets = (s.w.targets as Int32Array).slice();
    targets[0] = 99;
    expectError(
      () => s.trainer.update({ ...s.w, targets }),
      'ERR_NON_FINITE',
      'Non-finite value in grads.rnn.',
      'at step 2',
    );
    expectUnchanged(s);
  });

  it('an infinite loss and an infinite regression target', () => {
    const s = setup({
      loss: (_dy, _y, targets) => ({ loss: (targets as Int32Array)[0] === 99 ? Infinity : 1, sum: 1, count: 1 }),
    });
    const targets = (s.w.targets as Int32Array).slice();
    targets[0] = 99;
    expectError(() => s.trainer.update({ ...s.w, targets }), 'ERR_NON_FINITE', 'Non-finite loss at step 2: Infinity');
    expectUnchanged(s);
    const m = RNNModel.create(denseOpts, { seed: 5 });
    const before = m.params.slice();
    const reg = new Trainer(m, { optimizer: { name: 'sgd', lr: 1 }, k1: 2, loss: 'mse' });
    const t = new Float32Array(2 * 1 * 2);
    t[1] = -Infinity;
    expectError(
      () => reg.update({ x: new Float32Array(6), targets: t, T: 2, B: 1 }),
      'ERR_NON_FINITE',
      'window.targets',
      'at step 0',
    );
    expect(m.params).toEqual(before);
  });

  it('checkFinite: false lets the NaN through', () => {
    const s = setup({ checkFinite: false });
    const x = (s.w.x as Float32Array).slice();
    x[0] = NaN;
    expect(s.trainer.update({ ...s.w, x }).loss).toBeNaN();
  });
});

describe('checkpoint state', () => {
  const modelOpts: ModelOptions = {
    cell: 'lstm',
    input: 'onehot',
    inputSize: V,
    hiddenSize: 8,
    numLayers: 2,
    dropout: 0.25,
    outputSize: V,
  };
  const trainerOpts = (): TrainerOptions => ({
    optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0.01 },
    k1: 3,
    k2: 5,
    clipNorm: 1,
    schedule: { kind: 'cosine', lr: 0.01, warmupSteps: 3, totalSteps: 20 },
    seed: 9,
  });
  const batches = (start = 0) => charRnnBatches(corpus, { B: 3, k1: 3, k2: 5, start });

  it('resuming from getState() (and the model parameters) continues bit for bit', () => {
    const ref = RNNModel.create(modelOpts, { seed: 2 });
    const refTrainer = new Trainer(ref, trainerOpts());
    const refEvents = [...batches()].map((w) => refTrainer.update(w));
    expect(refEvents.length).toBeGreaterThan(9);

    const first = RNNModel.create(modelOpts, { seed: 2 });
    const firstTrainer = new Trainer(first, trainerOpts());
    let n = 0;
    for (const w of batches()) {
      firstTrainer.update(w);
      if (++n === 6) break;
    }
    const saved = structuredClone({ params: first.params, state: firstTrainer.getState() });
    expect(saved.state.cursor).toBe(6);
    expect(saved.state.carried?.h.length).toBe(2 * 3 * 8);

    const resumed = new RNNModel(first.config, saved.params);
    const trainer = new Trainer(resumed, trainerOpts());
    trainer.setState(saved.state);
    const rest = [...batches(saved.state.cursor)].map((w) => trainer.update(w));
    expect(rest).toEqual(
      refEvents
        .slice(6)
        .map((e, i) => ({ ...e, elapsedMs: rest[i].elapsedMs, tokensPerSecond: rest[i].tokensPerSecond })),
    );
    expect(resumed.params).toEqual(ref.params);
    expect(trainer.getState()).toEqual(refTrainer.getState());
  });

  it('getState returns copies; setState validates before changing anything', () => {
    const model = RNNModel.create(modelOpts, { seed: 2 });
    const trainer = new Trainer(model, trainerOpts());
    trainer.update([...batches()][0]);
    const s = trainer.getState();
    s.carried!.h.fill(9);
    expect(trainer.getState().carried!.h[0]).not.toBe(9);
    const good = trainer.getState();
    expectError(() => trainer.setState({ ...good, step: -1 }), 'ERR_INVALID_ARG', 'state.step');
    expectError(() => trainer.setState({ ...good, cursor: 1.5 }), 'ERR_INVALID_ARG', 'state.cursor');
    expectError(
      () => trainer.setState({ ...good, carried: { h: new Float32Array(5) } }),
      'ERR_SHAPE',
      'state.carried.h',
    );
    expectError(
      () => trainer.setState({ ...good, carried: { h: new Float32Array(16) } }),
      'ERR_SHAPE',
      'state.carried.c',
    );
    expectError(() => trainer.setState({ ...good, rng: [0, 0, 0] as never }), 'ERR_INVALID_ARG', 'state');
    expectError(
      () => trainer.setState({ ...good, optimizer: { ...good.optimizer, name: 'sgd' } }),
      'ERR_INVALID_ARG',
      'state.name',
    );
    expectError(() => trainer.setState(null as never), 'ERR_INVALID_ARG', 'for state');
    expect(trainer.getState()).toEqual(good);
  });
});

describe('Trainer.evaluate', () => {
  it('computes the loss without updates, from its own carried state', () => {
    const model = RNNModel.create(denseOpts, { seed: 1 });
    const trainer = new Trainer(model, { optimizer: { name: 'sgd', lr: 0 }, k1: 5 });
    const ws = denseWindows(3, 5, 2, 8);
    const before = model.params.slice();
    const r = trainer.evaluate(ws);
    expect(model.params).toEqual(before);
    expect(trainer.step).toBe(0);
    expect(trainer.getState().carried).toBeNull();
    expect(r).toMatchObject({ count: 30, tokens: 30, windows: 3 });
    // with lr = 0 the updates see the same losses: every window counts 10 terms, so the mean is their mean
    const losses = ws.map((w) => trainer.update(w).loss);
    expect(r.loss).toBeCloseTo((losses[0] + losses[1] + losses[2]) / 3, 6);
    // the evaluation state continues across calls, until resetEvalState
    trainer.resetEvalState();
    const head = trainer.evaluate(ws.slice(0, 2));
    expect(head.sum + trainer.evaluate([ws[2]]).sum).toBeCloseTo(r.sum, 4);
    trainer.resetEvalState();
    expect(trainer.evaluate(ws)).toEqual(r);
    expectError(() => trainer.evaluate(5 as never), 'ERR_INVALID_ARG', 'for windows');
    expectError(() => trainer.evaluate([ws[0], { ...ws[1], T: 6 }]), 'ERR_INVALID_ARG', 'windows[1].T');
  });
});

describe('invalid arguments name the option', () => {
  const model = RNNModel.create(denseOpts);
  const base: TrainerOptions = { optimizer: { name: 'sgd', lr: 0.1 }, k1: 4 };
  const bad: [string, Record<string, unknown>, string][] = [
    ['options.optimizer', { optimizer: 'adam' }, 'an Optimizer or optimizer options'],
    ['options.optimizer.name', { optimizer: { name: 'lbfgs', lr: 1 } }, 'one of "sgd"'],
    ['options.optimizer.lr', { optimizer: { name: 'adam', lr: -1 } }, 'finite number >= 0'],
    ['options.k1', { k1: 0 }, 'integer >= 1'],
    ['options.k1', { k1: undefined }, 'integer >= 1'],
    ['options.k2', { k2: 3 }, 'integer >= 4 (options.k1)'],
    ['options.loss', { loss: 'hinge' }, 'one of "crossEntropy", "manyToOne", "mse"'],
    ['options.reduction', { reduction: 'none' }, 'one of "mean", "sum"'],
    ['options.clipNorm', { clipNorm: 0 }, 'finite number > 0'],
    ['options.clipValue', { clipValue: -1 }, 'finite number > 0'],
    ['options.schedule', { schedule: 3 }, 'a Schedule or schedule options'],
    ['options.schedule.kind', { schedule: { kind: 'linear', lr: 1 } }, 'one of "constant"'],
    ['options.seed', { seed: -1 }, 'integer in [0, 4294967295]'],
    ['options.checkFinite', { checkFinite: 'yes' }, 'boolean'],
    ['options.now', { now: 5 }, 'a function () => milliseconds'],
  ];
  for (const [path, patch, expected] of bad) {
    it(`${path} = ${JSON.stringify(Object.values(patch)[0])}`, () => {
      expectError(
        () => new Trainer(model, { ...base, ...patch } as TrainerOptions),
        'ERR_INVALID_ARG',
        `for ${path} `,
        expected,
      );
    });
  }
  it('model and options', () => {
    expectError(() => new Trainer({} as never, base), 'ERR_INVALID_ARG', 'for model');
    expectError(() => new Trainer(model, undefined as never), 'ERR_INVALID_ARG', 'for options');
    expectError(() => new Trainer(model, [] as never), 'ERR_INVALID_ARG', 'for options');
  });

  const trainer = new Trainer(model, { ...base, k2: 6 });
  const w = denseWindows(1, 5, 2, 1)[0];
  const badWindows: [string, Partial<Record<keyof TbpttWindow, unknown>>, string, string][] = [
    ['window.T', { T: 7 }, 'ERR_INVALID_ARG', 'integer in [1, 6]'],
    ['window.B', { B: 0 }, 'ERR_INVALID_ARG', 'integer >= 1'],
    ['window.context', { context: 5 }, 'ERR_INVALID_ARG', 'integer in [0, 4]'],
    ['window.padding', { context: 2, padding: 3 }, 'ERR_INVALID_ARG', 'integer in [0, 2]'],
    ['window.carry', { carry: 6 }, 'ERR_INVALID_ARG', 'integer in [0, 5]'],
    ['window.reset', { reset: 1 }, 'ERR_INVALID_ARG', 'boolean'],
    ['window.index', { index: -2 }, 'ERR_INVALID_ARG', 'integer >= -1'],
    ['window.x', { x: new Float32Array(29) }, 'ERR_SHAPE', 'Float32Array of length 30 ([T=5, B=2, X=3])'],
    ['window.x', { x: new Int32Array(10) }, 'ERR_SHAPE', 'Float32Array'],
    ['window.targets', { targets: [1, 0] }, 'ERR_SHAPE', 'Int32Array or Float32Array'],
    ['targets', { targets: new Int32Array(9) }, 'ERR_SHAPE', 'Int32Array of class ids of length 10'],
  ];
  for (const [path, patch, code, expected] of badWindows) {
    it(`${path}: expected ${expected}`, () => {
      const before = model.params.slice();
      expectError(() => trainer.update({ ...w, ...patch } as TbpttWindow), code, `${path} `, expected);
      expect(model.params).toEqual(before);
    });
  }
  it('window', () => {
    expectError(() => trainer.update(null as never), 'ERR_INVALID_ARG', 'for window ');
  });
});

describe('Trainer memory under windows of many lengths', () => {
  it('keeps its workspaces bounded by the largest window (wasm arena bytes)', async () => {
    const { createWasmBackend } = await import('../../src/tensor/wasmBackend.ts');
    const run = (lengths: number[]) => {
      const backend = createWasmBackend({ capacity: 64 * 2 ** 20 });
      const model = RNNModel.create(denseOpts, { seed: 1, backend });
      const trainer = new Trainer(model, { optimizer: sgd({ lr: 0.01 }), k1: 400 });
      const before = backend.used;
      for (const T of lengths) {
        const rng = new Rng(T);
        const x = Float32Array.from({ length: T * 2 * 3 }, () => rng.uniform(-1, 1));
        const targets = Int32Array.from({ length: T * 2 }, () => rng.int(2));
        // carry inside the window: two workspaces per update
        trainer.update({ x, targets, T, B: 2, carry: T >> 1, reset: true });
      }
      return backend.used - before;
    };
    const largest = run([300]);
    const many = run(Array.from({ length: 201 }, (_, k) => 100 + k));
    expect(many).toBeLessThanOrEqual(4 * largest);
  });
});
