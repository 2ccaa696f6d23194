/**
 * Guarded allocation of large float buffers: a size past the limit, or one the runtime cannot allocate, becomes an
 * `ERR_INVALID_ARG` naming what was being allocated and its size, instead of a `RangeError`.
 */
import { EddyError } from './errors.ts';

/** The most floats in one buffer (a workspace, a state): 2^32, 16 GiB of float32. */
export const MAX_BUFFER_FLOATS = 2 ** 32;

/**
 * `make(n)`, or an EddyError when n floats are more than {@link MAX_BUFFER_FLOATS} or cannot be allocated.
 * @param what what the buffer is for, for the message (`a workspace for T=64, B=32`)
 * @throws EddyError ERR_INVALID_ARG naming `what` and the bytes it would take
 */
export function allocFloats(what: string, n: number, make: (n: number) => Float32Array): Float32Array {
  const bytes = n * 4;
  if (!(n <= MAX_BUFFER_FLOATS))
    throw new EddyError(
      'ERR_INVALID_ARG',
      `${what} would take ${n} floats (${bytes} bytes), more than the limit of ${MAX_BUFFER_FLOATS} floats (16 GiB) in one buffer`,
    );
  try {
    return make(n);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new EddyError(
      'ERR_INVALID_ARG',
      `${what} would take ${n} floats (${bytes} bytes), which could not be allocated (${err.message})`,
      { cause: err },
    );
  }
}
