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
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { EddyError, invalidArg, shapeError } from '../util/errors.ts';
import { writeFileAtomic, writeFileAtomicAsync } from '../util/atomicWrite.ts';

/** A tensor to encode: its shape and row-major data (written as F32, I32, F64 or I8 after the array type). */
export interface SafetensorsInput {
  shape: number[];
  data: Float32Array | Int32Array | Float64Array | Int8Array;
  /**
   * `'F16'`: store float32 data as IEEE half precision (rounded to nearest, ties to even, as PyTorch's
   * `.half()`), half the bytes. Values beyond the half range (|x| > 65504 after rounding) are refused, not
   * turned into infinities. @default the array's own type
   */
  dtype?: 'F16';
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

/** The most tensors a file may hold (far above any model's; a header of millions would cost seconds and GBs). */
export const MAX_TENSORS = 100_000;

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
const knownDtype = (v: unknown): v is string => typeof v === 'string' && Object.hasOwn(DTYPE_SIZE, v);

/** IEEE half precision bits to a number (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero or subnormal
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * A float32 value to IEEE half precision bits, rounded to nearest with ties to even (as PyTorch's `.half()`):
 * subnormal halves for |x| < 2^-14, infinity beyond 65504 (65520 and up), NaN stays NaN.
 */
function floatToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: zero
    mant |= 0x800000; // the implicit bit
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++; // may carry into the smallest normal: still right
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is right, up to infinity
  return sign | h;
}

/**
 * `data` as half precision, little-endian (see {@link floatToHalf}).
 * @throws EddyError ERR_INVALID_ARG naming `path` when a finite value does not fit in a half
 */
function encodeHalf(data: Float32Array, path: string): Uint8Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const h = floatToHalf(bits[i]);
    if ((h & 0x7fff) === 0x7c00 && Number.isFinite(data[i]))
      throw invalidArg(`${path}[${i}]`, 'a value that fits in F16 (|x| <= 65504)', data[i]);
    out[i] = h;
  }
  return swapToHost(new Uint8Array(out.buffer), 2);
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
 * 1. Tensors are laid out in sorted name order; `Float32Array` becomes F32 (or F16 with `dtype: 'F16'`),
 *    `Int32Array` I32, `Float64Array` F64, `Int8Array` I8.
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
    const { shape, data, dtype: as } = t as unknown as SafetensorsInput;
    if (!Array.isArray(shape) || !shape.every(isCount))
      throw invalidArg(`tensors.${name}.shape`, 'array of integers >= 0', shape);
    const dtype =
      data instanceof Float32Array
        ? 'F32'
        : data instanceof Int32Array
          ? 'I32'
          : data instanceof Float64Array
            ? 'F64'
            : data instanceof Int8Array
              ? 'I8'
              : undefined;
    if (dtype === undefined)
      throw invalidArg(`tensors.${name}.data`, 'Float32Array, Int32Array, Float64Array or Int8Array', data);
    if (as !== undefined && !(as === 'F16' && dtype === 'F32'))
      throw invalidArg(`tensors.${name}.dtype`, "'F16' with Float32Array data, or left out", as);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (data.length !== numel)
      throw shapeError(`tensors.${name}.data`, `of length ${numel} ([${shape.join(', ')}])`, `length ${data.length}`);
    // Copy, so a big-endian host can swap without touching the caller's array.
    const bytes =
      as === 'F16'
        ? encodeHalf(data as Float32Array, `tensors.${name}.data`)
        : swapToHost(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(), data.BYTES_PER_ELEMENT);
    parts.push(
      `${JSON.stringify(name)}:${JSON.stringify({ dtype: as ?? dtype, shape, data_offsets: [offset, offset + bytes.length] })}`,
    );
    chunks.push(bytes);
    offset += bytes.length;
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
 * 1. Reads the 8-byte header length N (at most {@link MAX_HEADER_BYTES}) and parses the N-byte JSON header (at most
 *    {@link MAX_TENSORS} tensors, counted before it is parsed).
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
  const headerLen = checkHeaderLength(bytes.subarray(0, 8), bytes.length, source);
  const header = parseHeader(bytes.subarray(8, 8 + headerLen), bytes.length - 8 - headerLen, source);
  return materialize(header, bytes.subarray(8 + headerLen), source);
}

/** A validated header: the tensors' places in the data buffer, and the metadata. */
interface Header {
  entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[];
  metadata: Record<string, string>;
}

/**
 * Step 1: the header length from the first 8 bytes of a file of `size` bytes, checked against the limit and the size.
 * @throws EddyError ERR_FILE
 */
function checkHeaderLength(first: Uint8Array, size: number, source: string): number {
  if (size < 8) throw corrupt(source, `file is ${size} bytes, shorter than the 8-byte header length`);
  const n = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw corrupt(source, `header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLen = Number(n);
  if (8 + headerLen > size) {
    throw corrupt(
      source,
      `truncated: header length ${headerLen} runs past the end of the file (${size - 8} bytes after the length)`,
    );
  }
  return headerLen;
}

/** `"data_offsets"`: one per tensor entry, counted in the raw header before it is parsed. */
const OFFSETS_KEY = new TextEncoder().encode('"data_offsets"');

/** Occurrences of `OFFSETS_KEY` in `bytes`, stopping once past `limit`. */
function countEntries(bytes: Uint8Array, limit: number): number {
  let count = 0;
  const first = OFFSETS_KEY[0];
  const n = OFFSETS_KEY.length;
  for (let i = bytes.indexOf(first); i >= 0 && i + n <= bytes.length; i = bytes.indexOf(first, i + 1)) {
    let k = 1;
    while (k < n && bytes[i + k] === OFFSETS_KEY[k]) k++;
    if (k === n && ++count > limit) break;
  }
  return count;
}

/**
 * Step 2: parses and validates the header against a data buffer of `dataLen` bytes.
 * @throws EddyError ERR_FILE naming `source` and what is wrong
 */
function parseHeader(headerBytes: Uint8Array, dataLen: number, source: string): Header {
  if (countEntries(headerBytes, MAX_TENSORS) > MAX_TENSORS)
    throw corrupt(source, `header lists more than ${MAX_TENSORS} tensors`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw corrupt(source, `header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isPlainObject(header)) throw corrupt(source, 'header is not a JSON object');
  // the count above misses keys written with escapes ("data\u005foffsets"): count the parsed entries too
  if (Object.keys(header).length > MAX_TENSORS + 1)
    throw corrupt(source, `header lists more than ${MAX_TENSORS} tensors`);

  let metadata: Record<string, string> = {};
  const entries: Header['entries'] = [];
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
    if (!knownDtype(dtype)) {
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

  return { entries, metadata };
}

/** Step 3: copies each tensor out of the data buffer (`data`, exactly the file's bytes after the header). */
function materialize(header: Header, data: Uint8Array, source: string): SafetensorsFile {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of header.entries) {
    if (e.end > data.length) throw corrupt(source, `truncated: tensor ${JSON.stringify(e.name)} runs past the end`);
    // Copy into a fresh, aligned ArrayBuffer: the file bytes may start at any offset. (Not bytes.slice():
    // on a Node Buffer that returns a view, not a copy.)
    const raw = new Uint8Array(data.subarray(e.begin, e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: toFloat32(e.dtype, raw) });
  }
  return { tensors, metadata: header.metadata };
}

function readError(path: string, err: unknown): EddyError {
  if (err instanceof EddyError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const reason = code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
  return new EddyError('ERR_FILE', `Cannot read safetensors file ${path}: ${reason}`, { cause: err });
}

/** Refuses what is not a regular file (a FIFO would block, a device like /dev/zero never ends). */
function checkRegular(path: string, st: Stats): void {
  if (st.isFile()) return;
  const kind = st.isFIFO()
    ? 'a FIFO'
    : st.isCharacterDevice()
      ? 'a character device'
      : st.isBlockDevice()
        ? 'a block device'
        : st.isDirectory()
          ? 'a directory'
          : st.isSocket()
            ? 'a socket'
            : 'not a file';
  throw new EddyError('ERR_FILE', `Cannot read safetensors file ${path}: not a regular file (${kind})`);
}

/**
 * Opening without blocking: a FIFO with no writer would otherwise block `open` itself (the event loop, for the
 * sync form). For a regular file the flag changes nothing.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Exactly `length` bytes at `position`; fewer means the file shrank while it was read. */
function readExactly(fd: number, length: number, position: number, path: string): Uint8Array {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw corrupt(path, `truncated while reading: ${got} of ${length} bytes at offset ${position}`);
    got += n;
  }
  return buf;
}

async function readExactlyAsync(h: FileHandle, length: number, position: number, path: string): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await h.read(buf, got, length - got, position + got);
    if (bytesRead === 0)
      throw corrupt(path, `truncated while reading: ${got} of ${length} bytes at offset ${position}`);
    got += bytesRead;
  }
  return buf;
}

/**
 * Reads and decodes a safetensors file (see {@link decodeSafetensors}), spending nothing on a bad one:
 *
 * 1. Opens without blocking and refuses anything but a regular file (FIFO, device, directory).
 * 2. Reads the 8-byte header length and checks it against {@link MAX_HEADER_BYTES} and the file size.
 * 3. Reads exactly the header and validates it (at most {@link MAX_TENSORS} tensors, offsets inside the file).
 * 4. Only then reads the data.
 *
 * @example
 * const { tensors } = readSafetensors('gru.safetensors');
 * @throws {EddyError} `ERR_FILE` naming `path` when the file is missing, not a regular file, unreadable or corrupt
 */
export function readSafetensors(path: string): SafetensorsFile {
  let fd: number | undefined;
  try {
    fd = openSync(path, OPEN_FLAGS);
    const st = fstatSync(fd);
    checkRegular(path, st);
    const size = st.size;
    const headerLen = checkHeaderLength(readExactly(fd, Math.min(8, size), 0, path), size, path);
    const header = parseHeader(readExactly(fd, headerLen, 8, path), size - 8 - headerLen, path);
    return materialize(header, readExactly(fd, size - 8 - headerLen, 8 + headerLen, path), path);
  } catch (err) {
    throw readError(path, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The async form of {@link readSafetensors}. */
export async function readSafetensorsAsync(path: string): Promise<SafetensorsFile> {
  let h: FileHandle | undefined;
  try {
    h = await open(path, OPEN_FLAGS);
    const st = await h.stat();
    checkRegular(path, st);
    const size = st.size;
    const headerLen = checkHeaderLength(await readExactlyAsync(h, Math.min(8, size), 0, path), size, path);
    const header = parseHeader(await readExactlyAsync(h, headerLen, 8, path), size - 8 - headerLen, path);
    return materialize(header, await readExactlyAsync(h, size - 8 - headerLen, 8 + headerLen, path), path);
  } catch (err) {
    throw readError(path, err);
  } finally {
    await h?.close();
  }
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
