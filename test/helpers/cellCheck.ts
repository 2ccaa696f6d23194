/**
 * Shared by the pointwise property tests (wasm and native backends): random arguments inside and outside a
 * backend's memory with reference copies, and one fused cell step checked against its TypeScript cell.
 */
import { expect } from 'vitest';
import type { WasmBackend } from '../../src/tensor/wasmBackend.ts';
import { cellFor } from '../../src/cells/cellFor.ts';
import type { CellKind } from '../../src/cells/cellKernel.ts';
import type { Rng } from '../../src/util/rng.ts';

/** Largest |a - b| / max(1, |b|), NaN where exactly one of them is NaN. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return NaN;
    if (!Number.isNaN(a[i])) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return d;
}

/**
 * Arrays for one call: each inside the backend's memory or not (at random), with a random offset and slack after,
 * filled from `lo..hi`. `copies` are plain copies, aliased as the originals, for the reference run.
 */
export class Args {
  readonly arrays: Float32Array[] = [];
  readonly copies: Float32Array[] = [];
  private readonly be: WasmBackend;
  private readonly rng: Rng;

  constructor(be: WasmBackend, rng: Rng) {
    this.be = be;
    this.rng = rng;
  }

  /** A new array holding `len` elements at a random offset: [array, offset, copy]. */
  make(len: number, lo = -1, hi = 1): [Float32Array, number, Float32Array] {
    const off = this.rng.int(4);
    const n = off + len + this.rng.int(4);
    const X = this.rng.next() < 0.5 ? this.be.alloc(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) X[i] = this.rng.uniform(lo, hi);
    // a few large pre-activations, to reach saturation and both branches of tanh
    if (this.rng.next() < 0.3 && n > 0) X[this.rng.int(n)] = this.rng.uniform(-40, 40);
    const copy = X.slice();
    this.arrays.push(X);
    this.copies.push(copy);
    return [X, off, copy];
  }

  /** Largest difference between each array and its reference copy. */
  diff(): number {
    let d = 0;
    this.arrays.forEach((X, i) => {
      d = Math.max(d, maxRelDiff(X, this.copies[i]));
    });
    return d;
  }
}

export function forwardCase(be: WasmBackend, rng: Rng, kind: CellKind, B: number, H: number, inPlace: boolean): number {
  const G = cellFor(kind).gates;
  const a = new Args(be, rng);
  const [h, hOff, rh] = a.make(B * H);
  const [c, cOff, rc] = a.make(B * H);
  const [act, actOff, ract] = a.make(B * G * H);
  const [aux, auxOff, raux] = a.make(B * H);
  const [gx, gxOff, rgx] = a.make(B * G * H, -3, 3);
  const [gh, ghOff, rgh] = a.make(B * G * H, -3, 3);
  const [bhh, bOff, rbhh] = a.make(G * H);
  // in place, as a streaming step runs: h_prev is h, c_prev is c
  const [hp, hpOff, rhp] = inPlace ? [h, hOff, rh] : a.make(B * H);
  const [cp, cpOff, rcp] = inPlace ? [c, cOff, rc] : a.make(B * H, -2, 2);
  cellFor(kind).forward(
    rh,
    hOff,
    rc,
    cOff,
    ract,
    actOff,
    raux,
    auxOff,
    rgx,
    gxOff,
    rgh,
    ghOff,
    rhp,
    hpOff,
    rcp,
    cpOff,
    rbhh,
    bOff,
    B,
    H,
  );
  expect(
    be.cellForward!(
      kind,
      h,
      hOff,
      c,
      cOff,
      act,
      actOff,
      aux,
      auxOff,
      gx,
      gxOff,
      gh,
      ghOff,
      hp,
      hpOff,
      cp,
      cpOff,
      bhh,
      bOff,
      B,
      H,
    ),
  ).toBe(true);
  return a.diff();
}

export function backwardCase(be: WasmBackend, rng: Rng, kind: CellKind, B: number, H: number, shared: boolean): number {
  const G = cellFor(kind).gates;
  const a = new Args(be, rng);
  const [dgx, dgxOff, rdgx] = a.make(B * G * H);
  const [dgh, dghOff, rdgh] = shared ? [dgx, dgxOff, rdgx] : a.make(B * G * H);
  const [dhp, dhpOff, rdhp] = a.make(B * H);
  const [dcp, dcpOff, rdcp] = a.make(B * H);
  const [dh, dhOff, rdh] = a.make(B * H);
  const [dc, dcOff, rdc] = a.make(B * H);
  const [act, actOff, ract] = a.make(B * G * H, 0, 1); // gate activations in (0, 1)
  const [aux, auxOff, raux] = a.make(B * H);
  const [hp, hpOff, rhp] = a.make(B * H);
  const [cp, cpOff, rcp] = a.make(B * H, -2, 2);
  cellFor(kind).backward(
    rdgx,
    dgxOff,
    rdgh,
    dghOff,
    rdhp,
    dhpOff,
    rdcp,
    dcpOff,
    rdh,
    dhOff,
    rdc,
    dcOff,
    ract,
    actOff,
    raux,
    auxOff,
    rhp,
    hpOff,
    rcp,
    cpOff,
    B,
    H,
  );
  expect(
    be.cellBackward!(
      kind,
      dgx,
      dgxOff,
      dgh,
      dghOff,
      dhp,
      dhpOff,
      dcp,
      dcpOff,
      dh,
      dhOff,
      dc,
      dcOff,
      act,
      actOff,
      aux,
      auxOff,
      hp,
      hpOff,
      cp,
      cpOff,
      B,
      H,
    ),
  ).toBe(true);
  return a.diff();
}

/** Random (B, H): B 1..5, H 1..40, plus the edges of the vector loop. */
export function shapes(rng: Rng, n: number): [number, number][] {
  const out: [number, number][] = [
    [1, 1],
    [1, 3],
    [1, 4],
    [2, 5],
    [5, 8],
    [3, 39],
    [1, 256],
  ];
  for (let i = 0; i < n; i++) out.push([1 + rng.int(5), 1 + rng.int(40)]);
  return out;
}
