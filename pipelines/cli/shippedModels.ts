/**
 * The models shipped in `pipelines/models/` (in the repository and in the npm package): found by name for
 * `--model NAME`, and listed with their size, what they were trained on and their validation loss.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/index.ts';
import type { CustomFlag } from './flags.ts';

/** `pipelines/models`, from the sources (`pipelines/cli/`) or from the compiled CLI (`dist/pipelines/cli/`). */
export function shippedModelsDir(): string {
  const candidates = [new URL('../models/', import.meta.url), new URL('../../../pipelines/models/', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  return fileURLToPath(candidates[0]);
}

/** The path of a shipped model by name (`shakespeare`), or undefined. */
export function shippedModelPath(name: string): string | undefined {
  if (!/^[\w.-]+$/.test(name)) return undefined;
  const p = join(shippedModelsDir(), `${name}.safetensors`);
  return existsSync(p) ? p : undefined;
}

/** The names of the shipped models (no file is read). */
export function shippedModelNames(): string[] {
  const dir = shippedModelsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => f.replace(/\.safetensors$/, ''));
}

/** One shipped model, as `--list` shows it. */
export interface ShippedModel {
  name: string;
  path: string;
  bytes: number;
  /** What it does and what it was trained on. */
  about: string;
  /** Validation loss (nats/char) when its metadata records one. */
  valLoss: number | undefined;
}

/** Every shipped model, by name. */
export function listShippedModels(): ShippedModel[] {
  return shippedModelNames().map((name) => {
    const path = join(shippedModelsDir(), `${name}.safetensors`);
    const { metadata: meta, tensors } = readSafetensors(path);
    const dtype = tensors.values().next().value?.dtype ?? 'F32';
    const config = JSON.parse(meta['eddy.config'] ?? '{}') as {
      cell?: string;
      numLayers?: number;
      hiddenSize?: number;
      bidirectional?: boolean;
    };
    const ram =
      meta['eddy.ram.config'] === undefined ? null : (JSON.parse(meta['eddy.ram.config']) as Record<string, number>);
    // an ensemble (eddy names ensemble): its members' configurations are in eddy.ensemble
    const members =
      meta['eddy.ensemble'] === undefined
        ? null
        : (JSON.parse(meta['eddy.ensemble']) as { config: string; reverse?: boolean }[]);
    const layers = (c: typeof config): string =>
      `${c.numLayers ?? '?'}-layer ${c.bidirectional ? 'bidirectional ' : ''}${(c.cell ?? '?').toUpperCase()} ${c.hiddenSize ?? '?'}`;
    const arch = ram
      ? `RAM ${ram.glimpses} glimpses ${ram.glimpseSize}x${ram.glimpseSize}x${ram.scales}, core ${ram.hiddenSize}`
      : members
        ? `ensemble of ${members.length} ${layers(JSON.parse(members[0].config) as typeof config)}${members.some((m) => m.reverse) ? ` (${members.filter((m) => m.reverse).length} reading right to left)` : ''}`
        : layers(config);
    const corpus = meta['eddy.corpus'] ?? (JSON.parse(meta['eddy.run'] ?? '{}') as { corpus?: string }).corpus;
    const task = meta['eddy.task'] ?? meta['eddy.video.task'] ?? (corpus ? `char LM on ${basename(corpus)}` : '');
    const val = meta['eddy.valLoss'] === undefined ? undefined : Number(meta['eddy.valLoss']);
    const testError = meta['eddy.ram.testError'];
    return {
      name,
      path,
      bytes: statSync(path).size,
      about: `${arch}${task ? `, ${task}` : ''}${dtype === 'F32' ? '' : `, ${dtype} weights`}${testError === undefined ? '' : `, test error ${(100 * Number(testError)).toFixed(2)}%`}`,
      valLoss: val,
    };
  });
}

/** The `--list` table. */
export function shippedModelsTable(): string {
  const rows = listShippedModels().map((m) => [
    m.name,
    `${(m.bytes / 2 ** 20).toFixed(2)} MB`,
    m.valLoss === undefined ? '' : `${m.valLoss.toFixed(4)} nats/char`,
    m.about,
  ]);
  const head = ['name', 'size', 'validation', 'model'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return `${[head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** `--model NAME|PATH`: a shipped model's name or a model file; with a default, the flag always has a value. */
export function modelFlag(defaultName: string, description?: string): CustomFlag<string> & { default: string };
export function modelFlag(defaultName?: undefined, description?: string): CustomFlag<string>;
export function modelFlag(defaultName?: string, description = 'model file, or the name of a shipped model (--list)') {
  const flag: CustomFlag<string> = {
    type: 'custom',
    placeholder: 'NAME|PATH',
    description,
    get expected(): string {
      return `a model file or a shipped model's name (${shippedModelNames().join(', ')})`;
    },
    parse: (raw: string): string => {
      const shipped = shippedModelPath(raw);
      if (shipped) return shipped;
      if (existsSync(raw) && statSync(raw).isFile()) return raw;
      throw new Error('not found');
    },
  };
  if (defaultName !== undefined) flag.default = defaultName;
  return flag;
}
