/**
 * Error types with stable codes. Every public validation failure and every runtime failure inside a stream
 * is an `EddyError`, so callers can branch on `err.code` instead of parsing messages.
 */

/** Stable error codes used across eddy. */
export type EddyErrorCode =
  | 'ERR_INVALID_ARG' // an option or argument has the wrong type or value
  | 'ERR_SHAPE' // a tensor has the wrong length or shape
  | 'ERR_NON_FINITE' // a NaN or Inf appeared in a loss, gradient or output
  | 'ERR_FILE' // a file is missing, truncated, corrupt or does not match
  | 'ERR_SOURCE' // a data source failed (network, ffmpeg, decode)
  | 'ERR_BACKPRESSURE' // a bounded buffer overflowed under the 'error' policy
  | 'ERR_ABORTED'; // work was cancelled through an AbortSignal

/** An error with a stable `code`. */
export class EddyError extends Error {
  readonly code: EddyErrorCode;
  constructor(code: EddyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EddyError';
    this.code = code;
  }
}

/** Describes a received value for an error message: `0 of type number`, `"abc" of type string`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} of type string`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${String(value)} of type ${typeof value}`;
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/** Describes what a received tensor-like value is, without its contents: `Int32Array of length 3`, `number`. */
export function describeKind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  return typeof value;
}

/**
 * The one factory for argument errors, in sharp's wording:
 * `Expected integer >= 1 for options.hiddenSize but received 0 of type number`.
 */
export function invalidArg(path: string, expected: string, received: unknown): EddyError {
  return new EddyError('ERR_INVALID_ARG', `Expected ${expected} for ${path} but received ${describe(received)}`);
}

/**
 * The error of a disposed model (or trainer) asked to compute: `RNNModel.step: the model was disposed (dispose()
 * gave its memory back to the backend); load or create it again`.
 */
export function disposedError(what: string, thing: string, again: string): EddyError {
  return new EddyError(
    'ERR_INVALID_ARG',
    `${what}: the ${thing} was disposed (dispose() gave its memory back to the backend); ${again}`,
  );
}

/** A tensor of the wrong size: `Expected x of length 120 ([T=4, B=3, X=10]) but received length 119`. */
export function shapeError(name: string, expected: string, received: string): EddyError {
  return new EddyError('ERR_SHAPE', `Expected ${name} ${expected} but received ${received}`);
}
