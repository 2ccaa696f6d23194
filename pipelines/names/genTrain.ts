/**
 * `eddy names gen-train`: trains the conditional names generator (one-to-many: a language in, a name out, one
 * character at a time) on the train split; the language sets the model's initial state (`CategoryStates`). The
 * epoch with the lowest val NLL per character is kept.
 *
 *   eddy names gen-train --out runs/names-gen.safetensors
 *
 * Progress on stderr; a checkpoint after every epoch (`<out>.ckpt`, atomic) that a rerun resumes from.
 */
import { existsSync, rmSync } from 'node:fs';
import {
  CategoryStates,
  type CategoryStatesJSON,
  CharAlphabet,
  type OptimizerState,
  ProgressLine,
  RNNModel,
  Rng,
  adam,
  backendByName,
  conditionalNll,
  loadCheckpoint,
  saveCheckpoint,
  trainConditionalEpoch,
  type CellKind,
} from '../../src/index.ts';
import { backendFlag, defineCommand, seedFlag } from '../cli/command.ts';
import { letSignalsIn, stopOnSignals } from '../cli/signals.ts';
import { SPLIT_DIR, encodeSplit, readSplits } from './namesData.ts';
import { saveNamesGenerator } from './generator.ts';

interface Extra {
  epoch: number;
  table: CategoryStatesJSON;
  tableOptimizer: { name: string; step: number; scalars: Record<string, number>; buffers: Record<string, string> };
  history: { epoch: number; loss: number; valNats: number; seconds: number }[];
  best: { valNats: number; epoch: number; params: string; table: CategoryStatesJSON } | null;
  seconds: number;
}

const b64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const unb64 = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const packState = (s: OptimizerState): Extra['tableOptimizer'] => ({
  name: s.name,
  step: s.step,
  scalars: s.scalars,
  buffers: Object.fromEntries(Object.entries(s.buffers).map(([k, v]) => [k, b64(v)])),
});
const unpackState = (s: Extra['tableOptimizer']): OptimizerState => ({
  ...s,
  buffers: Object.fromEntries(Object.entries(s.buffers).map(([k, v]) => [k, unb64(v)])),
});

export const command = defineCommand({
  name: 'names gen-train',
  summary: 'train the language -> surname generator (initial-state conditioning; resumable)',
  details: `A GRU over the characters of a name, started from a learned state per language, reads [start, c1..cn]
and learns [c1..cn, stop] (id 0 is start and stop). Adam for the model and (with a larger rate) the table. The epoch with the lowest val
NLL per character is kept. Example: eddy names gen-train --out runs/names-gen.safetensors --epochs 20`,
  flags: {
    input: { type: 'input', directory: true, default: SPLIT_DIR, description: 'the split directory' },
    out: {
      type: 'output',
      default: 'runs/names-gen.safetensors',
      description: 'the trained generator (checkpoint: OUT.ckpt)',
    },
    cell: { type: 'choice', choices: ['rnn_tanh', 'lstm', 'gru'], default: 'gru', description: 'cell' },
    hidden: { type: 'integer', min: 1, max: 4096, default: 128, description: 'hidden units' },
    embedding: { type: 'integer', min: 1, max: 1024, default: 32, description: 'embedding width' },
    lr: { type: 'number', min: 0, exclusiveMin: true, max: 10, default: 0.003, description: 'Adam learning rate' },
    'table-lr': {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      max: 10,
      default: 0.03,
      description: 'Adam learning rate of the language states (each state sees only its language: larger than --lr)',
    },
    batch: { type: 'integer', min: 1, max: 4096, default: 32, description: 'names per update' },
    epochs: { type: 'integer', min: 1, max: 1000, default: 12, description: 'passes over the train split' },
    minutes: { type: 'number', min: 0, exclusiveMin: true, description: 'stop after this wall time (at an epoch end)' },
    'no-resume': { type: 'boolean', description: 'start afresh even when OUT.ckpt exists' },
    backend: backendFlag,
    seed: seedFlag,
  },
  async run(f, ctx) {
    const splits = readSplits(f.input);
    const backend = backendByName(f.backend, { path: '--backend' });
    const alphabet = CharAlphabet.fromTexts(splits.train.names);
    const K = splits.train.languages.length;
    const train = encodeSplit(splits.train, alphabet);
    const val = encodeSplit(splits.val, alphabet);
    const ckpt = `${f.out}.ckpt`;
    const optimizer = adam({ lr: f.lr });
    const tableOptimizer = adam({ lr: f.tableLr });
    const rng = new Rng(f.seed);
    let model: RNNModel;
    let table: CategoryStates;
    let extra: Extra;
    if (existsSync(ckpt) && !f.noResume) {
      const c = loadCheckpoint<Extra>(ckpt, { backend });
      model = c.model;
      optimizer.setState(c.optimizer);
      if (c.rng) rng.setState(c.rng);
      extra = c.extra;
      table = CategoryStates.fromJSON(extra.table, model, ckpt);
      tableOptimizer.setState(unpackState(extra.tableOptimizer));
      ctx.log(`${ctx.name}: resuming ${ckpt} after epoch ${extra.epoch}`);
    } else {
      model = RNNModel.create(
        {
          cell: f.cell as CellKind,
          input: 'embedding',
          embeddingSize: f.embedding,
          inputSize: alphabet.size,
          hiddenSize: f.hidden,
          outputSize: alphabet.size,
          vocab: alphabet.tokens,
        },
        { seed: f.seed, backend },
      );
      table = CategoryStates.create(model, K, { seed: f.seed });
      extra = {
        epoch: 0,
        table: table.toJSON(),
        tableOptimizer: packState(tableOptimizer.getState()),
        history: [],
        best: null,
        seconds: 0,
      };
    }
    ctx.log(
      `${ctx.name}: ${model.config.cell} ${model.config.hiddenSize}, embedding ${model.config.embeddingSize}, ` +
        `${model.numParams.toLocaleString('en-US')} + ${table.params.length.toLocaleString('en-US')} (language states) parameters, ` +
        `${train.seqs.length} train / ${val.seqs.length} val names, ${alphabet.size} ids, ${backend.name}`,
    );
    ctx.begin();
    const stop = stopOnSignals(ctx);
    const t0 = Date.now() - extra.seconds * 1000;
    const deadline = f.minutes === undefined ? Infinity : Date.now() + f.minutes * 60_000;
    try {
      while (extra.epoch < f.epochs && Date.now() < deadline) {
        await letSignalsIn(); // a signal during the epoch stops the run at its end
        if (stop.signal.aborted) break;
        const e = extra.epoch + 1;
        const progress = ctx.quiet ? null : new ProgressLine({ total: Math.ceil(train.seqs.length / f.batch) });
        const loss = trainConditionalEpoch(model, table, train, {
          optimizer,
          tableOptimizer,
          rng,
          batchSize: f.batch,
          onBatch: (done, _t, l) => {
            if (done % 20 === 0) progress?.update(done, { epoch: `${e}/${f.epochs}`, loss: l.toFixed(3) });
          },
        });
        progress?.done();
        const v = conditionalNll(model, table, val);
        const seconds = (Date.now() - t0) / 1000;
        extra.history.push({ epoch: e, loss, valNats: v.nats, seconds });
        if (!extra.best || v.nats < extra.best.valNats)
          extra.best = { valNats: v.nats, epoch: e, params: b64(model.params), table: table.toJSON() };
        extra.epoch = e;
        extra.seconds = seconds;
        extra.table = table.toJSON();
        extra.tableOptimizer = packState(tableOptimizer.getState());
        saveCheckpoint(ckpt, model, { optimizer: optimizer.getState(), state: null, rng: rng.getState(), extra });
        ctx.log(
          `${ctx.name}: epoch ${e}: train ${loss.toFixed(4)}, val ${v.nats.toFixed(4)} nats/char (${seconds.toFixed(0)} s)`,
        );
      }
    } finally {
      stop.dispose();
    }
    if (extra.best) {
      model.params.set(unb64(extra.best.params));
      table = CategoryStates.fromJSON(extra.best.table, model);
    }
    const v = conditionalNll(model, table, val);
    saveNamesGenerator(
      f.out,
      { model, table, alphabet, languages: [...splits.train.languages] },
      {
        'eddy.valLoss': v.nats.toFixed(4),
        'eddy.names.kept': `epoch ${extra.best?.epoch ?? 0} (lowest val NLL)`,
        'eddy.names.trainSeconds': extra.seconds.toFixed(0),
        'eddy.names.history': JSON.stringify(extra.history),
      },
    );
    if (extra.epoch === f.epochs) rmSync(ckpt, { force: true });
    process.stdout.write(
      `${f.out}: epoch ${extra.best?.epoch ?? 0} kept, val ${v.nats.toFixed(4)} nats/char over ${v.chars} characters, ${extra.seconds.toFixed(0)} s\n`,
    );
  },
});
