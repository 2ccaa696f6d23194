/**
 * Golden values from PyTorch: fixtures/optimizers.json is written by fixtures/make_optimizer_fixtures.py
 * (torch.optim and torch.nn.utils.clip_grad_*, float32). Every case must match to 1e-6 relative.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createOptimizer, type OptimizerOptions } from '../../src/train/createOptimizer.ts';
import { clipGradNorm, clipGradValue } from '../../src/train/clip.ts';

interface Fixtures {
  torch: string;
  params0: number[];
  grads: number[][];
  cases: { name: string; options: Record<string, unknown>; after: number[][] }[];
  clip: (
    | { kind: 'norm'; maxNorm: number; normType: number | 'inf'; norm: number; grads: number[] }
    | { kind: 'value'; clipValue: number; grads: number[] }
  )[];
}

const fx = JSON.parse(readFileSync(new URL('../../fixtures/optimizers.json', import.meta.url), 'utf8')) as Fixtures;
const REL = 1e-6;

function relErr(a: number, e: number): number {
  return Math.abs(a - e) / Math.abs(e);
}

describe(`optimizers against torch ${fx.torch}`, () => {
  for (const c of fx.cases) {
    it(`${c.name} ${JSON.stringify(c.options)}`, () => {
      const opt = createOptimizer({ name: c.name, ...c.options } as OptimizerOptions);
      const params = new Float32Array(fx.params0);
      fx.grads.forEach((g, t) => {
        opt.step(params, new Float32Array(g));
        params.forEach((a, i) => {
          const e = c.after[t]![i]!;
          expect(relErr(a, e), `step ${t + 1}, element ${i}: ${a} vs torch ${e}`).toBeLessThanOrEqual(REL);
        });
      });
    });
  }

  it('covers every optimizer', () => {
    expect(new Set(fx.cases.map((c) => c.name))).toEqual(new Set(['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop']));
  });
});

describe(`clipping against torch ${fx.torch}`, () => {
  for (const c of fx.clip) {
    const label =
      c.kind === 'norm' ? `clip_grad_norm_ max ${c.maxNorm}, p ${c.normType}` : `clip_grad_value_ ${c.clipValue}`;
    it(label, () => {
      const grads = new Float32Array(fx.grads[2]!);
      if (c.kind === 'norm') {
        const norm = clipGradNorm(grads, c.maxNorm, { normType: c.normType === 'inf' ? Infinity : c.normType });
        expect(relErr(norm, c.norm)).toBeLessThanOrEqual(REL);
      } else {
        clipGradValue(grads, c.clipValue);
      }
      grads.forEach((a, i) =>
        expect(relErr(a, c.grads[i]!), `element ${i}: ${a} vs torch ${c.grads[i]}`).toBeLessThanOrEqual(REL),
      );
    });
  }
});
