/**
 * Line plots as PNG files, drawn as SVG and rasterised by sharp (loaded lazily): loss curves against steps or
 * time, several series in one chart with a legend.
 */
import { writeFileAtomicAsync } from '../util/atomicWrite.ts';
import { invalidArg } from '../util/errors.ts';

/** One line of a plot. */
export interface PlotSeries {
  name: string;
  /** Points `[x, y]`; non-finite points are skipped. */
  points: readonly (readonly [number, number])[];
  /** CSS colour. @default from a fixed palette */
  color?: string;
}

/** Options for `renderLinePlot`. */
export interface LinePlotOptions {
  /** @default '' */
  title?: string;
  /** @default 'x' */
  xLabel?: string;
  /** @default 'y' */
  yLabel?: string;
  /** Pixels. @default 800 */
  width?: number;
  /** Pixels. @default 480 */
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function ticks(lo: number, hi: number, n: number): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The SVG source of a line plot. */
export function linePlotSvg(series: readonly PlotSeries[], options: LinePlotOptions = {}): string {
  if (!Array.isArray(series) || series.length === 0) throw invalidArg('series', 'a non-empty array of series', series);
  const W = options.width ?? 800;
  const H = options.height ?? 480;
  const m = { l: 70, r: 20, t: options.title ? 40 : 20, b: 55 };
  const pts = series.flatMap((s) =>
    s.points.filter(([x, y]: readonly [number, number]) => Number.isFinite(x) && Number.isFinite(y)),
  );
  let x0 = Math.min(...pts.map((p) => p[0])),
    x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => p[1])),
    y1 = Math.max(...pts.map((p) => p[1]));
  if (pts.length === 0) {
    x0 = 0;
    x1 = 1;
    y0 = 0;
    y1 = 1;
  }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  for (const v of ticks(y0, y1, 6))
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(v)}" y2="${sy(v)}" stroke="#e5e5e5"/><text x="${m.l - 6}" y="${sy(v) + 4}" font-size="12" text-anchor="end">${v}</text>`,
    );
  for (const v of ticks(x0, x1, 8))
    parts.push(
      `<line x1="${sx(v)}" x2="${sx(v)}" y1="${m.t}" y2="${H - m.b}" stroke="#f0f0f0"/><text x="${sx(v)}" y="${H - m.b + 16}" font-size="12" text-anchor="middle">${v}</text>`,
    );
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`,
  );
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const d = s.points
      .filter(([x, y]: readonly [number, number]) => Number.isFinite(x) && Number.isFinite(y))
      .map(([x, y]: readonly [number, number], j: number) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join('');
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(
      `<rect x="${W - m.r - 190}" y="${m.t + 10 + i * 20}" width="14" height="4" fill="${color}"/><text x="${W - m.r - 170}" y="${m.t + 16 + i * 20}" font-size="13">${esc(s.name)}</text>`,
    );
  });
  if (options.title)
    parts.push(`<text x="${W / 2}" y="24" font-size="16" text-anchor="middle">${esc(options.title)}</text>`);
  parts.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" font-size="13" text-anchor="middle">${esc(options.xLabel ?? 'x')}</text>`,
  );
  parts.push(
    `<text x="16" y="${(m.t + H - m.b) / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 16 ${(m.t + H - m.b) / 2})">${esc(options.yLabel ?? 'y')}</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

/** Renders a line plot to PNG bytes. */
export async function renderLinePlot(series: readonly PlotSeries[], options: LinePlotOptions = {}): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(linePlotSvg(series, options)))
    .png()
    .toBuffer();
}

/** Renders a line plot and writes it atomically to `path`. */
export async function writeLinePlot(
  path: string,
  series: readonly PlotSeries[],
  options: LinePlotOptions = {},
): Promise<void> {
  await writeFileAtomicAsync(path, await renderLinePlot(series, options));
}
