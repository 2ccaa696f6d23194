/** `backendByName` picks the kernels a command line names, and says why when this machine cannot run them. */
import { describe, expect, it } from 'vitest';
import { backendByName } from '../../src/tensor/backendByName.ts';
import { jsBackend } from '../../src/tensor/jsBackend.ts';
import { nativeAvailable, nativeInfo } from '../../src/tensor/nativeBackend.ts';
import { wasmSimdSupported } from '../../src/tensor/wasmBackend.ts';
import { loadFrameLabeler } from '../../src/video/frameLabeler.ts';
import { repoRoot } from '../sources/dataPath.ts';
import { join } from 'node:path';

describe('backendByName', () => {
  it('js is jsBackend; wasm a wasm backend; native the addon or a clear error; auto the fastest available', () => {
    expect(backendByName('js')).toBe(jsBackend);
    if (wasmSimdSupported()) expect(backendByName('wasm').name).toMatch(/^wasm-(relaxed-)?simd$/);
    if (nativeAvailable()) {
      expect(backendByName('native').name).toBe(`native-${nativeInfo()!.isa}`);
      expect(backendByName('auto').name).toBe(`native-${nativeInfo()!.isa}`);
    } else {
      expect(() => backendByName('native', { path: '--backend' })).toThrow(
        /--backend is "native" but the native addon is /,
      );
      expect(backendByName('auto').name).toBe(wasmSimdSupported() ? backendByName('wasm').name : 'js');
    }
  });

  it('an unknown name is an error naming the flag and the choices', () => {
    expect(() => backendByName('gpu', { path: '--backend' })).toThrow(
      'Expected one of "auto", "native", "wasm", "js" for --backend but received "gpu" of type string',
    );
  });

  it('a frame labeller loads onto the kernels it is given, with the same outputs', () => {
    const path = join(repoRoot, 'pipelines/models/video-grid.safetensors');
    const js = loadFrameLabeler(path);
    const fast = loadFrameLabeler(path, { backend: backendByName('auto') });
    expect(fast.model.backend.name).toBe(backendByName('auto').name);
    const x = Float32Array.from({ length: js.spec.size }, (_, i) => ((i * 37) % 101) / 101);
    const a = js.model.step(x, js.model.createState(1)),
      b = fast.model.step(x, fast.model.createState(1));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4);
  });
});
