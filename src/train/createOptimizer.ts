/**
 * `createOptimizer`: an optimizer by name. Its own file, so that the optimizers import the shared contract in
 * `optimizer.ts` and nothing imports back.
 */
import { checkObject, checkOneOf } from '../util/validate.ts';
import { adagrad, type AdagradOptions } from './adagrad.ts';
import { adam, adamw, type AdamOptions } from './adam.ts';
import { OPTIMIZER_NAMES, type Optimizer } from './optimizer.ts';
import { rmsprop, type RmspropOptions } from './rmsprop.ts';
import { sgd, type SgdOptions } from './sgd.ts';

/** Options for `createOptimizer`: `name` picks the optimizer, the other fields are its own options. */
export type OptimizerOptions =
  | ({ name: 'sgd' } & SgdOptions)
  | ({ name: 'adam' } & AdamOptions)
  | ({ name: 'adamw' } & AdamOptions)
  | ({ name: 'adagrad' } & AdagradOptions)
  | ({ name: 'rmsprop' } & RmspropOptions);

/**
 * Creates an optimizer by name.
 *
 * @example
 * const opt = createOptimizer({ name: 'adamw', lr: 3e-4 });
 * opt.step(params, grads); // params: [P], grads: [P]
 *
 * @param options `name` (`'sgd' | 'adam' | 'adamw' | 'adagrad' | 'rmsprop'`) plus that optimizer's options.
 * @returns a new optimizer with no state; its buffers are allocated on the first step.
 * @throws EddyError `ERR_INVALID_ARG` for an unknown name or an invalid option, naming `options.<field>`.
 */
export function createOptimizer(options: OptimizerOptions): Optimizer {
  const o = checkObject('options', options);
  const name = checkOneOf('options.name', o.name, OPTIMIZER_NAMES);
  const { name: _name, ...rest } = o;
  switch (name) {
    case 'sgd':
      return sgd(rest as SgdOptions);
    case 'adam':
      return adam(rest as AdamOptions);
    case 'adamw':
      return adamw(rest as AdamOptions);
    case 'adagrad':
      return adagrad(rest as AdagradOptions);
    case 'rmsprop':
      return rmsprop(rest as RmspropOptions);
  }
}
