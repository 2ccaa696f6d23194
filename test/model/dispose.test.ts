/**
 * `dispose()`: a wasm or native backend's memory is never returned to the system, so a server that loads a model per
 * request must give each one back. Loading, stepping, training a window, quantizing and disposing over and over
 * leaves the backend's memory where it started (and without dispose it grows: the check can fail); a disposed model
 * refuses to compute or be saved, by name; parameters a caller passed in stay the caller's. The same for a RAM model
 * (and a glimpse stream whose model is disposed mid-episode errors instead of reading emptied buffers), and for a
 * translator with its decoders.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { BidirectionalClassifier } from '../../src/model/bidirectionalClassifier.ts';
import { loadClassifier, loadModel, saveModel } from '../../src/model/modelFile.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { ramObserve, ramReset } from '../../src/ram/ramEpisode.ts';
import { ramGlimpses } from '../../src/ram/ramGlimpses.ts';
import { RamModel } from '../../src/ram/ramModel.ts';
import { saveRamModel } from '../../src/ram/ramModelFile.ts';
import { createRamWorkspace } from '../../src/ram/ramWorkspace.ts';
import { Translator } from '../../src/translate/translator.ts';
import { saveTranslator } from '../../src/translate/translatorFile.ts';
import { TranslatorModel } from '../../src/translate/translatorModel.ts';
import { TranslatorTrainer } from '../../src/translate/translatorTrainer.ts';
import { adam } from '../../src/train/adam.ts';
import { WordVocabulary } from '../../src/translate/wordVocabulary.ts';
import { createNativeBackend, nativeAvailable } from '../../src/tensor/nativeBackend.ts';
import { createWasmBackend, type WasmBackend } from '../../src/tensor/wasmBackend.ts';
import { padBatch } from '../../src/train/padBatch.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

const MiB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'eddy-dispose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lstmPath = join(dir, 'lstm.safetensors');
saveModel(
  lstmPath,
  RNNModel.create(
    { cell: 'lstm', input: 'onehot', inputSize: 20, hiddenSize: 32, numLayers: 2, outputSize: 20 },
    { seed: 1 },
  ),
);
const biPath = join(dir, 'bi.safetensors');
saveModel(
  biPath,
  BidirectionalClassifier.create(
    { cell: 'gru', input: 'embedding', inputSize: 12, embeddingSize: 6, hiddenSize: 8, numLayers: 2, outputSize: 4 },
    { seed: 2 },
  ),
);

/** One request's worth of work: load, step, a training window, optionally quantized steps. */
function useModel(be: WasmBackend, quantize: boolean): RNNModel {
  const m = loadModel(lstmPath, { backend: be });
  const st = m.createState(1);
  for (let i = 0; i < 5; i++) m.step(Int32Array.of(i), st);
  const r = m.forward(
    Int32Array.from({ length: 12 }, (_, i) => i % 20),
    { T: 4, B: 3 },
  );
  m.backward(r.workspace, new Float32Array(4 * 3 * 20).fill(0.01));
  if (quantize) {
    m.quantizeWeights('bf16');
    m.step(Int32Array.of(3), st);
  }
  return m;
}

function useClassifier(be: WasmBackend): BidirectionalClassifier {
  const m = loadClassifier(biPath, { backend: be }) as BidirectionalClassifier;
  const b = padBatch([Int32Array.of(1, 2, 3), Int32Array.of(4)]);
  const { logits, pass } = m.forward(b.ids, { T: b.T, B: b.B, lengths: b.lengths, training: true, rng: new Rng(1) });
  m.backward(pass, new Float32Array(logits.length).fill(0.1));
  return m;
}

const backends: (readonly [string, () => WasmBackend])[] = [
  ['wasm', () => createWasmBackend({ capacity: 16 * MiB })],
  ...(nativeAvailable() ? [['native', () => createNativeBackend({ capacity: 16 * MiB, threads: 1 })] as const] : []),
];

describe.each(backends)('dispose on the %s backend', (_name, make) => {
  it('loading, using and disposing a model 40 times leaves the memory where it started', () => {
    const be = make();
    useModel(be, true).dispose(); // the backend's own first-use buffers (staging) settle here
    useClassifier(be).dispose();
    const base = be.used;
    for (let i = 0; i < 20; i++) {
      useModel(be, i % 2 === 0).dispose();
      useClassifier(be).dispose();
      expect(be.used).toBe(base);
    }
    // the control: without dispose the same work holds more memory each time (the first may fit in blocks released
    // below the mark, which `used` counts)
    useModel(be, true);
    const once = be.used;
    useModel(be, true);
    useModel(be, true);
    expect(be.used).toBeGreaterThan(once);
    expect(be.used).toBeGreaterThan(base);
  });

  it('a disposed model refuses to compute or be saved, by name; a second dispose does nothing', () => {
    const be = make();
    const m = useModel(be, false);
    m.dispose();
    m.dispose();
    expect(m.disposed).toBe(true);
    expect(m.params).toHaveLength(0);
    expectError(() => m.step(Int32Array.of(1), m.createState(1)), 'ERR_INVALID_ARG', /RNNModel\.step/, /disposed/);
    expectError(() => m.forward(Int32Array.of(1), { T: 1, B: 1 }), 'ERR_INVALID_ARG', /RNNModel\.forward/);
    expectError(() => m.param('head.bias'), 'ERR_INVALID_ARG', /RNNModel\.param/);
    expectError(() => saveModel(join(dir, 'gone.safetensors'), m), 'ERR_INVALID_ARG', /disposed/);
    const c = useClassifier(be);
    c.dispose();
    expect(c.disposed).toBe(true);
    const b = padBatch([Int32Array.of(1)]);
    expectError(
      () => c.forward(b.ids, { T: 1, B: 1, lengths: b.lengths }),
      'ERR_INVALID_ARG',
      /Bidirectional/,
      /disposed/,
    );
  });

  it("keeps parameters the caller passed to the constructor (they are the caller's)", () => {
    const be = make();
    const { config, numParams } = loadModel(lstmPath);
    const params = be.alloc(numParams);
    params.fill(0.25);
    const before = be.used;
    const m = new RNNModel(config, params, be);
    m.step(Int32Array.of(2), m.createState(1));
    m.dispose();
    expect(be.used).toBe(before); // the model's own buffers went back, the caller's did not
    be.alloc(params.length); // would reuse the block if it had been released
    expect(params.every((v) => v === 0.25)).toBe(true);
  });
});

describe('RamModel.dispose', () => {
  const options = { glimpses: 3, glimpseSize: 4, scales: 2, glimpseHidden: 8, glimpseOutput: 12, hiddenSize: 10 };
  const rng = new Rng(4);
  const image = () => ({ data: Float32Array.from({ length: 400 }, () => rng.next()), C: 1, H: 20, W: 20 });

  it('a model created, run and disposed 30 times leaves the memory where it started; without dispose it grows', async () => {
    const be = createWasmBackend({ capacity: 8 * MiB });
    const round = async (dispose: boolean): Promise<void> => {
      const m = RamModel.create(options, { seed: 1, backend: be });
      const events = await lastValueFrom(ramGlimpses(m, image()).pipe(toArray()));
      expect(events.at(-1)?.kind).toBe('answer');
      if (dispose) m.dispose();
    };
    await round(true);
    const base = be.used;
    for (let i = 0; i < 30; i++) await round(true);
    expect(be.used).toBe(base);
    await round(false);
    await round(false);
    await round(false);
    expect(be.used).toBeGreaterThan(base);
  });

  it('a disposed model refuses episodes, workspaces and saving, by name; one disposed mid-stream errors the stream', async () => {
    const be = createWasmBackend({ capacity: 8 * MiB });
    const m = RamModel.create(options, { seed: 1, backend: be });
    const ws = createRamWorkspace(m, 2);
    m.dispose();
    m.dispose();
    expect(m.disposed).toBe(true);
    expectError(() => createRamWorkspace(m, 1), 'ERR_INVALID_ARG', /createRamWorkspace/, /disposed/);
    expectError(() => ramReset(m, ws), 'ERR_INVALID_ARG', /ramReset/);
    expectError(() => ramObserve(m, ws, 0), 'ERR_INVALID_ARG', /ramObserve/);
    expectError(() => saveRamModel(join(dir, 'ram.safetensors'), m), 'ERR_INVALID_ARG', /saving a RAM model/);
    const live = RamModel.create(options, { seed: 1, backend: be });
    const seen: string[] = [];
    const done = lastValueFrom(
      ramGlimpses(live, image()).pipe(
        tap((e) => {
          seen.push(e.kind);
          if (seen.length === 2) live.dispose();
        }),
        toArray(),
      ),
    );
    await expect(done).rejects.toThrow(/disposed/);
  });
});

describe('Translator.dispose', () => {
  const make = (be: WasmBackend): Translator => {
    const en = new WordVocabulary(['<unk>', '<s>', '</s>', 'i', 'am', 'cold', '.']);
    const fr = new WordVocabulary(['<unk>', '<s>', '</s>', "j'", 'ai', 'froid', '.', 'je', 'suis']);
    const model = new TranslatorModel(
      { sourceVocab: en.size, targetVocab: fr.size, embedSize: 4, hiddenSize: 6, attention: true },
      be,
    ).init(new Rng(3));
    model.params[model.layout.headB + 2] = -4; // </s> unlikely at first: the untrained model says a few words
    return new Translator(model, en, fr, 6);
  };

  it('translating (greedy, then a wider beam) and disposing 20 times leaves the memory where it started', () => {
    const be = createWasmBackend({ capacity: 8 * MiB });
    const round = (dispose: boolean): void => {
      const t = make(be);
      expect([...t.translate('i am cold .', { search: 'greedy', maxLength: 4 })].length).toBeGreaterThan(0);
      expect([...t.translate('i am cold .', { beamWidth: 8, maxLength: 4 })].length).toBeGreaterThan(0);
      if (dispose) t.dispose();
    };
    round(true);
    const base = be.used;
    for (let i = 0; i < 20; i++) round(true);
    expect(be.used).toBe(base);
    round(false);
    round(false);
    round(false);
    expect(be.used).toBeGreaterThan(base);
  });

  it('a trainer stepped and disposed 20 times leaves the memory where it started; a disposed one refuses', () => {
    const be = createWasmBackend({ capacity: 8 * MiB });
    const t = make(be);
    const batch = {
      source: Int32Array.of(3, 4, 4, 5, 5, 6, 6, 6), // [S=4, B=2]: "i am cold ." and "am cold . ."
      target: Int32Array.of(7, 3, 8, 4, 5, 5, 2, 2), // [T=4, B=2]
      S: 4,
      T: 4,
      B: 2,
    };
    const round = (dispose: boolean): void => {
      const trainer = new TranslatorTrainer(t.model, adam({ lr: 0.01 }), { maxS: 8, maxT: 8, maxB: 4 });
      expect(Number.isFinite(trainer.step(batch))).toBe(true);
      if (dispose) trainer.dispose();
    };
    round(true);
    const base = be.used;
    for (let i = 0; i < 20; i++) round(true);
    expect(be.used).toBe(base);
    round(false);
    expect(be.used).toBeGreaterThan(base); // without dispose each trainer keeps its workspace
    const trainer = new TranslatorTrainer(t.model, adam({ lr: 0.01 }), { maxS: 8, maxT: 8, maxB: 4 });
    trainer.dispose();
    trainer.dispose();
    expect(trainer.disposed).toBe(true);
    expectError(() => trainer.step(batch), 'ERR_INVALID_ARG', /TranslatorTrainer\.step/, /disposed/);
    expectError(() => trainer.evaluate([batch]), 'ERR_INVALID_ARG', /TranslatorTrainer\.evaluate/);
    expect(t.disposed).toBe(false); // the model is the caller's
  });

  it('a disposed translator refuses to translate or be saved; a translation in progress fails at its next word', () => {
    const be = createWasmBackend({ capacity: 8 * MiB });
    const t = make(be);
    const words = t.translate('i am cold .', { search: 'greedy', maxLength: 5 });
    expect(words.next().done).toBe(false);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expectError(() => words.next(), 'ERR_INVALID_ARG', /released|disposed/);
    expectError(() => [...t.translate('i am cold .')], 'ERR_INVALID_ARG', /Translator\.decoder/, /disposed/);
    expectError(() => saveTranslator(join(dir, 'tr.safetensors'), t), 'ERR_INVALID_ARG', /saving a translator/);
  });
});
