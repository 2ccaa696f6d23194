/**
 * The bidirectional classifier against PyTorch: fixtures/torch_bidirectional.py runs nn.GRU / nn.LSTM / nn.RNN with
 * bidirectional=True over pack_padded_sequence (rows of different lengths, padded with a real id, or dense rows
 * padded with large values; one layer, or 2-3 stacked) and a head over cat(h_n[-2], h_n[-1]), and saves the state_dict, the inputs, the logits, the summed cross-entropy and every
 * gradient. eddy loads the same state_dict (`weight_ih_l0_reverse` ... included) and must match: logits to 1e-5,
 * gradients to 1e-4 of the largest gradient magnitude.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type SafetensorsTensor } from '../../src/model/safetensors.ts';
import { bidirectionalFromStateDict } from '../../src/model/stateDict.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import type { InputKind } from '../../src/model/modelConfig.ts';

const dir = join(import.meta.dirname, '../../fixtures/bidirectional');

describe('BidirectionalClassifier against PyTorch (bidirectional=True, packed sequences)', () => {
  for (const f of [
    'gru_embedding',
    'lstm_embedding',
    'rnn_tanh_onehot',
    'gru_embedding_2layers',
    'lstm_onehot_2layers',
    'rnn_tanh_embedding_3layers',
    'gru_dense',
    'lstm_dense_2layers',
  ]) {
    it(f, () => {
      const file = readSafetensors(join(dir, `${f}.safetensors`));
      const get = (n: string): SafetensorsTensor => {
        const t = file.tensors.get(n);
        if (!t) throw new Error(`fixture ${f} lacks ${n}`);
        return t;
      };
      const sd = new Map([...file.tensors].filter(([k]) => !/^(in|out|grad)\./.test(k)));
      expect(sd.has('rnn.weight_ih_l0_reverse')).toBe(true);
      const model = bidirectionalFromStateDict(sd, { config: { input: file.metadata.input as InputKind }, source: f });
      expect(model.config.cell).toBe(file.metadata.cell);
      expect(model.config.numLayers).toBe(Number(file.metadata.layers));
      const T = Number(file.metadata.T);
      const B = Number(file.metadata.B);
      const K = model.config.outputSize;
      const ids = Int32Array.from(get('in.ids').data);
      const lengths = Int32Array.from(get('in.lengths').data);
      const labels = Int32Array.from(get('in.labels').data);
      const dense = file.tensors.get('in.x');
      expect(model.config.input).toBe(dense ? 'dense' : file.metadata.input);
      const { logits, pass } = model.forward(dense ? Float32Array.from(dense.data) : ids, { T, B, lengths });
      const expected = get('out.logits').data;
      let worst = 0;
      for (let i = 0; i < B * K; i++) worst = Math.max(worst, Math.abs(logits[i] - expected[i]));
      expect(worst).toBeLessThan(1e-5);
      const dl = new Float32Array(B * K);
      const loss = softmaxCrossEntropy(dl, logits, labels, B, K, 1);
      expect(loss).toBeCloseTo(get('out.loss').data[0], 4);
      model.zeroGrads();
      model.backward(pass, dl);
      for (const e of model.layout.entries) {
        const g = get(`grad.${e.name}`).data;
        const mine = model.grad(e.name);
        let scale = 0;
        let diff = 0;
        for (let i = 0; i < g.length; i++) {
          scale = Math.max(scale, Math.abs(g[i]));
          diff = Math.max(diff, Math.abs(g[i] - mine[i]));
        }
        expect(diff, e.name).toBeLessThan(1e-4 * Math.max(scale, 1e-3));
      }
    });
  }
});
