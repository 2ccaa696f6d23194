/**
 * The one generic subscriber behind every RxJS operator here (as RxJS's own `operate` and
 * `createOperatorSubscriber`): the operator's handlers run inside try/catch, so a thrown error becomes a stream
 * error, never a crash; the subscriber is chained to the downstream one, so an early unsubscription (`take`)
 * stops a synchronous source at once; `finalize` runs exactly once on completion, error or unsubscription.
 *
 * State lives in the closure `init` builds: `init` runs once per subscription, so two subscriptions never share it.
 */
import { Observable, Subscriber, type OperatorFunction } from 'rxjs';

/** What an operator does with each notification of its source. */
export interface OperatorHandlers<T> {
  /** Handles one value; a throw becomes a stream error. */
  next(value: T): void;
  /** Handles completion; must complete (or error) `destination` itself. @default completes downstream */
  complete?(): void;
  /** Releases what the subscription holds; runs once, after completion, error or unsubscription. */
  finalize?(): void;
}

/** Passes the source's notifications to the handlers, turning throws into errors downstream. */
class HandlerSubscriber<T> extends Subscriber<T> {
  readonly #out: Subscriber<unknown>;
  readonly #handlers: OperatorHandlers<T>;

  constructor(out: Subscriber<unknown>, handlers: OperatorHandlers<T>) {
    super(out); // chains this subscriber to `out`: unsubscribing downstream unsubscribes from the source
    this.#out = out;
    this.#handlers = handlers;
  }

  protected override _next(value: T): void {
    try {
      this.#handlers.next(value);
    } catch (err) {
      this.#out.error(err);
    }
  }

  protected override _error(err: unknown): void {
    try {
      this.#out.error(err);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      if (this.#handlers.complete) this.#handlers.complete();
      else this.#out.complete();
    } catch (err) {
      this.#out.error(err);
    } finally {
      this.unsubscribe();
    }
  }
}

/**
 * Builds an RxJS operator from a per-subscription `init` that returns the handlers.
 *
 * @param init called once per subscription with the downstream subscriber; a throw becomes a stream error
 * @returns the operator function
 */
export function operate<T, R>(init: (out: Subscriber<R>) => OperatorHandlers<T>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((out) => {
      const handlers = init(out);
      let finalized = false;
      const finalize = (): void => {
        if (finalized) return;
        finalized = true;
        handlers.finalize?.();
      };
      // Registered before subscribing: a synchronous source may be unsubscribed (take) before subscribe returns.
      out.add(finalize);
      if (!out.closed) source.subscribe(new HandlerSubscriber<T>(out as Subscriber<unknown>, handlers));
      return finalize;
    });
}
