/**
 * `tbpttWindows`: an RxJS operator that cuts a live stream of steps into truncated-BPTT windows (every k1 new
 * steps, a window of the last k2), for learning while streaming with `trainOn`.
 *
 * ```
 * steps:    a-b-c-d-e-f-g-|          k1 = 2, k2 = 4, partial: 'keep'
 * windows:  ------x---y---(z|)       x = abcd (reset), y = cdef (2 context steps), z = efg (2 context, 1 new)
 * ```
 * 1. Each subscription owns one `TbpttWindower`: two subscriptions never share steps.
 * 2. A window is emitted on the step that completes it; on completion the partial last window follows
 *    `options.partial` ('drop' by default). Windows own their buffers.
 * 3. A step of the wrong shape becomes a stream error naming `step[n]`.
 *
 * @example
 * frames$.pipe(map((f) => ({ x: f.features, target: f.label })), tbpttWindows({ k1: 16 }), trainOn(trainer))
 *   .subscribe((e) => console.log(e.step, e.loss));
 * ids$.pipe(tbpttWindows({ k1: 32, targets: 'next' }), trainOn(trainer)); // a language model on a token stream
 *
 * @param options k1, k2 (default k1), partial, B, targets ('given' | 'next'), start
 * @returns an operator from steps (or ids, with `targets: 'next'`) to windows
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>`, at the call
 */
import type { OperatorFunction } from 'rxjs';
import {
  resolveWindowsOptions,
  TbpttWindower,
  type TbpttStep,
  type TbpttWindowsOptions,
} from '../train/tbpttWindows.ts';
import type { FullWindow } from '../train/windows.ts';
import { operate } from './operate.ts';

export function tbpttWindows(
  options: TbpttWindowsOptions & { targets: 'next' },
): OperatorFunction<number | Int32Array, FullWindow>;
export function tbpttWindows(options: TbpttWindowsOptions): OperatorFunction<TbpttStep, FullWindow>;
export function tbpttWindows(
  options: TbpttWindowsOptions,
): OperatorFunction<TbpttStep | number | Int32Array, FullWindow> {
  const resolved = resolveWindowsOptions(options);
  return operate<TbpttStep | number | Int32Array, FullWindow>((out) => {
    const windower = new TbpttWindower(resolved);
    return {
      next(step) {
        const w = windower.push(step);
        if (w !== null) out.next(w);
      },
      complete() {
        const w = windower.flush();
        if (w !== null) out.next(w);
        out.complete();
      },
    };
  });
}
