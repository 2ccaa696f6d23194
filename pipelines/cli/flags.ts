/**
 * The one flag parser of the `eddy` CLI, over Node's `util.parseArgs`: every command declares its flags as a
 * table (type, default, one line of meaning), and this file turns the table into the parser, the checks and the
 * `--help` text, so that every command shares one vocabulary and one error shape.
 *
 * 1. Unknown flags, a missing value and a value that does not parse fail with `UsageError`: one line naming the
 *    flag, what was expected and what was received (the CLI prints it and exits with code 2, before any work).
 * 2. Input files are checked here too (they exist and are regular files, or directories where the flag says so),
 *    so a wrong path fails before a model is loaded or a clip decoded.
 * 3. Values come back typed: a number flag gives a number, a flag with a default is never undefined.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** A bad flag, value or file on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface FlagBase {
  /** One line of meaning for `--help`. */
  description: string;
  /** What the value looks like in `--help` (`N`, `PATH`, ...). */
  placeholder?: string;
  /** Left out of `--help` (kept for old scripts). */
  hidden?: boolean;
  /** The flag must be given (no default). */
  required?: true;
}

/** Free text. */
export interface StringFlag extends FlagBase {
  type: 'string';
  default?: string;
  multiple?: boolean;
}

/** A number; `integer` for counts. */
export interface NumberFlag extends FlagBase {
  type: 'number' | 'integer';
  default?: number;
  min?: number;
  max?: number;
  /** The minimum itself is not allowed (`> min`). */
  exclusiveMin?: boolean;
}

/** On when given, off otherwise. */
export interface BooleanFlag extends FlagBase {
  type: 'boolean';
}

/** One of a list of words. */
export interface ChoiceFlag extends FlagBase {
  type: 'choice';
  choices: readonly string[];
  default?: string;
}

/** A file (or directory) that is read: it must exist. `url: true` also takes http(s) URLs. */
export interface InputFlag extends FlagBase {
  type: 'input';
  default?: string;
  multiple?: boolean;
  url?: boolean;
  directory?: boolean;
  /** Not checked for existence (a device or a stream name ffmpeg reads, say). */
  unchecked?: boolean;
}

/**
 * A file that is written, or with `directory: true` a directory that files are written into: created when missing,
 * an existing one used as it is (its other files left alone); an existing file is refused.
 */
export interface OutputFlag extends FlagBase {
  type: 'output';
  default?: string;
  directory?: boolean;
}

/** Anything else: `parse` turns the text into a value or throws a message of what was expected. */
export interface CustomFlag<T> extends FlagBase {
  type: 'custom';
  parse(raw: string): T;
  /** What a value looks like, for the error: `WxH (e.g. 90x72)`. */
  expected: string;
  default?: string;
}

export type FlagSpec =
  | StringFlag
  | NumberFlag
  | BooleanFlag
  | ChoiceFlag
  | InputFlag
  | OutputFlag
  // biome-ignore lint/suspicious/noExplicitAny: a table of custom flags holds parsers of many result types
  | CustomFlag<any>;

export type FlagTable = Record<string, FlagSpec>;

type Base<F> = F extends BooleanFlag
  ? boolean
  : F extends NumberFlag
    ? number
    : F extends ChoiceFlag
      ? F['choices'][number]
      : F extends CustomFlag<infer T>
        ? T
        : string;

/** The parsed value of one flag: typed, never undefined when the flag has a default (or is boolean). */
export type FlagValue<F> = F extends { multiple: true }
  ? Base<F>[]
  : F extends BooleanFlag
    ? boolean
    : F extends { default: unknown }
      ? Base<F>
      : F extends { required: true }
        ? Base<F>
        : Base<F> | undefined;

/** The parsed values of a table, keyed by the flags' names in camelCase (`--top-k` -> `topK`). */
export type FlagValues<T extends FlagTable> = { [K in keyof T as CamelCase<K & string>]: FlagValue<T[K]> };

type CamelCase<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<CamelCase<B>>}` : S;

/** `top-k` -> `topK`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** What a value received on the command line looks like in an error. */
function received(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);
}

function fail(flag: string, expected: string, raw: string): never {
  throw new UsageError(`--${flag}: expected ${expected} but received ${received(raw)}`);
}

/** Checks and converts one raw value. */
function convert(flag: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.type) {
    case 'string':
      return raw;
    case 'number':
    case 'integer': {
      const n = Number(raw);
      const kind = spec.type === 'integer' ? 'an integer' : 'a number';
      const range = rangeText(spec);
      if (raw.trim() === '' || !Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n)))
        fail(flag, `${kind}${range}`, raw);
      if (spec.min !== undefined && (n < spec.min || (spec.exclusiveMin === true && n === spec.min)))
        fail(flag, `${kind}${range}`, raw);
      if (spec.max !== undefined && n > spec.max) fail(flag, `${kind}${range}`, raw);
      return n;
    }
    case 'choice':
      if (!spec.choices.includes(raw)) fail(flag, `one of ${spec.choices.join(', ')}`, raw);
      return raw;
    case 'input':
      return checkInput(flag, spec, raw);
    case 'output':
      if (spec.directory === true) {
        if (raw.trim() === '') fail(flag, 'a directory', raw);
        if (existsSync(raw) && !isDirectory(raw)) fail(flag, 'a directory (this is a file)', raw);
        return raw;
      }
      if (raw.trim() === '') fail(flag, 'a file path', raw);
      if (isDirectory(raw)) fail(flag, 'a file path (this is a directory)', raw);
      return raw;
    case 'custom':
      try {
        return spec.parse(raw);
      } catch {
        return fail(flag, spec.expected, raw);
      }
    case 'boolean':
      return raw;
  }
}

function rangeText(spec: NumberFlag): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` in [${spec.min}, ${spec.max}]`;
  if (spec.min !== undefined) return spec.exclusiveMin ? ` > ${spec.min}` : ` >= ${spec.min}`;
  if (spec.max !== undefined) return ` <= ${spec.max}`;
  return '';
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** An input path must exist and be a regular file (or a directory when the flag says so). */
function checkInput(flag: string, spec: InputFlag, raw: string): string {
  if (spec.url === true && /^https?:\/\//i.test(raw)) return raw;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !spec.unchecked) {
    fail(flag, spec.url === true ? 'a file path or an http(s) URL' : 'a file path', raw);
  }
  if (spec.unchecked === true) return raw;
  const what = spec.directory === true ? 'an existing directory' : 'an existing file';
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(raw);
  } catch {
    return fail(flag, `${what} (${resolve(raw)} does not exist)`, raw);
  }
  if (spec.directory === true ? !st.isDirectory() : !st.isFile()) fail(flag, what, raw);
  return raw;
}

/** Parsed flags and positional arguments. */
export interface ParsedArgs<T extends FlagTable> {
  values: FlagValues<T>;
  positionals: string[];
  /** The flags given on the command line (camelCase), as opposed to defaults. */
  given: ReadonlySet<string>;
}

/**
 * Parses `argv` against a flag table: unknown flags, bad values and missing inputs throw `UsageError`.
 *
 * @param positionals how many positional arguments are allowed (`Infinity` for any); 0 by default
 */
export function parseFlags<T extends FlagTable>(table: T, argv: readonly string[], positionals = 0): ParsedArgs<T> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...('multiple' in spec && spec.multiple === true ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals > 0 });
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(
      positionals === 0
        ? `unexpected argument ${received(parsed.positionals[0])} (flags start with --)`
        : `expected at most ${positionals} argument(s) but received ${parsed.positionals.length}`,
    );
  }
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(table)) {
    const key = camelCase(name);
    const raw = (parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>)[name];
    if (raw !== undefined) given.add(key);
    if (spec.type === 'boolean') {
      values[key] = raw === true;
    } else if ('multiple' in spec && spec.multiple === true) {
      const list = (raw as string[] | undefined) ?? (spec.default !== undefined ? [String(spec.default)] : []);
      values[key] = list.map((r) => convert(name, spec, r));
    } else if (raw !== undefined) {
      values[key] = convert(name, spec, raw as string);
    } else if (spec.default !== undefined) {
      values[key] = spec.type === 'custom' ? spec.parse(spec.default) : spec.default;
    } else if (spec.required === true) {
      throw new UsageError(`--${name}: expected ${expectedOf(spec)} but received none (see --help)`);
    } else {
      values[key] = undefined;
    }
  }
  return { values: values as FlagValues<T>, positionals: parsed.positionals, given };
}

/** What a flag's value should be, in words. */
function expectedOf(spec: FlagSpec): string {
  switch (spec.type) {
    case 'input':
      return `${spec.directory === true ? 'a directory' : spec.url === true ? 'a file path or an http(s) URL' : 'a file path'} (${spec.description})`;
    case 'output':
      return `${spec.directory === true ? 'a directory' : 'a file path'} (${spec.description})`;
    case 'custom':
      return spec.expected;
    case 'choice':
      return `one of ${spec.choices.join(', ')}`;
    case 'integer':
    case 'number':
      return `${spec.type === 'integer' ? 'an integer' : 'a number'}${rangeText(spec)}`;
    default:
      return `a value (${spec.description})`;
  }
}

/** parseArgs' errors, as one line in the CLI's words. */
function usageMessage(err: Error & { code?: string }): string {
  const m = err.message;
  const flag = /'(-[-\w]+)/.exec(m)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag ?? m} (see --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(m)) return `${flag ?? 'a flag'}: expected a value but received none`;
      if (/ambiguous/.test(m))
        return `${flag}: expected a value but received another flag (write ${flag}=-1 for a value that starts with -)`;
      if (/does not take an argument/.test(m)) return `${flag}: expected no value (it is a switch) but received one`;
      return m.split('\n')[0];
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${received(/'([^']*)'/.exec(m)?.[1] ?? '')} (flags start with --)`;
    default:
      return m.split('\n')[0];
  }
}

/** The `--help` lines of a flag table: flag, placeholder, meaning and default. */
export function flagHelp(table: FlagTable): string[] {
  const rows: [string, string][] = [];
  for (const [name, spec] of Object.entries(table)) {
    if (spec.hidden === true) continue;
    const ph = spec.type === 'boolean' ? '' : ` ${spec.placeholder ?? placeholderOf(spec)}`;
    let meaning = spec.description;
    if (spec.type === 'choice' && spec.placeholder === undefined && spec.choices.length > 4)
      meaning += ` (${spec.choices.join(' | ')})`;
    if ('multiple' in spec && spec.multiple === true) meaning += ' (repeatable)';
    if ('default' in spec && spec.default !== undefined && spec.default !== '')
      meaning += ` [default: ${JSON.stringify(spec.default).replace(/^"(.*)"$/, '$1')}]`;
    rows.push([`--${name}${ph}`, meaning]);
  }
  const width = Math.min(30, Math.max(...rows.map((r) => r[0].length)) + 2);
  return rows.map(([f, m]) =>
    f.length + 2 > width ? `  ${f}\n  ${' '.repeat(width)}${m}` : `  ${f.padEnd(width)}${m}`,
  );
}

function placeholderOf(spec: FlagSpec): string {
  switch (spec.type) {
    case 'integer':
      return 'N';
    case 'number':
      return 'X';
    case 'input':
      return spec.directory === true ? 'DIR' : spec.url === true ? 'PATH|URL' : 'PATH';
    case 'output':
      return spec.directory === true ? 'DIR' : 'PATH';
    case 'choice':
      return spec.choices.length <= 4 ? spec.choices.join('|') : 'NAME';
    default:
      return 'VALUE';
  }
}
