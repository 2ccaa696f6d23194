/**
 * The mixture density loss: its value is the Gaussian-mixture NLL worked out directly; its gradient matches central
 * differences; `sampleMixture` draws near the chosen mean with a small σ; bad shapes are named.
 */
import { describe, expect, it } from 'vitest';
import { mixtureDensityLoss, sampleMixture } from '../../src/train/mixtureDensity.ts';
import { Rng } from '../../src/util/rng.ts';
import { expectError } from '../helpers/expectError.ts';

const K = 2;
const D = 2;
const Y = K * (1 + 2 * D);
const T = 2;
const B = 2;

describe('mixtureDensityLoss', () => {
  const rng = new Rng(5);
  const y = Float32Array.from({ length: T * B * Y }, () => rng.uniform(-1, 1));
  const x = Float32Array.from({ length: T * B * D }, () => rng.uniform(-1, 1));
  const loss = mixtureDensityLoss(K, D);

  it('is the mixture NLL', () => {
    let want = 0;
    for (let r = 0; r < T * B; r++) {
      const o = r * Y;
      const z = Math.exp(y[o]) + Math.exp(y[o + 1]);
      let p = 0;
      for (let k = 0; k < K; k++) {
        let n = Math.exp(y[o + k]) / z;
        for (let d = 0; d < D; d++) {
          const s = Math.exp(y[o + K + K * D + k * D + d]);
          n *= Math.exp(-0.5 * ((x[r * D + d] - y[o + K + k * D + d]) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
        }
        p += n;
      }
      want -= Math.log(p);
    }
    expect(loss(null, y, x, { T, B, Y }).loss).toBeCloseTo(want / (T * B), 5);
    expect(loss(null, y, x, { T, B, Y, fromStep: 1 }).count).toBe(B);
  });

  it('has the gradient of its loss (central differences)', () => {
    const dy = new Float32Array(y.length);
    loss(dy, y, x, { T, B, Y });
    const eps = 1e-3;
    for (let i = 0; i < y.length; i++) {
      const p = Float32Array.from(y);
      p[i] += eps;
      const m = Float32Array.from(y);
      m[i] -= eps;
      const fd = (loss(null, p, x, { T, B, Y }).loss - loss(null, m, x, { T, B, Y }).loss) / (2 * eps);
      expect(dy[i]).toBeCloseTo(fd, 3);
    }
  });

  it('samples near the mean of the likely component', () => {
    const out = Float32Array.of(10, -10, 0.3, 0.7, -5, -5, -7, -7, -7, -7); // component 0 almost surely, σ = e^-7
    const p = sampleMixture(out, K, D, new Rng(1));
    expect(p[0]).toBeCloseTo(0.3, 2);
    expect(p[1]).toBeCloseTo(0.7, 2);
  });

  it('refuses bad shapes, naming them', () => {
    expectError(() => loss(null, y, x, { T, B, Y: Y + 1 }), 'ERR_SHAPE', 'shape.Y');
    expectError(() => loss(null, y, new Float32Array(3), { T, B, Y }), 'ERR_SHAPE', 'targets');
  });
});
