/**
 * Int8 weight files: a 2-D weight `[rows, cols]` stored as I8 with a float32 scale per row (`max |w| / 127`, the
 * scheme `RNNModel.quantizeWeights('int8')` uses in memory), next to it as `<name>.int8_scale` `[rows]`: a quarter of
 * the bytes of float32. Loading multiplies back (`w = q · scale[row]`); eddy then computes in float32. PyTorch reads
 * such a file as int8 tensors and their scales: `w = q.float() * scale[:, None]` gives the weight back.
 *
 * @example
 * const { q, scale } = quantizeRowsInt8(w, rows, cols);   // q: Int8Array [rows, cols], scale: Float32Array [rows]
 */
import type { SafetensorsTensor } from './safetensors.ts';
import { EddyError, invalidArg } from '../util/errors.ts';

/** The name suffix of a weight's row scales. */
export const INT8_SCALE_SUFFIX = '.int8_scale';

/**
 * Rounds `[rows, cols]` to int8 with a scale per row, `max |w_row| / 127` (a row of zeros: scale 0).
 * @throws EddyError ERR_INVALID_ARG naming `path[i]` for a value that is not finite
 */
export function quantizeRowsInt8(
  data: Float32Array,
  rows: number,
  cols: number,
  path = 'data',
): { q: Int8Array; scale: Float32Array } {
  const q = new Int8Array(rows * cols);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = 0;
    for (let j = 0; j < cols; j++) {
      const v = data[o + j];
      if (!Number.isFinite(v)) throw invalidArg(`${path}[${o + j}]`, 'a finite weight', v);
      max = Math.max(max, Math.abs(v));
    }
    const s = Math.fround(max / 127);
    scale[r] = s;
    if (s === 0) continue;
    for (let j = 0; j < cols; j++) q[o + j] = Math.max(-127, Math.min(127, Math.round(data[o + j] / s)));
  }
  return { q, scale };
}

/**
 * The tensors of a decoded file with every I8 weight multiplied back by its `<name>.int8_scale` rows (a new map,
 * without the scale tensors); a map without I8 tensors or scales is returned as it is.
 * @throws EddyError ERR_FILE naming the file and tensor for an I8 weight without its scales, scales of the wrong
 *   shape or not finite, or scales without their weight
 */
export function dequantizeInt8Rows(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  source: string,
): ReadonlyMap<string, SafetensorsTensor> {
  let any = false;
  for (const [name, t] of tensors) if (t.dtype === 'I8' || name.endsWith(INT8_SCALE_SUFFIX)) any = true;
  if (!any) return tensors;
  const bad = (what: string): EddyError => new EddyError('ERR_FILE', `Cannot load ${source}: ${what}`);
  const out = new Map<string, SafetensorsTensor>();
  for (const [name, t] of tensors) {
    if (name.endsWith(INT8_SCALE_SUFFIX)) {
      const weight = tensors.get(name.slice(0, -INT8_SCALE_SUFFIX.length));
      if (weight?.dtype !== 'I8') throw bad(`tensor ${name} scales no int8 weight`);
      continue;
    }
    if (t.dtype !== 'I8') {
      out.set(name, t);
      continue;
    }
    const s = tensors.get(name + INT8_SCALE_SUFFIX);
    if (!s) throw bad(`tensor ${name} is int8 but ${name}${INT8_SCALE_SUFFIX} (its row scales) is missing`);
    const rows = t.shape[0] ?? 0;
    if (t.shape.length !== 2 || s.shape.length !== 1 || s.shape[0] !== rows)
      throw bad(
        `tensor ${name}${INT8_SCALE_SUFFIX} has shape [${s.shape.join(', ')}], expected [${rows}] for ${name} [${t.shape.join(', ')}]`,
      );
    const cols = t.shape[1];
    const data = new Float32Array(t.data.length);
    for (let r = 0; r < rows; r++) {
      const k = s.data[r];
      if (!(Number.isFinite(k) && k >= 0)) throw bad(`tensor ${name}${INT8_SCALE_SUFFIX}[${r}] is ${k}, not a scale`);
      for (let j = 0; j < cols; j++) data[r * cols + j] = t.data[r * cols + j] * k;
    }
    out.set(name, { dtype: 'I8', shape: t.shape, data });
  }
  return out;
}
