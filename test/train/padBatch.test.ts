/**
 * `padBatch`: the layout of the padded batch and its masks, that padding after a row's end changes neither its
 * many-to-one loss nor its gradient (rows padded together equal rows run alone), and invalid arguments.
 */
import { describe, expect, it } from 'vitest';
import { padBatch } from '../../src/train/padBatch.ts';
import { manyToOneCrossEntropy } from '../../src/train/losses.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { expectError } from '../helpers/expectError.ts';

describe('padBatch', () => {
  it('pads time-major at the end, with a mask and the label at each last real step', () => {
    const b = padBatch([Int32Array.of(1, 2, 3), Int32Array.of(4, 5), Int32Array.of(6)], {
      padId: 0,
      labels: [7, 8, 9],
    });
    expect([b.T, b.B]).toEqual([3, 3]);
    expect([...b.ids]).toEqual([1, 4, 6, 2, 5, 0, 3, 0, 0]);
    expect([...b.mask]).toEqual([1, 1, 1, 1, 1, 0, 1, 0, 0]);
    expect([...(b.targets as Int32Array)]).toEqual([-1, -1, 9, -1, 8, -1, 7, -1, -1]);
    expect([...b.lengths]).toEqual([3, 2, 1]);
    expect(padBatch([[1]], { minSteps: 4 }).T).toBe(4);
  });

  it('padding does not reach a row: the padded batch gives each row the loss and gradient it has alone', () => {
    const model = RNNModel.create(
      { cell: 'gru', input: 'embedding', inputSize: 6, embeddingSize: 3, hiddenSize: 4, outputSize: 3 },
      { seed: 2 },
    );
    const seqs = [Int32Array.of(1, 2, 3, 4), Int32Array.of(5, 1)];
    const labels = [2, 0];
    const run = (rows: Int32Array[], ls: number[]): { loss: number; grads: Float64Array } => {
      const b = padBatch(rows, { labels: ls, padId: 5 });
      model.zeroGrads();
      const { y, workspace } = model.forward(b.ids, { T: b.T, B: b.B });
      const dy = new Float32Array(y.length);
      const r = manyToOneCrossEntropy(dy, y, b.targets as Int32Array, { T: b.T, B: b.B, Y: 3, reduction: 'sum' });
      model.backward(workspace, dy);
      return { loss: r.loss, grads: Float64Array.from(model.grads) };
    };
    const both = run(seqs, labels);
    const a = run([seqs[0]], [labels[0]]);
    const c = run([seqs[1]], [labels[1]]);
    expect(both.loss).toBeCloseTo(a.loss + c.loss, 5);
    for (let i = 0; i < both.grads.length; i++) expect(both.grads[i]).toBeCloseTo(a.grads[i] + c.grads[i], 5);
  });

  it('refuses bad arguments, naming them', () => {
    expectError(() => padBatch([]), 'ERR_INVALID_ARG', 'sequences');
    expectError(() => padBatch([Int32Array.of(1), new Int32Array(0)]), 'ERR_INVALID_ARG', 'sequences[1]');
    expectError(() => padBatch([[1]], { labels: [1, 2] }), 'ERR_INVALID_ARG', 'options.labels');
    expectError(() => padBatch([[1]], { labels: [0.5] }), 'ERR_INVALID_ARG', 'options.labels[0]');
    expectError(() => padBatch([[1]], { padId: 1.5 }), 'ERR_INVALID_ARG', 'options.padId');
  });
});
