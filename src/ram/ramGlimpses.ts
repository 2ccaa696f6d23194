/**
 * The recurrent attention model as a stream: one image becomes a sequence of glimpses whose next location comes
 * from the model's last output, through the retina source's policy callback (`glimpsesAsync`), and ends with the
 * classification at the last glimpse (many-to-one).
 *
 * ```
 * image ──► glimpse(l_0) ──► glimpse(l_1) ── ... ──► glimpse(l_{T-1}) ──► answer
 *              │  ▲              │  ▲                      │
 *              ▼  │ l_1          ▼  │ l_2                  ▼
 *           observe, locate   observe, locate         observe, classify
 * ```
 * 1. Each iteration (or subscription) has its own workspace (B = 1) and `Rng(seed)`; the core starts at 0.
 * 2. The policy callback at step t observes glimpse t-1 (`ramObserve`) and then picks `l_t` (`ramLocate`) with the
 *    policy: `'mean'` (the learned policy's mean, as evaluation uses), `'sample'`, or `'random'` (the ablation).
 *    The batched `ramForward` runs the very same functions, so the stream and a batch give the same answer.
 * 3. It emits `{ kind: 'glimpse', step, location, data }` per glimpse, then `{ kind: 'answer', label, probs,
 *    locations }`.
 *
 * @example
 * ramGlimpses(model, { data, C: 1, H: 28, W: 28 }).subscribe((e) => e.kind === 'answer' && console.log(e.label));
 */
import { releaseRamWorkspace } from './releaseRamWorkspace.ts';
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import { checkPixels, type GlimpseLocation, type Pixels } from '../sources/glimpse.ts';
import { glimpsesAsync } from '../sources/glimpses.ts';
import { softmaxRows } from '../tensor/softmax.ts';
import { asIterable, asObservable, type SourceCore } from '../util/coreAdapters.ts';
import { invalidArg } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { ramRetinaSize } from './ramConfig.ts';
import { ramClassify, ramObserve, ramReset } from './ramEpisode.ts';
import { ramLocate } from './ramLocation.ts';
import type { RamModel } from './ramModel.ts';
import { createRamWorkspace } from './ramWorkspace.ts';

/** Options of `ramGlimpses`. */
export interface RamGlimpsesOptions {
  /** Where the locations come from. @default 'mean' */
  policy?: 'mean' | 'sample' | 'random';
  /** Seed of the sampled or random locations. @default 0 */
  seed?: number;
  /** Aborts the stream. @default undefined */
  signal?: AbortSignal;
}

/** One event of `ramGlimpses`. */
export type RamEvent =
  | {
      kind: 'glimpse';
      step: number;
      /** `[x, y]` in [-1, 1]². */
      location: GlimpseLocation;
      /** The retina output `// [k, C, g, g]`. */
      data: Float32Array;
    }
  | {
      kind: 'answer';
      /** The most probable class. */
      label: number;
      /** Class probabilities `// [Y]`. */
      probs: Float32Array;
      /** Every location looked at, `// [T, 2]`. */
      locations: Float32Array;
    };

function ramCore(
  model: RamModel,
  image: Pixels,
  policy: 'mean' | 'sample' | 'random',
  seed: number,
): SourceCore<RamEvent> {
  return async function* ramGen(signal) {
    const c = model.config;
    const T = c.glimpses;
    const D = ramRetinaSize(c);
    const ws = createRamWorkspace(model, 1);
    const rng = new Rng(seed);
    ramReset(model, ws);
    const next = (last: Float32Array | null, t: number): GlimpseLocation | null => {
      if (last !== null) {
        ws.rho.set(last, (t - 1) * D);
        ramObserve(model, ws, t - 1);
      }
      if (t === T) return null;
      ramLocate(model, ws, t, policy, rng);
      return [ws.loc[2 * t], ws.loc[2 * t + 1]];
    };
    const opts = { size: c.glimpseSize, scales: c.scales, ...(signal ? { signal } : {}) };
    try {
      for await (const g of glimpsesAsync(image, next, opts))
        yield { kind: 'glimpse', step: g.step, location: g.location, data: g.data };
      const logits = ramClassify(model, ws);
      const probs = new Float32Array(c.classes);
      softmaxRows(probs, 0, logits, 0, 1, c.classes);
      let label = 0;
      for (let k = 1; k < c.classes; k++) if (probs[k] > probs[label]) label = k;
      yield { kind: 'answer', label, probs, locations: Float32Array.from(ws.loc) };
    } finally {
      releaseRamWorkspace(model, ws); // an image an episode: nothing left in the backend's memory
    }
  };
}

function prepare(model: RamModel, image: Pixels, options: RamGlimpsesOptions | undefined) {
  const o = checkObject('options', options);
  const px = checkPixels('image', image);
  if (px.C !== model.config.channels)
    throw invalidArg('image.C', `${model.config.channels} channel(s), as the model`, px.C);
  const policy = checkOneOf('options.policy', o.policy ?? 'mean', ['mean', 'sample', 'random'] as const);
  const seed = checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', o.signal);
  return { core: ramCore(model, px, policy, seed), signal: o.signal };
}

/** The glimpses of one image and the model's answer, as an IxJS async-iterable. */
export function ramGlimpsesAsync(
  model: RamModel,
  image: Pixels,
  options?: RamGlimpsesOptions,
): AsyncIterableX<RamEvent> {
  const { core, signal } = prepare(model, image, options);
  return asIterable(core, signal);
}

/** `ramGlimpsesAsync` as an RxJS Observable. */
export function ramGlimpses(model: RamModel, image: Pixels, options?: RamGlimpsesOptions): Observable<RamEvent> {
  const { core, signal } = prepare(model, image, options);
  return asObservable(core, signal);
}
