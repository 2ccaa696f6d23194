/**
 * What an `eddy` command is: a name, one line of summary, a flag table and a `run` over the parsed values. The
 * shared flags (`--backend`, `--seed`, `--model`, `--quiet`) are declared once here so that every command spells
 * and checks them the same way.
 *
 * Exit codes: 0 done; 1 a failure while working (an `EddyError` printed as one line); 2 a bad flag, value or
 * file, found before any work (`UsageError`, or an `EddyError` `ERR_INVALID_ARG` / `ERR_FILE` raised while the
 * command loads its inputs, before it calls `ctx.begin()`).
 */
import { BACKEND_NAMES, EddyError } from '../../src/index.ts';
import { type FlagTable, type FlagValues, UsageError, flagHelp, parseFlags } from './flags.ts';

/** What a command's `run` gets besides its flags. */
export interface CommandContext {
  /** `eddy <name>`, for messages. */
  readonly name: string;
  /** `--quiet`: no progress on stderr. */
  readonly quiet: boolean;
  /** Positional arguments (only for commands that declare them). */
  readonly positionals: readonly string[];
  /** The flags given on the command line (camelCase names), as opposed to their defaults. */
  readonly given: ReadonlySet<string>;
  /**
   * Marks the end of checking inputs: from here on an `EddyError` is a failure of the work (exit 1), not a bad
   * argument (exit 2). Commands call it after loading models and files, before the long part.
   */
  begin(): void;
  /** A line on stderr unless `--quiet`. */
  log(line: string): void;
}

/** One `eddy` command. */
export interface Command<T extends FlagTable = FlagTable> {
  /** `generate`, or `names train` for a command of a group. */
  name: string;
  /** One line for `eddy --help`. */
  summary: string;
  /** More lines for `eddy <name> --help`: what it does, an example. */
  details?: string;
  flags: T;
  /** Positional arguments: their `--help` text, and how many at most. */
  positionals?: { usage: string; max: number };
  /**
   * Messages of the library name its options (`options.hiddenSize`); this maps such paths to the flag the user
   * typed (`--hidden`), so that an error reads in the words of the command line.
   */
  optionFlags?: Record<string, string>;
  run(values: FlagValues<T>, ctx: CommandContext): Promise<void>;
}

/** Declares a command with its flag types inferred from the table. */
export function defineCommand<const T extends FlagTable>(command: Command<T>): Command<T> {
  return command;
}

/** `--backend`: the kernels. */
export const backendFlag = {
  type: 'choice',
  choices: BACKEND_NAMES,
  default: 'auto',
  description: 'kernels: auto picks native where the addon is built, else wasm, else js',
} as const;

/** `--seed`. */
export const seedFlag = {
  type: 'integer',
  min: 0,
  max: 0xffffffff,
  default: 1,
  description: 'seed of every random choice',
} as const;

/** `--quiet`, added to every command. */
const quietFlag = { type: 'boolean', description: 'no progress or notes on stderr' } as const;
const helpFlag = { type: 'boolean', description: 'show this help' } as const;

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const usage = `Usage: eddy ${command.name} [flags]${command.positionals ? ` ${command.positionals.usage}` : ''}`;
  const lines = [`eddy ${command.name}: ${command.summary}`, '', usage];
  if (command.details) lines.push('', command.details.trim());
  lines.push('', 'Flags:', ...flagHelp({ ...command.flags, quiet: quietFlag, help: helpFlag }));
  return `${lines.join('\n')}\n`;
}

/** Replaces `options.x` paths in a library message with the command's flags. */
export function inFlagWords(message: string, optionFlags: Record<string, string> | undefined): string {
  if (!optionFlags) return message;
  let m = message;
  // longest first, so that options.maxSteps is not half-replaced by options.max
  for (const path of Object.keys(optionFlags).sort((a, b) => b.length - a.length)) {
    m = m.split(path).join(optionFlags[path]);
  }
  return m;
}

/**
 * Parses the flags and runs a command; returns the exit code. Errors are printed as one line on stderr
 * (`eddy <name>: ...`); a stack trace only with `EDDY_DEBUG=1` or for an error that is not eddy's own.
 */
export async function runCommand(command: Command, argv: readonly string[]): Promise<number> {
  const prefix = `eddy ${command.name}`;
  const table = { ...command.flags, quiet: quietFlag, help: helpFlag };
  let begun = false;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    const { values, positionals, given } = parseFlags(table, argv, command.positionals?.max ?? 0);
    const v = values as Record<string, unknown>;
    const quiet = v.quiet === true;
    const ctx: CommandContext = {
      name: prefix,
      quiet,
      positionals,
      given,
      begin: () => {
        begun = true;
      },
      log: (line) => {
        if (!quiet) process.stderr.write(`${line}\n`);
      },
    };
    await command.run(values as FlagValues<FlagTable>, ctx);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${prefix}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof EddyError) {
      process.stderr.write(`${prefix}: ${inFlagWords(err.message, command.optionFlags)}\n`);
      if (process.env.EDDY_DEBUG === '1') process.stderr.write(`${err.stack}\n`);
      return !begun && (err.code === 'ERR_INVALID_ARG' || err.code === 'ERR_FILE') ? 2 : 1;
    }
    process.stderr.write(`${prefix}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

/** Throws a `UsageError` for a combination of flags that does not go together. */
export function usage(message: string): never {
  throw new UsageError(message);
}
