/**
 * `tbpttWindowsAsync`: the IxJS (pull) mirror of `tbpttWindows`: an async-iterable (or iterable) of steps in,
 * truncated-BPTT windows out. It pulls steps only until the next window is complete (no read-ahead), honours
 * its `AbortSignal` on every pull, and returns the source iterator in `finally` when the consumer stops early.
 *
 * @example
 * const events = trainOnAsync(trainer)(tbpttWindowsAsync({ k1: 32, targets: 'next' })(tokenIds));
 * for await (const e of events) if (e.step >= 1000) break;
 *
 * @param options k1, k2 (default k1), partial, B, targets ('given' | 'next'), start, signal
 * @returns an IxJS operator from steps (or ids, with `targets: 'next'`) to windows
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>`, at the call
 */
import {
  resolveWindowsOptions,
  TbpttWindower,
  type TbpttStep,
  type TbpttWindowsOptions,
} from '../train/tbpttWindows.ts';
import type { FullWindow } from '../train/windows.ts';
import { checkSignal, ixOperator, pull, type AsyncOperator } from './ixCore.ts';
import { checkSource } from './train.ix.ts';

/** Options of `tbpttWindowsAsync`. */
export interface TbpttWindowsAsyncOptions extends TbpttWindowsOptions {
  /** Stops the iteration with `ERR_ABORTED`. @default undefined */
  signal?: AbortSignal;
}

export function tbpttWindowsAsync(
  options: TbpttWindowsAsyncOptions & { targets: 'next' },
): AsyncOperator<number | Int32Array, FullWindow>;
export function tbpttWindowsAsync(options: TbpttWindowsAsyncOptions): AsyncOperator<TbpttStep, FullWindow>;
export function tbpttWindowsAsync(
  options: TbpttWindowsAsyncOptions,
): AsyncOperator<TbpttStep | number | Int32Array, FullWindow> {
  const resolved = resolveWindowsOptions(options);
  const signal = checkSignal('options.signal', options.signal);
  const op = ixOperator<TbpttStep | number | Int32Array, FullWindow>(async function* tbpttWindowsCore(source, s) {
    const windower = new TbpttWindower(resolved);
    for await (const step of pull(source, s)) {
      const w = windower.push(step);
      if (w !== null) yield w;
    }
    const last = windower.flush();
    if (last !== null) yield last;
  }, signal);
  return (source) => op(checkSource(source));
}
