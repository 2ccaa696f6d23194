/**
 * The bidirectional classifier: finite-difference gradients of every tensor (float64, rows of different lengths
 * so that padding is exercised), padding that reaches neither direction, and the reversal within each row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnsemble, saveEnsemble } from '../../src/model/ensembleFile.ts';
import { loadClassifier, loadModel, modelMetadata, modelTensors, saveModel } from '../../src/model/modelFile.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.ts';
import { classifyEnsemble, reversedSequence } from '../../src/train/classifyEnsemble.ts';
import { classifySequences } from '../../src/train/classifySequences.ts';
import {
  BidirectionalClassifier,
  bidirectionalParamCount,
  reverseWithinLengths,
} from '../../src/model/bidirectionalClassifier.ts';
import type { ModelOptions } from '../../src/model/modelConfig.ts';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import { padBatch } from '../../src/train/padBatch.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';
import { numericGradients, worstRelativeError } from '../helpers/numericGradients.ts';

const SEQS = [Int32Array.of(1, 2, 3, 4, 5), Int32Array.of(5, 1), Int32Array.of(3), Int32Array.of(2, 4, 1, 1)];
const LABELS = Int32Array.of(0, 3, 1, 4);

describe('reverseWithinLengths', () => {
  it("reverses each row's own valid ids and keeps the padding at the end", () => {
    const b = padBatch(SEQS, { padId: 9 });
    const r = reverseWithinLengths(b.ids, b.lengths, b.T, b.B, 9);
    const row = (k: number): number[] => Array.from({ length: b.T }, (_, t) => r[t * b.B + k]);
    expect(row(0)).toEqual([5, 4, 3, 2, 1]);
    expect(row(1)).toEqual([1, 5, 9, 9, 9]);
    expect(row(2)).toEqual([3, 9, 9, 9, 9]);
    expect(row(3)).toEqual([1, 1, 4, 2, 9]);
  });
});

describe('BidirectionalClassifier gradients (float64, finite differences)', () => {
  const cases: [string, ModelOptions, boolean][] = [];
  for (const cell of ['gru', 'lstm', 'rnn_tanh'] as const) {
    cases.push([
      `${cell} embedding`,
      { cell, input: 'embedding', inputSize: 6, embeddingSize: 3, hiddenSize: 4, outputSize: 5 },
      false,
    ]);
    cases.push([`${cell} onehot`, { cell, input: 'onehot', inputSize: 6, hiddenSize: 3, outputSize: 5 }, false]);
  }
  cases.push([
    'gru embedding, output dropout 0.4',
    {
      cell: 'gru',
      input: 'embedding',
      inputSize: 6,
      embeddingSize: 3,
      hiddenSize: 4,
      outputSize: 5,
      outputDropout: 0.4,
    },
    true,
  ]);
  cases.push([
    'lstm embedding, embedding dropout 0.5 (one mask for both directions) and output dropout 0.3',
    {
      cell: 'lstm',
      input: 'embedding',
      inputSize: 6,
      embeddingSize: 3,
      hiddenSize: 4,
      outputSize: 5,
      embeddingDropout: 0.5,
      outputDropout: 0.3,
    },
    true,
  ]);
  cases.push([
    'gru embedding, 2 stacked layers',
    { cell: 'gru', input: 'embedding', inputSize: 6, embeddingSize: 3, hiddenSize: 4, outputSize: 5, numLayers: 2 },
    false,
  ]);
  cases.push([
    'lstm onehot, 3 stacked layers, dropout 0.4 between them and output dropout 0.3',
    {
      cell: 'lstm',
      input: 'onehot',
      inputSize: 6,
      hiddenSize: 3,
      outputSize: 5,
      numLayers: 3,
      dropout: 0.4,
      outputDropout: 0.3,
    },
    true,
  ]);
  cases.push([
    'rnn_tanh embedding, 2 stacked layers, embedding dropout 0.3 and dropout 0.5 between them',
    {
      cell: 'rnn_tanh',
      input: 'embedding',
      inputSize: 6,
      embeddingSize: 3,
      hiddenSize: 4,
      outputSize: 5,
      numLayers: 2,
      embeddingDropout: 0.3,
      dropout: 0.5,
    },
    true,
  ]);
  for (const [name, options, training] of cases)
    it(`${name}: every parameter`, () => {
      const model = BidirectionalClassifier.create(options, { seed: 3, backend: float64CheckBackend });
      expect(model.numParams).toBe(bidirectionalParamCount(model.config));
      const batch = padBatch(SEQS);
      const K = model.config.outputSize;
      const lossOf = (withGrad: boolean): number => {
        const { logits, pass } = model.forward(batch.ids, {
          T: batch.T,
          B: batch.B,
          lengths: batch.lengths,
          training,
          rng: new Rng(5),
        });
        const dl = new Float64Array(batch.B * K) as unknown as Float32Array;
        const loss = softmaxCrossEntropy(withGrad ? dl : null, logits, LABELS, batch.B, K, 1);
        if (withGrad) model.backward(pass, dl);
        return loss;
      };
      model.zeroGrads();
      lossOf(true);
      const analytic = Float64Array.from(model.grads);
      const eps = 1e-5;
      let worst = 0;
      for (const e of model.layout.entries) {
        let nonzero = 0;
        for (let i = e.offset; i < e.offset + e.size; i++) {
          const keep = model.params[i];
          model.params[i] = keep + eps;
          const up = lossOf(false);
          model.params[i] = keep - eps;
          const down = lossOf(false);
          model.params[i] = keep;
          const numeric = (up - down) / (2 * eps);
          // as test/model/gradcheck.test.ts: relative error where the difference is above float64 noise
          const err = Math.abs(numeric - analytic[i]) / Math.max(1e-6, Math.abs(numeric) + Math.abs(analytic[i]));
          if (Math.abs(numeric - analytic[i]) > 1e-8) worst = Math.max(worst, err);
          if (Math.abs(analytic[i]) > 1e-9) nonzero++;
        }
        expect(nonzero, `${e.name} has gradients`).toBeGreaterThan(0);
      }
      expect(worst).toBeLessThan(1e-5);
    });
});

describe('BidirectionalClassifier padding', () => {
  it('gives each row the logits it has alone, whatever the padding ids and the other rows', () => {
    const model = BidirectionalClassifier.create(
      { cell: 'gru', input: 'embedding', inputSize: 6, embeddingSize: 3, hiddenSize: 4, outputSize: 5 },
      { seed: 1, backend: float64CheckBackend },
    );
    const K = 5;
    const a = padBatch(SEQS, { padId: 0 });
    const b = padBatch(SEQS, { padId: 5 });
    const la = Float64Array.from(model.forward(a.ids, { T: a.T, B: a.B, lengths: a.lengths }).logits);
    const lb = Float64Array.from(model.forward(b.ids, { T: b.T, B: b.B, lengths: b.lengths }).logits);
    SEQS.forEach((s, r) => {
      const one = padBatch([s]);
      const alone = model.forward(one.ids, { T: one.T, B: 1, lengths: one.lengths }).logits;
      for (let k = 0; k < K; k++) {
        expect(la[r * K + k]).toBeCloseTo(alone[k], 12);
        expect(lb[r * K + k]).toBeCloseTo(alone[k], 12);
      }
    });
  });

  it('stacked: each row has the logits it has alone, and dropout between layers acts in training only', () => {
    const model = BidirectionalClassifier.create(
      { cell: 'lstm', input: 'embedding', inputSize: 6, embeddingSize: 3, hiddenSize: 4, outputSize: 5, numLayers: 2 },
      { seed: 6, backend: float64CheckBackend },
    );
    const K = 5;
    const b = padBatch(SEQS, { padId: 5 });
    const batch = Float64Array.from(model.forward(b.ids, { T: b.T, B: b.B, lengths: b.lengths }).logits);
    SEQS.forEach((s, r) => {
      const one = padBatch([s]);
      const alone = model.forward(one.ids, { T: one.T, B: 1, lengths: one.lengths }).logits;
      for (let k = 0; k < K; k++) expect(batch[r * K + k]).toBeCloseTo(alone[k], 12);
    });
    const dropped = BidirectionalClassifier.create({ ...model.config, dropout: 0.5 }, { seed: 6 });
    const opts = { T: b.T, B: b.B, lengths: b.lengths };
    const plain = Array.from(dropped.forward(b.ids, opts).logits);
    expect(Array.from(dropped.forward(b.ids, { ...opts, training: false }).logits)).toEqual(plain);
    const trained = dropped.forward(b.ids, { ...opts, training: true, rng: new Rng(1) });
    expect(trained.pass.layerMasks).toHaveLength(1);
    const mask = trained.pass.layerMasks[0] as Float32Array;
    expect(new Set(mask)).toEqual(new Set([0, 2]));
    expect(Array.from(trained.logits)).not.toEqual(plain);
    expectError(() => dropped.forward(b.ids, { ...opts, training: true }), 'ERR_INVALID_ARG', /options\.rng/);
  });

  it('stacked: an upper layer reads both directions of the layer below at the same letter', () => {
    // built by hand from the directions' own models: layer 1 reads [out_fwd[t], out_rev at t] left to right, and the
    // same rows last to first
    const model = BidirectionalClassifier.create(
      { cell: 'gru', input: 'onehot', inputSize: 6, hiddenSize: 3, outputSize: 5, numLayers: 2 },
      { seed: 7, backend: float64CheckBackend },
    );
    const H = 3;
    const s = Int32Array.of(2, 4, 1, 3);
    const n = s.length;
    const dir = (prefix: string, suffix: string, X: number): RNNModel => {
      const m = RNNModel.create(
        X === 0
          ? { cell: 'gru', input: 'onehot', inputSize: 6, hiddenSize: H }
          : { cell: 'gru', input: 'dense', inputSize: X, hiddenSize: H },
        { backend: float64CheckBackend },
      );
      for (const e of m.layout.entries) m.param(e.name).set(model.param(`${e.name.replace('_l0', prefix)}${suffix}`));
      return m;
    };
    const run = (m: RNNModel, x: Int32Array | Float32Array): Float32Array => m.forward(x, { T: n, B: 1 }).y;
    const f0 = run(dir('_l0', '', 0), s);
    const r0 = run(dir('_l0', '_reverse', 0), Int32Array.from(s).reverse());
    const x1 = new Float64Array(n * 2 * H) as unknown as Float32Array;
    for (let t = 0; t < n; t++) {
      x1.set(f0.subarray(t * H, t * H + H), t * 2 * H);
      x1.set(r0.subarray((n - 1 - t) * H, (n - t) * H), t * 2 * H + H);
    }
    const x1r = new Float64Array(n * 2 * H) as unknown as Float32Array;
    for (let t = 0; t < n; t++) x1r.set(x1.subarray((n - 1 - t) * 2 * H, (n - t) * 2 * H), t * 2 * H);
    const hf = run(dir('_l1', '', 2 * H), x1).slice((n - 1) * H);
    const hr = run(dir('_l1', '_reverse', 2 * H), x1r).slice((n - 1) * H);
    const expected = model.logitsOf(hf, hr);
    const got = model.forward(s, { T: n, B: 1, lengths: Int32Array.of(n) }).logits;
    for (let k = 0; k < 5; k++) expect(got[k]).toBeCloseTo(expected[k], 12);
    expectError(() => model.directions(), 'ERR_INVALID_ARG', /stacked/, /forward\(\)/);
  });

  it('reads the reverse direction from the last valid id: a row reversed swaps the two directions', () => {
    const model = BidirectionalClassifier.create(
      { cell: 'gru', input: 'onehot', inputSize: 6, hiddenSize: 4, outputSize: 5 },
      { seed: 2, backend: float64CheckBackend },
    );
    const { forward, reverse } = model.directions();
    const s = Int32Array.of(2, 4, 1, 3);
    const r = Int32Array.from(s).reverse();
    const hf = forward.forward(s, { T: 4, B: 1 }).y.slice(3 * 4, 4 * 4);
    const hr = reverse.forward(r, { T: 4, B: 1 }).y.slice(3 * 4, 4 * 4);
    const expected = model.logitsOf(hf, hr);
    const got = model.forward(padBatch([s, Int32Array.of(1)]).ids, {
      T: 4,
      B: 2,
      lengths: Int32Array.of(4, 1),
    }).logits;
    for (let k = 0; k < 5; k++) expect(got[k]).toBeCloseTo(expected[k], 12);
  });

  it('refuses bad configurations and inputs by name', () => {
    const base: ModelOptions = { cell: 'gru', input: 'onehot', inputSize: 6, hiddenSize: 4, outputSize: 5 };
    expectError(() => BidirectionalClassifier.create({ ...base, numLayers: 0 }), 'ERR_INVALID_ARG', /numLayers/);
    expectError(() => BidirectionalClassifier.create({ ...base, outputSize: 0 }), 'ERR_INVALID_ARG', /outputSize/);
    const m = BidirectionalClassifier.create(base);
    const b = padBatch(SEQS);
    expectError(
      () => m.forward(b.ids, { T: b.T, B: b.B, lengths: Int32Array.of(5, 2, 0, 4) }),
      'ERR_INVALID_ARG',
      /options\.lengths\[2\]/,
    );
    expectError(() => m.forward(b.ids, { T: b.T, B: b.B, lengths: Int32Array.of(5) }), 'ERR_SHAPE', /options\.lengths/);
    expectError(() => m.param('rnn.weight_hh_l1_reverse'), 'ERR_INVALID_ARG', /name/, /rnn\.weight_hh_l0_reverse/);
    expectError(() => m.grad('nope'), 'ERR_INVALID_ARG', /name/, /head\.bias/);
    expect(m.param('head.bias')).toHaveLength(5);
    m.grad('head.bias').fill(2);
    expect(m.grads[m.grads.length - 1]).toBe(2); // a view of the flat buffer, not a copy
  });
});

describe('BidirectionalClassifier files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-bi-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const options: ModelOptions = {
    cell: 'lstm',
    input: 'embedding',
    inputSize: 6,
    embeddingSize: 3,
    hiddenSize: 4,
    outputSize: 5,
    outputDropout: 0.2,
    vocab: ['', 'a', 'b', 'c', 'd', 'e'],
  };
  const logitsOf = (m: BidirectionalClassifier | RNNModel): Float32Array => classifySequences(m, SEQS).probs;

  it('round-trips through saveModel / loadClassifier (f32 exactly, f16 closely), metadata saying bidirectional', () => {
    const model = BidirectionalClassifier.create(options, { seed: 4 });
    const path = join(dir, 'bi.safetensors');
    saveModel(path, model);
    const file = readSafetensors(path);
    expect(JSON.parse(file.metadata['eddy.config']).bidirectional).toBe(true);
    expect([...file.tensors.keys()]).toContain('rnn.weight_hh_l0_reverse');
    expect(file.tensors.get('head.weight')?.shape).toEqual([5, 8]);
    const back = loadClassifier(path);
    expect(back).toBeInstanceOf(BidirectionalClassifier);
    expect(back.config).toEqual(model.config);
    expect(Array.from(back.params)).toEqual(Array.from(model.params));
    expect(Array.from(logitsOf(back))).toEqual(Array.from(logitsOf(model)));
    saveModel(join(dir, 'bi16.safetensors'), model, {}, { dtype: 'f16' });
    const half = logitsOf(loadClassifier(join(dir, 'bi16.safetensors')));
    const full = logitsOf(model);
    for (let i = 0; i < full.length; i++) expect(half[i]).toBeCloseTo(full[i], 2);
    expectError(() => loadModel(path), 'ERR_FILE', /bi\.safetensors/, /bidirectional classifier/, /loadClassifier/);
  });

  it('packs with a unidirectional member into an ensemble file; classifyEnsemble averages them', () => {
    const bi = BidirectionalClassifier.create(options, { seed: 4 });
    const { outputDropout: _o, ...uniOptions } = options;
    const uni = RNNModel.create({ ...uniOptions, cell: 'gru' }, { seed: 5 });
    const path = join(dir, 'ens.safetensors');
    saveEnsemble(path, [
      { model: bi, reverse: false },
      { model: uni, reverse: true },
    ]);
    const { members } = loadEnsemble(path);
    expect(members[0].model).toBeInstanceOf(BidirectionalClassifier);
    expect(members[1].model).toBeInstanceOf(RNNModel);
    expect(members[1].reverse).toBe(true);
    const mean = classifyEnsemble(members, SEQS).probs;
    const a = logitsOf(bi);
    const b = classifySequences(uni, SEQS.map(reversedSequence)).probs;
    for (let i = 0; i < mean.length; i++) expect(mean[i]).toBeCloseTo((a[i] + b[i]) / 2, 6);
  });

  it('round-trips a stacked classifier (PyTorch names of every layer) and reloads its config', () => {
    const model = BidirectionalClassifier.create({ ...options, numLayers: 2, dropout: 0.25 }, { seed: 8 });
    const path = join(dir, 'bi2.safetensors');
    saveModel(path, model);
    const file = readSafetensors(path);
    expect(file.tensors.get('rnn.weight_ih_l1_reverse')?.shape).toEqual([16, 8]);
    const back = loadClassifier(path);
    expect(back.config).toEqual(model.config);
    expect(Array.from(logitsOf(back))).toEqual(Array.from(logitsOf(model)));
    const tensors = modelTensors(model);
    delete tensors['rnn.weight_hh_l1'];
    writeSafetensors(join(dir, 'bad2.safetensors'), tensors, modelMetadata(model));
    expectError(() => loadClassifier(join(dir, 'bad2.safetensors')), 'ERR_FILE', /bad2/, /rnn\.weight_hh_l1\b/);
  });

  it('refuses a file whose config says bidirectional but whose tensors do not fit, naming file and tensor', () => {
    const model = BidirectionalClassifier.create(options, { seed: 4 });
    const path = join(dir, 'bad.safetensors');
    const tensors = modelTensors(model);
    delete tensors['rnn.bias_hh_l0_reverse'];
    writeSafetensors(path, tensors, modelMetadata(model));
    expectError(() => loadClassifier(path), 'ERR_FILE', /bad\.safetensors/, /rnn\.bias_hh_l0_reverse/);
  });
});

describe('BidirectionalClassifier over dense rows', () => {
  const T = 4;
  const B = 3;
  const X = 3;
  const lengths = Int32Array.of(4, 1, 3);
  const f64 = (n: number): Float32Array => new Float64Array(n) as unknown as Float32Array;
  /** `[T, B, X]` random rows, each padded after its length with `pad`. */
  const rows = (pad: number): Float32Array => {
    const rng = new Rng(11);
    const x = f64(T * B * X);
    for (let t = 0; t < T; t++)
      for (let b = 0; b < B; b++)
        for (let k = 0; k < X; k++) x[(t * B + b) * X + k] = t < lengths[b] ? rng.uniform(-1, 1) : pad;
    return x;
  };

  it('every parameter against finite differences (2 layers, dropout between them and before the head)', () => {
    const model = BidirectionalClassifier.create(
      {
        cell: 'lstm',
        input: 'dense',
        inputSize: X,
        hiddenSize: 3,
        outputSize: 4,
        numLayers: 2,
        dropout: 0.3,
        outputDropout: 0.2,
      },
      { seed: 5, backend: float64CheckBackend },
    );
    const x = rows(0);
    const labels = Int32Array.of(0, 3, 1);
    const lossOf = (withGrad: boolean): number => {
      const { logits, pass } = model.forward(x, { T, B, lengths, training: true, rng: new Rng(2) });
      const dl = f64(B * 4);
      const loss = softmaxCrossEntropy(withGrad ? dl : null, logits, labels, B, 4, 1);
      if (withGrad) model.backward(pass, dl);
      return loss;
    };
    model.zeroGrads();
    lossOf(true);
    const analytic = Float64Array.from(model.grads);
    const numeric = numericGradients(model.params, () => lossOf(false));
    expect(worstRelativeError(numeric, analytic)).toBeLessThan(1e-5);
    expect(model.grad('rnn.weight_ih_l0_reverse').some((g) => g !== 0)).toBe(true);
  });

  it('padding reaches neither direction; a NaN or a wrong shape is refused by name', () => {
    const model = BidirectionalClassifier.create(
      { cell: 'gru', input: 'dense', inputSize: X, hiddenSize: 4, outputSize: 2 },
      { seed: 6, backend: float64CheckBackend },
    );
    const a = Float64Array.from(model.forward(rows(0), { T, B, lengths }).logits);
    const b = model.forward(rows(7), { T, B, lengths }).logits;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 12);
    const bad = rows(0);
    bad[(2 * B + 2) * X + 1] = Number.NaN;
    expectError(() => model.forward(bad, { T, B, lengths }), 'ERR_NON_FINITE', /x\[25\]/, /step 2, row 2, feature 1/);
    expectError(() => model.forward(f64(5), { T, B, lengths }), 'ERR_SHAPE', /x/, /\[T=4, B=3, X=3\]/);
    expectError(() => model.forward(Int32Array.of(1, 2), { T: 2, B: 1, lengths: Int32Array.of(2) }), 'ERR_SHAPE', /x/);
  });
});
