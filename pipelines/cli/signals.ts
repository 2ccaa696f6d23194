/**
 * Stopping a long command cleanly: the first SIGINT or SIGTERM aborts `signal`, and the command stops between two
 * updates after writing its checkpoint. `npm run` and `timeout` deliver the signal twice (to the group and to the
 * child), so a second one is only noted: the checkpoint write goes on. A third forces the exit (code 130); the
 * checkpoint on disk is then the previous one, written atomically.
 *
 * A signal handler runs on the event loop, so a training loop must let it in: `await letSignalsIn()` between two
 * updates (or epochs). A loop that never awaits sees `signal.aborted` only after it has finished by itself.
 */
import type { CommandContext } from './command.ts';

export interface SignalStop {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Removes the handlers (call at the end of the command). */
  dispose(): void;
}

/** Lets the event loop run what is queued (a signal handler among it) before the next update: one macrotask turn. */
export function letSignalsIn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Installs the handlers for one command run. */
export function stopOnSignals(ctx: CommandContext): SignalStop {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      ctx.log(`${ctx.name}: ${name}: stopping after this update, once the checkpoint is written`);
      controller.abort(new Error(name));
    } else if (count === 2) {
      ctx.log(`${ctx.name}: ${name} again: still writing the checkpoint (a third signal exits at once)`);
    } else {
      process.stderr.write(`${ctx.name}: ${name}: exiting now; the checkpoint on disk is the previous one\n`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
