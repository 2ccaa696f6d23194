/**
 * `eddy export`: the weights of a training checkpoint as a plain model file (no optimizer buffers, no carried
 * state), keeping the configuration and vocabulary and noting where it came from in the metadata.
 *
 *   eddy export --input runs/tiny.safetensors --out runs/tiny-model.safetensors --plots
 *   eddy export --input runs/wp.best.safetensors --out runs/wp-f16.safetensors --dtype f16   (half the bytes)
 *   eddy export --input runs/wp.best.safetensors --out runs/wp-i8.safetensors --dtype i8     (int8 weight matrices)
 *
 * The input may also be a plain model file (from --best, say): its own metadata is kept, with the fields of the
 * run when it has them.
 */
import { basename } from 'node:path';
import {
  loadCheckpoint,
  loadModel,
  readSafetensors,
  saveModel,
  writeCharLMPlots,
  type CharLMPoint,
} from '../../src/index.ts';
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
    input: { type: 'input', required: true, description: 'training checkpoint (from eddy train) or model file' },
    out: { type: 'output', required: true, description: 'the model file to write' },
    plots: { type: 'boolean', description: 'also write the loss plots of the run next to --out' },
    dtype: {
      type: 'choice',
      choices: ['f32', 'f16', 'i8'],
      default: 'f32',
      description:
        'how the weights are stored: f16 is half the bytes, i8 a quarter of the weight bytes (int8, a scale per row; biases f32); eddy computes in f32 either way',
    },
  },
  optionFlags: { 'options.dtype': '--dtype' },
  async run(f, ctx) {
    const dtype = f.dtype as 'f32' | 'f16' | 'i8';
    const { metadata } = readSafetensors(f.input);
    if (metadata['eddy.checkpoint'] !== '1') {
      // a plain model file (a --best model, say): its own metadata, stored as --dtype
      const model = loadModel(f.input);
      ctx.begin();
      const { 'eddy.format': _f, 'eddy.config': _c, 'eddy.vocab': _v, ...own } = metadata;
      saveModel(f.out, model, own, { dtype });
      ctx.log(`wrote ${f.out}: ${model.numParams.toLocaleString('en-US')} parameters (${f.dtype.toUpperCase()})`);
      return;
    }
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
    saveModel(f.out, ck.model, meta, { dtype });
    if (f.plots && history.length > 0) {
      for (const p of await writeCharLMPlots(f.out, history, corpus ?? 'unknown corpus')) ctx.log(`plot: ${p}`);
    }
    ctx.log(
      `wrote ${f.out}: ${ck.model.numParams.toLocaleString('en-US')} parameters (${f.dtype.toUpperCase()}), step ${meta['eddy.steps']}, validation ${last?.valLoss?.toFixed(4) ?? '?'} nats/char`,
    );
  },
});
