/**
 * Fuzzing the safetensors reader (CI): seeded random mutations of a real model file, a few hundred per run. Each
 * mutated file either still loads as a model (a mutation that kept it valid) or fails with a clean `ERR_FILE`,
 * within a memory bound for the whole run: never another error, a hang (the test's timeout) or a crash. Time is
 * not asserted: it depends on how loaded the machine is.
 * Set EDDY_FUZZ_SEED to replay another sequence and EDDY_FUZZ_N for more mutations.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, modelMetadata, modelTensors } from '../../src/model/modelFile.ts';
import { RNNModel } from '../../src/model/rnnModel.ts';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.ts';
import { EddyError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const SEED = Number(process.env.EDDY_FUZZ_SEED ?? 12);
const N = Number(process.env.EDDY_FUZZ_N ?? 400);
const RSS_GROWTH_MIB = 200;

const dir = mkdtempSync(join(tmpdir(), 'eddy-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = RNNModel.create(
  { cell: 'lstm', input: 'embedding', inputSize: 5, embeddingSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 5 },
  { seed: 1 },
);
const original = encodeSafetensors(modelTensors(model), modelMetadata(model));
const headerLen = Number(new DataView(original.buffer, original.byteOffset, 8).getBigUint64(0, true));
const header = JSON.parse(new TextDecoder().decode(original.subarray(8, 8 + headerLen))) as Record<string, unknown>;
const data = original.subarray(8 + headerLen);

/** A file from a header object (its length written correctly) and a data buffer. */
function assemble(h: unknown, d: Uint8Array, lengthDelta = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, json.length + lengthDelta)), true);
  out.set(json, 8);
  out.set(d, 8 + json.length);
  return out;
}

const WEIRD: unknown[] = [
  -1,
  0,
  1.5,
  2 ** 53,
  1e308,
  -0,
  '3',
  '',
  null,
  true,
  [],
  [1],
  [2, 3],
  [-1, 4],
  [0, 2 ** 40],
  {},
  { a: 1 },
  'F32',
  'F128',
  '__proto__',
  'constructor',
  [1e9, 1e9, 1e9],
];

/** One seeded mutation: its name and the mutated bytes. */
function mutate(rng: Rng): [string, Uint8Array] {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const kind = rng.int(9);
  const bytes = original.slice();
  switch (kind) {
    case 0: {
      // flip random bytes of the length prefix and the header
      const n = 1 + rng.int(4);
      for (let i = 0; i < n; i++) bytes[rng.int(8 + headerLen)] ^= 1 << rng.int(8);
      return ['flip header bytes', bytes];
    }
    case 1: {
      // a random header length (small, near, huge)
      const v = pick([0n, 1n, 7n, BigInt(headerLen - 1), BigInt(headerLen + 1), 2n ** 32n, 2n ** 63n, 99_999_999n]);
      new DataView(bytes.buffer).setBigUint64(0, v, true);
      return ['header length', bytes];
    }
    case 2:
      return ['truncated', bytes.subarray(0, rng.int(bytes.length))];
    case 3: {
      // a random byte string in place of part of the header
      const at = 8 + rng.int(headerLen);
      const len = 1 + rng.int(16);
      for (let i = at; i < Math.min(at + len, 8 + headerLen); i++)
        bytes[i] = pick([0x7b, 0x7d, 0x22, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x5c, 0x00, 0xff, 0x20]);
      return ['header garbage', bytes];
    }
    case 4: {
      // a tensor field set to a weird value
      const h = structuredClone(header);
      const names = Object.keys(h).filter((k) => k !== '__metadata__');
      const t = h[pick(names)] as Record<string, unknown>;
      t[pick(['dtype', 'shape', 'data_offsets', 'extra'])] = structuredClone(pick(WEIRD));
      return ['tensor field', assemble(h, data)];
    }
    case 5: {
      // an eddy.config field set to a weird value, or an unknown key
      const h = structuredClone(header);
      const meta = h.__metadata__ as Record<string, string>;
      const cfg = JSON.parse(meta['eddy.config']) as Record<string, unknown>;
      cfg[
        pick([
          'cell',
          'input',
          'inputSize',
          'embeddingSize',
          'hiddenSize',
          'numLayers',
          'outputSize',
          'dropout',
          'nope',
        ])
      ] = structuredClone(pick(WEIRD));
      meta['eddy.config'] = rng.int(4) === 0 ? JSON.stringify(cfg).slice(0, -1 - rng.int(5)) : JSON.stringify(cfg);
      return ['config field', assemble(h, data)];
    }
    case 6: {
      // metadata values of the wrong kind, or a damaged vocabulary
      const h = structuredClone(header);
      const meta = h.__metadata__ as Record<string, unknown>;
      if (rng.int(2) === 0) meta[pick(['eddy.config', 'eddy.vocab', 'eddy.format'])] = structuredClone(pick(WEIRD));
      else
        meta['eddy.vocab'] = JSON.stringify(pick([['a'], ['a', 'a', 'b', 'c', 'd'], [1, 2, 3, 4, 5], 'abcde', null]));
      return ['metadata', assemble(h, data)];
    }
    case 7: {
      // a tensor removed, duplicated under another name, or renamed
      const h = structuredClone(header);
      const names = Object.keys(h).filter((k) => k !== '__metadata__');
      const name = pick(names);
      const how = rng.int(3);
      if (how === 0) delete h[name];
      else if (how === 1) h[`${name}_copy`] = h[name];
      else {
        h[pick(['rnn.weight_ih_l2', 'head.weight2', '', 'rnn.weight_hh_l0_reverse'])] = h[name];
        delete h[name];
      }
      return ['tensor set', assemble(h, data)];
    }
    default: {
      // a header length off by a little, with a correct JSON
      return ['length off', assemble(header, data, pick([-3, -1, 1, 2, 64]))];
    }
  }
}

describe(`safetensors reader fuzz (seed ${SEED}, ${N} mutations)`, () => {
  it('every mutated file loads or fails with ERR_FILE, in bounded memory', () => {
    const rng = new Rng(SEED);
    const rss0 = process.memoryUsage.rss();
    const counts: Record<string, { fileErrors: number; loaded: number }> = {};
    for (let i = 0; i < N; i++) {
      const [name, bytes] = mutate(rng);
      const path = join(dir, `m${i % 8}.safetensors`);
      writeFileSync(path, bytes);
      counts[name] ??= { fileErrors: 0, loaded: 0 };
      const c = counts[name];
      const loadChecked = () => {
        const m = loadModel(path);
        // what loads is what the metadata says: no configuration field silently overridden by the shapes
        const raw = decodeSafetensors(bytes).metadata['eddy.config'];
        for (const [k, v] of Object.entries(JSON.parse(raw ?? '{}') as Record<string, unknown>)) {
          if ((m.config as unknown as Record<string, unknown>)[k] !== v)
            throw new Error(
              `mutation ${i} (${name}) loaded with config.${k} ${String(m.config[k as 'cell'])}, metadata says ${String(v)}`,
            );
        }
      };
      for (const load of [loadChecked, () => decodeSafetensors(bytes, path)]) {
        try {
          load();
          c.loaded++;
        } catch (err) {
          if (!(err instanceof EddyError) || err.code !== 'ERR_FILE')
            throw new Error(`mutation ${i} (${name}) failed with ${String(err)}, not ERR_FILE`, { cause: err });
          c.fileErrors++;
        }
      }
    }
    const grown = (process.memoryUsage.rss() - rss0) / 2 ** 20;
    if (process.env.EDDY_VERBOSE) console.log(JSON.stringify({ counts, rssGrowthMiB: grown }));
    expect(grown).toBeLessThan(RSS_GROWTH_MIB);
    // the mutations mostly break the file: most outcomes are refusals
    const total = Object.values(counts).reduce((a, c) => a + c.fileErrors, 0);
    expect(total).toBeGreaterThan(N);
  });
});
