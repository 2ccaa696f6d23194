/** Asserts that `fn` throws an `EddyError` with `code` whose message contains (or matches) every part. */
import { expect } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';

export function expectError(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): EddyError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error').toBeInstanceOf(EddyError);
  const e = caught as EddyError;
  expect(e.code).toBe(code);
  for (const p of parts) expect(e.message).toMatch(p);
  return e;
}
