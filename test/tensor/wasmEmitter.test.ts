/** The tiny WebAssembly emitter: LEB128 encodings from the spec's examples, and a module that runs. */
import { describe, expect, it } from 'vitest';
import { FunctionBuilder, emitModule, sleb, uleb } from '../../src/tensor/wasm/wasmEmitter.ts';
import { gemmModuleBytes, probeBytes } from '../../src/tensor/wasm/gemmKernels.ts';
import { wasmApi, type WasmApi } from '../../src/tensor/wasm/wasmApi.ts';

const wasm = wasmApi() as WasmApi;

describe('wasm emitter', () => {
  it('encodes LEB128', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(0)).toEqual([0]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(2 ** 31 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
  });

  it('emits a module with a loop and SIMD that validates and runs', () => {
    // sum4(p, n): mem[p..p+4) += Σ over i < n of mem[p+16+16i .. +4)
    const f = new FunctionBuilder('sum4', ['p', 'n']);
    f.local('i', 'i32');
    f.local('s', 'v128');
    f.local('q', 'i32');
    f.get('p').v128Load().set('s');
    f.get('p').i32Const(16).i32Add().set('q');
    f.while(
      () => f.get('i').get('n').i32LtS(),
      () => {
        f.get('s').get('q').v128Load().f32x4Add().set('s');
        f.inc('q', 16).inc('i', 1);
      },
    );
    f.get('p').get('s').v128Store();
    const bytes = emitModule([f]);
    expect(wasm.validate(bytes)).toBe(true);
    const memory = new wasm.Memory({ initial: 1 });
    const { exports } = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
    const m = new Float32Array(memory.buffer);
    m.set([1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 300, 400]);
    (exports.sum4 as (p: number, n: number) => void)(0, 2);
    expect([...m.subarray(0, 4)]).toEqual([111, 222, 333, 444]);
  });

  it('the gemm module and the SIMD probe validate', () => {
    expect(wasm.validate(probeBytes(false))).toBe(true);
    expect(wasm.validate(gemmModuleBytes())).toBe(true);
  });
});
