/**
 * The names classifier on a small slice of the real split: after a few seconds of training with padded, masked
 * mini-batches it beats chance (and the majority class) clearly on held-out names; `classifySequences` agrees
 * with streaming each name through `recurrentLast`.
 */
import { lastValueFrom, from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { readNamesSplit } from '../../src/sources/readNamesSplit.ts';
import { CharAlphabet } from '../../src/sources/charAlphabet.ts';
import { trainClassifierEpoch } from '../../src/train/trainClassifierEpoch.ts';
import { classifySequences } from '../../src/train/classifySequences.ts';
import { confusionMatrix } from '../../src/report/confusionMatrix.ts';
import { adam } from '../../src/train/adam.ts';
import { balancedClassWeights, weightedCrossEntropy } from '../../src/train/weightedCrossEntropy.ts';
import { recurrentLast } from '../../src/operators/recurrentLast.ts';
import { Rng } from '../../src/util/rng.ts';
import { dataPath } from '../sources/dataPath.ts';

describe('names classifier', () => {
  it('beats chance clearly after a short training on a slice', async () => {
    const train = readNamesSplit(dataPath('seq/splits/names/train.tsv'));
    const val = readNamesSplit(dataPath('seq/splits/names/val.tsv'), { languages: train.languages });
    // a balanced slice: 5 languages, 60 train names each; 10 val names each
    const keep = [train.languages.indexOf('Japanese'), 5, 9, 14, 1]; // Japanese, French, Italian, Russian, Chinese
    const pick = (s: typeof train, n: number) => {
      const seen = new Map<number, number>();
      const names: string[] = [];
      const labels: number[] = [];
      s.names.forEach((name, i) => {
        const k = keep.indexOf(s.labels[i]);
        if (k < 0 || (seen.get(k) ?? 0) >= n) return;
        seen.set(k, (seen.get(k) ?? 0) + 1);
        names.push(name);
        labels.push(k);
      });
      return { names, labels: Int32Array.from(labels) };
    };
    const tr = pick(train, 60);
    const va = pick(val, 10);
    const abc = CharAlphabet.fromTexts(tr.names);
    const enc = (names: string[]) => names.map((n) => abc.encode(n));
    const model = RNNModel.create(
      { cell: 'gru', input: 'embedding', embeddingSize: 16, inputSize: abc.size, hiddenSize: 32, outputSize: 5 },
      { seed: 1 },
    );
    const optimizer = adam({ lr: 0.01 });
    const rng = new Rng(1);
    const loss = weightedCrossEntropy(balancedClassWeights(tr.labels, 5, 0.5));
    const data = { seqs: enc(tr.names), labels: tr.labels };
    const first = trainClassifierEpoch(model, data, { optimizer, rng, batchSize: 16, loss });
    let last = first;
    for (let e = 0; e < 14; e++) last = trainClassifierEpoch(model, data, { optimizer, rng, batchSize: 16, loss });
    expect(last).toBeLessThan(first * 0.6);
    const seqs = enc(va.names);
    const { predictions, probs } = classifySequences(model, seqs, 7);
    const m = confusionMatrix(va.labels, predictions, 5);
    expect(m.accuracy).toBeGreaterThan(0.5); // chance and the majority class: 0.2
    // the batched inference reads each row at its last real step: the same as streaming the name alone
    for (const i of [0, 13, 31]) {
      const y = await lastValueFrom(from([...seqs[i]]).pipe(recurrentLast(model)));
      const p = Math.exp(y[predictions[i]]) / y.reduce((s, v) => s + Math.exp(v), 0);
      expect(probs[i * 5 + predictions[i]]).toBeCloseTo(p, 4);
    }
  });
});
