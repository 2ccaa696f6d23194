/**
 * What `eddy ram train`, `ram eval` and `ram demo` share: the MNIST directory flag, the model flag (a file or a
 * shipped model's name) and the model's sizes from the training flags.
 */
import type { RamOptions } from '../../src/index.ts';
import { modelFlag } from '../cli/shippedModels.ts';

/** `--data DIR`: the MNIST .gz files. */
export const mnistDataFlag = {
  type: 'input',
  directory: true,
  default: '../shared/data',
  description: 'directory holding the MNIST .gz files',
} as const;

/** `--model NAME|PATH` of `ram eval` and `ram demo` (the shipped 28x28 model by default). */
export const ramModelFlag = modelFlag(
  'ram-mnist',
  'a RAM model file, or the name of a shipped one (ram-mnist, ram-translated, ram-multi)',
);

/** The training flags that size the model. */
export interface RamSizeArgs {
  glimpseSize: number | undefined;
  scales: number | undefined;
  hidden: number;
  glimpseHidden: number;
  cell: string;
  std: number;
}

/** The model's options: `glimpses` and `classes` from the task, the sizes from the flags or the task's defaults. */
export function ramOptionsOf(
  v: RamSizeArgs,
  task: { glimpses: number; glimpseSize: number; scales: number; classes?: number },
): RamOptions {
  return {
    glimpses: task.glimpses,
    glimpseSize: v.glimpseSize ?? task.glimpseSize,
    scales: v.scales ?? task.scales,
    hiddenSize: v.hidden,
    glimpseOutput: v.hidden,
    glimpseHidden: v.glimpseHidden,
    ...(task.classes === undefined ? {} : { classes: task.classes }),
    cell: v.cell as 'rnn_relu',
    locationStd: v.std,
  };
}
