/**
 * Step-by-step decoding with a trained translator: encode one source sentence once, then advance R decoder rows
 * (1 for greedy, up to the beam width for beam search) one target word at a time. Buffers are allocated once
 * for `maxSource` words and `maxRows` rows.
 */
import { backendCell } from '../cells/backendCell.ts';
import { dotAttentionForward } from '../cells/dotAttention.ts';
import { gruCell } from '../cells/gruCell.ts';
import { addBiasRows } from '../tensor/rowOps.ts';
import {
  encodeForward,
  gatherRows,
  lossWorkspace,
  releaseLossWorkspace,
  type LossWorkspace,
} from './translatorLoss.ts';
import { releaseBuffers } from '../tensor/releaseBuffers.ts';
import { EddyError, invalidArg } from '../util/errors.ts';
import type { TranslatorModel } from './translatorModel.ts';

/** One decoder over one model. */
export class TranslatorDecoder {
  readonly model: TranslatorModel;
  readonly maxSource: number;
  readonly maxRows: number;
  readonly #enc: LossWorkspace;
  #S = 0;
  #R = 0;
  #keysRows = 0;
  readonly #keys: Float32Array; // [S, R, H] the encoder states, repeated for each row
  #h: Float32Array; // [R, H]
  #hNext: Float32Array; // [R, H]
  readonly #ids: Int32Array; // [R]
  readonly #x: Float32Array; // [R, E]
  readonly #gx: Float32Array; // [R, 3H]
  readonly #gh: Float32Array; // [R, 3H]
  readonly #act: Float32Array; // [R, 3H]
  readonly #aux: Float32Array; // [R, H]
  readonly #ctx: Float32Array; // [R, H]
  readonly #z: Float32Array; // [R, H]
  /** `[R, V]` log-probabilities of the last step. */
  readonly logProbs: Float32Array;
  /** `[R, S]` attention weights of the last step (zeros without attention). */
  readonly attention: Float32Array;
  #released = false;

  constructor(model: TranslatorModel, maxSource: number, maxRows: number) {
    const { embedSize: E, hiddenSize: H, targetVocab: V } = model.config;
    this.model = model;
    this.maxSource = maxSource;
    this.maxRows = maxRows;
    this.#enc = lossWorkspace(model, maxSource, 1, 1);
    const a = (n: number): Float32Array => model.backend.alloc(n);
    this.#keys = a(maxSource * maxRows * H);
    this.#h = a(maxRows * H);
    this.#hNext = a(maxRows * H);
    this.#ids = new Int32Array(maxRows);
    this.#x = a(maxRows * E);
    this.#gx = a(maxRows * 3 * H);
    this.#gh = a(maxRows * 3 * H);
    this.#act = a(maxRows * 3 * H);
    this.#aux = a(maxRows * H);
    this.#ctx = a(maxRows * H);
    this.#z = a(maxRows * H);
    this.logProbs = a(maxRows * V);
    this.attention = a(maxRows * maxSource);
  }

  /**
   * Gives the decoder's buffers back to the backend (`Translator.dispose`); encoding or stepping it afterwards is
   * refused. A second call does nothing.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    releaseLossWorkspace(this.model, this.#enc);
    releaseBuffers(this.model.backend, [
      this.#keys,
      this.#h,
      this.#hNext,
      this.#x,
      this.#gx,
      this.#gh,
      this.#act,
      this.#aux,
      this.#ctx,
      this.#z,
      this.logProbs,
      this.attention,
    ]);
  }

  /** @throws EddyError ERR_INVALID_ARG once released, or once the model is disposed */
  #live(what: string): void {
    if (this.#released)
      throw new EddyError(
        'ERR_INVALID_ARG',
        `TranslatorDecoder.${what}: the decoder was released (its translator disposed)`,
      );
    this.model.checkLive(`TranslatorDecoder.${what}`);
  }

  /** Source length of the sentence being decoded. */
  get sourceLength(): number {
    return this.#S;
  }

  /**
   * Encodes `source` (ids, 1 to `maxSource` of them) and starts one decoder row from its final state.
   * @throws EddyError ERR_INVALID_ARG for an empty or too long source or an id outside the vocabulary
   */
  encode(source: Int32Array): void {
    this.#live('encode');
    const S = source.length;
    if (S < 1 || S > this.maxSource) throw invalidArg('source', `1 to ${this.maxSource} word ids`, source);
    const V = this.model.config.sourceVocab;
    for (let i = 0; i < S; i++)
      if (!(source[i] >= 0 && source[i] < V)) throw invalidArg(`source[${i}]`, `an id in [0, ${V})`, source[i]);
    encodeForward(this.model, this.#enc, source, S, 1);
    this.#S = S;
    this.#R = 1;
    this.#keysRows = 0;
    const H = this.model.config.hiddenSize;
    this.#h.set(this.#enc.he.subarray(S * H, (S + 1) * H), 0);
  }

  /** Keeps rows `parents[0..R)` of the current states as the new rows 0..R (a beam's survivors). */
  reorder(parents: ArrayLike<number>, R: number): void {
    this.#live('reorder');
    const H = this.model.config.hiddenSize;
    for (let r = 0; r < R; r++) this.#hNext.set(this.#h.subarray(parents[r] * H, parents[r] * H + H), r * H);
    [this.#h, this.#hNext] = [this.#hNext, this.#h];
    this.#R = R;
  }

  /** Feeds `ids[r]` to row r for the current R rows; fills `logProbs [R, V]` and `attention [R, S]`. */
  step(ids: ArrayLike<number>): void {
    this.#live('step');
    const m = this.model;
    const { embedSize: E, hiddenSize: H, targetVocab: V, attention } = m.config;
    const be = m.backend;
    const P = m.params;
    const lo = m.layout;
    const R = this.#R;
    const S = this.#S;
    const G = 3 * H;
    for (let r = 0; r < R; r++) this.#ids[r] = ids[r];
    gatherRows(this.#x, P, lo.decEmb, this.#ids, R, E);
    be.gemmNT(R, G, E, this.#x, 0, P, lo.decWih, this.#gx, 0, false);
    addBiasRows(be, this.#gx, 0, P, lo.decBih, R, G);
    be.gemmNT(R, G, H, this.#h, 0, P, lo.decWhh, this.#gh, 0, false);
    backendCell(gruCell, be).forward(
      this.#h,
      0,
      this.#h,
      0,
      this.#act,
      0,
      this.#aux,
      0,
      this.#gx,
      0,
      this.#gh,
      0,
      this.#h,
      0,
      this.#h,
      0,
      P,
      lo.decBhh,
      R,
      H,
    );
    be.gemmNT(R, H, H, this.#h, 0, P, lo.combState, this.#z, 0, false);
    if (attention) {
      if (this.#keysRows !== R) {
        const he = this.#enc.he;
        for (let j = 0; j < S; j++)
          for (let r = 0; r < R; r++) this.#keys.set(he.subarray((j + 1) * H, (j + 2) * H), (j * R + r) * H);
        this.#keysRows = R;
      }
      dotAttentionForward(this.#ctx, 0, this.attention, 0, this.#h, 0, this.#keys, 0, S, R, H);
      be.gemmNT(R, H, H, this.#ctx, 0, P, lo.combCtx, this.#z, 0, true);
    }
    addBiasRows(be, this.#z, 0, P, lo.combBias, R, H);
    for (let i = 0; i < R * H; i++) this.#z[i] = Math.tanh(this.#z[i]);
    be.gemmNT(R, V, H, this.#z, 0, P, lo.headW, this.logProbs, 0, false);
    addBiasRows(be, this.logProbs, 0, P, lo.headB, R, V);
    for (let r = 0; r < R; r++) {
      const o = r * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (this.logProbs[o + v] > max) max = this.logProbs[o + v];
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(this.logProbs[o + v] - max);
      const lz = max + Math.log(sum);
      for (let v = 0; v < V; v++) this.logProbs[o + v] -= lz;
    }
  }
}
