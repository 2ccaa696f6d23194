/**
 * The layering of the README's Layout section, enforced: every relative import in `src/` is parsed, and an import
 * that runs up the layers, an import between two applications, or a cycle of imports fails the test with the
 * files involved. `pipelines/` reach `src/` only through `src/index.ts`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../sources/dataPath.ts';

const src = join(repoRoot, 'src');

/** The core layers, lowest first: a file may import its own layer and those before it. */
const CORE = ['util', 'tensor', 'cells', 'model', 'train', 'operators'] as const;
/** Layers beside the core: what each may import besides itself. */
const BESIDE: Record<string, readonly string[]> = {
  sources: ['util', 'tensor'],
  report: ['util'],
};

/** What files of `layer` may import (other than their own layer). */
function allowed(layer: string): readonly string[] {
  const rank = CORE.indexOf(layer as (typeof CORE)[number]);
  if (rank >= 0) return CORE.slice(0, rank);
  if (layer in BESIDE) return BESIDE[layer];
  // an application (charlm, video, ...): every core layer and the layers beside it, no other application
  return [...CORE, ...Object.keys(BESIDE)];
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'build' ? [] : tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The relative module specifiers a file imports or re-exports (type-only imports included: they are coupling too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1] ?? m[2]);
  return out;
}

function layerOf(file: string): string {
  const rel = relative(src, file);
  return rel.includes('/') ? rel.split('/')[0] : '(root)';
}

const files = tsFiles(src);
const graph = new Map<string, string[]>(
  files.map((f) => [f, importsOf(f).map((spec) => resolve(dirname(f), spec))] as const),
);

/** Imports that run up the layers or across applications, as lines. */
function upwardImports(g: ReadonlyMap<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [file, targets] of g) {
    const from = layerOf(file);
    if (from === '(root)') continue; // src/index.ts, the public door, imports everything
    for (const target of targets) {
      const to = layerOf(target);
      if (to === from) continue;
      if (to === '(root)' || !allowed(from).includes(to))
        bad.push(`${relative(repoRoot, file)} (${from}) imports ${relative(repoRoot, target)} (${to})`);
    }
  }
  return bad;
}

/** Every cycle found by a depth-first walk, as `a -> b -> a`. */
function findCycles(g: ReadonlyMap<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      const loop = path.slice(path.indexOf(file));
      cycles.push([...loop, file].map((f) => relative(src, f)).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const t of g.get(file) ?? []) if (g.has(t)) visit(t, [...path, file]);
    state.set(file, 'done');
  };
  for (const f of g.keys()) visit(f, []);
  return cycles;
}

describe('architecture', () => {
  it('finds the sources and their imports', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get(join(src, 'index.ts'))?.length).toBeGreaterThan(50);
  });

  it('no import runs up the layers or across applications', () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it('no cycle of imports', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it('pipelines reach src/ only through src/index.ts', () => {
    const bad: string[] = [];
    for (const file of tsFiles(join(repoRoot, 'pipelines'))) {
      for (const spec of importsOf(file)) {
        const target = resolve(dirname(file), spec);
        if (target.startsWith(`${src}/`) && target !== join(src, 'index.ts'))
          bad.push(`${relative(repoRoot, file)} imports ${relative(repoRoot, target)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the checks fail on a planted upward import, a cross-application import and a cycle', () => {
    const f = (p: string): string => join(src, p);
    const planted = new Map<string, string[]>([
      [f('util/a.ts'), [f('model/rnnModel.ts')]],
      [f('charlm/x.ts'), [f('video/y.ts')]],
      [f('sources/s.ts'), [f('tensor/t.ts'), f('util/a.ts')]],
      [f('train/p.ts'), [f('train/q.ts')]],
      [f('train/q.ts'), [f('train/p.ts')]],
    ]);
    expect(upwardImports(planted)).toEqual([
      'src/util/a.ts (util) imports src/model/rnnModel.ts (model)',
      'src/charlm/x.ts (charlm) imports src/video/y.ts (video)',
    ]);
    expect(findCycles(planted)).toEqual(['train/p.ts -> train/q.ts -> train/p.ts']);
  });
});
