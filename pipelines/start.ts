/**
 * eddy's main job: stream Shakespeare-like text from the character-level LSTM shipped in
 * pipelines/models/shakespeare.safetensors (trained by pipelines/train-charlm.ts on tinyshakespeare).
 * Arguments are those of generate.ts: `npm start -- --prime "JULIET:" --temperature 0.6 --seed 7`.
 */
import { main } from './generate.ts';

main(process.argv.slice(2), { prime: '\n', length: 2000 }).catch((err: unknown) => {
  process.stderr.write(`eddy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
