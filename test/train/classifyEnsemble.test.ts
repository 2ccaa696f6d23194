/**
 * `classifyEnsemble` and the ensemble file: one member gives exactly `classifySequences`; a member with
 * `reverse: true` reads each sequence right to left; the probabilities are the mean over the members; an ensemble
 * file round-trips (f32 exactly, f16 within half-precision rounding) with every member's direction; a single-model
 * file loads as an ensemble of one; bad arguments and corrupt files are refused by name. Also: training with
 * dropout through `trainClassifierEpoch` draws masks (the loss differs from the same model without dropout) and
 * still learns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { saveModel } from '../../src/model/modelFile.ts';
import { loadEnsemble, saveEnsemble, ENSEMBLE_KEY } from '../../src/model/ensembleFile.ts';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.ts';
import { classifyEnsemble, reversedSequence } from '../../src/train/classifyEnsemble.ts';
import { classifySequences } from '../../src/train/classifySequences.ts';
import { trainClassifierEpoch } from '../../src/train/trainClassifierEpoch.ts';
import { adam } from '../../src/train/adam.ts';
import { Rng } from '../../src/util/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-ensemble-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const K = 4;
const V = 7;
const model = (seed: number, cell: 'gru' | 'lstm' = 'gru', extra = {}) =>
  RNNModel.create(
    { cell, input: 'embedding', embeddingSize: 5, inputSize: V, hiddenSize: 6, outputSize: K, ...extra },
    { seed },
  );
// sequences of different lengths, ids in [1, V)
const rng = new Rng(3);
const seqs = Array.from({ length: 9 }, (_, i) => Int32Array.from({ length: 1 + (i % 5) }, () => 1 + rng.int(V - 1)));
const seqsBefore = seqs.map((s) => Int32Array.from(s));

describe('classifyEnsemble', () => {
  it('one forward member is classifySequences; a reversed one reads right to left; two are the mean', () => {
    const a = model(1);
    const b = model(2, 'lstm');
    const pa = classifySequences(a, seqs);
    const one = classifyEnsemble([{ model: a, reverse: false }], seqs);
    expect([...one.probs]).toEqual([...pa.probs]);
    expect([...one.predictions]).toEqual([...pa.predictions]);
    const pb = classifySequences(b, seqs.map(reversedSequence));
    const rev = classifyEnsemble([{ model: b, reverse: true }], seqs);
    expect([...rev.probs]).toEqual([...pb.probs]);
    // a reversed reading differs from a forward one on some sequence of length > 1
    const fwdB = classifySequences(b, seqs).probs;
    expect(fwdB.some((p, i) => Math.abs(p - pb.probs[i]) > 1e-4)).toBe(true);
    const both = classifyEnsemble(
      [
        { model: a, reverse: false },
        { model: b, reverse: true },
      ],
      seqs,
    );
    for (let i = 0; i < both.probs.length; i++) expect(both.probs[i]).toBeCloseTo((pa.probs[i] + pb.probs[i]) / 2, 6);
    for (let n = 0; n < seqs.length; n++) {
      const row = [...both.probs.subarray(n * K, n * K + K)];
      expect(both.predictions[n]).toBe(row.indexOf(Math.max(...row)));
    }
    // the input sequences are not reversed in place
    expect(seqs.map((s) => [...s])).toEqual(seqsBefore.map((s) => [...s]));
  });

  it('refuses an empty ensemble, members with different class counts and a non-array', () => {
    expect(() => classifyEnsemble([], seqs)).toThrow(
      /Expected a non-empty array of ensemble members for members but received array of length 0/,
    );
    const other = RNNModel.create({ cell: 'gru', input: 'onehot', inputSize: V, hiddenSize: 3, outputSize: K + 1 });
    expect(() =>
      classifyEnsemble(
        [
          { model: model(1), reverse: false },
          { model: other, reverse: false },
        ],
        seqs,
      ),
    ).toThrow(/Expected a classifier with 4 outputs \(as members\[0\]\) for members\[1\]\.model/);
    expect(() => classifyEnsemble([{ model: model(1), reverse: false }], 'abc' as never)).toThrow(
      /for seqs but received/,
    );
  });
});

describe('ensemble file', () => {
  it('round-trips members and directions (f32 exactly, f16 within rounding); extra metadata is kept', () => {
    const members = [
      { model: model(1), reverse: false },
      { model: model(2, 'lstm'), reverse: true },
      { model: model(3, 'gru', { numLayers: 2 }), reverse: false },
    ];
    const want = classifyEnsemble(members, seqs).probs;
    const path = join(dir, 'e.safetensors');
    saveEnsemble(path, members, { 'my.key': 'x' });
    const back = loadEnsemble(path);
    expect(back.members.map((m) => m.reverse)).toEqual([false, true, false]);
    expect(back.members.map((m) => m.model.config.cell)).toEqual(['gru', 'lstm', 'gru']);
    expect(back.members[2].model.config.numLayers).toBe(2);
    expect(back.metadata['my.key']).toBe('x');
    back.members.forEach((m, i) => expect([...m.model.params]).toEqual([...members[i].model.params]));
    expect([...classifyEnsemble(back.members, seqs).probs]).toEqual([...want]);
    const half = join(dir, 'h.safetensors');
    saveEnsemble(half, members, {}, { dtype: 'f16' });
    const h = loadEnsemble(half);
    const got = classifyEnsemble(h.members, seqs).probs;
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(2e-3);
  });

  it('a single-model file is an ensemble of one, reversed when its metadata says eddy.reverse = "1"', () => {
    const m = model(4);
    const plain = join(dir, 'one.safetensors');
    const rev = join(dir, 'one-r.safetensors');
    saveModel(plain, m);
    saveModel(rev, m, { 'eddy.reverse': '1' });
    const a = loadEnsemble(plain);
    const b = loadEnsemble(rev);
    expect(a.members).toHaveLength(1);
    expect(a.members[0].reverse).toBe(false);
    expect(b.members[0].reverse).toBe(true);
    expect([...a.members[0].model.params]).toEqual([...m.params]);
  });

  it('refuses an empty ensemble on save, and a file whose ensemble metadata is bad or lacks a member', () => {
    expect(() => saveEnsemble(join(dir, 'x.safetensors'), [])).toThrow(/members/);
    const path = join(dir, 'ok.safetensors');
    saveEnsemble(path, [{ model: model(1), reverse: false }]);
    const file = readSafetensors(path);
    const tensors = Object.fromEntries(
      [...file.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]),
    );
    const bad = join(dir, 'bad.safetensors');
    writeSafetensors(bad, tensors, { ...file.metadata, [ENSEMBLE_KEY]: '[{' });
    expect(() => loadEnsemble(bad)).toThrow(/bad\.safetensors: metadata eddy\.ensemble is not valid JSON/);
    const entries = JSON.parse(file.metadata[ENSEMBLE_KEY]);
    writeSafetensors(bad, tensors, { ...file.metadata, [ENSEMBLE_KEY]: JSON.stringify([...entries, entries[0]]) });
    expect(() => loadEnsemble(bad)).toThrow(/bad\.safetensors: ensemble member 1 has no tensors/);
  });
});

describe('trainClassifierEpoch with dropout', () => {
  it('draws dropout masks in training (a different loss than without) and still learns', () => {
    // a toy task: the class is the first id of the sequence mod K
    const r = new Rng(5);
    const data = {
      seqs: Array.from({ length: 64 }, () => Int32Array.from({ length: 4 }, () => 1 + r.int(V - 1))),
      labels: new Int32Array(64),
    };
    data.seqs.forEach((s, i) => {
      data.labels[i] = s[0] % K;
    });
    const run = (outputDropout: number) => {
      const m = model(6, 'gru', { outputDropout });
      const opt = adam({ lr: 0.02 });
      const rr = new Rng(1);
      const losses = Array.from({ length: 30 }, () =>
        trainClassifierEpoch(m, data, { optimizer: opt, rng: rr, batchSize: 16 }),
      );
      return losses;
    };
    const plain = run(0);
    const dropped = run(0.3);
    expect(dropped[0]).not.toBe(plain[0]);
    expect(dropped[29]).toBeLessThan(dropped[0] * 0.5);
  });
});
