/**
 * `eddy export`: the weights of a training checkpoint as a plain model file (no optimizer buffers, no carried
 * state), keeping the configuration and vocabulary and noting where it came from in the metadata.
 *
 *   eddy export --input runs/tiny.safetensors --out runs/tiny-model.safetensors --plots
 */
import { basename } from 'node:path';
import { loadCheckpoint, saveModel, writeCharLMPlots, type CharLMPoint } from '../../src/index.ts';
import { defineCommand } from '../cli/command.ts';

interface RunRecord {
  step?: number;
  epoch?: number;
  corpus?: string;
  history?: CharLMPoint[];
  run?: { corpus?: string };
}

export const command = defineCommand({
  name: 'export',
  summary: 'write the weights of a training checkpoint as a plain model file',
  flags: {
    input: { type: 'input', required: true, description: 'training checkpoint (from eddy train)' },
    out: { type: 'output', required: true, description: 'the model file to write' },
    plots: { type: 'boolean', description: 'also write the loss plots of the run next to --out' },
  },
  async run(f, ctx) {
    const ck = loadCheckpoint<RunRecord>(f.input);
    ctx.begin();
    const history = ck.extra?.history ?? [];
    const vals = history.filter((p) => p.valLoss !== undefined);
    const last = vals[vals.length - 1];
    const corpus = ck.extra?.corpus ?? ck.extra?.run?.corpus;
    const meta: Record<string, string> = {
      'eddy.source': basename(f.input),
      'eddy.steps': String(ck.extra?.step ?? ''),
    };
    if (last) meta['eddy.valLoss'] = String(last.valLoss);
    if (corpus) meta['eddy.corpus'] = basename(corpus);
    if (history.length) meta['eddy.trainingMinutes'] = (history[history.length - 1].elapsedMs / 60_000).toFixed(1);
    if (ck.extra?.run) meta['eddy.run'] = JSON.stringify(ck.extra.run);
    saveModel(f.out, ck.model, meta);
    if (f.plots && history.length > 0) {
      for (const p of await writeCharLMPlots(f.out, history, corpus ?? 'unknown corpus')) ctx.log(`plot: ${p}`);
    }
    ctx.log(
      `wrote ${f.out}: ${ck.model.numParams.toLocaleString('en-US')} parameters, step ${meta['eddy.steps']}, validation ${last?.valLoss?.toFixed(4) ?? '?'} nats/char`,
    );
  },
});
