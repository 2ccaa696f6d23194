/** Invalid-argument tests: every option of every operator is validated at the call and named in the message. */
import { describe, expect, it } from 'vitest';
import { of } from 'rxjs';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { EddyError } from '../../src/util/errors.ts';
import { recurrent } from '../../src/operators/recurrent.ts';
import { recurrentAsync } from '../../src/operators/recurrent.ix.ts';
import { recurrentLast } from '../../src/operators/recurrentLast.ts';
import { recurrentLastAsync } from '../../src/operators/recurrentLast.ix.ts';
import { recurrentTransform } from '../../src/operators/recurrentTransform.ts';
import { generate } from '../../src/operators/generate.ts';
import { generateAsync } from '../../src/operators/generate.ix.ts';
import { generateEach } from '../../src/operators/generateEach.ts';
import { generateEachAsync } from '../../src/operators/generateEach.ix.ts';
import { seq2seq } from '../../src/operators/seq2seq.ts';
import { seq2seqAsync } from '../../src/operators/seq2seq.ix.ts';
import { keyedRecurrent } from '../../src/operators/keyedRecurrent.ts';
import { keyedRecurrentAsync } from '../../src/operators/keyedRecurrent.ix.ts';
import { bounded } from '../../src/operators/bounded.ts';
import { charGru, charLstm, denseLstm } from './models.ts';

const lstm = denseLstm(); // L=2, H=4: a state has 8 values
const gru = charGru(); // L=1, H=5, V=6
const emb = charLstm(); // V=7
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deliberately ill-typed arguments
// biome-ignore lint/suspicious/noExplicitAny: passes wrong types on purpose, to test the runtime checks
const bad = (v: unknown): any => v;

/** Asserts an ERR_INVALID_ARG / ERR_SHAPE EddyError whose message names `path`. */
function throwsNaming(fn: () => unknown, path: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a throw naming ${path}`).toBeInstanceOf(EddyError);
  expect(['ERR_INVALID_ARG', 'ERR_SHAPE']).toContain((err as EddyError).code);
  expect((err as Error).message).toContain(path);
}

describe('step operators: recurrent, recurrentLast, their IxJS mirrors, recurrentTransform', () => {
  const ops = {
    recurrent: (m: RNNModel, o: unknown) => recurrent(m, bad(o)),
    recurrentLast: (m: RNNModel, o: unknown) => recurrentLast(m, bad(o)),
    recurrentAsync: (m: RNNModel, o: unknown) => recurrentAsync(m, bad(o)),
    recurrentLastAsync: (m: RNNModel, o: unknown) => recurrentLastAsync(m, bad(o)),
    recurrentTransform: (m: RNNModel, o: unknown) => recurrentTransform(m, bad(o)),
  };
  const cases: [string, unknown, string][] = [
    ['model', undefined, 'model'],
    ['options', 5, 'options'],
    ['initialState type', { initialState: 'zeros' }, 'options.initialState'],
    ['initialState.h length', { initialState: { h: [0, 0], c: new Array(8).fill(0) } }, 'options.initialState.h'],
    [
      'initialState.h values',
      { initialState: { h: new Array(8).fill('x'), c: new Array(8).fill(0) } },
      'options.initialState.h',
    ],
    ['initialState.c missing (LSTM)', { initialState: { h: new Float32Array(8) } }, 'options.initialState.c'],
    ['resetOn', { resetOn: 3 }, 'options.resetOn'],
    ['resetPosition', { resetPosition: 'middle' }, 'options.resetPosition'],
    ['onState', { onState: 'log' }, 'options.onState'],
    ['control', { control: {} }, 'options.control'],
  ];
  for (const [name, op] of Object.entries(ops)) {
    it.each(cases)(`${name}: %s`, (_label, options, path) => {
      throwsNaming(() => op(path === 'model' ? bad(undefined) : lstm, options), path);
    });
  }

  it('a GRU state carries no c', () => {
    throwsNaming(
      () => recurrent(gru, { initialState: { h: new Array(5).fill(0), c: new Array(5).fill(0) } }),
      'options.initialState.c',
    );
  });

  it('signal: an AbortSignal for the IxJS forms, none for RxJS', () => {
    throwsNaming(() => recurrentAsync(lstm, { signal: bad({}) }), 'options.signal');
    throwsNaming(() => recurrent(lstm, { signal: new AbortController().signal }), 'options.signal');
  });

  it('an Observable resetOn is RxJS only', () => {
    throwsNaming(() => recurrentAsync(lstm, { resetOn: of(1) }), 'options.resetOn');
    throwsNaming(() => recurrentLastAsync(lstm, { resetOn: of(1) }), 'options.resetOn');
    expect(() => recurrentLast(lstm, { resetOn: of(1) })).not.toThrow();
  });
});

describe('generation: generate, generateEach and their IxJS mirrors', () => {
  const headless = RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: 6, hiddenSize: 3 });
  const wideHead = RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: 4, hiddenSize: 3, outputSize: 6 });
  const denseMismatch = RNNModel.create({
    cell: 'rnn_tanh',
    input: 'dense',
    inputSize: 3,
    hiddenSize: 3,
    outputSize: 4,
  });

  const sampling: [string, object, string][] = [
    ['options', bad(7), 'options'],
    ['temperature < 0', { temperature: -0.5 }, 'options.temperature'],
    ['temperature string', { temperature: 'warm' }, 'options.temperature'],
    ['greedy', { greedy: 1 }, 'options.greedy'],
    ['topK', { topK: -2 }, 'options.topK'],
    ['topP 0', { topP: 0 }, 'options.topP'],
    ['topP > 1', { topP: 2 }, 'options.topP'],
    ['seed', { seed: -1 }, 'options.seed'],
    ['stopToken out of range', { stopToken: 6 }, 'options.stopToken'],
    ['stopToken fraction', { stopToken: 1.5 }, 'options.stopToken'],
    ['maxLength 0', { maxLength: 0 }, 'options.maxLength'],
    ['initialState', { initialState: { h: [1] } }, 'options.initialState.h'],
  ];
  it.each(sampling)('generate: %s', (_l, o, path) =>
    throwsNaming(() => generate(gru, bad(o === null || typeof o !== 'object' ? o : { prime: [0], ...o })), path),
  );
  it.each(sampling)('generateAsync: %s', (_l, o, path) =>
    throwsNaming(() => generateAsync(gru, bad(o === null || typeof o !== 'object' ? o : { prime: [0], ...o })), path),
  );
  it.each(sampling)('generateEach: %s', (_l, o, path) => throwsNaming(() => generateEach(gru, bad(o)), path));
  it.each(sampling)('generateEachAsync: %s', (_l, o, path) => throwsNaming(() => generateEachAsync(gru, bad(o)), path));

  it.each([
    ['missing', {}],
    ['empty', { prime: [] }],
    ['out of range', { prime: [0, 6] }],
    ['fraction', { prime: 0.5 }],
    ['string', { prime: 'abc' }],
  ])('options.prime %s', (_l, o) => throwsNaming(() => generate(gru, bad(o)), 'options.prime'));

  it('a dense prime must be features [T, X]', () => {
    const dense = RNNModel.create({ cell: 'rnn_tanh', input: 'dense', inputSize: 3, hiddenSize: 3, outputSize: 3 });
    throwsNaming(() => generate(dense, { prime: [0] }), 'options.prime');
    throwsNaming(() => generate(dense, { prime: new Float32Array(4) }), 'options.prime');
    throwsNaming(() => generate(dense, { prime: new Float32Array(0) }), 'options.prime');
  });

  it('the model must be able to feed back its samples', () => {
    throwsNaming(() => generate(headless, { prime: [0] }), 'model.config.outputSize');
    throwsNaming(() => generate(wideHead, { prime: [0] }), 'model.config.outputSize');
    throwsNaming(() => generateEach(denseMismatch), 'model.config.outputSize');
    throwsNaming(() => generateAsync(bad({}), { prime: [0] }), 'model');
  });

  it('signal: IxJS only', () => {
    throwsNaming(() => generate(emb, { prime: [0], signal: new AbortController().signal }), 'options.signal');
    throwsNaming(() => generateAsync(emb, { prime: [0], signal: bad('stop') }), 'options.signal');
  });
});

describe('seq2seq', () => {
  const enc = RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: 4, hiddenSize: 5 });
  it.each([
    ['startToken missing', {}, 'options.startToken'],
    ['startToken out of range', { startToken: 6 }, 'options.startToken'],
    ['options', 3, 'options'],
    ['maxLength', { startToken: 0, maxLength: -1 }, 'options.maxLength'],
    ['topP', { startToken: 0, topP: 1.01 }, 'options.topP'],
    ['initialState', { startToken: 0, initialState: { h: [0, 0] } }, 'options.initialState.h'],
  ])('%s', (_l, o, path) => {
    throwsNaming(() => seq2seq(enc, gru, bad(o)), path);
    throwsNaming(() => seq2seqAsync(enc, gru, bad(o)), path);
  });
});

describe('keyedRecurrent and keyedRecurrentAsync', () => {
  const keyOf = (x: unknown): unknown => x;
  const cases: [string, object, string][] = [
    ['keyOf missing', {}, 'options.keyOf'],
    ['inputOf', { keyOf, inputOf: 'x' }, 'options.inputOf'],
    ['maxKeys', { keyOf, maxKeys: 0 }, 'options.maxKeys'],
    ['idleMs 0', { keyOf, idleMs: 0 }, 'options.idleMs'],
    ['idleMs string', { keyOf, idleMs: '5s' }, 'options.idleMs'],
    ['onEvict', { keyOf, onEvict: true }, 'options.onEvict'],
    ['initialState', { keyOf, initialState: { h: [] } }, 'options.initialState'],
    ['microBatch', { keyOf, microBatch: 'yes' }, 'options.microBatch'],
    ['microBatch.windowMs', { keyOf, microBatch: { windowMs: -1 } }, 'options.microBatch.windowMs'],
    ['microBatch.maxBatch', { keyOf, microBatch: { maxBatch: 0 } }, 'options.microBatch.maxBatch'],
    ['scheduler', { keyOf, scheduler: {} }, 'options.scheduler'],
    ['now', { keyOf, now: 5 }, 'options.now'],
  ];
  it.each(cases)('%s', (_l, o, path) => {
    throwsNaming(() => keyedRecurrent(lstm, bad(o)), path);
    throwsNaming(() => keyedRecurrentAsync(lstm, bad(o)), path);
  });
  it('model, options and signal', () => {
    throwsNaming(() => keyedRecurrent(bad(null), { keyOf }), 'model');
    throwsNaming(() => keyedRecurrent(lstm, bad(null)), 'options');
    throwsNaming(() => keyedRecurrent(lstm, { keyOf, signal: new AbortController().signal }), 'options.signal');
    throwsNaming(() => keyedRecurrentAsync(lstm, { keyOf, signal: bad(1) }), 'options.signal');
  });
  it('a persisted state of the wrong shape errors the stream naming the key', async () => {
    const r = new Promise((resolve) =>
      of('k')
        .pipe(
          keyedRecurrent(lstm, {
            keyOf: (k) => k,
            inputOf: () => new Float32Array(3),
            initialState: () => ({ h: [1] }),
          }),
        )
        .subscribe({ error: resolve }),
    );
    expect(((await r) as Error).message).toContain('options.initialState(k).h');
  });
});

describe('bounded', () => {
  it.each([
    ['options', undefined, 'options.capacity'],
    ['capacity missing', {}, 'options.capacity'],
    ['capacity 0', { capacity: 0 }, 'options.capacity'],
    ['capacity fraction', { capacity: 2.5 }, 'options.capacity'],
    ['policy', { capacity: 1, policy: 'drop-random' }, 'options.policy'],
    ['ready', { capacity: 1, ready: 10 }, 'options.ready'],
    ['stats', { capacity: 1, stats: { count: 0 } }, 'options.stats'],
    ['onDrop', { capacity: 1, onDrop: 'log' }, 'options.onDrop'],
    ['not an object', 'fast', 'options'],
  ])('%s', (_l, o, path) => throwsNaming(() => bounded(bad(o)), path));
});
