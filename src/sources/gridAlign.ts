/**
 * Frame-level labels for GRID corpus clips from their `.align` files (word-level alignments).
 *
 * An `.align` file has one `start end word` line per segment (CRLF line ends), times in 1/25000 s, so one video
 * frame (40 ms at 25 fps) is 1000 units. Frame k gets the word of the segment with `start <= 1000·k < end`.
 */
import { readFile } from 'node:fs/promises';
import { EddyError } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';
import { checkString } from './framesOptions.ts';

/** One aligned word: `[start, end)` in alignment units. */
export interface AlignSegment {
  start: number;
  end: number;
  word: string;
}

/** Options of `readGridAlign` and `gridAlignLabels`. */
export interface GridAlignOptions {
  /** Number of video frames to label. @default 75 */
  frames?: number;
  /** Alignment units per video frame. @default 1000 */
  unitsPerFrame?: number;
}

/** Silence markers used in GRID alignments: `sil` (silence) and `sp` (short pause). */
export function isSilent(word: string): boolean {
  return word === 'sil' || word === 'sp';
}

/**
 * Parses the text of an `.align` file into segments; `source` names the file in errors.
 * @throws EddyError `ERR_FILE` for a malformed line or no segments.
 */
export function parseGridAlign(text: string, source = '<text>'): AlignSegment[] {
  checkString('text', text);
  const segments: AlignSegment[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (!m || Number(m[2]) < Number(m[1])) {
      throw new EddyError(
        'ERR_FILE',
        `Malformed line ${i + 1} in GRID alignment ${JSON.stringify(source)}: ${JSON.stringify(line)} (expected "start end word")`,
      );
    }
    segments.push({ start: Number(m[1]), end: Number(m[2]), word: m[3] });
  });
  if (segments.length === 0) throw new EddyError('ERR_FILE', `No segments in GRID alignment ${JSON.stringify(source)}`);
  return segments;
}

/**
 * Labels frames 0..frames-1 from segments: frame k gets the word of the segment with
 * `start <= unitsPerFrame·k < end`.
 * @throws EddyError `ERR_FILE` when a frame falls in no segment.
 */
export function gridAlignLabels(
  segments: readonly AlignSegment[],
  options?: GridAlignOptions,
  source = '<segments>',
): string[] {
  const o = checkObject('options', options);
  const frames = o.frames === undefined ? 75 : checkInt('options.frames', o.frames, 1);
  const unitsPerFrame = o.unitsPerFrame === undefined ? 1000 : checkInt('options.unitsPerFrame', o.unitsPerFrame, 1);
  const labels: string[] = [];
  for (let k = 0; k < frames; k++) {
    const t = unitsPerFrame * k;
    const seg = segments.find((s) => s.start <= t && t < s.end);
    if (seg === undefined)
      throw new EddyError(
        'ERR_FILE',
        `Frame ${k} (time ${t}) falls in no segment of GRID alignment ${JSON.stringify(source)}`,
      );
    labels.push(seg.word);
  }
  return labels;
}

/**
 * Reads a GRID `.align` file and returns one word per video frame.
 *
 * @example
 * const labels = await readGridAlign('grid/s1/lgaf4n.align'); // ['sil', 'sil', ..., 'lay', ...], length 75
 * const speech = labels.map((w) => !isSilent(w));
 * @param path The `.align` file.
 * @param options See `GridAlignOptions`.
 * @returns `frames` labels.
 * @throws EddyError `ERR_INVALID_ARG` at once for bad options; `ERR_FILE` for a missing or malformed file.
 */
export async function readGridAlign(path: string, options?: GridAlignOptions): Promise<string[]> {
  checkString('path', path);
  checkObject('options', options);
  if (options?.frames !== undefined) checkInt('options.frames', options.frames, 1);
  if (options?.unitsPerFrame !== undefined) checkInt('options.unitsPerFrame', options.unitsPerFrame, 1);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new EddyError('ERR_FILE', `Cannot read GRID alignment ${JSON.stringify(path)}: ${why}`, { cause: err });
  }
  return gridAlignLabels(parseGridAlign(text, path), options, path);
}
