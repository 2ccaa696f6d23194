/**
 * Tiny validation predicates that throw `invalidArg` with the dotted option path.
 * Used at every public boundary; kernels trust their callers.
 */
import { invalidArg, shapeError, describeKind } from './errors.ts';

/** Asserts an integer in [min, max]. */
export function checkInt(path: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? (min === -Infinity ? '' : ` >= ${min}`) : ` in [${min}, ${max}]`;
    throw invalidArg(path, `integer${range}`, value);
  }
  return value;
}

/** Asserts a finite number in [min, max] (or an open bound when `open` is set). */
export function checkNumber(
  path: string,
  value: unknown,
  min = -Infinity,
  max = Infinity,
  open: { min?: boolean; max?: boolean } = {},
): number {
  const lowOk = typeof value === 'number' && (open.min ? value > min : value >= min);
  const highOk = typeof value === 'number' && (open.max ? value < max : value <= max);
  if (typeof value !== 'number' || !Number.isFinite(value) || !lowOk || !highOk) {
    let range = '';
    if (min !== -Infinity && max !== Infinity)
      range = ` in ${open.min ? '(' : '['}${min}, ${max}${open.max ? ')' : ']'}`;
    else if (min !== -Infinity) range = ` ${open.min ? '>' : '>='} ${min}`;
    else if (max !== Infinity) range = ` ${open.max ? '<' : '<='} ${max}`;
    throw invalidArg(path, `finite number${range}`, value);
  }
  return value;
}

/** Asserts one of a fixed set of strings. */
export function checkOneOf<T extends string>(path: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw invalidArg(path, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, value);
  }
  return value as T;
}

/** Asserts a boolean. */
export function checkBool(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidArg(path, 'boolean', value);
  return value;
}

/** Asserts a plain object (an options bag); `undefined` becomes `{}`. */
export function checkObject<T extends object>(path: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidArg(path, 'an options object', value);
  return value;
}

/**
 * Asserts a Float32Array of an exact length; `shape` documents the expected shape in the message,
 * e.g. `checkF32('x', x, T * B * X, '[T=4, B=2, X=8]')`.
 */
export function checkF32(name: string, value: unknown, length: number, shape: string): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw shapeError(name, `Float32Array of length ${length} (${shape})`, describeKind(value));
  }
  if (value.length !== length) {
    throw shapeError(name, `of length ${length} (${shape})`, `length ${value.length}`);
  }
  return value;
}
