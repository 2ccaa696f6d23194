/**
 * `eddy names train`: trains a surname -> language classifier (many-to-one) on the fixed split, chooses on val,
 * and writes the model with its alphabet and languages. Presets: the PyTorch tutorial's classifier (`anchor`:
 * tanh RNN 128, one-hot letters, SGD lr 0.005, one name at a time), eddy's best (`best`: GRU, embedding, Adam,
 * padded mini-batches scored through masks, class weights, weights averaged over the last epochs), and `bi`: the
 * same with a jointly trained bidirectional GRU (`--bidirectional`: `BidirectionalClassifier`).
 *
 *   eddy names train --preset best --out runs/names-best.safetensors
 *
 * Progress on stderr; a checkpoint after every epoch (`<out>.ckpt`, atomic) that a rerun resumes from (either kind
 * of model).
 */
import { existsSync, rmSync } from 'node:fs';
import {
  BidirectionalClassifier,
  CharAlphabet,
  ProgressLine,
  RNNModel,
  Rng,
  backendByName,
  balancedClassWeights,
  classifySequences,
  confusionMatrix,
  createOptimizer,
  loadClassifierCheckpoint,
  manyToOneCrossEntropy,
  saveCheckpoint,
  softenProbabilities,
  trainClassifierEpoch,
  weightedCrossEntropy,
  type Backend,
  type CellKind,
  type ClassifierData,
  type NamesSplit,
} from '../../src/index.ts';
import { backendFlag, defineCommand, seedFlag } from '../cli/command.ts';
import { UsageError } from '../cli/flags.ts';
import { letSignalsIn, stopOnSignals } from '../cli/signals.ts';
import {
  SPLIT_DIR,
  classifyNames,
  encodeSplit,
  loadNamesClassifier,
  pct,
  readSplits,
  saveNamesClassifier,
} from './namesData.ts';

/** The tuned unidirectional preset (chosen on val; see the README). */
const BEST = {
  cell: 'gru',
  hidden: 160,
  embedding: 64,
  optimizer: 'adam',
  lr: 0.003,
  batch: 32,
  epochs: 8,
  clip: 5,
  averageLast: 3,
  classWeightPower: 0.3,
  lrEnd: 0.1,
  layers: 1,
  dropout: 0,
  outputDropout: 0,
  embeddingDropout: 0,
  reverse: 0,
  bidirectional: 0,
  weightDecay: 0,
  teacher: '',
  distillWeight: 0,
  temperature: 1,
};

/** The presets; every flag given on the command line overrides its value. */
export const PRESETS = {
  anchor: {
    cell: 'rnn_tanh',
    hidden: 128,
    embedding: 0,
    optimizer: 'sgd',
    lr: 0.005,
    batch: 1,
    epochs: 7,
    clip: 0,
    averageLast: 0,
    classWeightPower: 0,
    lrEnd: 1,
    layers: 1,
    dropout: 0,
    outputDropout: 0,
    embeddingDropout: 0,
    reverse: 0,
    bidirectional: 0,
    weightDecay: 0,
    teacher: '',
    distillWeight: 0,
    temperature: 1,
  },
  best: BEST,
  /** `best` with a bidirectional GRU 128 per direction (chosen on val; see the README) */
  bi: { ...BEST, hidden: 128, bidirectional: 1 },
} as const;

type Settings = { -readonly [K in keyof (typeof PRESETS)['best']]: number | string };

interface Extra {
  settings: Settings;
  epoch: number;
  history: { epoch: number; loss: number; valAccuracy: number; valMacroF1: number; seconds: number }[];
  /** base64 of the Float32 sum of the parameters over the averaged epochs */
  avgSum: string | null;
  avgCount: number;
  best: { score: number; epoch: number; params: string } | null;
  seconds: number;
  /** The --seed the run started with (a checkpoint from before has none). */
  seed?: number;
}

const b64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const unb64 = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

export const command = defineCommand({
  name: 'names train',
  summary: 'train a surname -> language classifier on the fixed split (resumable)',
  details: `--preset anchor is the PyTorch tutorial's classifier (tanh RNN 128, one-hot, SGD lr 0.005, one name at a
time); --preset best is eddy's (GRU 160, embedding 64, Adam lr 0.003 decaying linearly to 0.0003 over 8 epochs,
batches of 32 padded and masked, class weights (N / (K n_c))^0.3, weights averaged over the last 3 epochs); --preset
bi is best with a bidirectional GRU 128 per direction. A flag given overrides the preset. The model kept is
the average of the last --average-last epochs, or (with 0) the epoch with the best val score (mean of accuracy
and macro-F1). Test numbers come from eddy names eval, once. --reverse reads names right to left; --bidirectional trains
bidirectional layers (a forward and a reverse direction trained jointly, the head reading the top layer's two final
states; with --layers 2 or more, each upper layer reads both directions of the layer below at every letter, as
PyTorch's num_layers with bidirectional=True, and --dropout drops between them). Several runs
(seeds, directions) are packed into one averaging model by eddy names ensemble. --teacher distils: another classifier's
probabilities on train, softened to --temperature, become soft targets mixed into the loss at --distill-weight.
Example: eddy names train --preset anchor --out runs/names-anchor.safetensors`,
  flags: {
    input: {
      type: 'input',
      directory: true,
      default: SPLIT_DIR,
      description: 'the split directory (train.tsv, val.tsv, test.tsv: name<TAB>language)',
    },
    out: { type: 'output', default: 'runs/names.safetensors', description: 'the trained model (checkpoint: OUT.ckpt)' },
    preset: {
      type: 'choice',
      choices: ['anchor', 'best', 'bi'],
      default: 'best',
      description: 'the settings to start from',
    },
    cell: { type: 'choice', choices: ['rnn_tanh', 'lstm', 'gru'], description: 'cell [preset]' },
    hidden: { type: 'integer', min: 1, max: 4096, description: 'hidden units [preset]' },
    embedding: { type: 'integer', min: 0, max: 1024, description: 'embedding width; 0 for one-hot letters [preset]' },
    optimizer: {
      type: 'choice',
      choices: ['sgd', 'adam', 'adamw'],
      description: 'optimizer (adamw: Adam with decoupled --weight-decay) [preset]',
    },
    lr: { type: 'number', min: 0, exclusiveMin: true, max: 10, description: 'learning rate [preset]' },
    batch: { type: 'integer', min: 1, max: 4096, description: 'names per update [preset]' },
    epochs: { type: 'integer', min: 1, max: 1000, description: 'passes over the train split [preset]' },
    clip: { type: 'number', min: 0, description: 'gradient-norm clip, 0 for none [preset]' },
    'weight-decay': {
      type: 'number',
      min: 0,
      max: 1,
      description: 'weight decay: L2 added to the gradient (sgd, adam), decoupled (adamw) [preset: 0]',
    },
    'average-last': {
      type: 'integer',
      min: 0,
      max: 1000,
      description: 'average the weights of the last N epochs [preset]',
    },
    'class-weight-power': {
      type: 'number',
      min: 0,
      max: 2,
      description: 'class weights (N / (K n_c))^p; 0 for none [preset]',
    },
    'lr-end': {
      type: 'number',
      min: 0,
      max: 1,
      description: 'learning rate of the last epoch as a fraction of --lr (linear decay; 1 for none) [preset]',
    },
    layers: { type: 'integer', min: 1, max: 8, description: 'stacked recurrent layers [preset]' },
    dropout: {
      type: 'number',
      min: 0,
      max: 0.9,
      description: 'dropout between stacked layers (training only) [preset]',
    },
    'output-dropout': {
      type: 'number',
      min: 0,
      max: 0.9,
      description: 'dropout on the last hidden state before the head (training only) [preset]',
    },
    'embedding-dropout': {
      type: 'number',
      min: 0,
      max: 0.9,
      description: 'dropout on the embedded letters before the first layer (training only; needs --embedding) [preset]',
    },
    reverse: { type: 'boolean', description: 'read each name right to left (last letter first) [preset: no]' },
    bidirectional: {
      type: 'boolean',
      description:
        'bidirectional layers (both readings, trained jointly; --layers N stacks them, --dropout between) [preset: no]',
    },
    teacher: {
      type: 'input',
      description:
        'distill from this names classifier (a model or an ensemble): its probabilities on train become soft targets [preset: none]',
    },
    'distill-weight': {
      type: 'number',
      min: 0,
      max: 1,
      description: 'share of the soft loss: (1 - w) hard + w soft (needs --teacher) [0.5]',
    },
    temperature: {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      max: 100,
      description: 'distillation temperature; the soft loss is scaled by its square (needs --teacher) [2]',
    },
    'max-train': { type: 'integer', min: 1, description: 'use only the first N train names of a shuffle (quick runs)' },
    minutes: { type: 'number', min: 0, exclusiveMin: true, description: 'stop after this wall time (at an epoch end)' },
    'no-resume': { type: 'boolean', description: 'start afresh even when OUT.ckpt exists' },
    backend: backendFlag,
    seed: seedFlag,
  },
  async run(f, ctx) {
    const preset = PRESETS[f.preset as keyof typeof PRESETS];
    const given: Settings = {
      cell: f.cell ?? preset.cell,
      hidden: f.hidden ?? preset.hidden,
      embedding: f.embedding ?? preset.embedding,
      optimizer: f.optimizer ?? preset.optimizer,
      lr: f.lr ?? preset.lr,
      batch: f.batch ?? preset.batch,
      epochs: f.epochs ?? preset.epochs,
      clip: f.clip ?? preset.clip,
      averageLast: f.averageLast ?? preset.averageLast,
      classWeightPower: f.classWeightPower ?? preset.classWeightPower,
      lrEnd: f.lrEnd ?? preset.lrEnd,
      layers: f.layers ?? preset.layers,
      dropout: f.dropout ?? preset.dropout,
      outputDropout: f.outputDropout ?? preset.outputDropout,
      embeddingDropout: f.embeddingDropout ?? preset.embeddingDropout,
      reverse: f.reverse ? 1 : preset.reverse,
      bidirectional: f.bidirectional ? 1 : preset.bidirectional,
      weightDecay: f.weightDecay ?? preset.weightDecay,
      teacher: f.teacher ?? preset.teacher,
      distillWeight: f.distillWeight ?? (f.teacher !== undefined ? 0.5 : preset.distillWeight),
      temperature: f.temperature ?? (f.teacher !== undefined ? 2 : preset.temperature),
    };
    if (f.teacher === undefined && (f.distillWeight !== undefined || f.temperature !== undefined))
      throw new UsageError(
        `--${f.distillWeight !== undefined ? 'distill-weight' : 'temperature'}: needs a teacher (--teacher FILE)`,
      );
    if (Number(given.embeddingDropout) > 0 && Number(given.embedding) === 0)
      throw new UsageError(
        '--embedding-dropout: needs an embedding (--embedding N > 0; this preset reads one-hot letters)',
      );
    if (given.bidirectional === 1 && given.reverse === 1)
      throw new UsageError('--reverse: a --bidirectional model reads every name both ways; give one of the two');
    const splits = readSplits(f.input);
    const backend = backendByName(f.backend, { path: '--backend' });
    const alphabet = CharAlphabet.fromTexts(splits.train.names);
    const K = splits.train.languages.length;
    const ckpt = `${f.out}.ckpt`;
    const resume = existsSync(ckpt) && !f.noResume;
    let model: RNNModel | BidirectionalClassifier;
    let extra: Extra;
    const rng = new Rng(f.seed);
    const saved = resume ? loadClassifierCheckpoint<Extra>(ckpt, { backend }) : null;
    const s = saved ? (saved.extra.settings as Settings) : given;
    const reverse = Number(s.reverse ?? 0) === 1;
    const bidirectional = Number(s.bidirectional ?? 0) === 1;
    let train = encodeSplit(splits.train, alphabet, reverse);
    const val = encodeSplit(splits.val, alphabet, reverse);
    // the teacher's probabilities on every train name, at the temperature (a checkpoint from before has none)
    const teacherPath = String(s.teacher ?? '');
    let soft = teacherPath === '' ? null : teacherTargets(teacherPath, splits, Number(s.temperature), backend);
    if (f.maxTrain !== undefined && f.maxTrain < train.seqs.length) {
      const keep = subsample(train.seqs.length, f.maxTrain, f.seed);
      train = { seqs: keep.map((i) => train.seqs[i]), labels: Int32Array.from(keep, (i) => train.labels[i]) };
      if (soft !== null) {
        const all = soft;
        soft = new Float32Array(keep.length * K);
        keep.forEach((i, j) => soft?.set(all.subarray(i * K, i * K + K), j * K));
      }
    }
    const weightDecay = Number(s.weightDecay ?? 0); // a checkpoint from before the flag has none
    const optimizer =
      s.optimizer === 'sgd'
        ? createOptimizer({ name: 'sgd', lr: Number(s.lr), weightDecay })
        : createOptimizer({ name: s.optimizer === 'adamw' ? 'adamw' : 'adam', lr: Number(s.lr), weightDecay });
    if (saved) {
      const c = saved;
      model = c.model;
      optimizer.setState(c.optimizer);
      if (c.rng) rng.setState(c.rng);
      extra = c.extra;
      ctx.log(`${ctx.name}: resuming ${ckpt} after epoch ${extra.epoch} (settings from the checkpoint)`);
    } else {
      const emb = Number(s.embedding);
      const create = bidirectional ? BidirectionalClassifier.create : RNNModel.create;
      model = create(
        {
          cell: s.cell as CellKind,
          input: emb > 0 ? 'embedding' : 'onehot',
          ...(emb > 0 ? { embeddingSize: emb } : {}),
          inputSize: alphabet.size,
          hiddenSize: Number(s.hidden),
          numLayers: Number(s.layers ?? 1),
          dropout: Number(s.dropout ?? 0),
          outputDropout: Number(s.outputDropout ?? 0),
          embeddingDropout: Number(s.embeddingDropout ?? 0), // a checkpoint from before the flag has none
          outputSize: K,
          vocab: alphabet.tokens,
        },
        { seed: f.seed, backend },
      );
      extra = { settings: s, epoch: 0, history: [], avgSum: null, avgCount: 0, best: null, seconds: 0, seed: f.seed };
    }
    const epochs = Number(s.epochs);
    const averageLast = Number(s.averageLast);
    const power = Number(s.classWeightPower);
    const loss = power > 0 ? weightedCrossEntropy(balancedClassWeights(train.labels, K, power)) : manyToOneCrossEntropy;
    ctx.log(
      `${ctx.name}: ${bidirectional ? 'bidirectional ' : ''}${Number(s.layers ?? 1) > 1 ? `${s.layers}-layer ` : ''}${s.cell} ${s.hidden}, ${Number(s.embedding) > 0 ? `embedding ${s.embedding}` : 'one-hot'}${Number(s.embeddingDropout ?? 0) > 0 ? ` (dropout ${s.embeddingDropout})` : ''}, ` +
        `${s.optimizer} lr ${s.lr}${weightDecay > 0 ? ` weight decay ${weightDecay}` : ''}, batch ${s.batch}, ${epochs} epochs, ${model.numParams.toLocaleString('en-US')} parameters, ` +
        `${train.seqs.length} train / ${val.seqs.length} val names, ${alphabet.size} ids, ${backend.name}`,
    );
    ctx.begin();
    const stop = stopOnSignals(ctx);
    const t0 = Date.now() - extra.seconds * 1000;
    const deadline = f.minutes === undefined ? Infinity : Date.now() + f.minutes * 60_000;
    try {
      while (extra.epoch < epochs && Date.now() < deadline) {
        await letSignalsIn(); // a signal during the epoch stops the run at its end
        if (stop.signal.aborted) break;
        const e = extra.epoch + 1;
        // linear decay from lr (first epoch) to lr · lrEnd (last)
        optimizer.lr = Number(s.lr) * (1 - (1 - Number(s.lrEnd ?? 1)) * (epochs > 1 ? (e - 1) / (epochs - 1) : 0));
        const progress = ctx.quiet ? null : new ProgressLine({ total: Math.ceil(train.seqs.length / Number(s.batch)) });
        const lossMean = trainClassifierEpoch(model, train, {
          optimizer,
          rng,
          batchSize: Number(s.batch),
          clip: Number(s.clip),
          loss,
          ...(soft !== null
            ? { distill: { probs: soft, weight: Number(s.distillWeight), temperature: Number(s.temperature) } }
            : {}),
          onBatch: (done, _total, l) => {
            if (done % 20 === 0) progress?.update(done, { epoch: `${e}/${epochs}`, loss: l.toFixed(3) });
          },
        });
        progress?.done();
        const v = scoreOn(model, val, K);
        const seconds = (Date.now() - t0) / 1000;
        extra.history.push({ epoch: e, loss: lossMean, valAccuracy: v.accuracy, valMacroF1: v.macroF1, seconds });
        if (e > epochs - averageLast) {
          const sum = extra.avgSum ? unb64(extra.avgSum) : new Float32Array(model.params.length);
          for (let i = 0; i < sum.length; i++) sum[i] += model.params[i];
          extra.avgSum = b64(sum);
          extra.avgCount++;
        }
        const score = (v.accuracy + v.macroF1) / 2;
        if (!extra.best || score > extra.best.score) extra.best = { score, epoch: e, params: b64(model.params) };
        extra.epoch = e;
        extra.seconds = seconds;
        saveCheckpoint(ckpt, model, { optimizer: optimizer.getState(), state: null, rng: rng.getState(), extra });
        ctx.log(
          `${ctx.name}: epoch ${e}: train loss ${lossMean.toFixed(4)}, val accuracy ${pct(v.accuracy)}, macro-F1 ${v.macroF1.toFixed(3)} (${seconds.toFixed(0)} s)`,
        );
      }
    } finally {
      stop.dispose();
    }
    // the model kept: the average of the last epochs when they all ran, else the best epoch on val
    let kept = 'best';
    if (averageLast > 0 && extra.avgSum && extra.avgCount === Math.min(averageLast, epochs) && extra.epoch === epochs) {
      const sum = unb64(extra.avgSum);
      for (let i = 0; i < sum.length; i++) model.params[i] = sum[i] / extra.avgCount;
      kept = `average of the last ${extra.avgCount} epochs`;
    } else if (extra.best) {
      model.params.set(unb64(extra.best.params));
      kept = `epoch ${extra.best.epoch} (best val)`;
    }
    const v = scoreOn(model, val, K);
    saveNamesClassifier(f.out, model, splits.train.languages, {
      'eddy.names.settings': JSON.stringify(s),
      ...(extra.seed !== undefined ? { 'eddy.names.seed': String(extra.seed) } : {}),
      'eddy.names.kept': kept,
      ...(reverse ? { 'eddy.reverse': '1' } : {}),
      'eddy.names.epochs': String(extra.epoch),
      'eddy.names.trainSeconds': extra.seconds.toFixed(0),
      'eddy.names.val': JSON.stringify({ accuracy: v.accuracy, macroF1: v.macroF1 }),
      'eddy.names.history': JSON.stringify(extra.history),
    });
    if (extra.epoch === epochs) rmSync(ckpt, { force: true });
    process.stdout.write(
      `${f.out}: ${kept}, val accuracy ${pct(v.accuracy)}, macro-F1 ${v.macroF1.toFixed(3)} after ${extra.epoch} epochs, ${extra.seconds.toFixed(0)} s\n`,
    );
  },
});

function scoreOn(
  model: RNNModel | BidirectionalClassifier,
  data: ClassifierData,
  K: number,
): { accuracy: number; macroF1: number } {
  const m = confusionMatrix(data.labels, classifySequences(model, data.seqs).predictions, K);
  return { accuracy: m.accuracy, macroF1: m.macroF1 };
}

/** The first n indices of a seeded shuffle of N. */
function subsample(N: number, n: number, seed: number): number[] {
  const rng = new Rng(seed + 7);
  const order = Array.from({ length: N }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, n);
}

/** A teacher classifier's probabilities `[N, K]` on the train names, softened to the temperature. */
function teacherTargets(
  path: string,
  splits: { train: NamesSplit },
  temperature: number,
  backend: Backend,
): Float32Array {
  const teacher = loadNamesClassifier(path, { backend });
  try {
    if (teacher.languages.join() !== splits.train.languages.join())
      throw new UsageError(`--teacher: ${path} has other languages than the split's train.tsv`);
    const K = teacher.languages.length;
    return softenProbabilities(classifyNames(teacher, splits.train.names).probs, K, temperature);
  } finally {
    for (const m of teacher.members) m.model.dispose();
  }
}
