/**
 * MNIST in its original IDX format, gzipped: parse with `zlib.gunzipSync` and a `DataView`, validate the magic
 * numbers and sizes, and return flat typed arrays.
 *
 * 1. Images: big-endian uint32 magic `0x00000803`, count, rows, cols, then count*rows*cols bytes, row-major.
 * 2. Labels: magic `0x00000801`, count, then count bytes, each 0..9.
 * 3. The header is checked on the first inflated bytes, and the rest is inflated only up to the size it declares:
 *    a gzip bomb or a file of another kind fails before anything large is inflated.
 * 4. Every failure is an `EddyError` with code `ERR_FILE` that names the file.
 *
 * @example
 * const test = await loadMnist(mnistPaths('/data', 'test'));
 * test.labels.subarray(0, 4); // Uint8Array [7, 2, 1, 0]
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { EddyError, invalidArg } from '../util/errors.ts';
import { checkInt, checkObject, checkOneOf } from '../util/validate.ts';
import { fileError } from './textBytes.ts';

/** An MNIST split: images `[N, rows, cols]` (0 = background, 255 = ink) and labels `[N]`. */
export interface MnistSet {
  /** Pixels, `// [N, rows, cols]` row-major. */
  images: Uint8Array;
  /** Digit labels 0..9, `// [N]`. */
  labels: Uint8Array;
  /** N. */
  count: number;
  /** 28 for MNIST. */
  rows: number;
  /** 28 for MNIST. */
  cols: number;
}

/** The two files of one split. */
export interface MnistPaths {
  images: string;
  labels: string;
}

/** Options of `loadMnist`. */
export interface MnistLoadOptions {
  /**
   * Keep only the first `limit` samples (the arrays are copied down to that size).
   * @default undefined (all)
   */
  limit?: number;
}

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/**
 * The standard file names of a split under a data directory:
 * `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`.
 */
export function mnistPaths(dataDir: string, split: 'train' | 'test'): MnistPaths {
  if (typeof dataDir !== 'string' || dataDir.length === 0)
    throw invalidArg('dataDir', 'a non-empty directory path', dataDir);
  const prefix = checkOneOf('split', split, ['train', 'test'] as const) === 'train' ? 'train' : 't10k';
  return {
    images: join(dataDir, `${prefix}-images-idx3-ubyte.gz`),
    labels: join(dataDir, `${prefix}-labels-idx1-ubyte.gz`),
  };
}

function corrupt(name: string, why: string): EddyError {
  return new EddyError('ERR_FILE', `MNIST file ${name} is not a valid IDX file: ${why}`);
}

const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

function gzipError(name: string, err: unknown): EddyError {
  return new EddyError('ERR_FILE', `MNIST file ${name} is not a valid gzip file: ${(err as Error).message}`, {
    cause: err,
  });
}

/**
 * The first `n` bytes of the file's content: inflated from a growing prefix of the gzip stream (never more than the
 * prefix holds, a few MB at most), so the header is checked before anything large is inflated.
 */
function head(bytes: Uint8Array, n: number, name: string): Uint8Array {
  if (!isGzip(bytes)) return bytes.subarray(0, n);
  for (let prefix = 1024; ; prefix *= 4) {
    let out: Uint8Array;
    try {
      out = gunzipSync(bytes.subarray(0, prefix), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (err) {
      throw gzipError(name, err);
    }
    if (out.length >= n || prefix >= bytes.length) return out.subarray(0, n);
  }
}

/**
 * The whole content, inflating at most `declared` bytes (the size the header gives): a stream that inflates to more
 * fails at once instead of filling memory. Non-gzip bytes are returned as they are.
 */
function content(bytes: Uint8Array, declared: number, name: string, says: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  if (declared > MAX_CONTENT_BYTES) throw corrupt(name, `${says}, more than the ${MAX_CONTENT_BYTES} bytes eddy reads`);
  try {
    return gunzipSync(bytes, { maxOutputLength: Math.max(declared, 1) });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw corrupt(name, `${says} but the file has more`);
    throw gzipError(name, err);
  }
}

/** The most bytes an IDX file may inflate to (4 GiB: a Buffer's limit). */
const MAX_CONTENT_BYTES = 2 ** 32 - 1;

/**
 * Parses an IDX3 image file (gzipped or not).
 * @param bytes the file's bytes
 * @param name the file name for error messages
 * @throws {EddyError} ERR_FILE for a bad magic number, a zero size or a length that does not match the header
 */
export function parseMnistImages(
  bytes: Uint8Array,
  name: string,
): { images: Uint8Array; count: number; rows: number; cols: number } {
  const h = head(bytes, 16, name);
  if (h.length < 16) throw corrupt(name, `expected a 16-byte image header but the file has ${h.length} bytes`);
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const magic = view.getUint32(0);
  if (magic !== IMAGES_MAGIC) throw corrupt(name, `expected image magic number 0x00000803 but found 0x${hex8(magic)}`);
  const count = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  if (rows === 0 || cols === 0 || rows > 4096 || cols > 4096)
    throw corrupt(name, `implausible image size ${rows}x${cols}`);
  const expected = 16 + count * rows * cols;
  const says = `header says ${count} images of ${rows}x${cols} (${expected} bytes)`;
  const raw = content(bytes, expected, name, says);
  if (raw.length !== expected) throw corrupt(name, `${says} but the file has ${raw.length} bytes`);
  return { images: raw.subarray(16), count, rows, cols };
}

/**
 * Parses an IDX1 label file (gzipped or not).
 * @throws {EddyError} ERR_FILE for a bad magic number, a wrong length or a label outside 0..9
 */
export function parseMnistLabels(bytes: Uint8Array, name: string): Uint8Array {
  const h = head(bytes, 8, name);
  if (h.length < 8) throw corrupt(name, `expected an 8-byte label header but the file has ${h.length} bytes`);
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const magic = view.getUint32(0);
  if (magic !== LABELS_MAGIC) throw corrupt(name, `expected label magic number 0x00000801 but found 0x${hex8(magic)}`);
  const count = view.getUint32(4);
  const says = `header says ${count} labels (${8 + count} bytes)`;
  const raw = content(bytes, 8 + count, name, says);
  if (raw.length !== 8 + count) throw corrupt(name, `${says} but the file has ${raw.length} bytes`);
  const labels = raw.subarray(8);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > 9) throw corrupt(name, `label ${i} is ${labels[i]}, expected 0..9`);
  }
  return labels;
}

/**
 * Reads and validates one MNIST split from its two gzipped IDX files.
 *
 * @param paths the image and label files (see `mnistPaths`)
 * @param options see `MnistLoadOptions`
 * @returns images `[N, rows, cols]` and labels `[N]`
 * @throws {EddyError} ERR_FILE naming the file when it is missing, not gzip, corrupt, or the counts disagree
 */
export async function loadMnist(paths: MnistPaths, options?: MnistLoadOptions): Promise<MnistSet> {
  const p = checkObject('paths', paths);
  if (typeof p.images !== 'string') throw invalidArg('paths.images', 'a file path', p.images);
  if (typeof p.labels !== 'string') throw invalidArg('paths.labels', 'a file path', p.labels);
  const o = checkObject('options', options);
  const limit = o.limit === undefined ? Infinity : checkInt('options.limit', o.limit, 0);
  const read = async (path: string): Promise<Uint8Array> => {
    try {
      if (!(await stat(path)).isFile())
        throw new EddyError('ERR_FILE', `MNIST file ${path} is not a regular file (a device, FIFO or directory)`);
      return await readFile(path);
    } catch (err) {
      throw err instanceof EddyError ? err : fileError(path, err);
    }
  };
  const [imageBytes, labelBytes] = await Promise.all([read(p.images), read(p.labels)]);
  const img = parseMnistImages(imageBytes, p.images);
  const labels = parseMnistLabels(labelBytes, p.labels);
  if (labels.length !== img.count) {
    throw new EddyError(
      'ERR_FILE',
      `MNIST files disagree: ${p.images} has ${img.count} images but ${p.labels} has ${labels.length} labels`,
    );
  }
  const n = Math.min(img.count, limit);
  const size = img.rows * img.cols;
  return {
    images: n === img.count ? img.images : img.images.slice(0, n * size),
    labels: n === img.count ? labels : labels.slice(0, n),
    count: n,
    rows: img.rows,
    cols: img.cols,
  };
}

/**
 * Checks that a value is an `MnistSet` with consistent sizes (used by the generators).
 * @throws {EddyError} ERR_INVALID_ARG naming `path`
 */
export function checkMnistSet(path: string, set: unknown): MnistSet {
  const s = set as MnistSet;
  if (s === null || typeof s !== 'object' || !(s.images instanceof Uint8Array) || !(s.labels instanceof Uint8Array)) {
    throw invalidArg(path, 'an MnistSet { images, labels, count, rows, cols }', set);
  }
  checkInt(`${path}.count`, s.count, 1);
  checkInt(`${path}.rows`, s.rows, 1);
  checkInt(`${path}.cols`, s.cols, 1);
  if (s.images.length !== s.count * s.rows * s.cols || s.labels.length !== s.count) {
    throw invalidArg(
      path,
      `images of length count*rows*cols = ${s.count * s.rows * s.cols} and labels of length ${s.count}`,
      set,
    );
  }
  return s;
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}
