/**
 * Exports the weights of a training checkpoint as a plain model file (no optimizer buffers, no carried state),
 * keeping the configuration and vocabulary, and noting where it came from in the metadata.
 *
 *   npm run export-model -- --checkpoint runs/tiny.safetensors --out pipelines/models/shakespeare.safetensors [--plots]
 */
import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { loadCheckpoint, saveModel, writeCharLMPlots, EddyError, type CharLMPoint } from '../src/index.ts';

const { values } = parseArgs({
  options: { checkpoint: { type: 'string' }, out: { type: 'string' }, plots: { type: 'boolean', default: false } },
});
if (!values.checkpoint || !values.out)
  throw new EddyError('ERR_INVALID_ARG', 'Expected --checkpoint PATH and --out PATH');
const ck = loadCheckpoint<{
  step?: number;
  epoch?: number;
  history?: { valLoss?: number; elapsedMs: number }[];
  run?: unknown;
}>(values.checkpoint);
const history = ck.extra?.history ?? [];
const vals = history.filter((p) => p.valLoss !== undefined);
const last = vals[vals.length - 1];
const meta: Record<string, string> = {
  'eddy.source': basename(values.checkpoint),
  'eddy.steps': String(ck.extra?.step ?? ''),
};
if (last) meta['eddy.valLoss'] = String(last.valLoss);
if (history.length) meta['eddy.trainingMinutes'] = (history[history.length - 1].elapsedMs / 60_000).toFixed(1);
if (ck.extra?.run) meta['eddy.run'] = JSON.stringify(ck.extra.run);
saveModel(values.out, ck.model, meta);
if (values.plots && history.length > 0) {
  // the training history as pictures next to the exported model
  for (const p of await writeCharLMPlots(
    values.out,
    history as CharLMPoint[],
    String((ck.extra?.run as { corpus?: string } | undefined)?.corpus ?? 'tinyshakespeare.txt'),
  ))
    process.stderr.write(`plot: ${p}\n`);
}
process.stderr.write(
  `wrote ${values.out}: ${ck.model.numParams.toLocaleString('en-US')} parameters, step ${meta['eddy.steps']}, validation ${last ? last.valLoss!.toFixed(4) : '?'} nats/char\n`,
);
