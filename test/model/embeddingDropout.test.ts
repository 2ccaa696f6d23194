/**
 * Embedding dropout (issue 18): dropout on the embedded ids where they enter the first layer, in training only
 * (`embeddingDropout`, PyTorch's `nn.Dropout` after `nn.Embedding`). BPTT through it against central finite
 * differences (float64, the masks drawn from the same seed each time), inference unchanged, the setting saved with
 * the model, and the bidirectional classifier's one mask seen by both directions at the same letters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BidirectionalClassifier } from '../../src/model/bidirectionalClassifier.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { loadClassifier, loadModel, saveModel } from '../../src/model/modelFile.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { padBatch } from '../../src/train/padBatch.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';
import { numericGradients, worstRelativeError } from '../helpers/numericGradients.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-embdrop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = 4;
const B = 3;

describe('embedding dropout (RNNModel)', () => {
  const cases: { name: string; options: ModelOptions }[] = [
    {
      name: 'gru embedding L=1, 0.5 on the embeddings',
      options: {
        cell: 'gru',
        input: 'embedding',
        inputSize: 7,
        embeddingSize: 3,
        hiddenSize: 4,
        outputSize: 5,
        embeddingDropout: 0.5,
      },
    },
    {
      name: 'lstm embedding L=2, 0.3 on the embeddings, 0.2 between the layers, 0.4 on the output',
      options: {
        cell: 'lstm',
        input: 'embedding',
        inputSize: 6,
        embeddingSize: 4,
        hiddenSize: 3,
        numLayers: 2,
        outputSize: 4,
        embeddingDropout: 0.3,
        dropout: 0.2,
        outputDropout: 0.4,
      },
    },
  ];
  for (const c of cases) {
    it(`gradients against central differences: ${c.name}`, () => {
      const model = RNNModel.create(c.options, { seed: 5, backend: float64CheckBackend });
      const cfg = model.config;
      const rng = new Rng(2);
      const x = Int32Array.from({ length: T * B }, () => rng.int(cfg.inputSize));
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
      loss(true);
      const analytic = Float64Array.from(model.grads);
      expect(
        worstRelativeError(
          numericGradients(model.params, () => loss(false)),
          analytic,
        ),
      ).toBeLessThan(1e-6);
      // embedding values with a zero gradient although their id occurs: dropped at every use
      let dropped = 0;
      for (let k = 0; k < cfg.inputSize * cfg.embeddingSize; k++) if (analytic[k] === 0) dropped++;
      expect(dropped, 'some embedding values are dropped wherever they occur').toBeGreaterThan(0);
    });
  }

  it('drops in training only, with masks of 0 and 1/(1-p); inference is the model without it', () => {
    const options: ModelOptions = {
      cell: 'gru',
      input: 'embedding',
      inputSize: 6,
      embeddingSize: 8,
      hiddenSize: 5,
      outputSize: 6,
    };
    const plain = RNNModel.create(options, { seed: 3 });
    const dropped = RNNModel.create({ ...options, embeddingDropout: 0.5 }, { seed: 3 });
    dropped.params.set(plain.params);
    const x = Int32Array.from({ length: T * B }, (_, i) => i % 6);
    const a = Float32Array.from(plain.forward(x, { T, B }).y);
    expect(Array.from(dropped.forward(x, { T, B }).y)).toEqual(Array.from(a));
    const { y, workspace } = dropped.forward(x, { T, B, training: true, rng: new Rng(1) });
    expect(Array.from(y)).not.toEqual(Array.from(a));
    const mask = workspace.embMask;
    expect(mask.length).toBe(T * B * 8);
    const zeros = mask.filter((m) => m === 0).length;
    expect(zeros).toBeGreaterThan(0.3 * mask.length);
    expect(zeros).toBeLessThan(0.7 * mask.length);
    for (const m of mask) expect(m === 0 || m === 2).toBe(true);
    // the dropped embeddings are what the first layer read
    const E = 8;
    for (let i = 0; i < T * B * E; i++) {
      const row = Math.floor(i / E);
      expect(workspace.emb[i]).toBe(Math.fround(dropped.params[x[row] * E + (i % E)] * mask[i]));
    }
    // a step never drops
    const state = dropped.createState(1);
    const s2 = plain.createState(1);
    expect(Array.from(dropped.step(Int32Array.of(2), state))).toEqual(Array.from(plain.step(Int32Array.of(2), s2)));
    expectError(() => dropped.forward(x, { T, B, training: true }), 'ERR_INVALID_ARG', /options\.rng/);
  });

  it('uses a given mask instead of drawing one (no rng needed); refuses one where it does not apply', () => {
    const options: ModelOptions = {
      cell: 'rnn_tanh',
      input: 'embedding',
      inputSize: 5,
      embeddingSize: 2,
      hiddenSize: 3,
      outputSize: 2,
      embeddingDropout: 0.5,
    };
    const model = RNNModel.create(options, { seed: 4 });
    const x = Int32Array.from({ length: T * B }, (_, i) => (i * 3) % 5);
    const drawn = model.forward(x, { T, B, training: true, rng: new Rng(9) });
    const mask = Float32Array.from(drawn.workspace.embMask);
    const y = Float32Array.from(drawn.y);
    expect(Array.from(model.forward(x, { T, B, training: true, embeddingMask: mask }).y)).toEqual(Array.from(y));
    expectError(() => model.forward(x, { T, B, embeddingMask: mask }), 'ERR_INVALID_ARG', /options\.embeddingMask/);
    expectError(
      () => model.forward(x, { T, B, training: true, embeddingMask: new Float32Array(3) }),
      'ERR_SHAPE',
      /options\.embeddingMask.*length 24/,
    );
    const nan = Float32Array.from(mask);
    nan[5] = Number.NaN;
    expectError(
      () => model.forward(x, { T, B, training: true, embeddingMask: nan }),
      'ERR_NON_FINITE',
      /embeddingMask\[5\] is NaN/,
    );
    const { embeddingDropout: _e, ...plain } = options;
    expectError(
      () => RNNModel.create(plain, { seed: 4 }).forward(x, { T, B, training: true, embeddingMask: mask }),
      'ERR_INVALID_ARG',
      /options\.embeddingMask/,
    );
  });

  it('is saved with the model (and left out of the files of models without it); needs an embedding input', () => {
    const options: ModelOptions = {
      cell: 'gru',
      input: 'embedding',
      inputSize: 5,
      embeddingSize: 3,
      hiddenSize: 4,
      outputSize: 5,
    };
    const path = join(dir, 'ed.safetensors');
    saveModel(path, RNNModel.create({ ...options, embeddingDropout: 0.25 }));
    expect(loadModel(path).config.embeddingDropout).toBe(0.25);
    saveModel(path, RNNModel.create(options));
    expect(readSafetensors(path).metadata['eddy.config']).not.toContain('embeddingDropout');
    expect(loadModel(path).config.embeddingDropout).toBeUndefined();
    expectError(
      () => RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: 5, hiddenSize: 4, embeddingDropout: 0.3 }),
      'ERR_INVALID_ARG',
      /options\.embeddingDropout/,
      /received input "onehot"/,
    );
    expectError(
      () => RNNModel.create({ ...options, embeddingDropout: 1 }),
      'ERR_INVALID_ARG',
      /options\.embeddingDropout/,
    );
    const bi = BidirectionalClassifier.create({ ...options, embeddingDropout: 0.25 }, { seed: 1 });
    saveModel(path, bi);
    expect(loadClassifier(path).config.embeddingDropout).toBe(0.25);
  });
});

describe('embedding dropout (BidirectionalClassifier): one mask, both directions', () => {
  it('a letter whose embedding is dropped reaches neither direction; a kept one reaches the logits', () => {
    // E = 1: the mask drops whole letters. The mask is drawn first from the rng, [T, B, E] in order.
    const p = 0.5;
    const model = BidirectionalClassifier.create(
      {
        cell: 'gru',
        input: 'embedding',
        inputSize: 6,
        embeddingSize: 1,
        hiddenSize: 4,
        outputSize: 3,
        embeddingDropout: p,
      },
      { seed: 2 },
    );
    const seqs = [Int32Array.of(1, 2, 3, 4, 5, 1, 2), Int32Array.of(5, 1, 4), Int32Array.of(3, 3, 2, 1, 4, 5)];
    const batch = padBatch(seqs);
    const { T: bt, B: bb } = batch;
    const run = (ids: Int32Array): Float32Array =>
      Float32Array.from(
        model.forward(ids, { T: bt, B: bb, lengths: batch.lengths, training: true, rng: new Rng(7) }).logits,
      );
    const base = run(batch.ids);
    const draws = new Rng(7);
    const kept = Array.from({ length: bt * bb }, () => draws.next() >= p);
    let droppedSeen = 0;
    let keptSeen = 0;
    for (let b = 0; b < bb; b++)
      for (let t = 0; t < batch.lengths[b]; t++) {
        const ids = Int32Array.from(batch.ids);
        ids[t * bb + b] = (ids[t * bb + b] + 1) % 6; // another letter at (t, b)
        const changed = run(ids);
        const row = (a: Float32Array) => Array.from(a.subarray(b * 3, b * 3 + 3));
        if (kept[t * bb + b]) {
          keptSeen++;
          expect(row(changed), `row ${b} step ${t} kept`).not.toEqual(row(base));
        } else {
          droppedSeen++;
          expect(row(changed), `row ${b} step ${t} dropped`).toEqual(row(base));
        }
      }
    expect(droppedSeen).toBeGreaterThan(2);
    expect(keptSeen).toBeGreaterThan(2);
  });
});
