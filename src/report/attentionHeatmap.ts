/**
 * Attention heat-maps as PNG: for each sentence a grid with the source tokens across the top, the output tokens
 * down the side and cell (i, j) shaded by the weight output word i gave source token j (white 0, dark blue 1);
 * several sentences side by side. Drawn as SVG and rasterised by sharp (loaded lazily).
 */
import { writeFileAtomicAsync } from '../util/atomicWrite.ts';
import { invalidArg } from '../util/errors.ts';

/** One sentence's attention. */
export interface AttentionMap {
  /** Source tokens `[S]` (columns). */
  source: readonly string[];
  /** Output tokens `[T]` (rows). */
  output: readonly string[];
  /** `[T][S]` weights, each row summing to 1. */
  weights: readonly ArrayLike<number>[];
}

const CELL = 34;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The SVG source of the heat-maps. */
export function attentionHeatmapSvg(maps: readonly AttentionMap[], title = ''): string {
  if (maps.length === 0) throw invalidArg('maps', 'a non-empty array of attention maps', maps);
  const left = 110;
  const top = 110 + (title ? 30 : 0);
  const gap = 40;
  let x = 10;
  const parts: string[] = [];
  let height = 0;
  for (let k = 0; k < maps.length; k++) {
    const m = maps[k];
    if (m.weights.length !== m.output.length)
      throw invalidArg(`maps[${k}].weights`, `${m.output.length} rows (one per output token)`, m.weights);
    const ox = x + left;
    m.source.forEach((s, j) => {
      const cx = ox + j * CELL + CELL / 2;
      parts.push(
        `<text x="${cx}" y="${top - 8}" font-size="13" transform="rotate(-55 ${cx} ${top - 8})">${esc(s)}</text>`,
      );
    });
    m.output.forEach((o, i) => {
      const cy = top + i * CELL;
      parts.push(`<text x="${ox - 6}" y="${cy + CELL / 2 + 4}" font-size="13" text-anchor="end">${esc(o)}</text>`);
      for (let j = 0; j < m.source.length; j++) {
        const w = Math.max(0, Math.min(1, Number(m.weights[i][j])));
        const c = (v: number): number => Math.round(255 - w * (255 - v));
        parts.push(
          `<rect x="${ox + j * CELL}" y="${cy}" width="${CELL}" height="${CELL}" fill="rgb(${c(8)},${c(48)},${c(107)})" stroke="#ddd"/>`,
        );
      }
    });
    x = ox + m.source.length * CELL + gap;
    height = Math.max(height, top + m.output.length * CELL + 20);
  }
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    title ? `<text x="${x / 2}" y="24" font-size="16" text-anchor="middle">${esc(title)}</text>` : '',
    ...parts,
    '</svg>',
  ];
  return svg.join('');
}

/** Renders the heat-maps and writes the PNG atomically to `path`. */
export async function writeAttentionHeatmap(path: string, maps: readonly AttentionMap[], title = ''): Promise<void> {
  const { default: sharp } = await import('sharp');
  const png = await sharp(Buffer.from(attentionHeatmapSvg(maps, title)))
    .png()
    .toBuffer();
  await writeFileAtomicAsync(path, png);
}
