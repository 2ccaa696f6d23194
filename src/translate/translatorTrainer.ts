/**
 * One optimisation step of a translator over a batch: zero the gradients, teacher-forced loss and backward
 * (`translatorLoss`), clip the global gradient norm, optimizer step. The workspace is sized once for the largest
 * batch.
 */
import type { Optimizer } from '../train/optimizer.ts';
import { clipGradNorm } from '../train/clip.ts';
import { EddyError } from '../util/errors.ts';
import { lossWorkspace, translatorLoss, type LossWorkspace, type TranslationBatch } from './translatorLoss.ts';
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
    let loss = 0;
    let count = 0;
    for (const b of batches) {
      const r = translatorLoss(this.model, this.#ws, b, false);
      loss += r.loss;
      count += r.count;
    }
    return loss / Math.max(1, count);
  }
}
