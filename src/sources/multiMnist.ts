/**
 * Several MNIST digits side by side on one canvas, read left to right (Ba, Mnih, Kavukcuoglu 2015, "Multiple Object
 * Recognition with Visual Attention"): the generator of the multi-object attention task.
 *
 * 1. The canvas `[H, W]` is split into `count` equal columns, left to right; digit i goes into column i.
 * 2. Each digit is a uniformly random digit of `set`, placed at a uniformly random integer position inside its
 *    column (so digits never overlap and their order on the canvas is the order of the labels).
 * 3. Pixels are value/255; everything else is 0. The random numbers come from the given `rng` only.
 *
 * @example
 * const out = new Float32Array(36 * 92);                                 // [H, W]
 * const { labels } = drawMultiMnist(out, testSet, new Rng(1), 36, 92, 3); // e.g. [7, 2, 1]
 */
import { invalidArg } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { checkInt } from '../util/validate.ts';
import type { MnistSet } from './mnist.ts';
import { drawPatch } from './mnistGenerators.ts';

/** Where the digits of one canvas came from. */
export interface MultiMnistSample {
  /** Digit labels, left to right. */
  labels: number[];
  /** Their indices in the set. */
  indices: number[];
  /** Top-left corners on the canvas. */
  xs: number[];
  ys: number[];
}

/**
 * Draws `count` digits of `set` side by side into `out` (overwritten).
 *
 * @param out `// [H, W]`
 * @throws {EddyError} ERR_INVALID_ARG when the canvas cannot hold `count` digits side by side
 */
export function drawMultiMnist(
  out: Float32Array,
  set: MnistSet,
  rng: Rng,
  H: number,
  W: number,
  count: number,
): MultiMnistSample {
  checkInt('count', count, 1, 64);
  const cell = Math.floor(W / count);
  if (H < set.rows || cell < set.cols)
    throw invalidArg('canvas', `at least ${set.rows}x${set.cols * count} for ${count} digits`, `${H}x${W}`);
  if (out.length !== H * W) throw invalidArg('out', `${H * W} values ([H, W])`, `${out.length}`);
  out.fill(0);
  const s: MultiMnistSample = { labels: [], indices: [], xs: [], ys: [] };
  for (let i = 0; i < count; i++) {
    const index = rng.int(set.count);
    const x = i * cell + rng.int(cell - set.cols + 1);
    const y = rng.int(H - set.rows + 1);
    drawPatch(out, W, H, set, index, 0, 0, set.cols, set.rows, x, y);
    s.labels.push(set.labels[index]);
    s.indices.push(index);
    s.xs.push(x);
    s.ys.push(y);
  }
  return s;
}
