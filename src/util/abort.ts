/**
 * Cancellation through `AbortSignal`, shared by every source and operator: one error for a fired signal, one
 * check, one way to combine the signal of the options with the one IxJS or an unsubscription passes in.
 */
import { EddyError } from './errors.ts';

/** The `ERR_ABORTED` error for a fired signal, keeping its reason as the cause. */
export function abortedError(signal: AbortSignal): EddyError {
  return new EddyError('ERR_ABORTED', 'Aborted through its AbortSignal', { cause: signal.reason });
}

/** Throws `ERR_ABORTED` when the signal has fired. Called by every core on every pull. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

/** Combines two optional signals into one (or none). */
export function combineSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  return AbortSignal.any([a, b]);
}

/** Settles with `p`, or rejects with `ERR_ABORTED` as soon as the signal fires. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
