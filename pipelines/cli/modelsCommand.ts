/** `eddy models`: the shipped models, with their size, what they are and their validation loss. */
import { defineCommand } from './command.ts';
import { shippedModelsTable } from './shippedModels.ts';

export const command = defineCommand({
  name: 'models',
  summary: 'list the shipped models (name, size, validation loss, what they are)',
  flags: {},
  async run() {
    process.stdout.write(shippedModelsTable());
  },
});
