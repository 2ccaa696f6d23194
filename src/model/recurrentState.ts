/**
 * The carried state of a stacked recurrent model: plain data, copyable and serializable.
 * `h` is `[L, B, H]`; `c` (LSTM only) is `[L, B, H]`.
 */
export interface RecurrentState {
  readonly h: Float32Array;
  readonly c?: Float32Array;
}

/** A deep copy of a state. */
export function cloneState(state: RecurrentState): RecurrentState {
  return state.c ? { h: state.h.slice(), c: state.c.slice() } : { h: state.h.slice() };
}

/** Copies `src` into `dst` (same shapes). */
export function copyState(dst: RecurrentState, src: RecurrentState): void {
  dst.h.set(src.h);
  if (dst.c && src.c) dst.c.set(src.c);
}

/** A JSON-safe form of a state, for snapshots that outlive the process. */
export interface SerializedState {
  h: number[];
  c?: number[];
}

/** Turns a state into plain JSON. Float32 values survive a JSON round trip exactly. */
export function serializeState(state: RecurrentState): SerializedState {
  return state.c ? { h: Array.from(state.h), c: Array.from(state.c) } : { h: Array.from(state.h) };
}

/** Rebuilds a state from `serializeState`'s output. */
export function deserializeState(json: SerializedState): RecurrentState {
  return json.c ? { h: Float32Array.from(json.h), c: Float32Array.from(json.c) } : { h: Float32Array.from(json.h) };
}
