/**
 * Bad input to the core gets a clear error: every option of a model names itself, what was expected and what
 * was received; every public function refuses a tensor of the wrong shape by name; bad model files name the
 * file and what is wrong.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { loadModel, saveModel } from '../../src/model/modelFile.ts';
import { writeSafetensors } from '../../src/model/safetensors.ts';
import { modelFromStateDict } from '../../src/model/stateDict.ts';
import { Rng } from '../../src/util/rng.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { expectError } from '../helpers/expectError.ts';

const base: ModelOptions = { cell: 'lstm', inputSize: 3, hiddenSize: 4 };

describe('model options', () => {
  const bad: [string, Partial<ModelOptions> | Record<string, unknown>, string, string][] = [
    ['cell', { cell: 'transformer' }, 'one of "lstm", "gru", "rnn_tanh", "rnn_relu"', '"transformer" of type string'],
    ['input', { input: 'sparse' }, 'one of "dense", "onehot", "embedding"', '"sparse" of type string'],
    ['inputSize', { inputSize: 0 }, 'integer in [1, ', '0 of type number'],
    ['inputSize', { inputSize: 2.5 }, 'integer', '2.5 of type number'],
    ['hiddenSize', { hiddenSize: -1 }, 'integer in [1, ', '-1 of type number'],
    ['hiddenSize', { hiddenSize: '8' }, 'integer', '"8" of type string'],
    ['numLayers', { numLayers: 0 }, 'integer in [1, 64]', '0 of type number'],
    ['outputSize', { outputSize: -3 }, 'integer in [0, ', '-3 of type number'],
    ['dropout', { dropout: 1 }, 'finite number in [0, 1)', '1 of type number'],
    ['dropout', { dropout: Number.NaN }, 'finite number', 'NaN of type number'],
    ['embeddingSize', { embeddingSize: 4 }, 'undefined unless options.input is "embedding"', '4 of type number'],
    ['embeddingSize', { input: 'embedding', embeddingSize: 0 }, 'integer in [1, ', '0 of type number'],
    ['vocab', { input: 'onehot', vocab: ['a', 'b'] }, 'an array of 3 strings', 'array of length 2'],
    ['vocab', { input: 'onehot', vocab: ['a', 'a', 'b'] }, 'distinct strings', 'array of length 3'],
  ];
  for (const [field, patch, expected, received] of bad) {
    it(`options.${field} = ${JSON.stringify(Object.values(patch)[0])}`, () => {
      expectError(
        () => RNNModel.create({ ...base, ...patch } as ModelOptions),
        'ERR_INVALID_ARG',
        `options.${field}`,
        expected,
        received,
      );
    });
  }
  it('createOptions.seed', () => {
    expectError(
      () => RNNModel.create(base, { seed: -1 }),
      'ERR_INVALID_ARG',
      'createOptions.seed',
      '-1 of type number',
    );
  });
  it('options must be an object', () => {
    expectError(
      () => RNNModel.create(null as unknown as ModelOptions),
      'ERR_INVALID_ARG',
      /for options but received null/,
    );
  });
});

describe('shape mismatches name the tensor, the expected and the received shape', () => {
  const model = RNNModel.create(
    { cell: 'lstm', inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 5 },
    { seed: 1 },
  );
  const ids = RNNModel.create(
    { cell: 'gru', input: 'onehot', inputSize: 6, hiddenSize: 4, outputSize: 6 },
    { seed: 1 },
  );
  it('forward: x of the wrong length', () => {
    expectError(
      () => model.forward(new Float32Array(23), { T: 4, B: 2 }),
      'ERR_SHAPE',
      'x',
      'length 24',
      'T=4, B=2',
      'X=3',
      'received length 23',
    );
  });
  it('forward: ids where features are expected, and the reverse', () => {
    expectError(
      () => model.forward(new Int32Array(24), { T: 4, B: 2 }),
      'ERR_SHAPE',
      'Float32Array',
      'Int32Array of length 24',
    );
    expectError(
      () => ids.forward(new Float32Array(8), { T: 4, B: 2 }),
      'ERR_SHAPE',
      'Int32Array of token ids',
      'Float32Array of length 8',
    );
  });
  it('forward: a token id out of range names its position', () => {
    expectError(
      () => ids.forward(Int32Array.from([0, 1, 6, 2]), { T: 2, B: 2 }),
      'ERR_INVALID_ARG',
      'x[2]',
      'token id in [0, 6)',
      '6 of type number',
    );
  });
  it('forward: T, B, training and rng options', () => {
    expectError(
      () => model.forward(new Float32Array(6), { T: 0, B: 2 }),
      'ERR_INVALID_ARG',
      'options.T',
      '0 of type number',
    );
    expectError(
      () => model.forward(new Float32Array(6), { T: 1, B: 1.5 }),
      'ERR_INVALID_ARG',
      'options.B',
      '1.5 of type number',
    );
    expectError(
      () => model.forward(new Float32Array(6), { T: 1, B: 2, training: 1 as unknown as boolean }),
      'ERR_INVALID_ARG',
      'options.training',
      'boolean',
    );
    const drop = RNNModel.create({ ...base, numLayers: 2, dropout: 0.5 });
    expectError(
      () => drop.forward(new Float32Array(6), { T: 1, B: 2, training: true }),
      'ERR_INVALID_ARG',
      'options.rng',
      'an Rng',
    );
    expect(() => drop.forward(new Float32Array(6), { T: 1, B: 2, training: true, rng: new Rng(1) })).not.toThrow();
  });
  it('forward: a state of the wrong shape, or an LSTM state without c', () => {
    expectError(
      () => model.forward(new Float32Array(6), { T: 1, B: 2, state: { h: new Float32Array(8) } }),
      'ERR_SHAPE',
      'options.state.h',
      'length 16',
      'L=2, B=2, H=4',
      'received length 8',
    );
    expectError(
      () => model.forward(new Float32Array(6), { T: 1, B: 2, state: { h: new Float32Array(16) } }),
      'ERR_SHAPE',
      'options.state.c',
      'cell state',
      'undefined',
    );
  });
  it('forward: a workspace for another shape', () => {
    const ws = model.createWorkspace(3, 2);
    expectError(
      () => model.forward(new Float32Array(6), { T: 1, B: 2, workspace: ws }),
      'ERR_SHAPE',
      'options.workspace',
      'T=1, B=2',
      'T=3, B=2',
    );
  });
  it('backward: dy of the wrong length, dFinal of the wrong shape', () => {
    const { workspace } = model.forward(new Float32Array(6), { T: 1, B: 2 });
    expectError(
      () => model.backward(workspace, new Float32Array(9)),
      'ERR_SHAPE',
      'dy',
      'length 10',
      'Y=5',
      'received length 9',
    );
    expectError(
      () => model.backward(workspace, new Float32Array(10), { h: new Float32Array(3), c: new Float32Array(16) }),
      'ERR_SHAPE',
      'dFinal.h',
      'received length 3',
    );
    expectError(
      () => model.backward(model.createWorkspace(2, 2), new Float32Array(20)),
      'ERR_INVALID_ARG',
      'call forward first',
    );
  });
  it('step: x, state and out', () => {
    const s = model.createState(2);
    expectError(() => model.step(new Float32Array(5), s), 'ERR_SHAPE', 'x', 'length 6', 'received length 5');
    expectError(
      () => model.step(new Float32Array(6), { h: new Float32Array(15), c: new Float32Array(15) }),
      'ERR_SHAPE',
      'state.h',
      'received length 15',
    );
    expectError(
      () => model.step(new Float32Array(6), s, new Float32Array(3)),
      'ERR_SHAPE',
      'out',
      'length 10',
      'received length 3',
    );
    expectError(() => model.step(new Float32Array(6), null as unknown as typeof s), 'ERR_SHAPE', 'state', 'null');
  });
  it('param / grad / createState / createWorkspace', () => {
    expectError(
      () => model.param('rnn.weight_ih_l7'),
      'ERR_INVALID_ARG',
      'name',
      'rnn.weight_ih_l0',
      '"rnn.weight_ih_l7"',
    );
    expectError(() => model.grad('nope'), 'ERR_INVALID_ARG', 'name');
    expectError(() => model.createState(0), 'ERR_INVALID_ARG', 'B', '0 of type number');
    expectError(() => model.createWorkspace(1, -2), 'ERR_INVALID_ARG', 'B', '-2 of type number');
  });
  it('the constructor refuses a parameter buffer of the wrong length', () => {
    expectError(
      () => new RNNModel(model.config, new Float32Array(3)),
      'ERR_SHAPE',
      'params',
      `length ${model.numParams}`,
      'received length 3',
    );
  });
});

describe('model files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const model = RNNModel.create(
    {
      cell: 'gru',
      input: 'embedding',
      inputSize: 5,
      hiddenSize: 3,
      numLayers: 2,
      outputSize: 5,
      vocab: ['a', 'b', 'c', ' ', '\n'],
    },
    { seed: 4 },
  );
  const path = join(dir, 'm.safetensors');
  saveModel(path, model, { note: 'kept' });

  it('a missing file', () => {
    expectError(() => loadModel(join(dir, 'nope.safetensors')), 'ERR_FILE', 'nope.safetensors');
  });
  it('a truncated file', () => {
    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    expectError(() => loadModel(cut), 'ERR_FILE', 'cut.safetensors');
  });
  it('a corrupt header', () => {
    const bytes = Buffer.from(readFileSync(path));
    bytes[12] = 0x7b; // break the JSON
    bytes[13] = 0x7b;
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, bytes);
    expectError(() => loadModel(bad), 'ERR_FILE', 'bad.safetensors');
  });
  it('a tensor of the wrong shape, a missing tensor and an extra tensor', () => {
    const sd = new Map(model.layout.entries.map((e) => [e.name, { shape: e.shape, data: model.param(e.name) }]));
    const wrong = new Map(sd);
    wrong.set('head.bias', { shape: [4], data: new Float32Array(4) });
    expectError(
      () => modelFromStateDict(wrong, { source: 'x.safetensors' }),
      'ERR_FILE',
      'x.safetensors',
      'head.bias',
      '[4]',
      'expected [5]',
    );
    const missing = new Map(sd);
    missing.delete('rnn.bias_hh_l1');
    expectError(() => modelFromStateDict(missing), 'ERR_FILE', 'missing tensor rnn.bias_hh_l1');
    const extra = new Map(sd);
    extra.set('rnn.weight_ih_l0_reverse', sd.get('rnn.weight_ih_l0')!);
    expectError(() => modelFromStateDict(extra), 'ERR_FILE', 'unexpected tensor', '_reverse');
    expectError(() => modelFromStateDict(new Map()), 'ERR_FILE', 'no rnn.weight_hh_l0');
  });
  it('metadata that disagrees with the shapes', () => {
    const tensors: Parameters<typeof writeSafetensors>[1] = {};
    for (const e of model.layout.entries) tensors[e.name] = { shape: [...e.shape], data: model.param(e.name) };
    const p = join(dir, 'liar.safetensors');
    writeSafetensors(p, tensors, {
      'eddy.config': JSON.stringify({ ...model.config, cell: 'lstm', vocab: undefined }),
    });
    expectError(() => loadModel(p), 'ERR_FILE', 'liar.safetensors', 'cell "lstm"', 'shapes say "gru"');
    writeSafetensors(p, tensors, { 'eddy.config': '{not json' });
    expectError(() => loadModel(p), 'ERR_FILE', 'eddy.config is not valid JSON');
  });
  it('keeps extra metadata, the vocabulary and the configuration', () => {
    const back = loadModel(path);
    expect(back.config).toEqual(model.config);
    expect(back.config.vocab).toEqual(['a', 'b', 'c', ' ', '\n']);
  });
});

describe('model files: metadata checked against the tensors (eddy.config)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-meta-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // a 4-unit one-hot LSTM with a head
  const model = RNNModel.create({ cell: 'lstm', input: 'onehot', inputSize: 4, hiddenSize: 4, outputSize: 4 });
  const tensors: Parameters<typeof writeSafetensors>[1] = {};
  for (const e of model.layout.entries) tensors[e.name] = { shape: [...e.shape], data: model.param(e.name) };
  const { vocab: _v, ...config } = model.config;
  const write = (meta: Record<string, string>, t = tensors): string => {
    const p = join(dir, 'm.safetensors');
    writeSafetensors(p, t, meta);
    return p;
  };
  const withConfig = (c: Record<string, unknown>) => write({ 'eddy.config': JSON.stringify(c) });

  it('loads an honest file', () => {
    expect(loadModel(withConfig(config)).config).toEqual(model.config);
  });
  it('refuses every field that contradicts the shapes, naming it', () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ hiddenSize: 64 }, ['eddy.config', 'hiddenSize 64', 'shapes say 4']],
      [{ numLayers: 3 }, ['eddy.config', 'numLayers 3', 'shapes say 1']],
      [{ inputSize: 65 }, ['eddy.config', 'inputSize 65', 'shapes say 4']],
      [{ outputSize: 0 }, ['eddy.config', 'outputSize 0', 'shapes say 4']],
      [{ input: 'embedding' }, ['eddy.config', 'input "embedding"', 'no embedding.weight']],
      [{ input: 'embedding', embeddingSize: 8 }, ['eddy.config', 'input "embedding"']],
      [{ embeddingSize: 8 }, ['eddy.config', 'embeddingSize 8']],
      [{ hiddenSize: 64, numLayers: 3, input: 'embedding' }, ['eddy.config', 'hiddenSize 64']],
    ];
    for (const [change, parts] of cases)
      expectError(() => loadModel(withConfig({ ...config, ...change })), 'ERR_FILE', 'm.safetensors', ...parts);
  });
  it('refuses unknown and damaged keys', () => {
    expectError(() => loadModel(withConfig({ ...config, hiddenSise: 4 })), 'ERR_FILE', 'unknown key "hiddenSise"');
    expectError(() => loadModel(withConfig({ ...config, hiddenSize: '4' })), 'ERR_FILE', 'eddy.config', 'hiddenSize');
    expectError(() => loadModel(withConfig({ ...config, dropout: 2 })), 'ERR_FILE', 'dropout');
    expectError(() => loadModel(withConfig({ ...config, cell: 'lstmm' })), 'ERR_FILE', 'cell');
    for (const raw of ['[1, 2]', '3', 'null', '"lstm"'])
      expectError(() => loadModel(write({ 'eddy.config': raw })), 'ERR_FILE', 'eddy.config', 'not a JSON object');
    expectError(() => loadModel(write({ 'eddy.vocab': '["a", 2, "c", "d"]' })), 'ERR_FILE', 'vocab');
    expectError(() => loadModel(write({ 'eddy.vocab': '["a", "b"]' })), 'ERR_FILE', 'vocab');
    expectError(() => loadModel(write({ 'eddy.vocab': '{"a": 1}' })), 'ERR_FILE', 'vocab');
  });
  it('refuses a given configuration (options.config) that contradicts the shapes', () => {
    const p = write({});
    expectError(() => loadModel(p, { config: { hiddenSize: 64 } }), 'ERR_FILE', 'hiddenSize 64', 'shapes say 4');
    expect(loadModel(p, { config: { input: 'onehot' } }).config.input).toBe('onehot');
  });
  it('refuses non-finite weights, naming the tensor and the index', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const w = Float32Array.from(model.param('rnn.weight_hh_l0'));
      w[7] = bad;
      const p = write({}, { ...tensors, 'rnn.weight_hh_l0': { shape: [16, 4], data: w } });
      expectError(() => loadModel(p, { config: { input: 'onehot' } }), 'ERR_FILE', 'rnn.weight_hh_l0[7]', String(bad));
    }
  });
});
