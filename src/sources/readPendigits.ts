/**
 * Reads the UCI pen-based digits (`seq/onetomany/pendigits.tra`: 17 comma-separated integers per line,
 * `x1,y1,...,x8,y8,digit`, coordinates 0..100) with an error naming the file and line for a malformed line.
 *
 * @example
 * const pen = readPendigits('../shared/data/seq/onetomany/pendigits.tra');
 * pen.points.subarray(0, 16);   // the first trajectory: 8 (x, y) pairs
 */
import { readFileSync } from 'node:fs';
import { EddyError } from '../util/errors.ts';

/** Pen trajectories with their digits. */
export interface PenDigits {
  /** N trajectories. */
  readonly count: number;
  /** `[N, 8, 2]` coordinates as in the file (0..100). */
  readonly points: Float32Array;
  /** `[N]` digits 0-9. */
  readonly digits: Int32Array;
}

/**
 * Reads a pendigits file.
 * @throws EddyError ERR_FILE naming the file and line: not 17 values, a value that is not an integer in range
 */
export function readPendigits(path: string): PenDigits {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EddyError('ERR_FILE', `Cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new EddyError('ERR_FILE', `${path}: no trajectories (the file is empty)`);
  const points = new Float32Array(lines.length * 16);
  const digits = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length !== 17)
      throw new EddyError(
        'ERR_FILE',
        `${path} line ${i + 1}: ${cols.length} values, expected 17 (x1,y1,...,x8,y8,digit)`,
      );
    cols.forEach((c, j) => {
      const v = Number(c);
      const max = j === 16 ? 9 : 100;
      if (c === '' || !Number.isInteger(v) || v < 0 || v > max)
        throw new EddyError(
          'ERR_FILE',
          `${path} line ${i + 1}: value ${j + 1} ${JSON.stringify(c)} is not an integer in [0, ${max}]`,
        );
      if (j === 16) digits[i] = v;
      else points[i * 16 + j] = v;
    });
  });
  return { count: lines.length, points, digits };
}
