/**
 * `eddy generate --weights bf16|int8` streams from the model as `loadModel(path, { weights })` loads it (the
 * weight matrices rounded and packed for streaming steps): the command's text is the library's, character for
 * character, with the same seed; the rounding is announced on stderr; a kind it does not know is refused.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../pipelines/cli/main.ts';
import { shippedModelPath } from '../../pipelines/cli/shippedModels.ts';
import { generateTextAsync } from '../../src/charlm/generateText.ts';
import { loadModel } from '../../src/model/modelFile.ts';
import { backendByName } from '../../src/tensor/backendByName.ts';
import { captureCli } from '../helpers/captureCli.ts';

const cli = captureCli();

describe('eddy generate --weights', () => {
  for (const weights of ['bf16', 'int8'] as const) {
    it(`${weights}: the text of the model loaded with ${weights} weights, same seed`, async () => {
      const args = ['generate', '--weights', weights, '--length', '60', '--seed', '5', '--prime', 'A'];
      expect(await main([...args, '--temperature', '0.8'])).toBe(0);
      expect(cli.err).toMatch(new RegExp(`LSTM 512, \\d+ characters, seed 5, ${weights} weights`));
      const model = loadModel(shippedModelPath('shakespeare') as string, {
        weights,
        backend: backendByName('auto'),
      });
      let want = '';
      for await (const ch of generateTextAsync(model, { prime: 'A', length: 60, seed: 5, temperature: 0.8 }))
        want += ch;
      expect(want.length).toBe(60);
      expect(cli.out).toBe(`A${want}\n`);
    });
  }

  it('refuses a kind it does not know, before any work', async () => {
    expect(await main(['generate', '--weights', 'f16'])).toBe(2);
    expect(cli.err).toMatch(/--weights: expected one of f32, bf16, int8 but received "f16"/);
    expect(cli.out).toBe('');
  });
});
