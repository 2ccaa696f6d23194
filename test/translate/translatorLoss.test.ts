/**
 * The translator's backward (GRU encoder, GRU decoder, attention, combine, head, masked loss) against central
 * differences on float64 buffers, with and without attention.
 */
import { describe, expect, it } from 'vitest';
import { float64CheckBackend } from '../../src/tensor/float64Backend.ts';
import { lossWorkspace, translatorLoss } from '../../src/translate/translatorLoss.ts';
import { TranslatorModel } from '../../src/translate/translatorModel.ts';
import { Rng } from '../../src/util/rng.ts';

const S = 3;
const T = 4;
const B = 2;

for (const attention of [false, true]) {
  describe(`translatorLoss (${attention ? 'attention' : 'plain'})`, () => {
    it('every parameter gradient matches central differences (relative error < 1e-6)', () => {
      const model = new TranslatorModel(
        { sourceVocab: 6, targetVocab: 7, embedSize: 3, hiddenSize: 4, attention },
        float64CheckBackend,
      ).init(new Rng(5));
      const ws = lossWorkspace(model, S, T, B);
      // the second sentence's target is one shorter: padding (-1) must carry no loss and no gradient
      const batch = {
        source: Int32Array.from([3, 4, 5, 0, 3, 5]),
        target: Int32Array.from([4, 5, 3, 6, 6, 2, 2, -1]),
        S,
        T,
        B,
      };
      model.grads.fill(0);
      const { loss, count } = translatorLoss(model, ws, batch, true);
      expect(count).toBe(7);
      expect(loss).toBeGreaterThan(0);
      const mean = (): number => {
        const r = translatorLoss(model, ws, batch, false);
        return r.loss / r.count;
      };
      const eps = 1e-5;
      let worst = 0;
      for (let i = 0; i < model.size; i++) {
        const old = model.params[i];
        model.params[i] = old + eps;
        const lp = mean();
        model.params[i] = old - eps;
        const lm = mean();
        model.params[i] = old;
        const fd = (lp - lm) / (2 * eps);
        const g = model.grads[i];
        worst = Math.max(worst, Math.abs(fd - g) / Math.max(1e-3, Math.abs(fd) + Math.abs(g)));
      }
      expect(worst).toBeLessThan(1e-6);
    });
  });
}
