/**
 * The flags of the Redis commands, as tables in the shape of the `eddy` CLI's flag tables (type, default, one line
 * of meaning), and a stand-in parser until the commands are registered in that CLI: unknown flags and bad values
 * fail with one line and exit code 2 before any work.
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';

export type FlagSpec =
  | { type: 'string'; default?: string; description: string; required?: true }
  | { type: 'integer' | 'number'; default?: number; min?: number; max?: number; description: string }
  | { type: 'choice'; choices: readonly string[]; default?: string; description: string }
  | { type: 'input'; default?: string; description: string; required?: true }
  | { type: 'boolean'; description: string };

export type FlagTable = Record<string, FlagSpec>;

/** A bad flag: one line, exit code 2. */
export class FlagError extends Error {}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `--help` lines for a table. */
export function flagLines(table: FlagTable): string[] {
  return Object.entries(table).map(([name, f]) => {
    const def = 'default' in f && f.default !== undefined ? ` (default ${f.default})` : '';
    return `  --${kebab(name)}`.padEnd(22) + f.description + def;
  });
}

/** Parses `argv` against the table; values typed, defaults filled in. @throws FlagError */
export function parseFlagTable(
  table: FlagTable,
  argv: readonly string[],
): Record<string, string | number | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, f] of Object.entries(table))
    options[kebab(name)] = { type: f.type === 'boolean' ? 'boolean' : 'string' };
  let raw: Record<string, string | boolean | undefined>;
  try {
    raw = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as typeof raw;
  } catch (err) {
    throw new FlagError((err as Error).message.split('\n')[0]);
  }
  const out: Record<string, string | number | boolean | undefined> = { help: raw.help === true };
  if (out.help) return out;
  for (const [name, f] of Object.entries(table)) {
    const flag = `--${kebab(name)}`;
    const v = raw[kebab(name)];
    if (f.type === 'boolean') {
      out[name] = v === true;
      continue;
    }
    if (v === undefined) {
      if ('required' in f && f.required) throw new FlagError(`${flag} is required`);
      out[name] = f.default;
      continue;
    }
    const s = String(v);
    if (f.type === 'integer' || f.type === 'number') {
      const n = Number(s);
      const ok = s.trim() !== '' && Number.isFinite(n) && (f.type === 'number' || Number.isInteger(n));
      if (!ok || (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max))
        throw new FlagError(
          `Expected ${f.type === 'integer' ? 'an integer' : 'a number'}${f.min !== undefined ? ` >= ${f.min}` : ''}${f.max !== undefined ? ` <= ${f.max}` : ''} for ${flag} but received ${JSON.stringify(s)}`,
        );
      out[name] = n;
    } else if (f.type === 'choice') {
      if (!f.choices.includes(s))
        throw new FlagError(`Expected one of ${f.choices.join(', ')} for ${flag} but received ${JSON.stringify(s)}`);
      out[name] = s;
    } else if (f.type === 'input') {
      if (!existsSync(s) || !statSync(s).isFile())
        throw new FlagError(`Expected an existing file for ${flag} but received ${JSON.stringify(s)}`);
      out[name] = s;
    } else out[name] = s;
  }
  return out;
}
