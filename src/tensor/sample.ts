/**
 * Drawing one token id from a row of logits `[V]`: greedy (argmax), temperature, top-k and top-p (nucleus).
 * Pure math over `Float32Array`; no streams.
 *
 * 1. `temperature` 0 or `'greedy'`: the argmax, ties going to the lowest id. No random number is drawn.
 * 2. Otherwise `p = softmax(logits / temperature)`.
 * 3. `topK > 0` keeps the k most probable ids (ties: the lower id first).
 * 4. `topP < 1` then keeps the smallest prefix of those (most probable first) whose mass reaches
 *    `topP` of the kept mass; at least one id always survives.
 * 5. One uniform draw `u` from `rng` picks an id from the kept ids in proportion to `p`.
 *
 * With a scratch buffer from `createSampleScratch(V)`, a call allocates nothing.
 *
 * @example
 * const rng = new Rng(1);
 * const scratch = createSampleScratch(V);
 * const id = sample(logits, t * V, V, { temperature: 0.8, topK: 40, rng }, scratch);
 */
import { Rng } from '../util/rng.ts';
import { invalidArg } from '../util/errors.ts';
import { nonFiniteError } from '../util/finite.ts';
import { checkInt, checkNumber, checkObject } from '../util/validate.ts';
import { softmaxRows } from './softmax.ts';

/** How to draw one id from logits. */
export interface SampleOptions {
  /** Softmax temperature `> 0`; `0` or `'greedy'` takes the argmax. @default 1 */
  temperature?: number | 'greedy';
  /** Keep only the k most probable ids; `0` keeps all. @default 0 */
  topK?: number;
  /** Nucleus: keep the smallest most-probable set whose mass reaches topP, in (0, 1]; `1` keeps all. @default 1 */
  topP?: number;
  /** The random source; required unless greedy. @default undefined */
  rng?: Rng;
}

/** Sampling options after validation, with defaults filled in. `temperature` 0 means greedy. */
export interface ResolvedSampleOptions {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

/** Reusable buffers for `sample` over a vocabulary of at most `probs.length` ids. */
export interface SampleScratch {
  /** `[V]` probabilities. */
  readonly probs: Float32Array;
  /** `[V]` ids, sorted by probability when top-k or top-p is on. */
  readonly order: Int32Array;
}

/** Greedy draws use no scratch. */
const EMPTY_SCRATCH: SampleScratch = { probs: new Float32Array(0), order: new Int32Array(0) };

/** Scratch buffers for `sample` over V ids. */
export function createSampleScratch(V: number): SampleScratch {
  checkInt('V', V, 1);
  return { probs: new Float32Array(V), order: new Int32Array(V) };
}

/**
 * Validates temperature, topK and topP (not rng) and fills in defaults.
 * @param path the options' dotted path in error messages
 * @throws EddyError ERR_INVALID_ARG naming `${path}.temperature`, `.topK` or `.topP`
 */
export function resolveSampleOptions(
  options: Omit<SampleOptions, 'rng'> | undefined,
  path = 'options',
): ResolvedSampleOptions {
  const o = checkObject(path, options);
  const t = o.temperature ?? 1;
  const temperature =
    t === 'greedy'
      ? 0
      : typeof t === 'number'
        ? checkNumber(`${path}.temperature`, t, 0)
        : invalidTemperature(`${path}.temperature`, t);
  const topK = checkInt(`${path}.topK`, o.topK ?? 0, 0);
  const topP = checkNumber(`${path}.topP`, o.topP ?? 1, 0, 1, { min: true });
  return { temperature, topK, topP };
}

function invalidTemperature(path: string, t: unknown): never {
  throw invalidArg(path, 'finite number >= 0 or "greedy"', t);
}

/** Index of the largest of `x[off .. off+V)`; ties go to the lowest index. */
export function argmax(x: Float32Array, off: number, V: number): number {
  let best = 0;
  let max = x[off];
  for (let j = 1; j < V; j++) {
    if (x[off + j] > max) {
      max = x[off + j];
      best = j;
    }
  }
  return best;
}

/**
 * Draws one id in `[0, V)` from `logits[off .. off+V)`.
 *
 * @param logits the logits, read at `off`
 * @param off offset of the row
 * @param V vocabulary size
 * @param options temperature, topK, topP and the rng (required unless greedy)
 * @param scratch buffers of at least V from `createSampleScratch`; without it, two arrays are allocated per call
 * @returns the id
 * @throws EddyError ERR_INVALID_ARG naming the option; ERR_NON_FINITE naming the first NaN or +Infinity logit
 *   (-Infinity masks an id), or when every logit is -Infinity
 */
export function sample(
  logits: Float32Array,
  off: number,
  V: number,
  options: SampleOptions = {},
  scratch?: SampleScratch,
): number {
  checkObject('options', options);
  // Validated field by field (not through resolveSampleOptions) so that a call allocates nothing.
  const t = options.temperature ?? 1;
  const temperature =
    t === 'greedy'
      ? 0
      : typeof t === 'number'
        ? checkNumber('options.temperature', t, 0)
        : invalidTemperature('options.temperature', t);
  const topK = checkInt('options.topK', options.topK ?? 0, 0);
  const topP = checkNumber('options.topP', options.topP ?? 1, 0, 1, { min: true });
  if (temperature === 0) return sampleResolved(logits, off, V, 0, 0, 1, null, EMPTY_SCRATCH);
  if (!(options.rng instanceof Rng)) throw invalidArg('options.rng', 'an Rng (required unless greedy)', options.rng);
  if (scratch !== undefined && (scratch.probs.length < V || scratch.order.length < V)) {
    throw invalidArg('scratch', `buffers of length >= ${V}`, scratch.probs.length);
  }
  return sampleResolved(logits, off, V, temperature, topK, topP, options.rng, scratch ?? createSampleScratch(V));
}

/**
 * `sample` without validation of the options, for callers that resolved them once (the generation operators).
 * A `temperature` of 0 is greedy; `rng` may be null only then. The logits are checked (one pass over V): a NaN
 * would otherwise draw id 0 or the argmax of garbage.
 * @throws EddyError ERR_NON_FINITE naming the first NaN or +Infinity logit, or when every logit is -Infinity
 */
export function sampleResolved(
  logits: Float32Array,
  off: number,
  V: number,
  temperature: number,
  topK: number,
  topP: number,
  rng: Rng | null,
  scratch: SampleScratch,
): number {
  checkLogits(logits, off, V);
  if (temperature === 0 || rng === null) return argmax(logits, off, V);
  const p = scratch.probs; // [V]
  softmaxRows(p, 0, logits, off, 1, V, temperature);
  const k = topK > 0 && topK < V ? topK : V;
  if (k === V && topP >= 1) {
    let total = 0;
    for (let j = 0; j < V; j++) total += p[j];
    return pick(p, null, V, total * rng.next());
  }
  const order = scratch.order; // [V] ids, most probable first
  for (let j = 0; j < V; j++) order[j] = j;
  heapSortByProb(order, p, V);
  let kept = 0;
  for (let j = 0; j < k; j++) kept += p[order[j]];
  let n = k;
  if (topP < 1) {
    const target = topP * kept;
    let cum = 0;
    n = 0;
    while (n < k) {
      cum += p[order[n++]];
      if (cum >= target) break;
    }
    kept = cum;
  }
  return pick(p, order, n, kept * rng.next());
}

/**
 * One pass over a row of logits: NaN and +Infinity are refused; -Infinity is allowed (a masked id, never drawn)
 * unless every id is masked.
 */
function checkLogits(logits: Float32Array, off: number, V: number): void {
  let open = false;
  for (let j = 0; j < V; j++) {
    const v = logits[off + j];
    if (v - v === 0)
      open = true; // finite
    else if (v !== -Infinity) throw nonFiniteError('logits', `logits[${off + j}]`, v, '(refusing to sample)');
  }
  if (!open)
    throw nonFiniteError('logits', `every one of logits[${off}, ${off + V})`, -Infinity, '(nothing to sample)');
}

/** Walks the first n ids (through `order`, or 0..n-1) until the running mass exceeds u. */
function pick(p: Float32Array, order: Int32Array | null, n: number, u: number): number {
  let cum = 0;
  for (let j = 0; j < n; j++) {
    const id = order === null ? j : order[j];
    cum += p[id];
    if (u < cum) return id;
  }
  // Rounding can leave u just above the summed mass: take the last kept id with non-zero probability.
  for (let j = n - 1; j > 0; j--) {
    const id = order === null ? j : order[j];
    if (p[id] > 0) return id;
  }
  return order === null ? 0 : order[0];
}

/** True when id a ranks after id b: lower probability, or equal probability and higher id. */
function after(p: Float32Array, a: number, b: number): boolean {
  return p[a] < p[b] || (p[a] === p[b] && a > b);
}

/** In-place heap sort of `order[0..n)`, most probable first (no allocation, no comparator closure). */
function heapSortByProb(order: Int32Array, p: Float32Array, n: number): void {
  // A heap whose root ranks last, so repeatedly moving the root to the end leaves the best ids in front.
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(order, p, i, n);
  for (let end = n - 1; end > 0; end--) {
    const t = order[0];
    order[0] = order[end];
    order[end] = t;
    siftDown(order, p, 0, end);
  }
}

function siftDown(order: Int32Array, p: Float32Array, i: number, n: number): void {
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) return;
    let m = l;
    if (l + 1 < n && after(p, order[l + 1], order[l])) m = l + 1;
    if (!after(p, order[m], order[i])) return;
    const t = order[i];
    order[i] = order[m];
    order[m] = t;
    i = m;
  }
}
