/**
 * `Backend.streamStep` over an accelerator's fused kernel (the native addon's `streamStep`): one call a step for
 * every layer and the head of a one-row streaming step. The weights are read in place (`P` must be a view of the
 * memory, else it declines and the model steps method by method); the token id or dense input, h, c, y and the
 * kernel's scratch go through the arena's staging room (valid for one call, not counted in `used`) unless they
 * are views of the memory. The kernel's arguments (the weights' byte addresses) are built once per plan and
 * parameter array.
 */
import type { Backend, CellKind, LowpWeights, StreamPlan } from '../backend.ts';
import type { WasmArena } from './wasmArena.ts';
import { align16 } from './wasmArena.ts';

const CELL_CODES: Record<CellKind, number> = { lstm: 0, gru: 1, rnn_tanh: 2, rnn_relu: 3 };
const GATES: Record<CellKind, number> = { lstm: 4, gru: 3, rnn_tanh: 1, rnn_relu: 1 };
/** The kernel's layer table is fixed-size (eddy_native.cc), its arguments a header and a row per layer. */
const MAX_LAYERS = 8;
const HEAD = 14;
const PER_LAYER = 8;

/**
 * The kernel's arguments: `[cell, L, H, onehot, x, h, c, y, Y, head weight, head bias, scratch, q, head scales]`,
 * then per layer `[wih, bih, whh, bhh, inputWidth, wih packed, wih scales, whh scales]` (byte addresses; x, h,
 * c, y and scratch filled in at each call; q 0 float32, 1 bf16, 2 int8: then whh and the head's weight are the
 * packed copies). Null when a packed weight is not in the memory.
 */
function kernelArgs(plan: StreamPlan, P: Float32Array, buffer: ArrayBufferLike): Int32Array | null {
  const { layers, head, packed } = plan;
  const at = (off: number): number => P.byteOffset + 4 * off;
  const inMemory = (w: LowpWeights | null): boolean =>
    w === null || (w.data.buffer === buffer && (w.scales === null || w.scales.buffer === buffer));
  if (packed !== null && !(inMemory(packed.head) && packed.layers.every((p) => inMemory(p.wih) && inMemory(p.whh))))
    return null;
  const scales = (w: LowpWeights | null | undefined): number => (w?.scales ? w.scales.byteOffset : -1);
  const q = packed === null ? 0 : (packed.head ?? packed.layers[0].whh).kind === 'bf16' ? 1 : 2;
  const a = new Int32Array(HEAD + PER_LAYER * layers.length);
  a.set([CELL_CODES[plan.cell], layers.length, plan.hiddenSize, plan.onehot ? 1 : 0, 0, 0, -1, 0]);
  const hw = head === null ? 0 : packed?.head ? packed.head.data.byteOffset : at(head.weight);
  a.set([head?.size ?? 0, hw, head ? at(head.bias) : 0, 0, q, scales(packed?.head)], 8);
  layers.forEach((lo, l) => {
    const pk = packed?.layers[l];
    const whh = pk ? pk.whh.data.byteOffset : at(lo.whh);
    const wihQ = pk ? pk.wih.data.byteOffset : -1;
    a.set(
      [at(lo.wih), at(lo.bih), whh, at(lo.bhh), lo.inputWidth, wihQ, scales(pk?.wih), scales(pk?.whh)],
      HEAD + PER_LAYER * l,
    );
  });
  return a;
}

/** Views of the staged h, c and y of the last call. */
interface Views {
  h: Float32Array;
  c: Float32Array;
  y: Float32Array;
}

export function streamStepper(
  arena: WasmArena,
  slot: number,
  kernel: (slot: number, args: Int32Array) => void,
): NonNullable<Backend['streamStep']> {
  const built = new WeakMap<StreamPlan, { P: Float32Array; args: Int32Array | null; views: Views | null }>();
  const i32 = new Int32Array(arena.buffer);
  return (plan, P, x, h, c, y) => {
    if (!arena.owns(P) || plan.layers.length > MAX_LAYERS) return false;
    let entry = built.get(plan);
    if (entry === undefined || entry.P !== P) {
      entry = { P, args: kernelArgs(plan, P, arena.buffer), views: null };
      built.set(plan, entry);
    }
    const a = entry.args;
    if (a === null) return false;
    const H = plan.hiddenSize;
    const LH = plan.layers.length * H;
    const Y = plan.head?.size ?? 0;
    const G = GATES[plan.cell];
    const denseIn = !plan.onehot && arena.owns(x as Float32Array);
    const xBytes = plan.onehot ? 16 : denseIn ? 0 : align16(4 * plan.layers[0].inputWidth);
    const ownY = Y > 0 && arena.owns(y);
    const hAt = xBytes;
    const cAt = hAt + align16(4 * LH);
    const yAt = cAt + (c === undefined ? 0 : align16(4 * LH));
    const scratchAt = yAt + (ownY ? 0 : align16(4 * Y));
    const base = arena.stage(scratchAt + 4 * (3 * G * H + 2 * H));
    if (base < 0) return false; // no room ('heap' arenas): step method by method
    const f32 = arena.f32;
    if (plan.onehot) i32[base >> 2] = x[0];
    else if (!denseIn) f32.set(x as Float32Array, base >> 2);
    a[4] = denseIn ? x.byteOffset : base;
    f32.set(h, (base + hAt) >> 2);
    a[5] = base + hAt;
    if (c !== undefined) {
      f32.set(c, (base + cAt) >> 2);
      a[6] = base + cAt;
    }
    a[7] = ownY ? y.byteOffset : base + yAt;
    a[11] = base + scratchAt;
    kernel(slot, a);
    let v = entry.views;
    if (v === null || v.h.byteOffset !== base + hAt || v.c.byteOffset !== base + cAt || v.y.byteOffset !== base + yAt) {
      // the staged h, c and y, as views made once (not three new arrays a step)
      v = {
        h: f32.subarray((base + hAt) >> 2, ((base + hAt) >> 2) + LH),
        c: f32.subarray((base + cAt) >> 2, ((base + cAt) >> 2) + LH),
        y: f32.subarray((base + yAt) >> 2, ((base + yAt) >> 2) + Y),
      };
      entry.views = v;
    }
    h.set(v.h);
    if (c !== undefined) c.set(v.c);
    if (Y > 0 && !ownY) y.set(v.y);
    return true;
  };
}
