/**
 * Output dropout (issue 16): dropout on the top layer's output where it enters the head, in training only.
 * BPTT through it against central finite differences (float64 check path, the masks drawn from the same seed
 * each time), inference unchanged, and the setting saved with the model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { loadModel, saveModel } from '../../src/model/modelFile.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { Rng } from '../../src/util/rng.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { expectError } from '../helpers/expectError.ts';
import { numericGradients, worstRelativeError } from '../helpers/numericGradients.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-outdrop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = 4;
const B = 2;

/** Σ_t CE(y_t, target) over one training window with the masks of Rng(11). */
function lossFn(options: ModelOptions) {
  const model = RNNModel.create(options, { seed: 5, backend: float64CheckBackend });
  const cfg = model.config;
  const rng = new Rng(2);
  const x =
    cfg.input === 'dense'
      ? Float32Array.from({ length: T * B * cfg.inputSize }, () => rng.uniform(-1, 1))
      : Int32Array.from({ length: T * B }, () => rng.int(cfg.inputSize));
  const targets = Int32Array.from({ length: T * B }, () => rng.int(cfg.outputSize));
  const loss = (withGrad: boolean): number => {
    const { y, workspace } = model.forward(x, { T, B, training: true, rng: new Rng(11) });
    const dy = new Float64Array(T * B * cfg.outputSize) as unknown as Float32Array;
    const l = softmaxCrossEntropy(withGrad ? dy : null, y, targets, T * B, cfg.outputSize, 1);
    if (withGrad) {
      model.zeroGrads();
      model.backward(workspace, dy);
    }
    return l;
  };
  return { model, loss };
}

describe('output dropout', () => {
  const cases: { name: string; options: ModelOptions }[] = [
    {
      name: 'lstm onehot L=2, dropout 0.2 between the layers and 0.4 on the output',
      options: {
        cell: 'lstm',
        input: 'onehot',
        inputSize: 6,
        hiddenSize: 4,
        numLayers: 2,
        outputSize: 6,
        dropout: 0.2,
        outputDropout: 0.4,
      },
    },
    {
      name: 'gru dense L=1, 0.5 on the output',
      options: { cell: 'gru', input: 'dense', inputSize: 3, hiddenSize: 5, outputSize: 4, outputDropout: 0.5 },
    },
  ];
  for (const c of cases) {
    it(`gradients against central differences: ${c.name}`, () => {
      const { model, loss } = lossFn(c.options);
      loss(true);
      const analytic = Float64Array.from(model.grads);
      expect(
        worstRelativeError(
          numericGradients(model.params, () => loss(false)),
          analytic,
        ),
      ).toBeLessThan(1e-6);
    });
  }

  it('drops in training only: inference is the model without it; the masks zero some head inputs', () => {
    const options: ModelOptions = { cell: 'lstm', input: 'onehot', inputSize: 6, hiddenSize: 8, outputSize: 6 };
    const plain = RNNModel.create(options, { seed: 3 });
    const dropped = RNNModel.create({ ...options, outputDropout: 0.5 }, { seed: 3 });
    dropped.params.set(plain.params);
    const x = Int32Array.from({ length: T * B }, (_, i) => i % 6);
    const a = Float32Array.from(plain.forward(x, { T, B }).y);
    expect(Array.from(dropped.forward(x, { T, B }).y)).toEqual(Array.from(a));
    // training without dropout anywhere else: the same as inference for the plain model, not for this one
    const trainedPlain = Float32Array.from(plain.forward(x, { T, B, training: true, rng: new Rng(1) }).y);
    expect(Array.from(trainedPlain)).toEqual(Array.from(a));
    const { y, workspace } = dropped.forward(x, { T, B, training: true, rng: new Rng(1) });
    expect(Array.from(y)).not.toEqual(Array.from(a));
    const mask = workspace.layers[0].mask;
    const zeros = mask.filter((m) => m === 0).length;
    expect(zeros).toBeGreaterThan(0.3 * mask.length);
    expect(zeros).toBeLessThan(0.7 * mask.length);
    for (const m of mask) expect(m === 0 || m === 2).toBe(true);
    expectError(() => dropped.forward(x, { T, B, training: true }), 'ERR_INVALID_ARG', /options\.rng/);
  });

  it('is saved with the model (and left out of the files of models without it); needs a head', () => {
    const options: ModelOptions = { cell: 'gru', input: 'onehot', inputSize: 5, hiddenSize: 4, outputSize: 5 };
    const path = join(dir, 'od.safetensors');
    saveModel(path, RNNModel.create({ ...options, outputDropout: 0.3 }));
    expect(loadModel(path).config.outputDropout).toBe(0.3);
    saveModel(path, RNNModel.create(options));
    expect(readSafetensors(path).metadata['eddy.config']).not.toContain('outputDropout');
    expect(loadModel(path).config.outputDropout).toBeUndefined();
    expectError(
      () => RNNModel.create({ ...options, outputSize: 0, outputDropout: 0.3 }),
      'ERR_INVALID_ARG',
      /options\.outputDropout/,
    );
  });
});
