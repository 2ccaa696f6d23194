/**
 * Category conditioning through the initial state: a learned initial state per category (language, digit, class)
 * from which a recurrent model starts, so that one model generates for any category and `generate` streams from it
 * unchanged (`initialState: table.stateOf(c)`).
 *
 * ```
 * category c ──► table[c] = h0 [L, H] (+ c0 for an LSTM) ──► model.forward(x, { state }) ──► y
 *                    ▲                                                   │
 *                    └──── backward: dh0 (model.backward's return) ◄─────┘
 * ```
 * 1. `gather(categories)` builds the `[L, B, H]` initial state of a batch from the rows of the table.
 * 2. `backward(dState0, categories)` adds the gradient of the initial state (what `model.backward` returns) into
 *    `grads`, row by row: the table trains with any optimizer over `params` / `grads`.
 * 3. `toJSON()` / `CategoryStates.fromJSON()` keep the table beside a model (in the safetensors metadata).
 *
 * @example
 * const table = CategoryStates.create(model, 18, { seed: 1 });
 * const { y, workspace } = model.forward(ids, { T, B, state: table.gather(langs) });
 * table.backward(model.backward(workspace, dy), langs);
 * generate(model, { prime: START, initialState: table.stateOf(russian) });
 */
import { EddyError, invalidArg } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import type { RecurrentState } from './recurrentState.ts';
import type { RNNModel } from './rnnModel.ts';

/** The JSON form of a table. */
export interface CategoryStatesJSON {
  categories: number;
  layers: number;
  hidden: number;
  cell: boolean;
  values: number[];
}

/** A learned initial state per category, over one flat parameter buffer and one flat gradient buffer. */
export class CategoryStates {
  /** C: categories. */
  readonly categories: number;
  /** L: layers. */
  readonly layers: number;
  /** H: hidden units. */
  readonly hidden: number;
  /** Whether the model carries a cell state (LSTM): then `params` holds a c table after the h table. */
  readonly hasCell: boolean;
  /** `[C, L, H]` initial h per category, then (LSTM) `[C, L, H]` initial c. */
  readonly params: Float32Array;
  /** Same layout as `params`; `backward` accumulates here. */
  readonly grads: Float32Array;

  /** Wraps a table; `values` (copied) defaults to zeros. */
  constructor(categories: number, layers: number, hidden: number, hasCell: boolean, values?: ArrayLike<number>) {
    this.categories = checkInt('categories', categories, 1);
    this.layers = checkInt('layers', layers, 1);
    this.hidden = checkInt('hidden', hidden, 1);
    this.hasCell = hasCell;
    const n = categories * layers * hidden * (hasCell ? 2 : 1);
    this.params = new Float32Array(n);
    if (values !== undefined) {
      if (values.length !== n) throw invalidArg('values', `${n} numbers ([C, L, H]${hasCell ? ' twice' : ''})`, values);
      this.params.set(values);
    }
    this.grads = new Float32Array(n);
  }

  /** A table for `model` with small random values (N(0, 0.1²)). */
  static create(model: RNNModel, categories: number, options: { seed?: number } = {}): CategoryStates {
    const o = checkObject('options', options);
    const t = new CategoryStates(categories, model.config.numLayers, model.config.hiddenSize, model.cell.hasCell);
    const rng = new Rng(checkInt('options.seed', o.seed ?? 0, 0, 0xffffffff));
    for (let i = 0; i < t.params.length; i++) t.params[i] = 0.1 * rng.normal();
    return t;
  }

  /** A table from `toJSON()`. @throws EddyError ERR_FILE when it does not fit `model` */
  static fromJSON(json: CategoryStatesJSON, model: RNNModel, source = 'category states'): CategoryStates {
    if (
      json === null ||
      typeof json !== 'object' ||
      json.layers !== model.config.numLayers ||
      json.hidden !== model.config.hiddenSize ||
      json.cell !== model.cell.hasCell ||
      !Array.isArray(json.values)
    )
      throw new EddyError('ERR_FILE', `Cannot load ${source}: the category states do not fit the model`);
    return new CategoryStates(json.categories, json.layers, json.hidden, json.cell, json.values);
  }

  /** The table as JSON. */
  toJSON(): CategoryStatesJSON {
    return {
      categories: this.categories,
      layers: this.layers,
      hidden: this.hidden,
      cell: this.hasCell,
      values: Array.from(this.params),
    };
  }

  private check(categories: ArrayLike<number>): number {
    if (categories === null || typeof categories !== 'object' || !(categories.length >= 1))
      throw invalidArg('categories', 'a non-empty array of category ids', categories);
    for (let b = 0; b < categories.length; b++) checkInt(`categories[${b}]`, categories[b], 0, this.categories - 1);
    return categories.length;
  }

  /** The initial state `{h [L, B, H], c?}` of a batch whose row b has category `categories[b]`. */
  gather(categories: ArrayLike<number>): RecurrentState {
    const B = this.check(categories);
    const { layers: L, hidden: H } = this;
    const half = this.categories * L * H;
    const h = new Float32Array(L * B * H);
    const c = this.hasCell ? new Float32Array(L * B * H) : null;
    for (let l = 0; l < L; l++)
      for (let b = 0; b < B; b++) {
        const src = (categories[b] * L + l) * H;
        h.set(this.params.subarray(src, src + H), (l * B + b) * H);
        c?.set(this.params.subarray(half + src, half + src + H), (l * B + b) * H);
      }
    return c ? { h, c } : { h };
  }

  /** One category's initial state (B = 1), for `generate`'s `initialState`. */
  stateOf(category: number): RecurrentState {
    return this.gather([category]);
  }

  /** Adds the gradient of a batch's initial state (`model.backward`'s return) into `grads`. */
  backward(dState: RecurrentState, categories: ArrayLike<number>): void {
    const B = this.check(categories);
    const { layers: L, hidden: H } = this;
    const half = this.categories * L * H;
    if (dState.h.length !== L * B * H) throw invalidArg('dState.h', `length ${L * B * H} ([L, B, H])`, dState.h);
    for (let l = 0; l < L; l++)
      for (let b = 0; b < B; b++) {
        const dst = (categories[b] * L + l) * H;
        const src = (l * B + b) * H;
        for (let j = 0; j < H; j++) this.grads[dst + j] += dState.h[src + j];
        if (this.hasCell && dState.c) for (let j = 0; j < H; j++) this.grads[half + dst + j] += dState.c[src + j];
      }
  }

  /** Zeroes `grads`. */
  zeroGrads(): void {
    this.grads.fill(0);
  }
}
