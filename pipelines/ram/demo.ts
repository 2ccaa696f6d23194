/**
 * `eddy ram demo`: what the recurrent attention model looks at. Test digits from the seeded generator go through the
 * model as a stream (`ramGlimpses`: each next location comes from the model's last output), and the paths are drawn:
 * a PNG grid (glimpse boxes at every scale, the path from the first glimpse, green, to the last, red; the predicted
 * and the true label under each) and an animated WebP of one episode, glimpse by glimpse.
 *
 *   eddy ram demo                                  # the shipped 28x28 model
 *   eddy ram demo --model ram-translated --count 8
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import sharp from 'sharp';
import {
  RAM_TASK_NAMES,
  RAM_STOP,
  Rng,
  createRamSequenceWorkspace,
  drawRamBatch,
  drawRamSequenceBatch,
  loadMnist,
  loadRamModel,
  mnistPaths,
  ramDecodeSequences,
  ramGlimpses,
  ramSequenceForward,
  ramTask,
  writeClipWebp,
  type RamModel,
  type RamConfig,
} from '../../src/index.ts';
import { type CommandContext, defineCommand, usage } from '../cli/command.ts';
import { mnistDataFlag, ramModelFlag } from './ramFlags.ts';
import { multiTaskOf } from './trainMulti.ts';

const LABEL_H = 22;

/** Colour of glimpse t of T: green to red. */
function hue(t: number, T: number): string {
  return `hsl(${Math.round(120 - (120 * t) / Math.max(1, T - 1))}, 90%, 50%)`;
}

/** The `Hi x Wi` image as a PNG data URL, `px` pixels per image pixel (nearest-neighbour). */
async function imageHref(img: Float32Array, Hi: number, Wi: number, px: number): Promise<string> {
  const bytes = Buffer.from(Array.from(img, (x) => Math.round(Math.min(1, Math.max(0, x)) * 255)));
  const png = await sharp(bytes, { raw: { width: Wi, height: Hi, channels: 1 } })
    .resize(Wi * px, Hi * px, { kernel: 'nearest' })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * SVG elements of glimpses 0..upto-1 (boxes of every scale, path, numbered dots) over a tile of an `Hi x Wi` image
 * drawn `px` pixels per image pixel at (x0, y0).
 */
function pathSvg(
  locs: Float32Array,
  upto: number,
  c: RamConfig,
  Hi: number,
  Wi: number,
  px: number,
  x0: number,
  y0: number,
): string {
  const at = (t: number): [number, number] => [
    x0 + ((locs[2 * t] + 1) / 2) * Wi * px,
    y0 + ((locs[2 * t + 1] + 1) / 2) * Hi * px,
  ];
  const parts: string[] = [];
  for (let t = 0; t < upto; t++) {
    const [cx, cy] = at(t);
    const last = t === upto - 1;
    for (let s = 0; s < c.scales; s++) {
      const w = c.glimpseSize * 2 ** s * px;
      parts.push(
        `<rect x="${(cx - w / 2).toFixed(1)}" y="${(cy - w / 2).toFixed(1)}" width="${w.toFixed(1)}" height="${w.toFixed(1)}" fill="none" stroke="${hue(t, c.glimpses)}" stroke-width="${last ? 2 : 1}" stroke-opacity="${(last ? 1 : 0.55) / (s + 1)}"/>`,
      );
    }
  }
  if (upto > 1) {
    const pts = Array.from({ length: upto }, (_, t) =>
      at(t)
        .map((v) => v.toFixed(1))
        .join(','),
    ).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="#ffffff" stroke-width="1.5" stroke-opacity="0.8"/>`);
  }
  for (let t = 0; t < upto; t++) {
    const [cx, cy] = at(t);
    parts.push(
      `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="6" fill="${hue(t, c.glimpses)}"/><text x="${cx.toFixed(1)}" y="${(cy + 3.5).toFixed(1)}" font-size="9" text-anchor="middle" fill="#000">${t + 1}</text>`,
    );
  }
  return parts.join('');
}

function captionSvg(x: number, y: number, size: number, pred: number | null, truth: number): string {
  const text = pred === null ? `true ${truth}` : `predicted ${pred} · true ${truth}`;
  const color = pred === null ? '#ddd' : pred === truth ? '#7CFC7C' : '#FF6B6B';
  return `<text x="${x + size / 2}" y="${y + size + 16}" font-size="13" text-anchor="middle" fill="${color}">${text}</text>`;
}

/**
 * The multi-object picture: test canvases read in one batch with the model's policy (learned or raster), each with
 * its glimpse path (green to red) and the read and the true sequence under it.
 */
async function demoMulti(
  model: RamModel,
  metadata: Record<string, string>,
  v: { model: string; data: string; out: string; count: number; seed: number },
  ctx: CommandContext,
): Promise<void> {
  const task = multiTaskOf(metadata, v.model);
  const test = await loadMnist(mnistPaths(v.data, 'test'));
  ctx.begin();
  mkdirSync(v.out, { recursive: true });
  const { height: Hi, width: Wi, labels: J } = task;
  const n = v.count;
  const images = new Float32Array(n * Hi * Wi); // [n, Hi, Wi]
  const labels = new Int32Array(n * J); // [n, J]
  drawRamSequenceBatch(images, labels, test, new Rng(v.seed), task);
  const raster = metadata['eddy.ram.policy'] === 'raster';
  const sws = createRamSequenceWorkspace(model, n, J);
  const logits = ramSequenceForward(model, sws, images, Hi, Wi, raster ? 'raster' : 'mean', null);
  const read = ramDecodeSequences(logits, n, J, model.config.classes);
  const c = model.config;
  const T = c.glimpses;
  const px = 3;
  const w = Wi * px;
  const gap = 10;
  const tileH = Hi * px + LABEL_H + gap;
  const cols = Math.min(n, 2);
  const parts: string[] = [];
  let right = 0;
  for (let i = 0; i < n; i++) {
    const truth = Array.from(labels.subarray(i * J, (i + 1) * J));
    const digits = truth.slice(0, truth.indexOf(RAM_STOP));
    const ok = read[i].join(' ') === digits.join(' ');
    if (ok) right++;
    const locs = new Float32Array(T * 2); // [T, 2]
    for (let t = 0; t < T; t++) locs.set(sws.ws.loc.subarray((t * n + i) * 2, (t * n + i) * 2 + 2), 2 * t);
    const x = (i % cols) * (w + gap);
    const y = Math.floor(i / cols) * tileH;
    const href = await imageHref(images.subarray(i * Hi * Wi, (i + 1) * Hi * Wi), Hi, Wi, px);
    // a nested svg clips the coarse scales' boxes to the tile
    parts.push(
      `<svg x="${x}" y="${y}" width="${w}" height="${Hi * px}"><image x="0" y="0" width="${w}" height="${Hi * px}" href="${href}"/>${pathSvg(locs, T, c, Hi, Wi, px, 0, 0)}</svg>`,
    );
    parts.push(
      `<text x="${x + w / 2}" y="${y + Hi * px + 16}" font-size="13" text-anchor="middle" fill="${ok ? '#7CFC7C' : '#FF6B6B'}">read ${read[i].join(' ') || '(nothing)'} · true ${digits.join(' ')}</text>`,
    );
  }
  const W = cols * (w + gap) - gap;
  const H = Math.ceil(n / cols) * tileH - gap;
  const png = join(v.out, 'paths.png');
  await sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif"><rect width="${W}" height="${H}" fill="#202020"/>${parts.join('')}</svg>`,
    ),
  )
    .png()
    .toFile(png);
  ctx.log(
    `wrote ${png}: ${n} test canvases of ${task.minDigits}-${task.maxDigits} digits, ${right} read right, ${raster ? 'raster of patches' : 'learned policy'} (${task.glimpsesPerLabel} glimpses per label, green to red)`,
  );
}

export const command = defineCommand({
  name: 'ram demo',
  summary: 'glimpse paths of a recurrent attention model over test digits (PNG grid and animated WebP)',
  details: `Writes <out>/paths.png (a grid of test samples with the glimpse path, the predicted and the true label)
and <out>/episode.webp (the first sample, one frame per glimpse). The samples come from the seeded generator over
the MNIST test digits; the model reads each as a stream of glimpses. --out is created when missing; an existing
directory gets the two files anew and keeps its other files.
Example: eddy ram demo --model ram-translated --out runs/ram-demo-translated
A --task multi model (eddy ram train --task multi) gets <out>/paths.png only: test canvases with the glimpse path,
the sequence read and the true one.`,
  flags: {
    model: ramModelFlag,
    task: { type: 'choice', choices: RAM_TASK_NAMES, description: "the task (default: the model's)" },
    data: mnistDataFlag,
    out: {
      type: 'output',
      directory: true,
      default: 'runs/ram-demo',
      description: 'directory for paths.png and episode.webp (created, or an existing one: other files stay)',
    },
    count: { type: 'integer', min: 1, max: 64, default: 16, description: 'test samples in the grid' },
    random: { type: 'boolean', description: 'random glimpses instead of the learned policy' },
    seed: { type: 'integer', min: 0, max: 0xffffffff, default: 7, description: 'seed of the test samples' },
  },
  async run(v, ctx) {
    const { model, metadata } = loadRamModel(v.model);
    if (metadata['eddy.ram.task'] === 'multi') {
      if (v.random || v.task !== undefined) usage('--random and --task are not for a --task multi model');
      return demoMulti(model, metadata, v, ctx);
    }
    const task = ramTask((v.task ?? metadata['eddy.ram.task'] ?? 'mnist') as 'mnist');
    const test = await loadMnist(mnistPaths(v.data, 'test'));
    ctx.begin();
    mkdirSync(v.out, { recursive: true });
    const S = task.canvasSize;
    const n = v.count;
    const images = new Float32Array(n * S * S); // [n, S, S]
    const labels = new Int32Array(n);
    drawRamBatch(images, labels, test, new Rng(v.seed), task);
    const policy = v.random || metadata['eddy.ram.policy'] === 'random' ? 'random' : 'mean';
    const c = model.config;
    const size = Math.max(1, Math.round(168 / S)) * S; // tiles about 168 pixels wide, whole pixels per image pixel
    const cols = Math.min(n, 4);
    const rows = Math.ceil(n / cols);
    const tileH = size + LABEL_H;
    const parts: string[] = [];
    let right = 0;
    let first: { locs: Float32Array; pred: number; href: string } | null = null;
    for (let i = 0; i < n; i++) {
      const img = images.subarray(i * S * S, (i + 1) * S * S);
      const events = await lastValueFrom(
        ramGlimpses(model, { data: img, C: 1, H: S, W: S }, { policy, seed: v.seed + i }).pipe(toArray()),
      );
      const answer = events[events.length - 1];
      if (answer.kind !== 'answer') throw new Error('the stream ended without an answer');
      if (answer.label === labels[i]) right++;
      const x = (i % cols) * size;
      const y = Math.floor(i / cols) * tileH;
      const href = await imageHref(img, S, S, size / S);
      if (first === null) first = { locs: answer.locations, pred: answer.label, href };
      parts.push(`<image x="${x}" y="${y}" width="${size}" height="${size}" href="${href}"/>`);
      parts.push(pathSvg(answer.locations, c.glimpses, c, S, S, size / S, x, y));
      parts.push(captionSvg(x, y, size, answer.label, labels[i]));
    }
    const W = cols * size;
    const H = rows * tileH;
    const svg = (body: string, w: number, h: number): Buffer =>
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="DejaVu Sans, sans-serif"><rect width="${w}" height="${h}" fill="#202020"/>${body}</svg>`,
      );
    const png = join(v.out, 'paths.png');
    await sharp(svg(parts.join(''), W, H))
      .png()
      .toFile(png);
    ctx.log(
      `wrote ${png}: ${n} test samples, ${right} right, ${policy === 'random' ? 'random glimpses' : 'learned policy'}`,
    );

    // one episode, frame by frame: glimpses 1..t, then the answer
    if (first !== null) {
      const T = c.glimpses;
      const frames = new Float32Array((T + 1) * 3 * tileH * size); // [T+1, 3, H, W]
      for (let t = 1; t <= T + 1; t++) {
        const upto = Math.min(t, T);
        const body = `<image x="0" y="0" width="${size}" height="${size}" href="${first.href}"/>${pathSvg(first.locs, upto, c, S, S, size / S, 0, 0)}${captionSvg(0, 0, size, t > T ? first.pred : null, labels[0])}`;
        const raw = await sharp(svg(body, size, tileH))
          .removeAlpha()
          .raw()
          .toBuffer();
        const f = (t - 1) * 3 * tileH * size;
        for (let p = 0; p < tileH * size; p++)
          for (let ch = 0; ch < 3; ch++) frames[f + ch * tileH * size + p] = raw[p * 3 + ch] / 255;
      }
      const webp = join(v.out, 'episode.webp');
      const delays = [...new Array<number>(T).fill(600), 2000];
      await writeClipWebp(webp, frames, { width: size, height: tileH, channels: 3, delayMs: delays });
      ctx.log(`wrote ${webp}: ${T} glimpses and the answer (${first.pred}; true ${labels[0]})`);
    }
  },
});
