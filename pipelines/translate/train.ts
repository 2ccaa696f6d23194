/**
 * `eddy translate train`: trains the English -> French encoder-decoder (plain, or with `--attention`) on the
 * training split, with progress on stderr, a validation loss every epoch, and an atomic checkpoint (model,
 * optimizer, RNG, epoch and batch cursor) every `--checkpoint-every` updates and at the end: a killed run resumes
 * where it stopped. `--best` also keeps the model (no optimizer state) with the lowest validation loss.
 *
 *   eddy translate train --attention --out runs/att.safetensors --best runs/att-best.safetensors --minutes 20
 */
import { existsSync } from 'node:fs';
import {
  adam,
  backendByName,
  EddyError,
  loadTranslator,
  ProgressLine,
  Rng,
  saveTranslator,
  Translator,
  TranslatorModel,
  TranslatorTrainer,
  translationBatches,
  WordVocabulary,
  type RngState,
} from '../../src/index.ts';
import { backendFlag, defineCommand, seedFlag } from '../cli/command.ts';
import { letSignalsIn, stopOnSignals } from '../cli/signals.ts';
import { DEFAULT_PAIRS, idPairs, loadSplits } from './data.ts';

/** What a checkpoint's `eddy.train` metadata holds. */
interface TrainState {
  epoch: number;
  /** Batches of this epoch already done. */
  cursor: number;
  /** The RNG state the epoch's batches were shuffled from. */
  epochRng: RngState;
  steps: number;
  seconds: number;
  bestVal: number;
  history: { epoch: number; steps: number; seconds: number; trainLoss: number; valLoss: number }[];
  optimizer: { step: number; scalars: Record<string, number> };
  options: Record<string, unknown>;
}

export const command = defineCommand({
  name: 'translate train',
  summary: 'train the English -> French encoder-decoder, plain or with attention (resumable)',
  details: `Trains on the ~90% training split (grouped by English sentence, seeded), one (English, French) pair per
translation. Vocabularies come from the training split: words seen fewer than --min-count times become <unk>.
Example: eddy translate train --attention --out runs/att.safetensors --best runs/att-best.safetensors --minutes 20`,
  flags: {
    input: { type: 'input', default: DEFAULT_PAIRS, description: 'tab-separated English<TAB>French pairs' },
    out: { type: 'output', default: 'runs/translate.safetensors', description: 'checkpoint (resumed when it exists)' },
    best: { type: 'output', description: 'also keep the model with the lowest validation loss here' },
    attention: { type: 'boolean', description: 'dot-product attention over the encoder states' },
    embed: { type: 'integer', min: 1, max: 4096, default: 64, description: 'word embedding size E' },
    hidden: { type: 'integer', min: 1, max: 4096, default: 128, description: 'GRU hidden size H' },
    'min-count': { type: 'integer', min: 1, default: 5, description: 'rarer training words become <unk>' },
    batch: { type: 'integer', min: 1, max: 4096, default: 64, description: 'pairs per update' },
    lr: { type: 'number', min: 0, exclusiveMin: true, max: 1, default: 0.003, description: 'Adam learning rate' },
    'clip-norm': { type: 'number', min: 0, exclusiveMin: true, default: 5, description: 'global gradient norm clip' },
    epochs: { type: 'integer', min: 1, default: 100, description: 'stop after this many epochs' },
    minutes: { type: 'number', min: 0, exclusiveMin: true, description: 'stop after this many minutes in all' },
    steps: { type: 'integer', min: 1, description: 'stop after this many updates in all' },
    'checkpoint-every': { type: 'integer', min: 1, default: 200, description: 'write the checkpoint every N updates' },
    'no-resume': { type: 'boolean', description: 'start over even when the checkpoint exists' },
    backend: backendFlag,
    seed: seedFlag,
  },
  async run(f, ctx) {
    const backend = backendByName(f.backend, { path: '--backend', capacity: 1024 * 2 ** 20 });
    const splits = loadSplits(f.input, f.seed);
    let translator: Translator;
    let state: TrainState;
    const optimizer = adam({ lr: f.lr, backend });
    const resume = existsSync(f.out) && !f.noResume;
    if (resume) {
      const loaded = loadTranslator(f.out, backend);
      translator = loaded.translator;
      const raw = loaded.metadata['eddy.train'];
      if (!raw)
        throw new EddyError('ERR_FILE', `Cannot resume ${f.out}: it is not a translate checkpoint (no eddy.train)`);
      state = JSON.parse(raw) as TrainState;
      if (translator.model.config.attention !== f.attention)
        throw new EddyError(
          'ERR_INVALID_ARG',
          `${f.out} was trained ${translator.model.config.attention ? 'with' : 'without'} --attention; give the same, or --no-resume`,
        );
      const m = loaded.tensors.get('optimizer.m');
      const v = loaded.tensors.get('optimizer.v');
      if (!m || !v) throw new EddyError('ERR_FILE', `Cannot resume ${f.out}: no optimizer state`);
      optimizer.setState({
        name: 'adam',
        step: state.optimizer.step,
        scalars: state.optimizer.scalars,
        buffers: { m, v },
      });
      ctx.log(`resuming ${f.out}: epoch ${state.epoch + 1}, batch ${state.cursor}, ${state.steps} updates done`);
    } else {
      const en = WordVocabulary.build(
        splits.train.map((g) => g.source),
        { minCount: f.minCount },
      );
      const fr = WordVocabulary.build(
        splits.train.flatMap((g) => g.targets),
        { minCount: f.minCount },
      );
      const model = new TranslatorModel(
        {
          sourceVocab: en.size,
          targetVocab: fr.size,
          embedSize: f.embed,
          hiddenSize: f.hidden,
          attention: f.attention,
        },
        backend,
      ).init(new Rng(f.seed));
      const maxSource = Math.max(...splits.train.map((g) => g.source.length));
      translator = new Translator(model, en, fr, 2 * maxSource);
      state = {
        epoch: 0,
        cursor: 0,
        epochRng: new Rng(f.seed + 1).getState(),
        steps: 0,
        seconds: 0,
        bestVal: Infinity,
        history: [],
        optimizer: { step: 0, scalars: {} },
        options: {
          embed: f.embed,
          hidden: f.hidden,
          minCount: f.minCount,
          batch: f.batch,
          lr: f.lr,
          seed: f.seed,
          input: f.input,
        },
      };
    }
    const { model, source: en, target: fr } = translator;
    const train = idPairs(splits.train, en, fr);
    const valid = idPairs(splits.valid, en, fr);
    const maxS = Math.max(...[...train, ...valid].map((p) => p.source.length));
    const maxT = Math.max(...[...train, ...valid].map((p) => p.target.length)) + 1;
    const trainer = new TranslatorTrainer(model, optimizer, { maxS, maxT, maxB: f.batch, clip: f.clipNorm });
    const validBatches = translationBatches(valid, f.batch, null);
    ctx.log(
      `${f.attention ? 'attention' : 'plain'} GRU encoder-decoder, E=${model.config.embedSize} H=${model.config.hiddenSize}, ` +
        `${model.size.toLocaleString('en-US')} parameters (${((model.size * 4) / 2 ** 20).toFixed(1)} MB F32); ` +
        `vocabularies en ${en.size} / fr ${fr.size} (min count ${f.minCount}); ` +
        `${splits.train.length} / ${splits.valid.length} / ${splits.test.length} English sentences train/valid/test, ` +
        `${train.length} training pairs; backend ${backend.name}`,
    );
    ctx.begin();
    const stop = stopOnSignals(ctx);
    const t0 = Date.now();
    const secondsAt = (): number => state.seconds + (Date.now() - t0) / 1000;
    const save = (): void => {
      const o = optimizer.getState();
      state.optimizer = { step: o.step, scalars: o.scalars };
      saveTranslator(f.out, translator, {
        tensors: {
          'optimizer.m': { shape: [o.buffers.m.length], data: o.buffers.m },
          'optimizer.v': { shape: [o.buffers.v.length], data: o.buffers.v },
        },
        metadata: { 'eddy.train': JSON.stringify({ ...state, seconds: secondsAt() }) },
      });
    };
    const batchesPerEpoch = translationBatches(train, f.batch, new Rng(1)).length;
    const progress = ctx.quiet
      ? null
      : new ProgressLine({ total: batchesPerEpoch * f.epochs, offset: state.steps, minIntervalMs: 15_000 });
    const keepBest = (val: number): void => {
      if (val >= state.bestVal) return;
      state.bestVal = val;
      if (f.best)
        saveTranslator(f.best, translator, {
          metadata: {
            'eddy.valLoss': String(val),
            'eddy.train.epochs': String(state.epoch + state.cursor / batchesPerEpoch),
            'eddy.train.steps': String(state.steps),
            'eddy.split': JSON.stringify({ input: f.input, seed: f.seed }),
          },
        });
    };
    let running = NaN;
    try {
      outer: while (state.epoch < f.epochs) {
        const rng = new Rng(0);
        rng.setState(state.epochRng);
        const batches = translationBatches(train, f.batch, rng);
        let sum = 0;
        let n = 0;
        for (; state.cursor < batches.length; state.cursor++) {
          await letSignalsIn();
          if (
            stop.signal.aborted ||
            (f.minutes !== undefined && secondsAt() >= f.minutes * 60) ||
            (f.steps !== undefined && state.steps >= f.steps)
          )
            break outer;
          const loss = trainer.step(batches[state.cursor]);
          state.steps++;
          sum += loss;
          n++;
          running = Number.isNaN(running) ? loss : 0.98 * running + 0.02 * loss;
          progress?.update(state.steps, { epoch: String(state.epoch + 1), loss: running.toFixed(3) });
          if (state.steps % f.checkpointEvery === 0) save();
        }
        const val = trainer.evaluate(validBatches);
        state.history.push({
          epoch: state.epoch + 1,
          steps: state.steps,
          seconds: secondsAt(),
          trainLoss: sum / Math.max(1, n),
          valLoss: val,
        });
        progress?.log(
          `epoch ${state.epoch + 1}: train ${(sum / Math.max(1, n)).toFixed(3)}  validation ${val.toFixed(3)} nats/word  (${Math.round(secondsAt())} s)`,
        );
        state.epoch++;
        state.cursor = 0;
        state.epochRng = rng.getState();
        keepBest(val);
        save();
      }
      // stopped inside an epoch: validate what was reached, so that --best holds the last model when it is the best
      if (state.cursor > 0) {
        const val = trainer.evaluate(validBatches);
        ctx.log(`stopped at epoch ${state.epoch + 1}, batch ${state.cursor}: validation ${val.toFixed(3)} nats/word`);
        keepBest(val);
      }
      save();
      ctx.log(
        `stopped after ${state.epoch} epochs + ${state.cursor} batches, ${state.steps} updates, ${Math.round(secondsAt())} s; best validation ${state.bestVal.toFixed(3)} nats/word -> ${f.out}`,
      );
    } finally {
      stop.dispose();
      trainer.dispose();
    }
  },
});
