/**
 * The slice of TensorFlow.js the benchmark uses, typed here so the library's type-check (`tsc --noEmit`) does not
 * depend on the peers being installed under `pipelines/bench/node_modules`, and the loader that finds them there.
 *
 * 1. `@tensorflow/tfjs` (its `cpu` backend) and `@tensorflow/tfjs-backend-wasm` are imported by a computed
 *    specifier, resolved from this folder.
 * 2. The wasm binaries are loaded from the package's own `dist/` folder (`setWasmPaths`), never downloaded.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A tfjs tensor (only what the benchmark touches). */
export interface TfTensor {
  readonly shape: number[];
  dataSync(): Float32Array | Int32Array | Uint8Array;
  dispose(): void;
}
export type TfVariable = TfTensor & { readonly name: string };
export type NamedTensorMap = Record<string, TfTensor>;

/** A tfjs optimizer. */
export interface TfOptimizer {
  applyGradients(grads: NamedTensorMap): void;
  dispose(): void;
}

/** The functions of `@tensorflow/tfjs` used here. */
export interface Tf {
  readonly version: Record<string, string>;
  setBackend(name: string): Promise<boolean>;
  getBackend(): string;
  ready(): Promise<void>;
  memory(): { numTensors: number };
  env(): { getAsync(flag: string): Promise<unknown> };
  tensor(values: Float32Array | Int32Array, shape: number[], dtype?: 'float32' | 'int32'): TfTensor;
  variable(initial: TfTensor, trainable: boolean, name: string): TfVariable;
  transpose(x: TfTensor): TfTensor;
  gather(x: TfTensor, indices: TfTensor): TfTensor;
  reshape(x: TfTensor, shape: number[]): TfTensor;
  unstack(x: TfTensor): TfTensor[];
  stack(xs: TfTensor[]): TfTensor;
  split(x: TfTensor, n: number, axis: number): TfTensor[];
  matMul(a: TfTensor, b: TfTensor): TfTensor;
  add(a: TfTensor, b: TfTensor): TfTensor;
  sub(a: TfTensor, b: TfTensor): TfTensor;
  mul(a: TfTensor, b: TfTensor | number): TfTensor;
  sigmoid(x: TfTensor): TfTensor;
  tanh(x: TfTensor): TfTensor;
  softmax(x: TfTensor): TfTensor;
  oneHot(indices: TfTensor, depth: number): TfTensor;
  sum(x: TfTensor): TfTensor;
  square(x: TfTensor): TfTensor;
  sqrt(x: TfTensor): TfTensor;
  addN(xs: TfTensor[]): TfTensor;
  tidy<T extends TfTensor | TfTensor[]>(fn: () => T): T;
  keep<T extends TfTensor>(x: T): T;
  dispose(x: TfTensor | TfTensor[]): void;
  variableGrads(f: () => TfTensor, varList?: TfVariable[]): { value: TfTensor; grads: NamedTensorMap };
  readonly losses: { softmaxCrossEntropy(onehotLabels: TfTensor, logits: TfTensor): TfTensor };
  readonly train: { adam(lr: number, beta1: number, beta2: number, epsilon: number): TfOptimizer };
}

/** The functions of `@tensorflow/tfjs-backend-wasm` used here. */
interface TfWasm {
  setWasmPaths(prefix: string): void;
  getThreadsCount(): number;
}

/** A loaded TensorFlow.js with the backends that initialised, or why it is absent. */
export type TfLoad =
  | { readonly ok: true; readonly tf: Tf; readonly backends: string[]; readonly notes: string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * `pipelines/bench` with its package.json (the peers' install), torch_bench.py and node_modules: this file's
 * folder when it runs from the sources, the sources' folder when it runs compiled from `dist/pipelines/bench`.
 */
export const benchDir = [
  dirname(fileURLToPath(import.meta.url)),
  join(dirname(fileURLToPath(import.meta.url)), '../../../pipelines/bench'),
].find((d) => existsSync(join(d, 'package.json'))) as string;
const here = benchDir;

/** True if the peers are installed under `pipelines/bench/node_modules`. */
export function peersInstalled(): boolean {
  return (
    existsSync(join(here, 'node_modules', '@tensorflow', 'tfjs', 'package.json')) &&
    existsSync(join(here, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'package.json'))
  );
}

/** Imports tfjs and initialises its `cpu` and `wasm` backends (the wasm binaries from node_modules). */
export async function loadTf(): Promise<TfLoad> {
  const require = createRequire(join(here, 'package.json'));
  let tf: Tf;
  try {
    const spec = '@tensorflow/tfjs';
    const mod = (await import(require.resolve(spec))) as { default?: Tf } & Tf;
    tf = mod.default ?? mod;
  } catch (err) {
    return {
      ok: false,
      reason: `@tensorflow/tfjs not importable (${(err as Error).message.split('\n')[0]}); run: npm ci --prefix pipelines/bench`,
    };
  }
  const backends: string[] = [];
  const notes: string[] = [];
  if (await tf.setBackend('cpu')) backends.push('cpu');
  try {
    const spec = '@tensorflow/tfjs-backend-wasm';
    const mod = (await import(require.resolve(spec))) as { default?: TfWasm } & TfWasm;
    const wasm = mod.default ?? mod;
    const dist = `${join(dirname(require.resolve(`${spec}/package.json`)), 'dist')}/`;
    wasm.setWasmPaths(dist); // local files only: nothing is fetched
    if (await tf.setBackend('wasm')) {
      backends.push('wasm');
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      const file = simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
      notes.push(
        `tfjs-wasm loads ${dist.replace(/.*node_modules\//, 'node_modules/')}${file} (local file), ${wasm.getThreadsCount()} thread (tfjs turns wasm threads off in Node)`,
      );
    } else notes.push('tfjs-wasm: backend failed to initialise');
  } catch (err) {
    notes.push(`tfjs-wasm: ${(err as Error).message}`);
  }
  return { ok: true, tf, backends, notes };
}
