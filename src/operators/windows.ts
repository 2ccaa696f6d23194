/**
 * `tbpttWindows`: an RxJS operator that cuts a live stream of steps into truncated-BPTT windows (every k1 new
 * steps, a window of the last k2), for learning while streaming with `trainOn`.
 *
 * ```
 * steps:    --s0--s1--s2--s3--s4--s5--|          k1 = 2, k2 = 4, partial: 'keep'
 * windows:  --------------w0------w1--(w2|)      w0 = s0..s3 (reset), w1 = s2..s5 (context 2), w2 = s4..s5
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
 * @throws EddyError `ERR_INVALID_ARG` naming `options.<field>`, at the call
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { subscribeChained } from './train.ts';
import { resolveWindowsOptions, TbpttWindower, type TbpttStep, type TbpttWindowsOptions } from '../train/tbpttWindows.ts';
import type { FullWindow } from '../train/windows.ts';

export function tbpttWindows(options: TbpttWindowsOptions & { targets: 'next' }): OperatorFunction<number | Int32Array, FullWindow>;
export function tbpttWindows(options: TbpttWindowsOptions): OperatorFunction<TbpttStep, FullWindow>;
export function tbpttWindows(options: TbpttWindowsOptions): OperatorFunction<TbpttStep | number | Int32Array, FullWindow> {
  const resolved = resolveWindowsOptions(options);
  return (source) =>
    new Observable<FullWindow>((subscriber) => {
      const windower = new TbpttWindower(resolved);
      subscribeChained(source, subscriber, {
        next(step) {
          let w: FullWindow | null;
          try {
            w = windower.push(step);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (w !== null) subscriber.next(w);
        },
        complete() {
          const w = windower.flush();
          if (w !== null) subscriber.next(w);
          subscriber.complete();
        },
      });
    });
}
