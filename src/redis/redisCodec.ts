/**
 * The bytes the scale-out writes to Redis: step inputs, outputs and per-key states.
 *
 * ```
 * input  x   dense model: Float32 [X] little-endian bytes;  token model: the id in decimal ("17")
 * output y   Float32 [Y] little-endian bytes
 * state      [ms u64 LE | seq u64 LE | h Float32 [L·H] | c Float32 [L·H] (LSTM) ]   the last applied id, then h, c
 * ```
 * Buffers that come from a Redis client can start at any byte offset (they are slices of a socket buffer), so
 * every decoder copies the bytes before viewing them as a `Float32Array`.
 */
import { endianness } from 'node:os';
import type { RecurrentState } from '../model/recurrentState.ts';
import type { RNNModel } from '../model/rnnModel.ts';
import type { StepInput } from '../operators/stepper.ts';
import { EddyError, describeKind, invalidArg, shapeError } from '../util/errors.ts';

const LITTLE_ENDIAN = endianness() === 'LE';

function checkEndianness(): void {
  if (!LITTLE_ENDIAN)
    throw new EddyError(
      'ERR_INVALID_ARG',
      'The Redis scale-out writes little-endian floats; this machine is big-endian',
    );
}

/** The bytes of a Float32Array (a view, no copy): send it before the array changes. */
export function float32Bytes(a: Float32Array): Buffer {
  checkEndianness();
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A Float32Array copied out of bytes (which may start at an odd offset). @throws ERR_SHAPE on a bad length */
export function bytesToFloat32(buf: Uint8Array, name: string, length?: number): Float32Array {
  checkEndianness();
  if (buf.byteLength % 4 !== 0 || (length !== undefined && buf.byteLength !== 4 * length))
    throw shapeError(
      name,
      length === undefined ? 'a whole number of Float32 values' : `${4 * length} bytes (Float32 [${length}])`,
      `${buf.byteLength} bytes`,
    );
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/**
 * The field value of a step input for `model`: Float32 bytes for a dense model, the decimal id for a token model.
 * @throws EddyError ERR_SHAPE / ERR_INVALID_ARG when `x` does not fit the model
 */
export function encodeStepInput(model: RNNModel, x: StepInput): Buffer | string {
  const { input, inputSize: X } = model.config;
  if (input === 'dense') {
    if (!(x instanceof Float32Array) || x.length !== X)
      throw shapeError('x', `Float32Array of length ${X} ([X=${X}])`, describeKind(x));
    return Buffer.from(float32Bytes(x)); // a copy: the caller may reuse x
  }
  const id = typeof x === 'number' ? x : x instanceof Int32Array && x.length === 1 ? x[0] : NaN;
  if (!Number.isInteger(id) || id < 0 || id >= X) throw invalidArg('x', `token id (integer in [0, ${X}))`, x);
  return String(id);
}

/** A step input back from its field value. @throws EddyError ERR_SHAPE / ERR_INVALID_ARG naming the key */
export function decodeStepInput(model: RNNModel, value: Buffer | null | undefined, key: string): StepInput {
  const { input, inputSize: X } = model.config;
  if (value === null || value === undefined) throw invalidArg(`field x of key ${key}`, 'a step input', value);
  if (input === 'dense') return bytesToFloat32(value, `field x of key ${key}`, X);
  const text = value.toString('latin1');
  const id = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(id < X)) throw invalidArg(`field x of key ${key}`, `token id (integer in [0, ${X}))`, text);
  return id;
}

/** The stored form of a key's state with the id of the last entry applied to it. */
export function encodeKeyState(lastId: string, state: RecurrentState): Buffer {
  checkEndianness();
  const dash = lastId.indexOf('-');
  const n = state.h.length;
  const buf = Buffer.allocUnsafe(16 + 4 * n * (state.c ? 2 : 1));
  buf.writeBigUInt64LE(BigInt(lastId.slice(0, dash)), 0);
  buf.writeBigUInt64LE(BigInt(lastId.slice(dash + 1)), 8);
  buf.set(new Uint8Array(state.h.buffer, state.h.byteOffset, 4 * n), 16);
  if (state.c) buf.set(new Uint8Array(state.c.buffer, state.c.byteOffset, 4 * n), 16 + 4 * n);
  return buf;
}

/** A key's stored state. */
export interface StoredKeyState {
  /** The id of the last entry applied to the key. */
  readonly lastId: string;
  /** Its state after that entry: `h [L,1,H]`, `c [L,1,H]` for an LSTM. */
  readonly state: RecurrentState;
}

/**
 * Decodes `encodeKeyState`'s bytes for `model`.
 * @throws EddyError ERR_FILE when the size does not fit the model (a state written by another model)
 */
export function decodeKeyState(model: RNNModel, buf: Uint8Array, key: string): StoredKeyState {
  const n = model.config.numLayers * model.config.hiddenSize;
  const parts = model.cell.hasCell ? 2 : 1;
  if (buf.byteLength !== 16 + 4 * n * parts)
    throw new EddyError(
      'ERR_FILE',
      `The stored state of key ${key} has ${buf.byteLength} bytes; this model's (L=${model.config.numLayers}, ` +
        `H=${model.config.hiddenSize}, ${model.config.cell}) takes ${16 + 4 * n * parts}: written by another model?`,
    );
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const lastId = `${view.readBigUInt64LE(0)}-${view.readBigUInt64LE(8)}`;
  const h = bytesToFloat32(buf.subarray(16, 16 + 4 * n), `state of key ${key}`);
  if (parts === 1) return { lastId, state: { h } };
  return { lastId, state: { h, c: bytesToFloat32(buf.subarray(16 + 4 * n), `state of key ${key}`) } };
}
