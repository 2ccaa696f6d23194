/**
 * `tbpttWindowsAsync`: the IxJS (pull) mirror of `tbpttWindows`: an async-iterable of steps in, truncated-BPTT
 * windows out. It pulls steps only until the next window is complete (no read-ahead), checks its `AbortSignal`
 * on every pull, and returns the source iterator in `finally` when the consumer stops early.
 *
 * @example
 * const events = trainOnAsync(trainer)(tbpttWindowsAsync({ k1: 32, targets: 'next' })(tokenIds));
 * for await (const e of events) if (e.step >= 1000) break;
 *
 * @param options k1, k2 (default k1), partial, B, targets ('given' | 'next'), start, signal
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>`, at the call
 */
import { AsyncIterableX } from 'ix/asynciterable';
import { resolveWindowsOptions, TbpttWindower, type ResolvedWindowsOptions, type TbpttStep, type TbpttWindowsOptions } from '../train/tbpttWindows.ts';
import type { FullWindow } from '../train/windows.ts';
import { checkSignal } from './train.ts';
import { checkAbort, combineAbort, iterate } from './train.ix.ts';

/** Options of `tbpttWindowsAsync`. */
export interface TbpttWindowsAsyncOptions extends TbpttWindowsOptions {
  /** Stops the iteration with `ERR_ABORTED` at the next pull. @default undefined */
  signal?: AbortSignal;
}

class TbpttWindowsIterable<S> extends AsyncIterableX<FullWindow> {
  constructor(
    private readonly source: AsyncIterable<S> | Iterable<S>,
    private readonly options: ResolvedWindowsOptions,
    private readonly signal: AbortSignal | undefined,
  ) {
    super();
  }

  async *[Symbol.asyncIterator](signal?: AbortSignal): AsyncGenerator<FullWindow, void, undefined> {
    const s = combineAbort(this.signal, signal);
    checkAbort(s);
    const windower = new TbpttWindower(this.options);
    for await (const step of iterate(this.source, s)) {
      const w = windower.push(step as TbpttStep);
      if (w !== null) {
        yield w;
        checkAbort(s);
      }
    }
    const last = windower.flush();
    if (last !== null) yield last;
  }
}

export function tbpttWindowsAsync(options: TbpttWindowsAsyncOptions & { targets: 'next' }): (source: AsyncIterable<number | Int32Array> | Iterable<number | Int32Array>) => AsyncIterableX<FullWindow>;
export function tbpttWindowsAsync(options: TbpttWindowsAsyncOptions): (source: AsyncIterable<TbpttStep> | Iterable<TbpttStep>) => AsyncIterableX<FullWindow>;
export function tbpttWindowsAsync(options: TbpttWindowsAsyncOptions): (source: AsyncIterable<unknown> | Iterable<unknown>) => AsyncIterableX<FullWindow> {
  const resolved = resolveWindowsOptions(options);
  const signal = checkSignal(options.signal);
  return (source) => new TbpttWindowsIterable(source, resolved, signal);
}
