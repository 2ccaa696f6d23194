/**
 * `eddy sentiment cv`: 10-fold cross-validation on the 3,000 labelled sentences with the fixed folds: a recurrent
 * many-to-one classifier (word or character level, padded batches through masks) next to a bag-of-words logistic
 * regression trained on the same folds in the same run. Prints each fold and the mean accuracy of both.
 *
 *   eddy sentiment cv --level word
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  BidirectionalClassifier,
  RNNModel,
  Rng,
  adam,
  backendByName,
  classifySequences,
  readSentiment,
  trainBagOfWordsLogistic,
  trainClassifierEpoch,
  wordTokens,
  writeFileAtomic,
} from '../../src/index.ts';
import { backendFlag, defineCommand, seedFlag } from '../cli/command.ts';

/** Token ids of texts: the training texts' tokens get ids from 1, anything else 0. */
function tokenizer(level: string, trainTexts: readonly string[]): { size: number; encode: (t: string) => Int32Array } {
  const split = (t: string): string[] => (level === 'word' ? wordTokens(t) : [...t.toLowerCase()]);
  const ids = new Map<string, number>();
  for (const t of trainTexts) for (const w of split(t)) if (!ids.has(w)) ids.set(w, ids.size + 1);
  return {
    size: ids.size + 1,
    encode: (t) => {
      const a = Int32Array.from(split(t), (w) => ids.get(w) ?? 0);
      return a.length > 0 ? a : Int32Array.of(0);
    },
  };
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]): number => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));

export const command = defineCommand({
  name: 'sentiment cv',
  summary: '10-fold CV on the labelled sentences: a recurrent classifier vs bag-of-words logistic regression',
  details: `Word level: lower-cased words (the training folds' words get ids, others one unknown id). The recurrent
model is a GRU over an embedding, read at the last word (padded batches, masks), Adam, a fixed number of epochs (no
tuning on the test fold); --bidirectional reads each sentence both ways (a jointly trained bidirectional GRU, the
head over both final states). The baseline: word-presence features, logistic regression (Adam, full batch, L2).
Example: eddy sentiment cv --level word --epochs 6 --out runs/sentiment-cv.json`,
  flags: {
    input: {
      type: 'input',
      default: '../shared/data/seq/splits/sentiment_folds.tsv',
      description: 'the folds file (id file line label fold)',
    },
    data: {
      type: 'input',
      directory: true,
      default: '../shared/data/seq/sentiment',
      description: 'the directory of the *_labelled.txt files',
    },
    level: { type: 'choice', choices: ['word', 'char'], default: 'word', description: 'tokens of the recurrent model' },
    hidden: { type: 'integer', min: 1, max: 4096, default: 64, description: 'GRU hidden units (per direction)' },
    bidirectional: { type: 'boolean', description: 'a bidirectional GRU (both readings, trained jointly)' },
    embedding: { type: 'integer', min: 1, max: 1024, default: 48, description: 'embedding width' },
    epochs: { type: 'integer', min: 1, max: 1000, default: 6, description: 'passes over the training folds' },
    lr: { type: 'number', min: 0, exclusiveMin: true, max: 10, default: 0.003, description: 'Adam learning rate' },
    batch: { type: 'integer', min: 1, max: 4096, default: 32, description: 'sentences per update' },
    folds: { type: 'integer', min: 1, max: 10, default: 10, description: 'run the first N folds only (quick runs)' },
    out: {
      type: 'output',
      description: 'write the per-fold numbers here (JSON) after every fold; a rerun with the same settings resumes',
    },
    backend: backendFlag,
    seed: seedFlag,
  },
  async run(f, ctx) {
    const data = readSentiment(f.input, f.data);
    const backend = backendByName(f.backend, { path: '--backend' });
    ctx.begin();
    type Row = { fold: number; rnn: number; bow: number; seconds: number };
    const settings = JSON.stringify([
      f.level,
      f.hidden,
      f.embedding,
      f.epochs,
      f.lr,
      f.batch,
      f.seed,
      ...(f.bidirectional ? ['bidirectional'] : []), // a file from before the flag resumes unidirectional runs
    ]);
    const kind = `${f.level}-level ${f.bidirectional ? 'bidirectional ' : ''}GRU`;
    let rows: Row[] = [];
    if (f.out && existsSync(f.out)) {
      const prev = JSON.parse(readFileSync(f.out, 'utf8')) as { settings?: string; rows?: Row[] };
      if (prev.settings === settings && Array.isArray(prev.rows)) {
        rows = prev.rows.filter((r) => r.fold < f.folds);
        ctx.log(`${ctx.name}: resuming ${f.out}: folds ${rows.map((r) => r.fold).join(', ')} done`);
      }
    }
    for (let k = rows.length; k < f.folds; k++) {
      const t0 = Date.now();
      const tr = [...data.texts.keys()].filter((i) => data.folds[i] !== k);
      const te = [...data.texts.keys()].filter((i) => data.folds[i] === k);
      const trTexts = tr.map((i) => data.texts[i]);
      const trLabels = Int32Array.from(tr, (i) => data.labels[i]);
      const teTexts = te.map((i) => data.texts[i]);
      const teLabels = Int32Array.from(te, (i) => data.labels[i]);
      const tok = tokenizer(f.level, trTexts);
      const create = f.bidirectional ? BidirectionalClassifier.create : RNNModel.create;
      const model = create(
        {
          cell: 'gru',
          input: 'embedding',
          embeddingSize: f.embedding,
          inputSize: tok.size,
          hiddenSize: f.hidden,
          outputSize: 2,
        },
        { seed: f.seed + k, backend },
      );
      const optimizer = adam({ lr: f.lr });
      const rng = new Rng(f.seed + k);
      const train = { seqs: trTexts.map(tok.encode), labels: trLabels };
      for (let e = 0; e < f.epochs; e++) trainClassifierEpoch(model, train, { optimizer, rng, batchSize: f.batch });
      const pred = classifySequences(model, teTexts.map(tok.encode)).predictions;
      const rnn = pred.filter((p, i) => p === teLabels[i]).length / te.length;
      const bowPred = trainBagOfWordsLogistic(trTexts, trLabels).predict(teTexts);
      const bow = bowPred.filter((p, i) => p === teLabels[i]).length / te.length;
      const seconds = (Date.now() - t0) / 1000;
      rows.push({ fold: k, rnn, bow, seconds });
      if (f.out) writeFileAtomic(f.out, JSON.stringify({ settings, level: f.level, epochs: f.epochs, rows }, null, 1));
      ctx.log(
        `${ctx.name}: fold ${k}: ${kind} ${(100 * rnn).toFixed(1)}%, bag of words ${(100 * bow).toFixed(1)}% (${te.length} sentences, ${seconds.toFixed(0)} s)`,
      );
    }
    const r = rows.map((x) => x.rnn);
    const b = rows.map((x) => x.bow);
    process.stdout.write(
      `${rows.length}-fold mean accuracy: ${kind} ${(100 * mean(r)).toFixed(2)}% (sd ${(100 * sd(r)).toFixed(2)}), ` +
        `bag-of-words logistic regression ${(100 * mean(b)).toFixed(2)}% (sd ${(100 * sd(b)).toFixed(2)})\n`,
    );
  },
});
