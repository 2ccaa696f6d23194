/**
 * Several objects (Ba, Mnih, Kavukcuoglu 2015): the recurrent attention model reads an image as a sequence of labels,
 * K glimpses per label, emitting one label after another and then a stop symbol (the "image -> sequence of words"
 * shape). The same glimpse, core, location and baseline networks as `ramEpisode.ts`, and the same step functions.
 *
 * Forward over B images, J = maxDigits + 1 labels, T = J·K glimpses (`model.config.glimpses`):
 * 1. For t = 0..T-1: `ramLocate` picks `l_t` by the policy: `'sample'` (training), `'mean'` (evaluation),
 *    `'raster'` (the non-attentive baseline: the fixed centres of a rows x cols grid, row by row, left to right and
 *    top to bottom, the same T steps), or `'replay'` (locations given in `ws.loc`, the checks); the retina at `l_t`;
 *    `ramObserve`.
 * 2. After glimpse t = (j+1)·K − 1, label j: logits `h[t+1]·W_aᵀ + b_a` `[B, Y]`, Y = 11 (digits 0-9 and `RAM_STOP`).
 *
 * Backward (`ramSequenceBackward`), for an image with L digits the targets are its L digits then the stop; labels
 * after the stop are padding (-1) and count nowhere. The reward is per label: `R_j = 1` when label j is right, and the
 * K glimpses of label j's segment are credited with it (not discounted returns across labels: each segment's glimpses
 * are there to read one digit). The loss, each term a mean over the batch:
 *   loss = Σ_j CE(logits_j, y_j) + Σ_t −(R_j(t) − b_t)·log π(l_t) + Σ_t (R_j(t) − b_t)²   over the labels that count
 * Cross-entropy flows back through the action network, the core and the glimpse network from every emission
 * (`ramStepBackward`); REINFORCE and the baseline through `ramLocationBackward`, as in `ramBackward`.
 */
import { rasterLocations } from '../sources/glimpse.ts';
import { retina } from '../sources/glimpse.ts';
import { addBiasRows, sumRows } from '../tensor/rowOps.ts';
import { softmaxCrossEntropy } from '../tensor/softmax.ts';
import { invalidArg } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import { ramRetinaSize } from './ramConfig.ts';
import { ramObserve, ramReset, ramStepBackward } from './ramEpisode.ts';
import { ramLocate, ramLocationBackward } from './ramLocation.ts';
import type { RamModel } from './ramModel.ts';
import { createRamWorkspace, type RamWorkspace } from './ramWorkspace.ts';

/** The stop symbol's class id (after the digits 0-9). */
export const RAM_STOP = 10;

/** Classes of a sequence model: the ten digits and the stop symbol. */
export const RAM_SEQUENCE_CLASSES = 11;

/** Where the locations of a sequence episode come from. */
export type RamSequencePolicy = 'sample' | 'mean' | 'raster' | 'replay';

/** Options of the multi-object task. */
export interface RamSequenceTaskOptions {
  /** Fewest digits on a canvas. @default 2 */
  minDigits?: number;
  /** Most digits on a canvas. @default 3 */
  maxDigits?: number;
  /** K: glimpses per label (the stop symbol included). @default 3 */
  glimpsesPerLabel?: number;
  /** Side of the digits (28 for MNIST; smaller for toys). @default 28 */
  digitSize?: number;
}

/** The multi-object task: 2-3 (or min-max) MNIST digits side by side on a `height x width` canvas. */
export interface RamSequenceTask {
  name: 'multi';
  minDigits: number;
  maxDigits: number;
  /** K. */
  glimpsesPerLabel: number;
  /** J = maxDigits + 1: labels per episode (the longest sequence and its stop). */
  labels: number;
  /** T = J·K: glimpses per episode, the model's `glimpses`. */
  glimpses: number;
  /** Side of the digits. */
  digitSize: number;
  /** 36: a digit's 28 rows and 8 rows of vertical play (digitSize + 8). */
  height: number;
  /** 28·maxDigits + 8 (digitSize·maxDigits + 8). */
  width: number;
}

/** Resolves and checks the options. @throws {EddyError} ERR_INVALID_ARG naming `options.<field>` */
export function ramSequenceTask(options?: RamSequenceTaskOptions): RamSequenceTask {
  const o = checkObject('options', options);
  const maxDigits = checkInt('options.maxDigits', o.maxDigits ?? 3, 1, 8);
  const minDigits = checkInt('options.minDigits', o.minDigits ?? Math.min(2, maxDigits), 1, maxDigits);
  const K = checkInt('options.glimpsesPerLabel', o.glimpsesPerLabel ?? 3, 1, 16);
  const d = checkInt('options.digitSize', o.digitSize ?? 28, 1, 256);
  const J = maxDigits + 1;
  return {
    name: 'multi',
    minDigits,
    maxDigits,
    glimpsesPerLabel: K,
    labels: J,
    glimpses: J * K,
    digitSize: d,
    height: d + 8,
    width: d * maxDigits + 8,
  };
}

/**
 * The raster baseline's T locations: the centres of the rows x cols grid (rows·cols = T) whose cells are closest to
 * square on an `H x W` image, row by row (`rasterLocations`), as `// [T, 2]`.
 */
export function ramRasterLocations(T: number, H: number, W: number): Float32Array {
  let rows = 1;
  let best = Infinity;
  for (let r = 1; r <= T; r++) {
    if (T % r !== 0) continue;
    const score = Math.abs(Math.log(H / r / (W / (T / r))));
    if (score < best - 1e-9) {
      best = score;
      rows = r;
    }
  }
  return Float32Array.from(rasterLocations(rows, T / rows).flat());
}

/** The buffers of a sequence episode of B images: the model's workspace and the per-label ones. */
export interface RamSequenceWorkspace {
  readonly ws: RamWorkspace;
  /** J labels, K glimpses each. */
  readonly J: number;
  readonly K: number;
  /** Logits of every label, `// [J, B, Y]`. */
  readonly logits: Float32Array;
  /** Their gradients, `// [J, B, Y]`. */
  readonly dlogits: Float32Array;
  /** Per-label rewards of the last backward, `// [J, B]`. */
  readonly reward: Float32Array;
  /** 1 where label j of image b counts (up to its stop), else 0, `// [J, B]`. */
  readonly weight: Float32Array;
  /** Scratch: label j's targets, `// [B]`. */
  readonly targets: Int32Array;
  /** The raster locations for this model and image size, `// [T, 2]` (set by the first raster forward). */
  raster: Float32Array | null;
  /** The policy of the last forward. */
  policy: RamSequencePolicy;
}

/**
 * Buffers for sequence episodes of B images and J labels.
 * @throws {EddyError} ERR_INVALID_ARG when the model's glimpses are not a multiple of J or its classes not 11
 */
export function createRamSequenceWorkspace(model: RamModel, B: number, J: number): RamSequenceWorkspace {
  const c = model.config;
  checkInt('J', J, 1, c.glimpses);
  if (c.glimpses % J !== 0) throw invalidArg('J', `a divisor of the model's ${c.glimpses} glimpses`, J);
  if (c.classes !== RAM_SEQUENCE_CLASSES)
    throw invalidArg('model.config.classes', `${RAM_SEQUENCE_CLASSES} (digits and stop)`, c.classes);
  const Y = c.classes;
  const a = (n: number): Float32Array => model.backend.alloc(n);
  return {
    ws: createRamWorkspace(model, B),
    J,
    K: c.glimpses / J,
    logits: a(J * B * Y),
    dlogits: a(J * B * Y),
    reward: a(J * B),
    weight: a(J * B),
    targets: new Int32Array(B),
    raster: null,
    policy: 'mean',
  };
}

/**
 * A sequence episode over B images: T times locate, look, observe; label j's logits after glimpse (j+1)·K − 1.
 *
 * @param images `// [B, C, Hi, Wi]` pixels in [0, 1]
 * @param rng draws the sampled locations (unused for `'mean'`, `'raster'` and `'replay'`)
 * @returns the logits `// [J, B, Y]` (the workspace's buffer)
 */
export function ramSequenceForward(
  model: RamModel,
  sws: RamSequenceWorkspace,
  images: Float32Array,
  Hi: number,
  Wi: number,
  policy: RamSequencePolicy,
  rng: Rng | null,
): Float32Array {
  const c = model.config;
  const { ws, K } = sws;
  const { B, T } = ws;
  const D = ramRetinaSize(c);
  const H = c.hiddenSize;
  const Y = c.classes;
  const size = c.channels * Hi * Wi;
  if (policy === 'raster') sws.raster = ramRasterLocations(T, Hi, Wi);
  ramReset(model, ws);
  for (let t = 0; t < T; t++) {
    if (policy === 'raster') {
      const r = sws.raster as Float32Array;
      for (let b = 0; b < B; b++) ws.loc.set(r.subarray(2 * t, 2 * t + 2), (t * B + b) * 2);
    }
    ramLocate(model, ws, t, policy === 'raster' ? 'replay' : policy, rng);
    for (let b = 0; b < B; b++) {
      const k = (t * B + b) * 2;
      const out = ws.rho.subarray((t * B + b) * D, (t * B + b + 1) * D);
      retina(
        out,
        images.subarray(b * size, (b + 1) * size),
        c.channels,
        Hi,
        Wi,
        ws.loc[k],
        ws.loc[k + 1],
        c.glimpseSize,
        c.scales,
      );
    }
    ramObserve(model, ws, t);
    if ((t + 1) % K === 0) {
      const j = (t + 1) / K - 1;
      model.backend.gemmNT(
        B,
        Y,
        H,
        ws.h,
        (t + 1) * B * H,
        model.params,
        model.offsets.wA,
        sws.logits,
        j * B * Y,
        false,
      );
      addBiasRows(model.backend, sws.logits, j * B * Y, model.params, model.offsets.bA, B, Y);
    }
  }
  sws.policy = policy;
  return sws.logits;
}

/** The terms of the sequence loss (means over the batch) and the answers. */
export interface RamSequenceLoss {
  /** Cross-entropy summed over the labels that count, nats per image. */
  ce: number;
  /** The REINFORCE surrogate (0 unless the policy was `'sample'` or `'replay'`). */
  reinforce: number;
  /** The baseline's squared error. */
  baseline: number;
  /** Labels that count (digits and stops) and how many were right. */
  labels: number;
  correctLabels: number;
  /** Images whose every digit and stop were right. */
  correctSequences: number;
}

/** Index of the largest of `Y` values at `off`. */
function argmax(x: Float32Array, off: number, Y: number): number {
  let best = 0;
  for (let k = 1; k < Y; k++) if (x[off + k] > x[off + best]) best = k;
  return best;
}

/**
 * Backward of the sequence loss after `ramSequenceForward`: accumulates (`+=`) into `model.grads`.
 *
 * @param labels `// [B, J]` per image its digits, then `RAM_STOP`, then -1 (padding)
 * @throws {EddyError} ERR_INVALID_ARG when `labels` is not `[B, J]`
 */
export function ramSequenceBackward(model: RamModel, sws: RamSequenceWorkspace, labels: Int32Array): RamSequenceLoss {
  model.checkLive('ramSequenceBackward');
  const c = model.config;
  const { ws, J, K } = sws;
  const { B, T } = ws;
  const { hiddenSize: H, classes: Y } = c;
  if (labels.length !== B * J) throw invalidArg('labels', `${B * J} values ([B=${B}, J=${J}])`, `${labels.length}`);
  const o = model.offsets;
  const dP = model.grads;
  const be = model.backend;
  const s = ws.scratch;
  const inv = 1 / B;

  // 1. per label: rewards, weights, cross-entropy; the action network's gradient from h[(j+1)·K]
  let ce = 0;
  let counted = 0;
  let right = 0;
  const seqRight = new Uint8Array(B).fill(1);
  for (let j = 0; j < J; j++) {
    for (let b = 0; b < B; b++) {
      const y = labels[b * J + j];
      sws.targets[b] = y;
      const w = y >= 0 ? 1 : 0;
      sws.weight[j * B + b] = w;
      const r = w && argmax(sws.logits, (j * B + b) * Y, Y) === y ? 1 : 0;
      sws.reward[j * B + b] = r;
      counted += w;
      right += r;
      if (w && !r) seqRight[b] = 0;
    }
    const dl = sws.dlogits.subarray(j * B * Y, (j + 1) * B * Y);
    ce += softmaxCrossEntropy(dl, sws.logits.subarray(j * B * Y, (j + 1) * B * Y), sws.targets, B, Y, inv) * inv;
    const hOff = (j + 1) * K * B * H;
    be.gemmTN(Y, H, B, sws.dlogits, j * B * Y, ws.h, hOff, dP, o.wA, true);
    sumRows(be, dP, o.bA, sws.dlogits, j * B * Y, B, Y);
  }

  // 2. location network and baseline: glimpse t is credited with the reward of its label j = floor(t / K)
  const learnPolicy = sws.policy === 'sample' || sws.policy === 'replay';
  let reinforce = 0;
  let baseline = 0;
  for (let t = 0; t < T; t++) {
    const j = Math.floor(t / K);
    const rw = sws.reward.subarray(j * B, (j + 1) * B);
    const wt = sws.weight.subarray(j * B, (j + 1) * B);
    const r = ramLocationBackward(model, ws, t, rw, wt, learnPolicy);
    reinforce += r.reinforce;
    baseline += r.baseline;
  }

  // 3. core and glimpse network, t = T-1..0, adding each label's dL/dh where it was emitted
  s.dh.fill(0);
  s.dc.fill(0);
  for (let t = T - 1; t >= 0; t--) {
    if ((t + 1) % K === 0)
      be.gemmNN(B, H, Y, sws.dlogits, ((t + 1) / K - 1) * B * Y, model.params, o.wA, s.dh, 0, true);
    ramStepBackward(model, ws, t);
  }
  let correctSequences = 0;
  for (let b = 0; b < B; b++) correctSequences += seqRight[b];
  return { ce, reinforce, baseline, labels: counted, correctLabels: right, correctSequences };
}

/**
 * The label sequences read from logits `// [J, B, Y]`: image b's labels up to (not including) its first stop.
 */
export function ramDecodeSequences(logits: Float32Array, B: number, J: number, Y: number): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    const seq: number[] = [];
    for (let j = 0; j < J; j++) {
      const k = argmax(logits, (j * B + b) * Y, Y);
      if (k === RAM_STOP) break;
      seq.push(k);
    }
    out.push(seq);
  }
  return out;
}
