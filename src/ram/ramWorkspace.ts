/**
 * The buffers of one episode of the recurrent attention model over B images (`ramEpisode.ts` writes and reads them):
 * locations, policy means, baselines, retina outputs, the glimpse network's layers, the core's states and caches,
 * and the backward's scratch. Allocated once through the model's backend and reused by every batch of that size.
 */
import { ramGates, ramRetinaSize } from './ramConfig.ts';
import type { RamModel } from './ramModel.ts';

/** Where the locations come from. */
export type RamPolicy = 'sample' | 'mean' | 'random' | 'replay';

/** The buffers of one episode of B images (allocated once, reused by every batch of that size). */
export interface RamWorkspace {
  readonly B: number;
  readonly T: number;
  /** Locations looked at, `// [T, B, 2]` (x, y in [-1, 1]). */
  readonly loc: Float32Array;
  /** Policy means, `// [T, B, 2]`. */
  readonly mu: Float32Array;
  /** Baselines, `// [T, B]`. */
  readonly base: Float32Array;
  /** Retina outputs, `// [T, B, D]`. */
  readonly rho: Float32Array;
  /** "What" and "where" hidden layers, `// [T, B, Hg]` each. */
  readonly hg: Float32Array;
  readonly hl: Float32Array;
  /** Glimpse network outputs, `// [T, B, G]`. */
  readonly g: Float32Array;
  /** Core states, `// [T+1, B, H]` (`h[0] = 0`); `c` the same for an LSTM, else empty. */
  readonly h: Float32Array;
  readonly c: Float32Array;
  /** Cell caches, `// [T, B, GH]` and `// [T, B, H]`. */
  readonly act: Float32Array;
  readonly aux: Float32Array;
  /** Logits at the last glimpse, `// [B, Y]`. */
  readonly logits: Float32Array;
  /** Rewards of the last backward, `// [B]`. */
  readonly reward: Float32Array;
  /** Scratch: `gx`, `gh`, `dgx`, `dgh` `[B, GH]`; `dh`, `dc`, `dhPrev`, `dcPrev` `[B, H]`; the rest as named. */
  readonly scratch: {
    gx: Float32Array;
    gh: Float32Array;
    dgx: Float32Array;
    dgh: Float32Array;
    dh: Float32Array;
    dc: Float32Array;
    dhPrev: Float32Array;
    dcPrev: Float32Array;
    dg: Float32Array; // [B, G]
    dhg: Float32Array; // [B, Hg]
    dhl: Float32Array; // [B, Hg]
    dlogits: Float32Array; // [B, Y]
    dz: Float32Array; // [B, 2]
    db: Float32Array; // [B, 1]
  };
  /** The policy of the last `ramLocate`. */
  policy: RamPolicy;
}

/** Buffers for episodes of B images with the model's sizes. */
export function createRamWorkspace(model: RamModel, B: number): RamWorkspace {
  model.checkLive('createRamWorkspace');
  const c = model.config;
  const T = c.glimpses;
  const H = c.hiddenSize;
  const GH = ramGates(c) * H;
  const lstm = c.cell === 'lstm';
  const a = (n: number): Float32Array => model.backend.alloc(n);
  return {
    B,
    T,
    loc: a(T * B * 2),
    mu: a(T * B * 2),
    base: a(T * B),
    rho: a(T * B * ramRetinaSize(c)),
    hg: a(T * B * c.glimpseHidden),
    hl: a(T * B * c.glimpseHidden),
    g: a(T * B * c.glimpseOutput),
    h: a((T + 1) * B * H),
    c: a(lstm ? (T + 1) * B * H : 0),
    act: a(T * B * GH),
    aux: a(T * B * H),
    logits: a(B * c.classes),
    reward: a(B),
    scratch: {
      gx: a(B * GH),
      gh: a(B * GH),
      dgx: a(B * GH),
      dgh: a(B * GH),
      dh: a(B * H),
      dc: a(B * H),
      dhPrev: a(B * H),
      dcPrev: a(B * H),
      dg: a(B * c.glimpseOutput),
      dhg: a(B * c.glimpseHidden),
      dhl: a(B * c.glimpseHidden),
      dlogits: a(B * c.classes),
      dz: a(B * 2),
      db: a(B),
    },
    policy: 'mean',
  };
}
