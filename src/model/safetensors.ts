/**
 * The safetensors file format (https://github.com/huggingface/safetensors), the checkpoint format PyTorch
 * users exchange state_dicts in:
 *
 * ```
 * [8 bytes: N, little-endian uint64][N bytes: UTF-8 JSON header, space-padded][byte buffer]
 * header = {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}}
 * ```
 *
 * Offsets are relative to the start of the byte buffer; the tensors must tile the buffer exactly (contiguous,
 * no overlaps, no gaps). All values are little-endian.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { EddyError, invalidArg, shapeError } from '../util/errors.ts';
import { writeFileAtomic, writeFileAtomicAsync } from '../util/atomicWrite.ts';

/** A tensor to encode: its shape and row-major data (written as F32, I32 or F64 after the array type). */
export interface SafetensorsInput {
  shape: number[];
  data: Float32Array | Int32Array | Float64Array;
}

/** A decoded tensor: the file's dtype, its shape, and its values converted to float32. */
export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

/** The result of decoding: tensors by name, and the `__metadata__` string map (`{}` when absent). */
export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** The header size limit (as in the reference implementation), so a corrupt length cannot exhaust memory. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype we decode. */
const DTYPE_SIZE: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of each `size`-byte element in place (only on big-endian hosts). */
function swapToHost(bytes: Uint8Array, size: number): Uint8Array {
  if (LITTLE_ENDIAN_HOST || size === 1) return bytes;
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  return bytes;
}

function corrupt(source: string, what: string): EddyError {
  return new EddyError('ERR_FILE', `Invalid safetensors file ${source}: ${what}`);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** IEEE half precision bits to a number (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero or subnormal
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Converts one tensor's raw little-endian bytes (a private, aligned copy) to float32. */
function toFloat32(dtype: string, raw: Uint8Array): Float32Array {
  const buf = swapToHost(raw, DTYPE_SIZE[dtype] ?? 1).buffer as ArrayBuffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits up.
      const src = new Uint16Array(buf);
      const out = new Float32Array(src.length);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
      return out;
    }
    case 'F16':
      return Float32Array.from(new Uint16Array(buf), halfToFloat);
    case 'I64':
      return Float32Array.from(new BigInt64Array(buf), Number);
    case 'U64':
      return Float32Array.from(new BigUint64Array(buf), Number);
    case 'BOOL':
      return Float32Array.from(raw, (b) => (b !== 0 ? 1 : 0));
  }
  const View = {
    F64: Float64Array,
    I32: Int32Array,
    I16: Int16Array,
    I8: Int8Array,
    U32: Uint32Array,
    U16: Uint16Array,
    U8: Uint8Array,
  }[dtype];
  return Float32Array.from(new View!(buf));
}

/**
 * Encodes tensors (and optional string metadata) as a safetensors file.
 *
 * 1. Tensors are laid out in sorted name order; `Float32Array` becomes F32, `Int32Array` I32, `Float64Array` F64.
 * 2. The JSON header is padded with spaces to a multiple of 8 bytes, so the byte buffer starts 8-aligned.
 *    (Offsets inside the buffer stay contiguous, as the format requires, so they are aligned only when the
 *    preceding tensors' sizes allow.)
 *
 * @example
 * const bytes = encodeSafetensors({ weight_ih_l0: { shape: [4, 3], data: new Float32Array(12) } }, { format: 'pt' });
 * @param tensors tensors by name; `__metadata__` is reserved
 * @param metadata string-to-string map stored as `__metadata__`
 * @returns the file bytes
 * @throws {EddyError} `ERR_INVALID_ARG` for a bad name, shape, data type or metadata value; `ERR_SHAPE` when
 *   the data length is not the product of the shape
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (!isPlainObject(tensors)) throw invalidArg('tensors', 'an object of tensors by name', tensors);
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw invalidArg('metadata', 'an object of strings', metadata);
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw invalidArg(`metadata.${k}`, 'string', v);
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  const names = Object.keys(tensors).sort();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__' || name === '')
      throw invalidArg('tensors', 'tensor names other than "" and "__metadata__"', name);
    const t = tensors[name];
    if (!isPlainObject(t)) throw invalidArg(`tensors.${name}`, 'an object { shape, data }', t);
    const { shape, data } = t as unknown as SafetensorsInput;
    if (!Array.isArray(shape) || !shape.every(isCount))
      throw invalidArg(`tensors.${name}.shape`, 'array of integers >= 0', shape);
    const dtype =
      data instanceof Float32Array
        ? 'F32'
        : data instanceof Int32Array
          ? 'I32'
          : data instanceof Float64Array
            ? 'F64'
            : undefined;
    if (dtype === undefined) throw invalidArg(`tensors.${name}.data`, 'Float32Array, Int32Array or Float64Array', data);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (data.length !== numel)
      throw shapeError(`tensors.${name}.data`, `of length ${numel} ([${shape.join(', ')}])`, `length ${data.length}`);
    parts.push(
      `${JSON.stringify(name)}:${JSON.stringify({ dtype, shape, data_offsets: [offset, offset + data.byteLength] })}`,
    );
    // Copy, so a big-endian host can swap without touching the caller's array.
    chunks.push(
      swapToHost(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(), data.BYTES_PER_ELEMENT),
    );
    offset += data.byteLength;
  }
  // Built by hand rather than JSON.stringify(object), which would move integer-like names ("0") to the front.
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Decodes a safetensors file into float32 tensors.
 *
 * 1. Reads the 8-byte header length N (at most {@link MAX_HEADER_BYTES}) and parses the N-byte JSON header.
 * 2. Validates every entry: a known dtype (F32, F64, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL), a
 *    shape of integers >= 0, offsets inside the buffer whose length is shape x dtype size, and that the
 *    tensors tile the buffer with no overlap or gap. `__metadata__` values must be strings.
 * 3. Copies each tensor's bytes (the input may start at any byte offset) and converts them to float32.
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(bytes, 'model.safetensors');
 * const w = tensors.get('weight_ih_l0')!.data; // Float32Array
 * @param bytes the whole file
 * @param source a name for error messages (a path, a URL)
 * @throws {EddyError} `ERR_FILE` naming `source` and what is wrong
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw invalidArg('bytes', 'Uint8Array', bytes);
  if (bytes.length < 8) throw corrupt(source, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw corrupt(source, `header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    throw corrupt(
      source,
      `truncated: header length ${headerLen} runs past the end of the file (${bytes.length - 8} bytes after the length)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (err) {
    throw corrupt(source, `header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isPlainObject(header)) throw corrupt(source, 'header is not a JSON object');

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(info)) throw corrupt(source, '__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string')
          throw corrupt(source, `__metadata__ value for ${JSON.stringify(k)} is not a string (${JSON.stringify(v)})`);
      }
      metadata = Object.fromEntries(Object.entries(info)) as Record<string, string>;
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(info)) throw corrupt(source, `${where} entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || DTYPE_SIZE[dtype] === undefined) {
      throw corrupt(
        source,
        `${where} has unsupported dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPE_SIZE).join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isCount))
      throw corrupt(source, `${where} has a bad shape ${JSON.stringify(shape)} (expected an array of integers >= 0)`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      throw corrupt(
        source,
        `${where} has bad data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with 0 <= begin <= end)`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLen)
      throw corrupt(
        source,
        `truncated: ${where} data_offsets [${begin}, ${end}] run past the end of the ${dataLen}-byte data buffer`,
      );
    const need = shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_SIZE[dtype];
    if (end - begin !== need) {
      throw corrupt(
        source,
        `${where} data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${need}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }

  // The tensors must tile the buffer: sorted by offset, each starts exactly where the previous one ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev = 'the start of the data buffer';
  for (const e of sorted) {
    if (e.begin < cursor)
      throw corrupt(
        source,
        `tensor ${JSON.stringify(e.name)} at [${e.begin}, ${e.end}] overlaps ${prev} (ends at ${cursor})`,
      );
    if (e.begin > cursor)
      throw corrupt(
        source,
        `gap of ${e.begin - cursor} unused bytes between ${prev} and tensor ${JSON.stringify(e.name)} at ${e.begin}`,
      );
    cursor = e.end;
    prev = `tensor ${JSON.stringify(e.name)}`;
  }
  if (cursor !== dataLen)
    throw corrupt(
      source,
      `${dataLen - cursor} unused bytes after ${prev} (data buffer is ${dataLen} bytes, tensors cover ${cursor})`,
    );

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    // Copy into a fresh, aligned ArrayBuffer: the file bytes may start at any offset. (Not bytes.slice():
    // on a Node Buffer that returns a view, not a copy.)
    const raw = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: toFloat32(e.dtype, raw) });
  }
  return { tensors, metadata };
}

function readError(path: string, err: unknown): EddyError {
  const code = (err as { code?: unknown } | null)?.code;
  const reason = code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
  return new EddyError('ERR_FILE', `Cannot read safetensors file ${path}: ${reason}`, { cause: err });
}

/**
 * Reads and decodes a safetensors file (see {@link decodeSafetensors}).
 *
 * @example
 * const { tensors } = readSafetensors('gru.safetensors');
 * @throws {EddyError} `ERR_FILE` naming `path` when the file is missing, unreadable or corrupt
 */
export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw readError(path, err);
  }
  return decodeSafetensors(bytes, path);
}

/** The async form of {@link readSafetensors}. */
export async function readSafetensorsAsync(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw readError(path, err);
  }
  return decodeSafetensors(bytes, path);
}

/**
 * Encodes tensors (see {@link encodeSafetensors}) and writes them atomically: a crash mid-write leaves the
 * previous file intact.
 *
 * @example
 * writeSafetensors('lstm.safetensors', { weight_hh_l0: { shape: [8, 2], data } }, { format: 'pt' });
 * @throws {EddyError} `ERR_INVALID_ARG`/`ERR_SHAPE` for bad tensors; `ERR_FILE` naming `path` when writing fails
 */
export function writeSafetensors(
  path: string,
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** The async form of {@link writeSafetensors}. */
export async function writeSafetensorsAsync(
  path: string,
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomicAsync(path, encodeSafetensors(tensors, metadata));
}
