/**
 * A tiny WebAssembly binary emitter: just the opcodes the gemm and cell kernels need (i32 arithmetic, locals,
 * structured loops, scalar f32 and 128-bit SIMD loads, stores, arithmetic, comparisons and lane conversions), so the
 * modules are generated from TypeScript at load time with no build step, no toolchain and nothing downloaded.
 *
 * The format, in the few pieces used here (WebAssembly core spec 2.0, "Binary Format"):
 * 1. A module is the magic `\0asm`, version 1, then sections `id, byteLength, contents` in increasing id order:
 *    type (1), import (2), function (3), export (7), code (10).
 * 2. Integers are LEB128: 7 bits a byte, low bits first, the high bit set on every byte but the last; `i32.const`
 *    takes a signed LEB128, indices and lengths unsigned.
 * 3. A function body is its local declarations, then instructions, then `end` (0x0b). Blocks and loops take a
 *    block type (0x40: no result) and close with `end`; `br n` jumps to the n-th enclosing label (a loop's label
 *    is its start, a block's its end).
 * 4. Memory instructions take a memarg: log2 of the alignment hint and a constant byte offset added to the address.
 * 5. SIMD instructions are the prefix 0xfd followed by the opcode as unsigned LEB128 (e.g. f32x4.mul = 0xfd 0xe6 0x01).
 *
 * @example
 * const f = new FunctionBuilder('addOne', ['p']);
 * f.get('p').get('p').f32Load().f32Const(1).f32Add().f32Store(); // mem[p] += 1
 * const bytes = emitModule([f]);
 */

/** Value types of locals and parameters. */
export type ValType = 'i32' | 'f32' | 'v128';

const VALTYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/**
 * Builds one function whose parameters are all i32 and which returns nothing. Instructions are appended by
 * chainable methods named after the WebAssembly mnemonics; locals are addressed by name.
 */
export class FunctionBuilder {
  readonly name: string;
  readonly paramCount: number;
  private readonly index = new Map<string, number>();
  private readonly localTypes: ValType[] = [];
  private readonly code: number[] = [];

  constructor(name: string, params: readonly string[]) {
    this.name = name;
    this.paramCount = params.length;
    params.forEach((p, i) => this.index.set(p, i));
  }

  /** Declares a local (zero-initialised by WebAssembly) and returns its name. */
  local(name: string, type: ValType): string {
    if (this.index.has(name)) throw new Error(`wasm emitter: duplicate local ${name} in ${this.name}`);
    this.index.set(name, this.paramCount + this.localTypes.length);
    this.localTypes.push(type);
    return name;
  }

  private idx(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`wasm emitter: unknown local ${name} in ${this.name}`);
    return i;
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...immediates);
  }

  // locals and constants
  get(name: string): this {
    return this.op(0x20, ...uleb(this.idx(name)));
  }
  set(name: string): this {
    return this.op(0x21, ...uleb(this.idx(name)));
  }
  tee(name: string): this {
    return this.op(0x22, ...uleb(this.idx(name)));
  }
  i32Const(n: number): this {
    return this.op(0x41, ...sleb(n));
  }
  f32Const(x: number): this {
    return this.op(0x43, ...new Uint8Array(new Float32Array([x]).buffer));
  }

  // i32 arithmetic and comparisons (all signed: sizes and byte addresses stay below 2^31)
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32And(): this {
    return this.op(0x71);
  }
  i32Shl(): this {
    return this.op(0x74);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32Ne(): this {
    return this.op(0x47);
  }
  i32LtS(): this {
    return this.op(0x48);
  }
  i32GtS(): this {
    return this.op(0x4a);
  }
  i32LeS(): this {
    return this.op(0x4c);
  }
  i32GeS(): this {
    return this.op(0x4e);
  }

  /** `local += delta` for an i32 local, where delta is a constant or another local. */
  inc(name: string, delta: number | string): this {
    this.get(name);
    if (typeof delta === 'number') this.i32Const(delta);
    else this.get(delta);
    return this.i32Add().set(name);
  }

  // structured control
  /** `block … end` (a forward label: `br` to it exits). */
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }
  /** `if … end`, consuming an i32 condition. */
  if(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    then();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c, ...uleb(depth));
  }
  /** `call` the module's function at `index` (its position in `emitModule`'s list: the module imports no functions). */
  call(index: number): this {
    return this.op(0x10, ...uleb(index));
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...uleb(depth));
  }

  /**
   * `while (cond) body`: `block loop (cond) i32.eqz br_if 1 (body) br 0 end end`. `cond` pushes an i32.
   * Inside `body`, `br 1` continues and `br 2` breaks (plus one per block the body opens).
   */
  while(cond: () => void, body: () => void): this {
    this.op(0x02, 0x40, 0x03, 0x40);
    cond();
    this.i32Eqz().brIf(1);
    body();
    return this.br(0).op(0x0b, 0x0b);
  }

  // scalar f32 memory and arithmetic (memarg: align log2 = 2, byte offset)
  f32Load(offset = 0): this {
    return this.op(0x2a, 2, ...uleb(offset));
  }
  f32Store(offset = 0): this {
    return this.op(0x38, 2, ...uleb(offset));
  }
  f32Add(): this {
    return this.op(0x92);
  }
  f32Mul(): this {
    return this.op(0x94);
  }
  /** `i32.load` (token ids) */
  i32Load(offset = 0): this {
    return this.op(0x28, 2, ...uleb(offset));
  }

  // SIMD (align log2 = 4 for v128; a hint only, unaligned addresses are allowed)
  v128Load(offset = 0): this {
    return this.simd(0x00, 4, ...uleb(offset));
  }
  v128Load32Splat(offset = 0): this {
    return this.simd(0x09, 2, ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b, 4, ...uleb(offset));
  }
  v128Zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  /** `i8x16.shuffle` with 16 byte lanes picked from the two operands (0..15 first, 16..31 second). */
  i8x16Shuffle(lanes: readonly number[]): this {
    return this.simd(0x0d, ...lanes);
  }
  /** `i8x16.shuffle` of two f32x4 vectors by f32 lane (0..3 first, 4..7 second). */
  f32x4Shuffle(l0: number, l1: number, l2: number, l3: number): this {
    return this.i8x16Shuffle([l0, l1, l2, l3].flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
  }
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  f32x4ExtractLane(lane: number): this {
    return this.simd(0x1f, lane);
  }
  f32x4ReplaceLane(lane: number): this {
    return this.simd(0x20, lane);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  f32x4Div(): this {
    return this.simd(0xe7);
  }
  /** `f32x4.pmin(a, b) = b < a ? b : a` lane-wise (one x86 `minps`; `f32x4.min` needs several for NaN and -0) */
  f32x4Pmin(): this {
    return this.simd(0xea);
  }
  /** `f32x4.pmax(a, b) = a < b ? b : a` lane-wise (so `pmax(0, x)` is `x > 0 ? x : 0`, NaN to 0) */
  f32x4Pmax(): this {
    return this.simd(0xeb);
  }
  f32x4Abs(): this {
    return this.simd(0xe0);
  }
  f32x4Neg(): this {
    return this.simd(0xe1);
  }
  /** Round to nearest, ties to even. */
  f32x4Nearest(): this {
    return this.simd(0x6a);
  }
  /** Lane-wise `a < b` as all-ones / all-zeros masks. */
  f32x4Lt(): this {
    return this.simd(0x43);
  }
  f32x4Gt(): this {
    return this.simd(0x44);
  }
  v128And(): this {
    return this.simd(0x4e);
  }
  v128Or(): this {
    return this.simd(0x50);
  }
  /** `v128.bitselect(a, b, mask) = (a & mask) | (b & ~mask)` */
  v128Bitselect(): this {
    return this.simd(0x52);
  }
  i32x4Splat(): this {
    return this.simd(0x11);
  }
  i32x4Add(): this {
    return this.simd(0xae);
  }
  /** `i32x4.shl(v, n)`: every lane shifted left by the i32 on top of the stack. */
  i32x4Shl(): this {
    return this.simd(0xab);
  }
  /** `i32x4.trunc_sat_f32x4_s`: float lanes to signed integers (saturating, NaN to 0). */
  i32x4TruncSatF32x4S(): this {
    return this.simd(0xf8);
  }
  /** Relaxed SIMD `f32x4.relaxed_madd(a, b, c) = a·b + c` (fused where the CPU has FMA). */
  f32x4RelaxedMadd(): this {
    return this.simd(0x105);
  }

  /** The function body in binary: locals, instructions, `end`. */
  body(): number[] {
    const locals = vector(this.localTypes.map((t) => [1, VALTYPE[t]]));
    const bytes = [...locals, ...this.code, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  }
}

/**
 * A module that imports its memory as `env.memory` (minimum one page, no maximum, so any memory fits; with
 * `shared`, a shared memory of at most 65536 pages, as the threads proposal requires a maximum) and exports every
 * function by name.
 */
export function emitModule(functions: readonly FunctionBuilder[], options: { shared?: boolean } = {}): Uint8Array {
  const arities = [...new Set(functions.map((f) => f.paramCount))];
  const types = arities.map((n) => [0x60, ...uleb(n), ...new Array<number>(n).fill(VALTYPE.i32), 0]);
  const limits = options.shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = [[...utf8('env'), ...utf8('memory'), 0x02, ...limits]];
  const funcs = functions.map((f) => uleb(arities.indexOf(f.paramCount)));
  const exports = functions.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(funcs)),
    ...section(7, vector(exports)),
    ...section(10, vector(functions.map((f) => f.body()))),
  ]);
}
