/**
 * One optimisation step of a translator over a batch: zero the gradients, teacher-forced loss and backward
 * (`translatorLoss`), clip the global gradient norm, optimizer step. The workspace is sized once for the largest
 * batch, in the model's backend memory; `dispose()` gives it back (the model stays the caller's).
 */
import type { Optimizer } from '../train/optimizer.ts';
import { clipGradNorm } from '../train/clip.ts';
import { EddyError, disposedError } from '../util/errors.ts';
import {
  lossWorkspace,
  releaseLossWorkspace,
  translatorLoss,
  type LossWorkspace,
  type TranslationBatch,
} from './translatorLoss.ts';
import type { TranslatorModel } from './translatorModel.ts';

/** Options of `TranslatorTrainer`. */
export interface TranslatorTrainerOptions {
  /** Largest source length, target length (with `</s>`) and batch size. */
  maxS: number;
  maxT: number;
  maxB: number;
  /** Global gradient norm clip. @default 5 */
  clip?: number;
}

/** Steps a translator with an optimizer. */
export class TranslatorTrainer {
  readonly model: TranslatorModel;
  readonly optimizer: Optimizer;
  readonly #ws: LossWorkspace;
  readonly #clip: number;
  #disposed = false;
  /** Steps taken. */
  steps = 0;

  constructor(model: TranslatorModel, optimizer: Optimizer, options: TranslatorTrainerOptions) {
    this.model = model;
    this.optimizer = optimizer;
    this.#ws = lossWorkspace(model, options.maxS, options.maxT, options.maxB);
    this.#clip = options.clip ?? 5;
  }

  /**
   * One update; returns the batch's mean loss (nats per target token).
   * @throws EddyError ERR_NON_FINITE naming the step when the loss is not finite
   */
  step(batch: TranslationBatch): number {
    this.#checkLive('TranslatorTrainer.step');
    this.model.grads.fill(0);
    const { loss, count } = translatorLoss(this.model, this.#ws, batch, true);
    const mean = loss / Math.max(1, count);
    if (!Number.isFinite(mean)) throw new EddyError('ERR_NON_FINITE', `Loss is ${mean} at step ${this.steps + 1}`);
    clipGradNorm(this.model.grads, this.#clip);
    this.optimizer.step(this.model.params, this.model.grads);
    this.steps++;
    return mean;
  }

  /** Mean loss (nats per target token) over batches, without updating. */
  evaluate(batches: readonly TranslationBatch[]): number {
    this.#checkLive('TranslatorTrainer.evaluate');
    let loss = 0;
    let count = 0;
    for (const b of batches) {
      const r = translatorLoss(this.model, this.#ws, b, false);
      loss += r.loss;
      count += r.count;
    }
    return loss / Math.max(1, count);
  }

  /** True after `dispose()`. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Gives the loss workspace back to the backend (a wasm or native backend never returns memory to the system, so a
   * process that trains many translators one after another would otherwise fill it). The model is not touched: it
   * is the caller's (`Translator.dispose()` for it). Afterwards `step` and `evaluate` refuse; a second call does
   * nothing.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    releaseLossWorkspace(this.model, this.#ws); // the backend outlives a disposed model
  }

  #checkLive(what: string): void {
    if (this.#disposed) throw disposedError(what, 'trainer', 'create another');
  }
}
