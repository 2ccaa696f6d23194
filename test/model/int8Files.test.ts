/**
 * Int8 model files (`saveModel` / `saveEnsemble` with `dtype: 'i8'`): each 2-D weight stored as int8 with a float32
 * scale per row (`max |w| / 127`), 1-D tensors exact; read back within half a step of each row; a quarter of the
 * weight bytes; a bidirectional classifier and an ensemble round-trip and classify as before within the rounding;
 * PyTorch multiplies the scales back and computes what eddy computes from the same file; a file whose int8 weight
 * lacks its scales, or whose scales are of the wrong shape, not finite, or scale nothing, is refused by name.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BidirectionalClassifier } from '../../src/model/bidirectionalClassifier.ts';
import { loadEnsemble, saveEnsemble } from '../../src/model/ensembleFile.ts';
import { INT8_SCALE_SUFFIX, quantizeRowsInt8 } from '../../src/model/int8Rows.ts';
import { loadClassifier, loadModel, saveModel } from '../../src/model/modelFile.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { readSafetensors, writeSafetensors, type SafetensorsInput } from '../../src/model/safetensors.ts';
import { classifyEnsemble } from '../../src/train/classifyEnsemble.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';
import { hasTorch, torchRunDifference, torchSkipNote } from '../helpers/torch.ts';

const dir = mkdtempSync(join(tmpdir(), 'eddy-i8-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quantizeRowsInt8', () => {
  it('scales each row by its largest magnitude / 127 and rounds to the nearest step', () => {
    const { q, scale } = quantizeRowsInt8(Float32Array.of(0.5, -1.27, 0.004, 0, 0, 0), 2, 3);
    expect(scale[0]).toBeCloseTo(0.01, 7);
    expect(Array.from(q)).toEqual([50, -127, 0, 0, 0, 0]);
    expect(scale[1]).toBe(0); // a row of zeros
  });

  it('names a weight that is not finite', () => {
    expectError(() => quantizeRowsInt8(Float32Array.of(1, Number.NaN), 1, 2, 'w'), 'ERR_INVALID_ARG', /w\[1\]/);
  });
});

describe('int8 model files', () => {
  const model = RNNModel.create(
    { cell: 'lstm', input: 'embedding', inputSize: 16, embeddingSize: 8, hiddenSize: 24, numLayers: 2, outputSize: 16 },
    { seed: 8 },
  );
  // one weight far larger than its row's others: that row's step is coarse, the rows next to it are not
  model.params[model.layout.entries.find((e) => e.name === 'rnn.weight_hh_l0')!.offset] = 3;

  it('reads back every weight within half its row step, biases exactly, in about a quarter of the bytes', () => {
    const f32 = join(dir, 'f32.safetensors');
    const i8 = join(dir, 'i8.safetensors');
    saveModel(f32, model);
    saveModel(i8, model, {}, { dtype: 'i8' });
    const file = readSafetensors(i8);
    const back = loadModel(i8);
    for (const e of model.layout.entries) {
      const t = file.tensors.get(e.name)!;
      if (e.shape.length === 1) {
        expect(t.dtype).toBe('F32');
        expect(Array.from(back.params.subarray(e.offset, e.offset + e.size))).toEqual(
          Array.from(model.params.subarray(e.offset, e.offset + e.size)),
        );
        continue;
      }
      expect(t.dtype).toBe('I8');
      const scale = file.tensors.get(e.name + INT8_SCALE_SUFFIX)!;
      expect(scale.shape).toEqual([e.shape[0]]);
      const cols = e.shape[1];
      for (let r = 0; r < e.shape[0]; r++)
        for (let j = 0; j < cols; j++) {
          const i = e.offset + r * cols + j;
          expect(Math.abs(back.params[i] - model.params[i])).toBeLessThanOrEqual(scale.data[r] / 2 + 1e-7);
        }
    }
    // a quarter of the weight bytes; on a model this small the header, scales and float32 biases add a tenth
    expect(statSync(i8).size).toBeLessThan(0.4 * statSync(f32).size);
    // the logits move by the rounding only
    const x = Int32Array.from({ length: 12 }, (_, i) => (i * 5) % 16);
    const a = model.forward(x, { T: 6, B: 2 }).y;
    const b = back.forward(x, { T: 6, B: 2 }).y;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(0.05);
  });

  it('a bidirectional classifier and an ensemble of mixed members round-trip and classify as before', () => {
    const config = {
      cell: 'gru',
      input: 'embedding',
      inputSize: 10,
      embeddingSize: 6,
      hiddenSize: 12,
      outputSize: 4,
    } as const;
    const bi = BidirectionalClassifier.create(config, { seed: 3 });
    const uni = RNNModel.create(config, { seed: 4 });
    const path = join(dir, 'bi.safetensors');
    saveModel(path, bi, {}, { dtype: 'i8' });
    expect(loadClassifier(path)).toBeInstanceOf(BidirectionalClassifier);
    const ens = join(dir, 'ens.safetensors');
    const members = [
      { model: bi, reverse: false },
      { model: uni, reverse: true },
    ];
    saveEnsemble(ens, members, { note: 'kept' }, { dtype: 'i8' });
    const loaded = loadEnsemble(ens);
    expect(loaded.metadata.note).toBe('kept');
    const rng = new Rng(5);
    const seqs = Array.from({ length: 30 }, () => Int32Array.from({ length: 1 + rng.int(6) }, () => rng.int(10)));
    const p0 = classifyEnsemble(members, seqs).probs;
    const p1 = classifyEnsemble(loaded.members, seqs).probs;
    let worst = 0;
    for (let i = 0; i < p0.length; i++) worst = Math.max(worst, Math.abs(p0[i] - p1[i]));
    expect(worst).toBeLessThan(0.02);
  });

  it.skipIf(!hasTorch)(`PyTorch multiplies the scales back and computes what eddy computes${torchSkipNote}`, () => {
    const path = join(dir, 'torch8.safetensors');
    saveModel(path, model, {}, { dtype: 'i8' });
    const { printed, maxDiff } = torchRunDifference(path, loadModel(path), dir);
    expect(printed).toContain('rnn.weight_ih_l0: int8');
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('refuses an int8 weight without its scales, scales of the wrong shape or not finite, and orphan scales', () => {
    const good = readSafetensors(join(dir, 'i8.safetensors'));
    const edit = (name: string, change: (t: Record<string, SafetensorsInput>) => void): string => {
      const t: Record<string, SafetensorsInput> = {};
      for (const [k, v] of good.tensors)
        t[k] = { shape: v.shape, data: v.dtype === 'I8' ? Int8Array.from(v.data) : Float32Array.from(v.data) };
      change(t);
      const p = join(dir, `${name}.safetensors`);
      writeSafetensors(p, t, good.metadata);
      return p;
    };
    const w = 'rnn.weight_hh_l1';
    const s = w + INT8_SCALE_SUFFIX;
    const cases: [string, (t: Record<string, SafetensorsInput>) => void, RegExp][] = [
      ['no-scale', (t) => delete t[s], /rnn\.weight_hh_l1 is int8 but rnn\.weight_hh_l1\.int8_scale .* is missing/],
      ['short-scale', (t) => (t[s] = { shape: [3], data: new Float32Array(3) }), /has shape \[3\], expected \[96\]/],
      [
        'nan-scale',
        (t) => {
          (t[s].data as Float32Array)[2] = Number.NaN;
        },
        /rnn\.weight_hh_l1\.int8_scale\[2\] is NaN, not a scale/,
      ],
      [
        'orphan',
        (t) => (t['head.bias.int8_scale'] = { shape: [16], data: new Float32Array(16) }),
        /scales no int8 weight/,
      ],
    ];
    for (const [name, change, message] of cases) {
      const p = edit(name, change);
      expectError(() => loadModel(p), 'ERR_FILE', new RegExp(`${name}\\.safetensors`), message);
    }
  });
});
