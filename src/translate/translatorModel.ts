/**
 * The encoder-decoder translator: word embeddings, a one-layer GRU encoder, a one-layer GRU decoder started from
 * the encoder's final state and fed the previous target word (teacher forcing in training), optionally dot-product
 * attention of each decoder state over the encoder states, a tanh combine layer and a softmax over target words:
 * ```
 * src ids ─► embed ─► GRU_enc ─► k_1 .. k_S ────────────────┐ (attention only)
 *                                   └ k_S = s_0              ▼
 * <s> y_1 .. ─► embed ─► GRU_dec ─► s_t ─► c_t = Σ_j a_tj k_j, a_t = softmax_j(s_t · k_j / √H)
 *                                   z_t = tanh(W_c c_t + W_s s_t + b)  (plain: tanh(W_s s_t + b))
 *                                   logits_t = W_o z_t + b_o  [V_t]
 * ```
 * One flat parameter buffer and one flat gradient buffer with named views laid out from `translatorSpec`; GRU
 * weights in PyTorch's layout and names (`encoder.weight_ih_l0`, ...), so the file loads into `nn.GRU`.
 */
import type { Backend } from '../tensor/backend.ts';
import { jsBackend } from '../tensor/jsBackend.ts';
import { disposedError, invalidArg } from '../util/errors.ts';
import { releaseModelBuffers } from '../tensor/releaseBuffers.ts';
import type { Rng } from '../util/rng.ts';
import { checkBool, checkInt } from '../util/validate.ts';

/** The shape of a translator. */
export interface TranslatorConfig {
  /** Source vocabulary size `V_s`. */
  sourceVocab: number;
  /** Target vocabulary size `V_t`. */
  targetVocab: number;
  /** Word embedding size `E`. */
  embedSize: number;
  /** GRU hidden size `H` (encoder and decoder). */
  hiddenSize: number;
  /** Whether the decoder attends over the encoder states. */
  attention: boolean;
}

/** One named parameter: its shape, and its offset in the flat buffer. */
export interface TranslatorParam {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** The parameter table of a config, in buffer order. */
export function translatorSpec(config: TranslatorConfig): TranslatorParam[] {
  const { sourceVocab: Vs, targetVocab: Vt, embedSize: E, hiddenSize: H } = config;
  const shapes: [string, number[]][] = [
    ['encoder.embedding.weight', [Vs, E]],
    ['encoder.weight_ih_l0', [3 * H, E]],
    ['encoder.weight_hh_l0', [3 * H, H]],
    ['encoder.bias_ih_l0', [3 * H]],
    ['encoder.bias_hh_l0', [3 * H]],
    ['decoder.embedding.weight', [Vt, E]],
    ['decoder.weight_ih_l0', [3 * H, E]],
    ['decoder.weight_hh_l0', [3 * H, H]],
    ['decoder.bias_ih_l0', [3 * H]],
    ['decoder.bias_hh_l0', [3 * H]],
    ...(config.attention ? ([['combine.context.weight', [H, H]]] as [string, number[]][]) : []),
    ['combine.state.weight', [H, H]],
    ['combine.bias', [H]],
    ['head.weight', [Vt, H]],
    ['head.bias', [Vt]],
  ];
  let offset = 0;
  return shapes.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const e = { name, shape, offset, size };
    offset += size;
    return e;
  });
}

/** Offsets of every parameter (the same in the gradient buffer). */
export interface TranslatorLayout {
  encEmb: number;
  encWih: number;
  encWhh: number;
  encBih: number;
  encBhh: number;
  decEmb: number;
  decWih: number;
  decWhh: number;
  decBih: number;
  decBhh: number;
  /** -1 without attention. */
  combCtx: number;
  combState: number;
  combBias: number;
  headW: number;
  headB: number;
}

/** Validates a config. @throws EddyError ERR_INVALID_ARG naming `config.<field>` */
export function checkTranslatorConfig(config: TranslatorConfig): TranslatorConfig {
  if (typeof config !== 'object' || config === null) throw invalidArg('config', 'an object', config);
  return {
    sourceVocab: checkInt('config.sourceVocab', config.sourceVocab, 4),
    targetVocab: checkInt('config.targetVocab', config.targetVocab, 4),
    embedSize: checkInt('config.embedSize', config.embedSize, 1),
    hiddenSize: checkInt('config.hiddenSize', config.hiddenSize, 1),
    attention: checkBool('config.attention', config.attention),
  };
}

/** A translator's parameters and gradients. */
export class TranslatorModel {
  readonly config: TranslatorConfig;
  readonly spec: readonly TranslatorParam[];
  readonly layout: TranslatorLayout;
  /** `[P]` every parameter. */
  readonly params: Float32Array;
  /** `[P]` their gradients (accumulated by `translatorLoss`). */
  readonly grads: Float32Array;
  readonly backend: Backend;
  #disposed = false;

  /**
   * A model with zero parameters; `init` draws them.
   * @param backend kernels for the multiplies (its own memory holds the buffers) @default jsBackend
   */
  constructor(config: TranslatorConfig, backend: Backend = jsBackend) {
    this.config = checkTranslatorConfig(config);
    this.spec = translatorSpec(this.config);
    const P = this.spec.reduce((s, e) => s + e.size, 0);
    this.backend = backend;
    this.params = backend.alloc(P);
    this.grads = backend.alloc(P);
    const at = (name: string): number => this.spec.find((e) => e.name === name)?.offset ?? -1;
    this.layout = {
      encEmb: at('encoder.embedding.weight'),
      encWih: at('encoder.weight_ih_l0'),
      encWhh: at('encoder.weight_hh_l0'),
      encBih: at('encoder.bias_ih_l0'),
      encBhh: at('encoder.bias_hh_l0'),
      decEmb: at('decoder.embedding.weight'),
      decWih: at('decoder.weight_ih_l0'),
      decWhh: at('decoder.weight_hh_l0'),
      decBih: at('decoder.bias_ih_l0'),
      decBhh: at('decoder.bias_hh_l0'),
      combCtx: at('combine.context.weight'),
      combState: at('combine.state.weight'),
      combBias: at('combine.bias'),
      headW: at('head.weight'),
      headB: at('head.bias'),
    };
  }

  /** Number of parameters. */
  get size(): number {
    return this.params.length;
  }

  /** Whether `dispose` was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Gives the parameters and gradients back to a wasm or native backend (`Translator.dispose` also gives back its
   * decoder). Afterwards `params` and `grads` are empty, and encoding, decoding, the loss and saving refuse the
   * model; a second call does nothing.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    releaseModelBuffers(this.backend, this, true);
  }

  /** @throws EddyError ERR_INVALID_ARG naming `what` once the model is disposed */
  checkLive(what: string): void {
    if (this.#disposed) throw disposedError(what, 'translator model', 'load it again');
  }

  /**
   * PyTorch's defaults: embeddings N(0, 1) (scaled by 0.3 here, so that the first tanh layers are not saturated),
   * every weight and bias U(-1/√fan, 1/√fan) with fan = H (the GRUs' hidden size, and
   * the input size of the combine and head layers).
   */
  init(rng: Rng): this {
    const { hiddenSize: H } = this.config;
    for (const e of this.spec) {
      const p = this.params;
      if (e.name.endsWith('embedding.weight')) {
        for (let i = 0; i < e.size; i++) p[e.offset + i] = 0.3 * rng.normal();
        continue;
      }
      const bound = 1 / Math.sqrt(H); // every layer here reads H inputs or has H hidden units
      for (let i = 0; i < e.size; i++) p[e.offset + i] = rng.uniform(-bound, bound);
    }
    return this;
  }

  /** The named tensors (copies), for a safetensors file. */
  tensors(): Record<string, { shape: number[]; data: Float32Array }> {
    this.checkLive('saving a translator');
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const e of this.spec) out[e.name] = { shape: e.shape, data: this.params.slice(e.offset, e.offset + e.size) };
    return out;
  }
}
