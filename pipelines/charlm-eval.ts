/**
 * Prints a char-LM's validation loss on the held-out last 10% of a text (as training measures it).
 *
 *   npm run charlm:eval -- [--model pipelines/models/shakespeare.safetensors] [--corpus ../shared/data/tinyshakespeare.txt]
 */
import { parseArgs } from 'node:util';
import {
  evaluateCharLM,
  loadModel,
  readCorpus,
  createWasmBackend,
  wasmSimdSupported,
  jsBackend,
} from '../src/index.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'pipelines/models/shakespeare.safetensors' },
    corpus: { type: 'string', default: '../shared/data/tinyshakespeare.txt' },
    'val-fraction': { type: 'string', default: '0.1' },
  },
});
const model = loadModel(values.model, {
  backend: wasmSimdSupported() ? createWasmBackend({ capacity: 256 * 2 ** 20 }) : jsBackend,
});
const r = evaluateCharLM(model, await readCorpus(values.corpus), { valFraction: Number(values['val-fraction']) });
process.stdout.write(
  `${values.model} on the last ${Number(values['val-fraction']) * 100}% of ${values.corpus}: ${r.nats.toFixed(4)} nats/char (${r.bits.toFixed(4)} bits/char) over ${r.chars.toLocaleString('en-US')} characters\n`,
);
