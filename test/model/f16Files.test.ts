/**
 * F16 model files (issue 16): float32 weights stored as IEEE half precision, rounded exactly as PyTorch's
 * `.half()` rounds them (fixtures/torch_roundtrip.py `half` is the reference), read back within half a unit in
 * the last place of a half, loaded by PyTorch with load_state_dict(strict=True) into a float32 module that
 * computes what eddy computes from the same file, and `eddy export --dtype f16` writes them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { loadModel, saveModel } from '../../src/model/modelFile.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
} from '../../src/model/safetensors.ts';
import { saveCheckpoint } from '../../src/train/checkpoint.ts';
import { Rng } from '../../src/util/rng.ts';
import { main } from '../../pipelines/cli/main.ts';
import { expectError } from '../helpers/expectError.ts';
import { hasTorch, runPython, torchRunDifference, torchSkipNote } from '../helpers/torch.ts';

const script = join(import.meta.dirname, '../../fixtures/torch_roundtrip.py');
const dir = mkdtempSync(join(tmpdir(), 'eddy-f16-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Edge cases of the rounding, then random values over the whole half range (both signs, subnormals too). */
function testValues(): Float32Array {
  const edges = [
    0,
    -0,
    1,
    -1,
    0.1,
    1 / 3,
    65504,
    -65504,
    65519.99,
    65504.5,
    2 ** -14,
    2 ** -24,
    2 ** -25,
    2 ** -25 * 1.0001,
    2 ** -26,
    1e-10,
    3 * 2 ** -25,
    1 + 2 ** -11,
    1 + 3 * 2 ** -11,
    1 + 2 ** -11 + 2 ** -20,
    2048 + 1,
    2048 + 3,
    6.1e-5,
    5.9e-5,
    Infinity,
    -Infinity,
    Number.NaN,
  ];
  const rng = new Rng(16);
  const random = Array.from({ length: 4000 }, () => (rng.next() < 0.5 ? -1 : 1) * 2 ** (rng.next() * 43.9 - 28)); // up to 61,000
  return Float32Array.from([...edges, ...random]);
}

/** The largest gap between x and its half: half a unit in the last place (2^-11 relative), 2^-25 for subnormals. */
function halfTolerance(x: number): number {
  return Math.max(Math.abs(x) * 2 ** -11, 2 ** -25);
}

describe('F16 safetensors', () => {
  it('round trip: every value comes back within half a unit of a half, as a half; F16 in the header, 2 bytes each', () => {
    const x = testValues();
    const bytes = encodeSafetensors({ x: { shape: [x.length], data: x, dtype: 'F16' } });
    const f32 = encodeSafetensors({ x: { shape: [x.length], data: x } });
    expect(f32.length - bytes.length).toBeGreaterThanOrEqual(2 * x.length - 8);
    const back = decodeSafetensors(bytes).tensors.get('x')!;
    expect(back.dtype).toBe('F16');
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        expect(back.data[i]).toBe(x[i]); // NaN and the infinities stay what they are
        continue;
      }
      expect(Math.abs(back.data[i] - x[i]), `x = ${x[i]}`).toBeLessThanOrEqual(halfTolerance(x[i]));
      // a half read back is stored again unchanged
      const again = decodeSafetensors(
        encodeSafetensors({ x: { shape: [1], data: Float32Array.of(back.data[i]), dtype: 'F16' } }),
      );
      expect(again.tensors.get('x')!.data[0]).toBe(back.data[i]);
    }
    expect(Object.is(back.data[1], -0)).toBe(true);
    expect(back.data[8]).toBe(65504); // 65519.99 rounds down to the largest half
    expect(back.data[12]).toBe(0); // 2^-25 is a tie between 0 and 2^-24: to even
    expect(back.data[13]).toBe(2 ** -24);
  });

  it.skipIf(!hasTorch)(
    `rounds every value as PyTorch's .half() does, bit for bit${torchSkipNote}`,
    () => {
      const x = testValues().filter((v) => !(Math.abs(v) >= 65520 && Number.isFinite(v)));
      writeSafetensors(join(dir, 'x.safetensors'), { x: { shape: [x.length], data: x } });
      runPython(script, ['half', join(dir, 'x.safetensors'), join(dir, 'bits.safetensors')]);
      const torchBits = readSafetensors(join(dir, 'bits.safetensors')).tensors.get('bits')!.data;
      writeSafetensors(join(dir, 'h.safetensors'), { x: { shape: [x.length], data: x, dtype: 'F16' } });
      const ours = readFileSync(join(dir, 'h.safetensors'));
      const headerLen = Number(new DataView(ours.buffer, ours.byteOffset).getBigUint64(0, true));
      const eddyBits = new Uint16Array(ours.buffer.slice(ours.byteOffset + 8 + headerLen));
      let differing = 0;
      for (let i = 0; i < x.length; i++) {
        // NaN: any quiet NaN will do
        const nan = (torchBits[i] & 0x7c00) === 0x7c00 && (torchBits[i] & 0x3ff) !== 0;
        if (nan ? (eddyBits[i] & 0x7c00) !== 0x7c00 || (eddyBits[i] & 0x3ff) === 0 : eddyBits[i] !== torchBits[i])
          differing++;
      }
      expect(differing).toBe(0);
    },
    60_000,
  );

  it('refuses a value beyond the half range by name, and a dtype it cannot write', () => {
    expectError(
      () => encodeSafetensors({ w: { shape: [3], data: Float32Array.of(1, -65520, 2), dtype: 'F16' } }),
      'ERR_INVALID_ARG',
      'tensors.w.data[1]',
      /65504/,
      /-65520/,
    );
    expectError(
      () => encodeSafetensors({ w: { shape: [1], data: Int32Array.of(1), dtype: 'F16' } }),
      'ERR_INVALID_ARG',
      /tensors\.w\.dtype/,
    );
    const model = RNNModel.create({
      cell: 'gru',
      input: 'onehot',
      inputSize: 5,
      hiddenSize: 4,
      numLayers: 1,
      outputSize: 5,
    });
    expectError(
      () => saveModel(join(dir, 'bad.safetensors'), model, {}, { dtype: 'f8' as 'f16' }),
      'ERR_INVALID_ARG',
      /options\.dtype/,
    );
    model.params[3] = 1e5;
    expectError(
      () => saveModel(join(dir, 'bad.safetensors'), model, {}, { dtype: 'f16' }),
      'ERR_INVALID_ARG',
      /100000/,
    );
  });
});

describe('F16 model files', () => {
  const vocab = [...'abcdefghijklmnop'];
  const model = RNNModel.create(
    { cell: 'lstm', input: 'onehot', inputSize: 16, hiddenSize: 24, numLayers: 2, outputSize: 16, vocab },
    { seed: 4 },
  );

  it('half the bytes; loads as float32 within half a unit of a half of each weight, same config and vocabulary', () => {
    const p32 = join(dir, 'm32.safetensors');
    const p16 = join(dir, 'm16.safetensors');
    saveModel(p32, model, { 'eddy.corpus': 'x.txt' });
    saveModel(p16, model, { 'eddy.corpus': 'x.txt' }, { dtype: 'f16' });
    const file = readSafetensors(p16);
    for (const t of file.tensors.values()) expect(t.dtype).toBe('F16');
    expect(file.metadata['eddy.corpus']).toBe('x.txt');
    const headerBytes = (p: string) => Number(readFileSync(p).readBigUInt64LE(0)) + 8;
    expect(statSync(p16).size - headerBytes(p16)).toBe(model.numParams * 2);
    expect(statSync(p32).size - headerBytes(p32)).toBe(model.numParams * 4);
    const back = loadModel(p16);
    expect(back.config).toEqual(model.config);
    let worst = 0;
    for (let i = 0; i < model.numParams; i++) {
      const gap = Math.abs(back.params[i] - model.params[i]);
      expect(gap).toBeLessThanOrEqual(halfTolerance(model.params[i]));
      worst = Math.max(worst, gap);
    }
    expect(worst).toBeGreaterThan(0); // it did round
  });

  it.skipIf(!hasTorch)(
    `PyTorch loads an F16 file (strict) and computes what eddy computes from it${torchSkipNote}`,
    () => {
      const path = join(dir, 'torch16.safetensors');
      saveModel(path, model, {}, { dtype: 'f16' });
      const { printed, maxDiff } = torchRunDifference(path, loadModel(path), dir);
      expect(printed).toContain('rnn.weight_ih_l0: float16');
      expect(maxDiff).toBeLessThan(1e-5);
    },
  );
});

describe('eddy export --dtype f16', () => {
  let err = '';
  beforeEach(() => {
    err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('writes the checkpoint as an F16 model file with the run metadata', async () => {
    const model = RNNModel.create(
      { cell: 'gru', input: 'onehot', inputSize: 6, hiddenSize: 8, numLayers: 1, outputSize: 6, vocab: [...'abcdef'] },
      { seed: 2 },
    );
    const ck = join(dir, 'ck.safetensors');
    const history = [{ step: 1, elapsedMs: 1000, trainLoss: 2, valLoss: 1.75 }];
    saveCheckpoint(ck, model, {
      optimizer: { name: 'sgd', step: 1, scalars: {}, buffers: {} },
      state: null,
      rng: null,
      extra: { step: 1, corpus: '/data/abc.txt', history },
    });
    const out = join(dir, 'exported.safetensors');
    expect(await main(['export', '--input', ck, '--out', out, '--dtype', 'f16'])).toBe(0);
    expect(err).toContain('(F16)');
    const file = readSafetensors(out);
    expect([...file.tensors.values()].every((t) => t.dtype === 'F16')).toBe(true);
    expect(file.metadata['eddy.valLoss']).toBe('1.75');
    expect(file.metadata['eddy.corpus']).toBe('abc.txt');
    const back = loadModel(out);
    for (let i = 0; i < model.numParams; i++)
      expect(Math.abs(back.params[i] - model.params[i])).toBeLessThanOrEqual(halfTolerance(model.params[i]));
    // a plain model file converts too, keeping its own metadata
    const again = join(dir, 'again.safetensors');
    expect(await main(['export', '--input', out, '--out', again, '--dtype', 'f32'])).toBe(0);
    const f32 = readSafetensors(again);
    expect([...f32.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
    expect(f32.metadata['eddy.valLoss']).toBe('1.75');
    expect(Array.from(loadModel(again).params)).toEqual(Array.from(back.params));
    // --dtype i8: int8 weight matrices with their row scales, biases float32, each weight within half its row's step
    const i8 = join(dir, 'exported-i8.safetensors');
    expect(await main(['export', '--input', ck, '--out', i8, '--dtype', 'i8'])).toBe(0);
    expect(err).toContain('(I8)');
    const q = readSafetensors(i8);
    expect(q.tensors.get('rnn.weight_hh_l0')?.dtype).toBe('I8');
    expect(q.tensors.get('rnn.bias_hh_l0')?.dtype).toBe('F32');
    expect(q.metadata['eddy.valLoss']).toBe('1.75');
    const fromI8 = loadModel(i8);
    for (const e of model.layout.entries) {
      const scale = q.tensors.get(`${e.name}.int8_scale`)?.data;
      for (let i = 0; i < e.size; i++) {
        const row = e.shape.length === 2 ? Math.floor(i / e.shape[1]) : -1;
        const tol = scale ? scale[row] / 2 + 1e-7 : 0;
        expect(Math.abs(fromI8.params[e.offset + i] - model.params[e.offset + i])).toBeLessThanOrEqual(tol);
      }
    }
    expect(await main(['export', '--input', ck, '--out', out, '--dtype', 'f8'])).toBe(2);
    expect(err).toMatch(/--dtype/);
  });
});
