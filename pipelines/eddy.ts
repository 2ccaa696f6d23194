#!/usr/bin/env node
/**
 * `eddy <command> [flags]`: the one command line of eddy, the package's `bin` (`npm run` scripts are aliases of
 * its commands). The commands and the dispatcher are in `cli/main.ts`.
 */
import { main } from './cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`eddy: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
