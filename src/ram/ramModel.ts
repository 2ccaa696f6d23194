/**
 * The recurrent attention model's parameters: one flat buffer and one flat gradient buffer with named views laid
 * out by `ramLayout` (see `ramConfig.ts` for the equations), so that eddy's optimizers, clipping and safetensors
 * files work on it unchanged. The episode math is in `ramEpisode.ts`.
 *
 * @example
 * const model = RamModel.create({ glimpses: 6, glimpseSize: 8, scales: 1 }, { seed: 1 });
 * model.numParams; // 172,941 with the paper's sizes
 */
import type { Backend } from '../tensor/backend.ts';
import { jsBackend } from '../tensor/jsBackend.ts';
import { disposedError, invalidArg } from '../util/errors.ts';
import { releaseModelBuffers } from '../tensor/releaseBuffers.ts';
import { Rng } from '../util/rng.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import { ramLayout, resolveRamConfig, type RamConfig, type RamOptions, type RamTensorSpec } from './ramConfig.ts';

/** Offsets of the named tensors in the flat buffers. */
export interface RamOffsets {
  wRho: number;
  bRho: number;
  wLoc: number;
  bLoc: number;
  wWhat: number;
  bWhat: number;
  wWhere: number;
  bWhere: number;
  wIh: number;
  wHh: number;
  bIh: number;
  bHh: number;
  wL: number;
  bL: number;
  wB: number;
  bB: number;
  wA: number;
  bA: number;
}

const KEYS: readonly (keyof RamOffsets)[] = [
  'wRho',
  'bRho',
  'wLoc',
  'bLoc',
  'wWhat',
  'bWhat',
  'wWhere',
  'bWhere',
  'wIh',
  'wHh',
  'bIh',
  'bHh',
  'wL',
  'bL',
  'wB',
  'bB',
  'wA',
  'bA',
];

/** A recurrent attention model: configuration, parameters `[P]`, gradients `[P]` and the kernels it runs on. */
export class RamModel {
  readonly config: RamConfig;
  readonly backend: Backend;
  /** The parameter table in buffer order. */
  readonly layout: readonly RamTensorSpec[];
  readonly offsets: RamOffsets;
  /** All parameters `[P]`. */
  readonly params: Float32Array;
  /** Gradients `[P]`, same layout; backward accumulates into them. */
  readonly grads: Float32Array;
  #disposed = false;

  private constructor(config: RamConfig, backend: Backend) {
    this.config = config;
    this.backend = backend;
    const { entries, size } = ramLayout(config);
    this.layout = entries;
    const o = {} as RamOffsets;
    entries.forEach((e, i) => {
      o[KEYS[i]] = e.offset;
    });
    this.offsets = o;
    this.params = backend.alloc(size);
    this.grads = backend.alloc(size);
  }

  /**
   * A new model, each layer initialised as PyTorch's `nn.Linear` (`U(-1/√fanIn, 1/√fanIn)`), the location and
   * baseline biases at 0 (the first glimpse looks at the centre).
   * @throws {EddyError} ERR_INVALID_ARG naming `options.<field>` or `createOptions.seed`
   */
  static create(options?: RamOptions, createOptions: { seed?: number; backend?: Backend } = {}): RamModel {
    const config = resolveRamConfig(options);
    const co = checkObject('createOptions', createOptions);
    const seed = checkInt('createOptions.seed', co.seed ?? 0, 0, 0xffffffff);
    const m = new RamModel(config, co.backend ?? jsBackend);
    const rng = new Rng(seed);
    for (const e of m.layout) {
      const k = e.fanIn > 0 ? 1 / Math.sqrt(e.fanIn) : 0;
      for (let i = 0; i < e.size; i++) m.params[e.offset + i] = k > 0 ? rng.uniform(-k, k) : 0;
    }
    return m;
  }

  /**
   * A model with the given configuration and parameters (copied), e.g. read from a file.
   * @throws {EddyError} ERR_INVALID_ARG when `params` is not `[P]` for this configuration
   */
  static fromParams(config: RamOptions, params: ArrayLike<number>, backend: Backend = jsBackend): RamModel {
    const m = new RamModel(resolveRamConfig(config), backend);
    if (params.length !== m.params.length)
      throw invalidArg('params', `${m.params.length} parameters for this configuration`, `${params.length} values`);
    m.params.set(params);
    return m;
  }

  /** P. */
  get numParams(): number {
    return this.params.length;
  }

  /** Sets every gradient to 0. */
  zeroGrads(): void {
    this.grads.fill(0);
  }

  /** Whether `dispose` was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Gives the parameters and gradients back to a wasm or native backend (whose memory is never returned otherwise;
   * episode workspaces are released by their own users). Afterwards `params` and `grads` are empty and every
   * episode, workspace and save refuses the model; a second call does nothing.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    releaseModelBuffers(this.backend, this, true);
  }

  /**
   * Called by everything that computes with the parameters.
   * @throws {EddyError} ERR_INVALID_ARG naming `what` once the model is disposed
   */
  checkLive(what: string): void {
    if (this.#disposed) throw disposedError(what, 'RAM model', 'load or create it again');
  }
}
