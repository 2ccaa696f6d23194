/**
 * A confusion matrix as a PNG heat map: one row per true class, one column per predicted class, each cell shaded by
 * the share of its row (recall colours) and labelled with its count; per-class recall, precision and F1 at the
 * right. Drawn as SVG and rasterised by sharp (loaded lazily), as `linePlot`.
 */
import { writeFileAtomicAsync } from '../util/atomicWrite.ts';
import { invalidArg } from '../util/errors.ts';
import type { ConfusionMatrix } from './confusionMatrix.ts';

/** Options of `renderConfusionMatrix`. */
export interface ConfusionMatrixPlotOptions {
  /** @default '' */
  title?: string;
  /** Pixels per cell. @default 34 */
  cell?: number;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The SVG source of a confusion-matrix picture. @param labels K class names */
export function confusionMatrixSvg(
  m: ConfusionMatrix,
  labels: readonly string[],
  options: ConfusionMatrixPlotOptions = {},
): string {
  const K = m.K;
  if (!Array.isArray(labels) || labels.length !== K) throw invalidArg('labels', `${K} class names`, labels);
  const cs = options.cell ?? 34;
  const left = 12 + 7.5 * Math.max(...labels.map((l) => l.length));
  const top = (options.title ? 40 : 14) + 7 * Math.max(...labels.map((l) => l.length));
  const right = 190;
  const W = Math.ceil(left + K * cs + right);
  const H = Math.ceil(top + K * cs + 40);
  const p: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (options.title)
    p.push(`<text x="${W / 2}" y="24" font-size="16" text-anchor="middle">${esc(options.title)}</text>`);
  for (let a = 0; a < K; a++) {
    const row = m.support[a];
    const y = top + a * cs;
    p.push(`<text x="${left - 6}" y="${y + cs / 2 + 4}" font-size="12" text-anchor="end">${esc(labels[a])}</text>`);
    for (let q = 0; q < K; q++) {
      const n = m.counts[a * K + q];
      const share = row > 0 ? n / row : 0;
      // white to dark blue by row share; the diagonal in blue, errors in red
      const hue = a === q ? '31,119,180' : '214,39,40';
      const x = left + q * cs;
      p.push(
        `<rect x="${x}" y="${y}" width="${cs}" height="${cs}" fill="rgb(${hue})" fill-opacity="${Math.min(1, share * 1.4).toFixed(3)}" stroke="#ddd"/>`,
      );
      if (n > 0)
        p.push(
          `<text x="${x + cs / 2}" y="${y + cs / 2 + 4}" font-size="${n >= 1000 ? 9 : 11}" text-anchor="middle" fill="${share > 0.5 ? 'white' : 'black'}">${n}</text>`,
        );
    }
    p.push(
      `<text x="${left + K * cs + 8}" y="${y + cs / 2 + 4}" font-size="11">R ${m.recall[a].toFixed(2)}  P ${m.precision[a].toFixed(2)}  F1 ${m.f1[a].toFixed(2)}</text>`,
    );
  }
  for (let q = 0; q < K; q++) {
    const x = left + q * cs + cs / 2 + 4;
    p.push(
      `<text x="${x}" y="${top - 6}" font-size="12" text-anchor="start" transform="rotate(-90 ${x} ${top - 6})">${esc(labels[q])}</text>`,
    );
  }
  p.push(
    `<text x="${left + (K * cs) / 2}" y="${H - 12}" font-size="13" text-anchor="middle">columns: predicted; rows: true class. accuracy ${(100 * m.accuracy).toFixed(2)}%, macro-F1 ${m.macroF1.toFixed(3)}</text>`,
  );
  p.push('</svg>');
  return p.join('');
}

/** Renders a confusion matrix to PNG bytes. */
export async function renderConfusionMatrix(
  m: ConfusionMatrix,
  labels: readonly string[],
  options: ConfusionMatrixPlotOptions = {},
): Promise<Buffer> {
  const svg = confusionMatrixSvg(m, labels, options);
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Renders a confusion matrix and writes it atomically to `path`. */
export async function writeConfusionMatrix(
  path: string,
  m: ConfusionMatrix,
  labels: readonly string[],
  options: ConfusionMatrixPlotOptions = {},
): Promise<void> {
  await writeFileAtomicAsync(path, await renderConfusionMatrix(m, labels, options));
}
