/**
 * Pictures of a labelling run, drawn with sharp (loaded lazily):
 *
 * - `writeContactSheet`: sampled frames in a grid, each captioned with its index, time, label and confidence
 *   (and the true label when known; a wrong label is captioned in red).
 * - `writeLabelTimeline`: one coloured band per row (true labels when known, predicted labels) over the
 *   frames, with the confidence of the prediction as a line under them and the accuracy in the title.
 */
import { writeFileAtomicAsync } from '../util/atomicWrite.ts';
import { invalidArg, shapeError } from '../util/errors.ts';
import { checkInt, checkObject } from '../util/validate.ts';

/** One frame of a contact sheet. */
export interface SheetFrame {
  /** Gray pixels `// [H, W]` in [0, 1]. */
  pixels: Float32Array;
  width: number;
  height: number;
  /** First caption line (e.g. `#12 0.48 s`). */
  title: string;
  /** Second caption line (e.g. `speaking 0.93`). */
  label: string;
  /** Caption the label in red (a wrong prediction). @default false */
  wrong?: boolean;
}

/** Options of `writeContactSheet`. */
export interface ContactSheetOptions {
  /** Frames per row. @default 6 */
  columns?: number;
  /** Integer upscaling of every frame. @default 2 */
  scale?: number;
  /** Heading. @default '' */
  title?: string;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Renders frames in a captioned grid to a PNG file (written atomically).
 * @throws EddyError ERR_INVALID_ARG / ERR_SHAPE naming `frames[i]` or `options.<field>`
 */
export async function writeContactSheet(
  path: string,
  frames: readonly SheetFrame[],
  options: ContactSheetOptions = {},
): Promise<void> {
  const o = checkObject('options', options);
  if (!Array.isArray(frames) || frames.length === 0) throw invalidArg('frames', 'a non-empty array of frames', frames);
  const columns = checkInt('options.columns', o.columns ?? 6, 1);
  const scale = checkInt('options.scale', o.scale ?? 2, 1, 16);
  frames.forEach((f, i) => {
    if (!(f.pixels instanceof Float32Array) || f.pixels.length !== f.width * f.height)
      throw shapeError(`frames[${i}].pixels`, `Float32Array of length ${f.width * f.height}`, String(f.pixels?.length));
  });
  const cw = Math.max(...frames.map((f) => f.width)) * scale;
  const ch = Math.max(...frames.map((f) => f.height)) * scale;
  const cap = 34;
  const pad = 12;
  const head = o.title ? 28 : 0;
  const rows = Math.ceil(frames.length / columns);
  const W = columns * (cw + pad) + pad;
  const H = head + rows * (ch + cap + pad) + pad;
  const { default: sharp } = await import('sharp');
  const composites: { input: Buffer; left: number; top: number }[] = [];
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif">`,
  ];
  if (o.title) svg.push(`<text x="${pad}" y="20" font-size="15">${esc(o.title)}</text>`);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const left = pad + (i % columns) * (cw + pad);
    const top = head + pad + Math.floor(i / columns) * (ch + cap + pad);
    const bytes = new Uint8Array(f.width * f.height);
    for (let p = 0; p < bytes.length; p++) bytes[p] = Math.max(0, Math.min(255, Math.round(f.pixels[p] * 255)));
    const input = await sharp(bytes, { raw: { width: f.width, height: f.height, channels: 1 } })
      .resize(f.width * scale, f.height * scale, { kernel: 'nearest' })
      .png()
      .toBuffer();
    composites.push({ input, left, top });
    svg.push(`<text x="${left}" y="${top + ch + 14}" font-size="11">${esc(f.title)}</text>`);
    svg.push(
      `<text x="${left}" y="${top + ch + 29}" font-size="11" fill="${f.wrong ? '#c00000' : '#006000'}">${esc(f.label)}</text>`,
    );
  }
  svg.push('</svg>');
  composites.push({ input: Buffer.from(svg.join('')), left: 0, top: 0 });
  const png = await sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } })
    .composite(composites)
    .png()
    .toBuffer();
  await writeFileAtomicAsync(path, png);
}

/** What `writeLabelTimeline` draws. */
export interface TimelineData {
  /** Class names. */
  labels: readonly string[];
  /** Predicted class id per frame, `// [T]` (-1: no label, e.g. a dropped frame). */
  pred: Int32Array;
  /** Confidence of each prediction, `// [T]`. */
  confidence: Float32Array;
  /** True class ids, `// [T]`. @default none */
  truth?: Int32Array;
  /** Frames per second, for the time axis. @default 25 */
  fps?: number;
  /** Heading. @default '' */
  title?: string;
}

const COLOURS = [
  '#c7c7c7',
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
];

/** The SVG of a label timeline (see `writeLabelTimeline`). */
export function labelTimelineSvg(data: TimelineData): string {
  const d = checkObject('data', data);
  const T = d.pred.length;
  if (T === 0) throw invalidArg('data.pred', 'at least one frame', d.pred);
  if (d.truth !== undefined && d.truth.length !== T)
    throw shapeError('data.truth', `Int32Array of length ${T}`, `length ${d.truth.length}`);
  const fps = d.fps ?? 25;
  const W = 900,
    left = 90,
    right = 20,
    band = 26;
  const rowsY = d.truth ? [40, 40 + band + 8] : [40];
  const confTop = rowsY[rowsY.length - 1] + band + 14;
  const confH = 60;
  const H = confTop + confH + 60;
  const x = (t: number): number => left + (t / T) * (W - left - right);
  const s: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif"><rect width="${W}" height="${H}" fill="white"/>`,
  ];
  let title = d.title ?? '';
  if (d.truth) {
    let ok = 0,
      n = 0;
    for (let t = 0; t < T; t++)
      if (d.pred[t] >= 0 && d.truth[t] >= 0) {
        n++;
        if (d.pred[t] === d.truth[t]) ok++;
      }
    title += `${title ? '  ' : ''}accuracy ${n > 0 ? ((100 * ok) / n).toFixed(1) : '-'}% (${ok}/${n} frames)`;
  }
  s.push(`<text x="${left}" y="22" font-size="15">${esc(title)}</text>`);
  const rows: [string, Int32Array][] = d.truth
    ? [
        ['true', d.truth],
        ['predicted', d.pred],
      ]
    : [['predicted', d.pred]];
  rows.forEach(([name, ids], r) => {
    const y = rowsY[r];
    s.push(`<text x="${left - 8}" y="${y + 17}" font-size="13" text-anchor="end">${name}</text>`);
    for (let t = 0; t < T; t++) {
      const c = ids[t] < 0 ? '#ffffff' : COLOURS[ids[t] % COLOURS.length];
      s.push(
        `<rect x="${x(t).toFixed(1)}" y="${y}" width="${(x(t + 1) - x(t) + 0.3).toFixed(1)}" height="${band}" fill="${c}"/>`,
      );
    }
    s.push(`<rect x="${left}" y="${y}" width="${W - left - right}" height="${band}" fill="none" stroke="#333"/>`);
  });
  s.push(`<text x="${left - 8}" y="${confTop + confH / 2 + 4}" font-size="13" text-anchor="end">confidence</text>`);
  s.push(`<rect x="${left}" y="${confTop}" width="${W - left - right}" height="${confH}" fill="none" stroke="#333"/>`);
  const pts: string[] = [];
  for (let t = 0; t < T; t++)
    if (d.pred[t] >= 0)
      pts.push(
        `${pts.length ? 'L' : 'M'}${((x(t) + x(t + 1)) / 2).toFixed(1)},${(confTop + confH * (1 - d.confidence[t])).toFixed(1)}`,
      );
  if (pts.length) s.push(`<path d="${pts.join('')}" fill="none" stroke="#333" stroke-width="1.5"/>`);
  const seconds = T / fps;
  const step = seconds > 20 ? 5 : seconds > 5 ? 1 : 0.5;
  for (let v = 0; v <= seconds + 1e-9; v += step) {
    const xx = x(v * fps);
    s.push(
      `<line x1="${xx}" x2="${xx}" y1="${confTop + confH}" y2="${confTop + confH + 5}" stroke="#333"/><text x="${xx}" y="${confTop + confH + 18}" font-size="11" text-anchor="middle">${Number(v.toFixed(1))}</text>`,
    );
  }
  s.push(
    `<text x="${(left + W - right) / 2}" y="${confTop + confH + 34}" font-size="12" text-anchor="middle">time (s)</text>`,
  );
  d.labels.forEach((name, k) => {
    const lx = left + k * Math.min(110, (W - left - right) / d.labels.length);
    s.push(
      `<rect x="${lx}" y="${H - 16}" width="12" height="12" fill="${COLOURS[k % COLOURS.length]}"/><text x="${lx + 16}" y="${H - 6}" font-size="12">${esc(name)}</text>`,
    );
  });
  s.push('</svg>');
  return s.join('');
}

/** Renders a timeline of true vs predicted labels to a PNG file (written atomically). */
export async function writeLabelTimeline(path: string, data: TimelineData): Promise<void> {
  const svg = labelTimelineSvg(data);
  const { default: sharp } = await import('sharp');
  await writeFileAtomicAsync(path, await sharp(Buffer.from(svg)).png().toBuffer());
}
