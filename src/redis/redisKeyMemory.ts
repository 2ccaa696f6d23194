/**
 * A worker's keys in memory: the `KeyedStepper` core of `keyedRecurrent` (one state per key, LRU bound, batched
 * steps), plus what the worker needs around it for exactly-once commits.
 *
 * ```
 * held     key -> last applied id        the keys the stepper holds (mirrors its map through onEvict)
 * parked   key -> { last id, state }     keys evicted (LRU) with uncommitted steps: kept until their commit
 * loaded   key -> { last id, state }|null states read from Redis for the batch being stepped (null: a new key)
 * ```
 * 1. A key's last applied id and state come from, in order: the stepper, `parked`, `loaded`.
 * 2. `step` splits a batch into rounds (the n-th entry of each key goes to round n, so a key's steps stay in order)
 *    and rounds into chunks of at most `capacity` keys, each one `model.step` over `[B, X]`, as `keyedRecurrent`
 *    does; rows of a batch never interact, so each output equals stepping its key alone.
 */
import type { RecurrentState } from '../model/recurrentState.ts';
import type { RNNModel } from '../model/rnnModel.ts';
import { KeyedStepper, resolveKeyedState, type ResolvedKeyedState } from '../operators/keyedStepper.ts';
import type { StepInput } from '../operators/stepper.ts';
import { EddyError } from '../util/errors.ts';
import type { StoredKeyState } from './redisCodec.ts';

/** The keys of one worker, in memory. */
export class RedisKeyMemory {
  readonly #model: RNNModel;
  readonly #maxBatch: number;
  readonly #options: ResolvedKeyedState<string>;
  #ks: KeyedStepper<string>;
  readonly #held = new Map<string, string>();
  readonly #parked = new Map<string, StoredKeyState>();
  readonly #loaded = new Map<string, StoredKeyState | null>();

  /** @param isDirty whether a key has steps not yet committed (its evicted state must then be kept) */
  constructor(model: RNNModel, maxBatch: number, maxKeys: number, isDirty: (key: string) => boolean) {
    this.#model = model;
    this.#maxBatch = maxBatch;
    this.#options = resolveKeyedState<string>({
      maxKeys,
      onEvict: (key, state) => {
        const lastId = this.#held.get(key);
        this.#held.delete(key);
        if (lastId !== undefined && isDirty(key)) this.#parked.set(key, { lastId, state });
      },
      initialState: (key) => {
        const parked = this.#parked.get(key);
        if (parked !== undefined) {
          this.#parked.delete(key);
          return parked.state;
        }
        return this.#loaded.get(key)?.state;
      },
    });
    this.#ks = new KeyedStepper(model, this.#options, maxBatch);
  }

  /** Whether the key's state must be read from Redis before it is stepped. */
  needsLoad(key: string): boolean {
    return !this.#held.has(key) && !this.#parked.has(key) && !this.#loaded.has(key);
  }

  /** Gives the state read from Redis for a key (null: none stored, the key starts from zeros). */
  setLoaded(key: string, stored: StoredKeyState | null): void {
    this.#loaded.set(key, stored);
  }

  /** The id of the last entry applied to the key, if any. */
  lastIdOf(key: string): string | undefined {
    return this.#held.get(key) ?? this.#parked.get(key)?.lastId ?? this.#loaded.get(key)?.lastId;
  }

  /** A copy of the key's current state. @throws EddyError when the key is nowhere (a bug) */
  stateOf(key: string): RecurrentState {
    const s = this.#ks.peek(key) ?? this.#parked.get(key)?.state;
    if (s === undefined) throw new EddyError('ERR_INVALID_ARG', `No state in memory for key ${key}`);
    return s;
  }

  /** Forgets the parked copies of keys whose steps were committed. */
  committed(keys: Iterable<string>): void {
    for (const k of keys) this.#parked.delete(k);
  }

  /**
   * Steps the entries (`keys[i]`, `inputs[i]`, entry id `ids[i]`) in rounds and chunks; `emit(i, y)` receives each
   * output right after its chunk, before a later chunk can evict the key.
   */
  step(
    keys: readonly string[],
    inputs: readonly StepInput[],
    ids: readonly string[],
    now: number,
    emit: (i: number, y: Float32Array) => void,
  ): void {
    const n = keys.length;
    const round = new Int32Array(n);
    const seen = new Map<string, number>();
    let rounds = 0;
    for (let i = 0; i < n; i++) {
      const r = seen.get(keys[i]) ?? 0;
      seen.set(keys[i], r + 1);
      round[i] = r;
      if (r + 1 > rounds) rounds = r + 1;
    }
    const idx: number[] = [];
    const ck: string[] = [];
    const cx: StepInput[] = [];
    const run = (): void => {
      const ys = this.#ks.stepBatch(ck, cx, ck.length, now);
      for (let j = 0; j < ys.length; j++) {
        this.#held.set(ck[j], ids[idx[j]]);
        emit(idx[j], ys[j]);
      }
      idx.length = 0;
      ck.length = 0;
      cx.length = 0;
    };
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < n; i++) {
        if (round[i] !== r) continue;
        idx.push(i);
        ck.push(keys[i]);
        cx.push(inputs[i]);
        if (ck.length === this.#ks.capacity) run();
      }
      if (ck.length > 0) run();
    }
    this.#loaded.clear();
  }

  /** Drops every key (their committed states stay in Redis and are read again when needed). */
  reset(): void {
    this.#ks.release();
    this.#ks = new KeyedStepper(this.#model, this.#options, this.#maxBatch);
    this.#held.clear();
    this.#parked.clear();
    this.#loaded.clear();
  }

  /** Number of keys held by the stepper. */
  get size(): number {
    return this.#held.size;
  }
}
