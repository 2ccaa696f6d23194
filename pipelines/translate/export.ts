/**
 * `eddy translate export`: a translate checkpoint (or best model) as a plain translator file: the weights and
 * vocabularies without the optimizer state, with the metadata `eddy models` lists (task, architecture, validation
 * loss in nats/word, the split it was trained on).
 *
 *   eddy translate export --input runs/att-best.safetensors --out pipelines/models/translate-en-fr.safetensors
 *   eddy translate export --input runs/att-model.safetensors --out runs/att-f16.safetensors --dtype f16   (half the bytes)
 */
import { loadTranslator, saveTranslator } from '../../src/index.ts';
import { defineCommand } from '../cli/command.ts';

export const command = defineCommand({
  name: 'translate export',
  summary: 'a translate checkpoint as a plain translator file (weights, vocabularies, metadata)',
  flags: {
    input: { type: 'input', required: true, description: 'checkpoint or model written by eddy translate train' },
    out: { type: 'output', required: true, description: 'the translator file to write' },
    dtype: {
      type: 'choice',
      choices: ['f32', 'f16'],
      default: 'f32',
      description: 'how the weights are stored: f16 is half the bytes (eddy computes in f32 either way)',
    },
  },
  async run(f, ctx) {
    const { translator, metadata } = loadTranslator(f.input);
    ctx.begin();
    const c = translator.model.config;
    const train = metadata['eddy.train'] ? (JSON.parse(metadata['eddy.train']) as Record<string, unknown>) : {};
    const keep: Record<string, string> = {};
    // a checkpoint's keys, or those of a translator file exported before (exported again, as --dtype f16 say)
    for (const k of ['eddy.valLoss', 'eddy.translate.valLoss', 'eddy.train.epochs', 'eddy.train.steps', 'eddy.split'])
      if (metadata[k] !== undefined) keep[k === 'eddy.valLoss' ? 'eddy.translate.valLoss' : k] = metadata[k];
    if (!train.options && metadata['eddy.run'] !== undefined) keep['eddy.run'] = metadata['eddy.run'];
    saveTranslator(
      f.out,
      translator,
      {
        metadata: {
          ...keep,
          'eddy.task': `English -> French translation, ${c.attention ? 'dot-product attention' : 'no attention'}, E=${c.embedSize}, vocab en ${c.sourceVocab} / fr ${c.targetVocab} words`,
          // the architecture line of `eddy models` (encoder and decoder are each one GRU layer of this size)
          'eddy.config': JSON.stringify({ cell: 'gru', numLayers: 1, hiddenSize: c.hiddenSize }),
          ...(train.options ? { 'eddy.run': JSON.stringify(train.options) } : {}),
        },
      },
      { dtype: f.dtype as 'f32' | 'f16' },
    );
    ctx.log(
      `${f.input} -> ${f.out} (${translator.model.size.toLocaleString('en-US')} parameters, ${f.dtype.toUpperCase()} weights)`,
    );
  },
});
