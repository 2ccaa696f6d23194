/**
 * safetensors round trips with PyTorch, both ways (fixtures/torch_roundtrip.py does the PyTorch side):
 * - a model saved by eddy loads into PyTorch with load_state_dict(strict=True) and gives the same outputs;
 * - a bare state_dict saved by PyTorch (no metadata) loads into eddy and gives the same outputs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { loadModel, saveModel } from '../../src/model/modelFile.ts';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.ts';
import { Rng } from '../../src/util/rng.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { hasTorch, runPython, torchSkipNote } from '../helpers/torch.ts';

const script = join(import.meta.dirname, '../../fixtures/torch_roundtrip.py');
const dir = mkdtempSync(join(tmpdir(), 'eddy-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('eddy -> PyTorch', () => {
  const cases: ModelOptions[] = [
    {
      cell: 'lstm',
      input: 'embedding',
      inputSize: 10,
      embeddingSize: 5,
      hiddenSize: 6,
      numLayers: 2,
      outputSize: 10,
      vocab: [...'abcdefghij'],
    },
    { cell: 'gru', input: 'dense', inputSize: 4, hiddenSize: 5, numLayers: 3, outputSize: 3 },
    { cell: 'rnn_relu', input: 'onehot', inputSize: 7, hiddenSize: 5, numLayers: 1, outputSize: 7 },
    { cell: 'rnn_tanh', input: 'dense', inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 0 },
  ];
  for (const options of cases) {
    it.skipIf(!hasTorch)(`${options.cell} ${options.input} L=${options.numLayers}${torchSkipNote}`, () => {
      const model = RNNModel.create(options, { seed: 9 });
      const path = join(dir, `${options.cell}-${options.input}.safetensors`);
      saveModel(path, model);
      const T = 7,
        B = 3;
      const rng = new Rng(1);
      const cfg = model.config;
      const x =
        cfg.input === 'dense'
          ? Float32Array.from({ length: T * B * cfg.inputSize }, () => rng.normal())
          : Int32Array.from({ length: T * B }, () => rng.int(cfg.inputSize));
      const state0 = model.createState(B);
      for (let i = 0; i < state0.h.length; i++) state0.h[i] = rng.normal() * 0.5;
      if (state0.c) for (let i = 0; i < state0.c.length; i++) state0.c[i] = rng.normal() * 0.5;
      const n = [cfg.numLayers, B, cfg.hiddenSize];
      const io: Parameters<typeof writeSafetensors>[1] = {
        x: { shape: cfg.input === 'dense' ? [T, B, cfg.inputSize] : [T, B], data: x },
        h0: { shape: n, data: state0.h },
      };
      io.c0 = { shape: n, data: state0.c ?? new Float32Array(state0.h.length) };
      writeSafetensors(join(dir, 'in.safetensors'), io);
      runPython(script, ['run', path, join(dir, 'in.safetensors'), join(dir, 'out.safetensors')]);
      const out = readSafetensors(join(dir, 'out.safetensors')).tensors;
      const { y, state } = model.forward(x, { T, B, state: state0 });
      expect(maxAbsDiff(y, out.get('y')!.data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(state.h, out.get('h_n')!.data)).toBeLessThan(1e-5);
      if (state.c) expect(maxAbsDiff(state.c, out.get('c_n')!.data)).toBeLessThan(1e-5);
      // and eddy reads its own file back to the same model, vocabulary included
      const back = loadModel(path);
      expect(back.config).toEqual(model.config);
      expect(Array.from(back.params)).toEqual(Array.from(model.params));
    });
  }
});

describe('PyTorch -> eddy, a bare state_dict without metadata', () => {
  for (const [cell, layers, input] of [
    ['lstm', 3, 'dense'],
    ['gru', 2, 'embedding'],
    ['rnn_tanh', 1, 'dense'],
    ['lstm', 1, 'embedding'],
  ] as const) {
    it.skipIf(!hasTorch)(`${cell} L=${layers} ${input}${torchSkipNote}`, () => {
      const modelPath = join(dir, `pt-${cell}-${layers}.safetensors`);
      const ioPath = join(dir, `pt-${cell}-${layers}-io.safetensors`);
      runPython(script, ['make', cell, String(layers), input, modelPath, ioPath]);
      const file = readSafetensors(modelPath);
      expect(file.metadata).toEqual({});
      const model = loadModel(modelPath);
      expect(model.config.cell).toBe(cell);
      expect(model.config.numLayers).toBe(layers);
      expect(model.config.input).toBe(input);
      const io = readSafetensors(ioPath);
      const get = (k: string) => io.tensors.get(k)!.data;
      const T = Number(io.metadata.T),
        B = Number(io.metadata.B);
      const x = input === 'dense' ? get('x') : Int32Array.from(get('x'));
      const state0 = cell === 'lstm' ? { h: get('h0'), c: get('c0') } : { h: get('h0') };
      const { y, state } = model.forward(x, { T, B, state: state0 });
      expect(maxAbsDiff(y, get('y'))).toBeLessThan(1e-5);
      expect(maxAbsDiff(state.h, get('h_n'))).toBeLessThan(1e-5);
      if (state.c) expect(maxAbsDiff(state.c, get('c_n'))).toBeLessThan(1e-5);
    });
  }
  it('a vanilla RNN without metadata is tanh; told rnn_relu it is relu', () => {
    const relu = RNNModel.create({ cell: 'rnn_relu', inputSize: 3, hiddenSize: 4, outputSize: 2 }, { seed: 2 });
    const path = join(dir, 'bare-rnn.safetensors');
    const tensors: Parameters<typeof writeSafetensors>[1] = {};
    for (const e of relu.layout.entries) tensors[e.name] = { shape: [...e.shape], data: relu.param(e.name) };
    writeSafetensors(path, tensors);
    expect(loadModel(path).config.cell).toBe('rnn_tanh');
    expect(loadModel(path, { config: { cell: 'rnn_relu' } }).config.cell).toBe('rnn_relu');
    writeSafetensors(path, tensors, { nonlinearity: 'relu' });
    expect(loadModel(path).config.cell).toBe('rnn_relu');
  });
});
