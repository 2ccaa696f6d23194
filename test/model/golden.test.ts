/**
 * Golden tests against PyTorch: fixtures/make_golden.py runs nn.RNN / nn.LSTM / nn.GRU (1 to 3 layers, B = 3,
 * T = 20) with a head and a summed cross-entropy, and saves inputs, outputs, final states and every gradient.
 * eddy must load the same state_dict and match: outputs and states to 1e-5 absolute, gradients to 1e-4 of the
 * largest gradient magnitude.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, type SafetensorsTensor } from '../../src/model/safetensors.ts';
import { modelFromStateDict } from '../../src/model/stateDict.ts';
import { softmaxCrossEntropy } from '../../src/tensor/softmax.ts';
import type { CellKind } from '../../src/cells/cellKernel.ts';
import type { InputKind } from '../../src/model/modelConfig.ts';
import type { RecurrentState } from '../../src/model/recurrentState.ts';

const dir = join(import.meta.dirname, '../../fixtures/golden');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.safetensors'))
  .sort();

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('golden outputs and gradients from PyTorch', () => {
  it('has all 20 fixtures', () => {
    expect(files.length).toBe(20);
  });
  for (const f of files) {
    it(f, () => {
      const file = readSafetensors(join(dir, f));
      const meta = file.metadata;
      const get = (n: string): SafetensorsTensor => {
        const t = file.tensors.get(n);
        if (!t) throw new Error(`fixture ${f} lacks ${n}`);
        return t;
      };
      const sd = new Map([...file.tensors].filter(([k]) => !/^(in|out|grad)\./.test(k)));
      const model = modelFromStateDict(sd, {
        config: { cell: meta.cell as CellKind, input: meta.input as InputKind },
        source: f,
      });
      const T = Number(meta.T);
      const B = Number(meta.B);
      const L = model.config.numLayers;
      const H = model.config.hiddenSize;
      const Y = model.config.outputSize;
      expect(model.config.cell).toBe(meta.cell);
      const xT = get('in.x');
      const x = model.config.input === 'dense' ? xT.data : Int32Array.from(xT.data);
      const state0: RecurrentState =
        model.config.cell === 'lstm'
          ? { h: get('in.h0').data.slice(), c: get('in.c0').data.slice() }
          : { h: get('in.h0').data.slice() };
      const { y, state, workspace } = model.forward(x, { T, B, state: state0 });
      // per-step outputs of the top layer, logits and final states
      const top = workspace.layers[L - 1].hseq.subarray(B * H);
      expect(maxAbsDiff(top, get('out.rnn').data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(y, get('out.logits').data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(state.h, get('out.h_n').data)).toBeLessThan(1e-5);
      if (state.c) expect(maxAbsDiff(state.c, get('out.c_n').data)).toBeLessThan(1e-5);
      // loss and gradients
      const dy = new Float32Array(T * B * Y);
      const targets = Int32Array.from(get('in.targets').data);
      const loss = softmaxCrossEntropy(dy, y, targets, T * B, Y, 1);
      expect(Math.abs(loss - get('out.loss').data[0])).toBeLessThan(1e-4 * Math.max(1, Math.abs(loss)));
      model.zeroGrads();
      const dState0 = model.backward(workspace, dy);
      let largest = 0;
      for (const e of model.layout.entries)
        for (const g of get(`grad.${e.name}`).data) largest = Math.max(largest, Math.abs(g));
      expect(largest).toBeGreaterThan(0);
      for (const e of model.layout.entries) {
        const diff = maxAbsDiff(model.grad(e.name), get(`grad.${e.name}`).data);
        expect(diff, `gradient of ${e.name}`).toBeLessThan(1e-4 * largest);
      }
      expect(maxAbsDiff(dState0.h, get('grad.h0').data)).toBeLessThan(1e-4 * largest);
      if (dState0.c) expect(maxAbsDiff(dState0.c, get('grad.c0').data)).toBeLessThan(1e-4 * largest);
      // the streaming step walks the same path
      const s =
        model.config.cell === 'lstm'
          ? { h: get('in.h0').data.slice(), c: get('in.c0').data.slice() }
          : { h: get('in.h0').data.slice() };
      const out = new Float32Array(B * Y);
      let worst = 0;
      for (let t = 0; t < T; t++) {
        const xt =
          model.config.input === 'dense'
            ? (x as Float32Array).subarray(t * B * model.config.inputSize, (t + 1) * B * model.config.inputSize)
            : (x as Int32Array).subarray(t * B, (t + 1) * B);
        model.step(xt, s, out);
        worst = Math.max(worst, maxAbsDiff(out, get('out.logits').data.subarray(t * B * Y, (t + 1) * B * Y)));
      }
      expect(worst).toBeLessThan(1e-5);
    });
  }
});
