/**
 * A sequence of retina glimpses over one image, where the locations come from a list, a raster scan, or a
 * callback: the hook for a learned attention policy.
 *
 * 1. The image (a path or Buffer, decoded with sharp on the first pull; or decoded `Pixels`) is decoded once per
 *    iteration.
 * 2. Step t takes location t of the list, or of the raster (`{ rows, cols }`, cell centres row by row), or
 *    `await policy(lastOutput, t)` where `lastOutput` is the previous glimpse's data (null at step 0); a
 *    callback returning `null` ends the sequence.
 * 3. Each step emits `{ data: Float32Array [k*C*g*g], location, step }` in a fresh array (see `glimpse.ts` for the
 *    location convention and layout).
 *
 * With an async-iterable the consumer pulls step t+1 only after it has handled step t, so a policy can read the
 * model's latest output through its closure:
 * @example
 * const policy = (last, t) => (t === 6 ? null : model.nextLocation());
 * for await (const g of glimpsesAsync('digit.png', policy, { size: 8, scales: 3, channels: 1 })) model.observe(g.data);
 */
import type { AsyncIterableX } from 'ix/asynciterable';
import type { Observable } from 'rxjs';
import { invalidArg } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import {
  checkImageInput,
  decodeResolved,
  resolveDecodeImageOptions,
  type DecodeImageOptions,
  type ResolvedDecodeImageOptions,
} from './decodeImage.ts';
import {
  checkLocation,
  checkPixels,
  rasterLocations,
  resolveGlimpseOptions,
  retina,
  type GlimpseLocation,
  type GlimpseOptions,
  type Pixels,
} from './glimpse.ts';
import { checkAborted } from '../util/abort.ts';
import { asIterable, asObservable, type SourceCore } from '../util/coreAdapters.ts';

/** Chooses the next location from the last glimpse (null at step 0); `null` ends the sequence. */
export type LocationPolicy = (
  lastOutput: Float32Array | null,
  step: number,
) => GlimpseLocation | null | Promise<GlimpseLocation | null>;

/** Where to look: a list of locations, a raster scan, or a policy callback. */
export type GlimpseLocations = readonly GlimpseLocation[] | { rows: number; cols: number } | LocationPolicy;

/** Options of `glimpsesAsync`: the retina plus decoding (used when the image is a path or Buffer). */
export interface GlimpsesOptions extends GlimpseOptions, DecodeImageOptions {
  /** Aborts the source. @default undefined */
  signal?: AbortSignal;
}

/** One step of a glimpse sequence. */
export interface GlimpseStep {
  /** The retina output, `// [k, C, g, g]`. */
  data: Float32Array;
  /** Where it looked, `[x, y]` in [-1, 1]^2. */
  location: GlimpseLocation;
  /** Step index from 0. */
  step: number;
}

type ImageSource =
  | { kind: 'encoded'; src: string | Uint8Array; decode: ResolvedDecodeImageOptions }
  | { kind: 'pixels'; pixels: Pixels };
type Where = { kind: 'list'; list: readonly GlimpseLocation[] } | { kind: 'policy'; policy: LocationPolicy };

function resolveImage(image: unknown, options: GlimpsesOptions): ImageSource {
  const decode = resolveDecodeImageOptions({
    ...(options.channels === undefined ? {} : { channels: options.channels }),
    ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  });
  if (typeof image === 'string' || image instanceof Uint8Array)
    return { kind: 'encoded', src: checkImageInput('image', image), decode };
  return { kind: 'pixels', pixels: checkPixels('image', image) };
}

function resolveWhere(locations: unknown): Where {
  if (typeof locations === 'function') return { kind: 'policy', policy: locations as LocationPolicy };
  if (Array.isArray(locations)) {
    locations.forEach((l, i) => checkLocation(`locations[${i}]`, l));
    return { kind: 'list', list: locations as readonly GlimpseLocation[] };
  }
  if (locations !== null && typeof locations === 'object' && 'rows' in locations && 'cols' in locations) {
    const { rows, cols } = locations as { rows: unknown; cols: unknown };
    return {
      kind: 'list',
      list: rasterLocations(checkInt('locations.rows', rows, 1, 1 << 16), checkInt('locations.cols', cols, 1, 1 << 16)),
    };
  }
  throw invalidArg(
    'locations',
    'an array of [x, y] locations, a raster { rows, cols }, or a policy function',
    locations,
  );
}

function glimpsesCore(image: ImageSource, where: Where, g: number, k: number): SourceCore<GlimpseStep> {
  return async function* glimpsesGen(signal) {
    checkAborted(signal);
    const px = image.kind === 'pixels' ? image.pixels : await decodeResolved(image.src, image.decode);
    let last: Float32Array | null = null;
    for (let step = 0; ; step++) {
      checkAborted(signal);
      let location: GlimpseLocation;
      if (where.kind === 'list') {
        if (step >= where.list.length) return;
        location = where.list[step];
      } else {
        const next = await where.policy(last, step);
        if (next === null) return;
        location = checkLocation(`the location returned by the policy at step ${step}`, next);
      }
      const data = new Float32Array(k * px.C * g * g); // [k, C, g, g], fresh: the consumer may keep it
      retina(data, px.data, px.C, px.H, px.W, location[0], location[1], g, k);
      last = data;
      yield { data, location: [location[0], location[1]], step };
    }
  };
}

function prepare(
  image: unknown,
  locations: unknown,
  options: GlimpsesOptions | undefined,
): { core: SourceCore<GlimpseStep>; signal: AbortSignal | undefined } {
  const o = checkObject('options', options);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidArg('options.signal', 'an AbortSignal', o.signal);
  const { g, k } = resolveGlimpseOptions(o);
  const img = resolveImage(image, o);
  const where = resolveWhere(locations);
  return { core: glimpsesCore(img, where, g, k), signal: o.signal };
}

/**
 * Glimpses over one image as an IxJS async-iterable.
 *
 * @param image an image file path, a Buffer of an encoded image, or decoded `Pixels` `[C, H, W]`
 * @param locations a list of `[x, y]`, a raster `{ rows, cols }`, or a `LocationPolicy` callback
 * @param options retina (`size` g, `scales` k), decoding (`channels`, `maxPixels`, `maxBytes`) and `signal`
 * @returns one `GlimpseStep` per location
 * @throws {EddyError} ERR_INVALID_ARG at the call for bad arguments; in the stream ERR_FILE / ERR_SOURCE from
 *   decoding, ERR_INVALID_ARG for a bad location returned by a policy, ERR_ABORTED on abort
 */
export function glimpsesAsync(
  image: string | Uint8Array | Pixels,
  locations: GlimpseLocations,
  options?: GlimpsesOptions,
): AsyncIterableX<GlimpseStep> {
  const { core, signal } = prepare(image, locations, options);
  return asIterable(core, signal);
}

/** `glimpsesAsync` as an RxJS Observable (a policy callback then runs as fast as the steps are produced). */
export function glimpses(
  image: string | Uint8Array | Pixels,
  locations: GlimpseLocations,
  options?: GlimpsesOptions,
): Observable<GlimpseStep> {
  const { core, signal } = prepare(image, locations, options);
  return asObservable(core, signal);
}
