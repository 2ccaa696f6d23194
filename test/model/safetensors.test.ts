import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsAsync,
  writeSafetensors,
  writeSafetensorsAsync,
} from '../../src/model/safetensors.ts';
import { writeFileAtomic, writeFileAtomicAsync } from '../../src/util/atomicWrite.ts';
import { EddyError } from '../../src/util/errors.ts';

const SOURCE = 'ckpt.safetensors';

/** Builds a file by hand: 8-byte LE length, header text (padded only if asked), raw data bytes. */
function build(
  header: object | string,
  data: number[] | Uint8Array = [],
  opts: { length?: bigint; pad?: boolean } = {},
): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  if (opts.pad) json += ' '.repeat((8 - (json.length % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Asserts an ERR_FILE whose message names the source and matches `what`. */
function expectFileError(fn: () => unknown, what: RegExp, source = SOURCE): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(EddyError);
  expect((caught as EddyError).code).toBe('ERR_FILE');
  expect((caught as EddyError).message).toContain(source);
  expect((caught as EddyError).message).toMatch(what);
}

const f32 = (n: number): number[] => [...new Uint8Array(new Float32Array([n]).buffer)];
const u16 = (...xs: number[]): number[] => xs.flatMap((x) => [x & 0xff, x >> 8]);

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips F32, I32 and F64 tensors of several shapes, a scalar and zero-size tensors', () => {
    const input = {
      'b.weight': { shape: [2, 3], data: new Float32Array([1.5, -2, 3.25, 0, 1e-3, -7]) },
      a_count: { shape: [4], data: new Int32Array([-5, 0, 7, 2 ** 24]) },
      '0': { shape: [2, 2, 1], data: new Float64Array([0.5, -1e10, 2 ** -20, 3]) },
      scalar: { shape: [], data: new Float32Array([4.5]) },
      empty: { shape: [0, 3], data: new Float32Array(0) },
      emptyInt: { shape: [0], data: new Int32Array(0) },
    };
    const bytes = encodeSafetensors(input);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    // Tensors are laid out in sorted name order.
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
      string,
      { data_offsets: number[] }
    >;
    const sortedNames = Object.keys(input).sort();
    const begins = sortedNames.map((k) => header[k].data_offsets[0]);
    expect(begins).toEqual([...begins].sort((x, y) => x - y));
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + n)).indexOf('"0"')).toBe(1);

    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({});
    expect([...tensors.keys()].sort()).toEqual(sortedNames);
    for (const [name, t] of Object.entries(input)) {
      const got = tensors.get(name)!;
      expect(got.shape).toEqual(t.shape);
      expect(got.data).toBeInstanceOf(Float32Array);
      expect(Array.from(got.data)).toEqual(Array.from(Float32Array.from(t.data)));
    }
    expect(tensors.get('b.weight')!.dtype).toBe('F32');
    expect(tensors.get('a_count')!.dtype).toBe('I32');
    expect(tensors.get('0')!.dtype).toBe('F64');
  });

  it('round-trips metadata, including non-ASCII strings', () => {
    const meta = { format: 'pt', note: 'héllo ✓', epoch: '12' };
    const bytes = encodeSafetensors({ w: { shape: [1], data: new Float32Array([1]) } }, meta);
    expect(decodeSafetensors(bytes).metadata).toEqual(meta);
    expect(decodeSafetensors(encodeSafetensors({}, meta)).tensors.size).toBe(0);
  });

  it('decodes a byte-exact hand-built file, even at an odd byte offset', () => {
    const header =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I8","shape":[3],"data_offsets":[8,11]}}';
    const data = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x01, 0xff, 0x7f]; // 1.0f, -2.0f, int8 1, -1, 127
    const file = build(header, data, { pad: true });
    expect(file.length).toBe(8 + 112 + 11);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    for (const bytes of [file, shifted.subarray(1)]) {
      const { tensors } = decodeSafetensors(bytes, SOURCE);
      expect(tensors.get('a')).toEqual({ dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) });
      expect(tensors.get('b')).toEqual({ dtype: 'I8', shape: [3], data: new Float32Array([1, -1, 127]) });
    }
  });

  it('decodes F16 and BF16: 1.0, -2.5, the largest half, subnormals, -0 and Infinity', () => {
    const f16 = u16(0x3c00, 0xc100, 0x7bff, 0x0001, 0x0200, 0x8000, 0x7c00);
    const bf16 = u16(0x3f80, 0xc020, 0x477f, 0x0001, 0xff80);
    const file = build(
      {
        h: { dtype: 'F16', shape: [7], data_offsets: [0, 14] },
        b: { dtype: 'BF16', shape: [5], data_offsets: [14, 24] },
      },
      [...f16, ...bf16],
    );
    const { tensors } = decodeSafetensors(file);
    expect(Array.from(tensors.get('h')!.data)).toEqual([1, -2.5, 65504, 2 ** -24, 2 ** -15, -0, Infinity]);
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, -2.5, 65280, 2 ** -133, -Infinity]);
  });

  it('decodes the integer and BOOL dtypes into float32', () => {
    const i64 = new Uint8Array(new BigInt64Array([-3n, 2n ** 40n]).buffer);
    const i32 = new Uint8Array(new Int32Array([-7, 100000]).buffer);
    const i16 = new Uint8Array(new Int16Array([-32768, 5]).buffer);
    const file = build(
      {
        i64: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
        i32: { dtype: 'I32', shape: [2], data_offsets: [16, 24] },
        i16: { dtype: 'I16', shape: [1, 2], data_offsets: [24, 28] },
        u8: { dtype: 'U8', shape: [2], data_offsets: [28, 30] },
        ok: { dtype: 'BOOL', shape: [3], data_offsets: [30, 33] },
      },
      [...i64, ...i32, ...i16, 0, 255, 1, 0, 1],
    );
    const { tensors } = decodeSafetensors(file);
    expect(Array.from(tensors.get('i64')!.data)).toEqual([-3, 2 ** 40]);
    expect(Array.from(tensors.get('i32')!.data)).toEqual([-7, 100000]);
    expect(Array.from(tensors.get('i16')!.data)).toEqual([-32768, 5]);
    expect(Array.from(tensors.get('u8')!.data)).toEqual([0, 255]);
    expect(Array.from(tensors.get('ok')!.data)).toEqual([1, 0, 1]);
  });

  it('rejects bad inputs to encode with argument and shape errors', () => {
    const ok = new Float32Array(2);
    expect(() => encodeSafetensors({ w: { shape: [3], data: ok } })).toThrow(/Expected tensors\.w\.data of length 3/);
    expect(() => encodeSafetensors({ w: { shape: [-1], data: ok } })).toThrow(/tensors\.w\.shape/);
    expect(() => encodeSafetensors({ w: { shape: [2], data: [1, 2] as unknown as Float32Array } })).toThrow(
      /tensors\.w\.data/,
    );
    expect(() => encodeSafetensors({ __metadata__: { shape: [2], data: ok } })).toThrow(/__metadata__/);
    expect(() => encodeSafetensors({}, { epoch: 3 as unknown as string })).toThrow(/metadata\.epoch/);
  });
});

describe('decodeSafetensors corruption errors (ERR_FILE naming the source)', () => {
  const w = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['file shorter than 8 bytes', () => new Uint8Array(5), /5 bytes, shorter than the 8-byte header length/],
    [
      'header length beyond the file',
      () => build('{}', [], { length: 100n }),
      /truncated: header length 100 runs past the end/,
    ],
    [
      'header length over the 100 MB limit',
      () => build('{}', [], { length: 2n ** 40n }),
      /exceeds the limit of 100000000 bytes/,
    ],
    ['header not valid JSON', () => build('{"w": {"dtype"'), /header is not valid UTF-8 JSON/],
    [
      'header not valid UTF-8',
      () => {
        const b = build('{"\u00e9":1}');
        b[11] = 0xff;
        return b;
      },
      /header is not valid UTF-8 JSON/,
    ],
    ['header not an object', () => build('[1, 2]'), /header is not a JSON object/],
    ['entry not an object', () => build({ w: 3 }), /tensor "w" entry is not an object/],
    [
      'bad dtype',
      () => build({ w: { ...w, dtype: 'F128' } }, f32(1).concat(f32(2))),
      /tensor "w" has unsupported dtype "F128"/,
    ],
    [
      'negative dimension',
      () => build({ w: { ...w, shape: [2, -1] } }, f32(1).concat(f32(2))),
      /tensor "w" has a bad shape \[2,-1\]/,
    ],
    [
      'shape not an array',
      () => build({ w: { ...w, shape: '2' } }, f32(1).concat(f32(2))),
      /tensor "w" has a bad shape "2"/,
    ],
    [
      'reversed offsets',
      () => build({ w: { ...w, data_offsets: [8, 0] } }, f32(1).concat(f32(2))),
      /tensor "w" has bad data_offsets \[8,0\]/,
    ],
    [
      'offsets beyond the data (truncated)',
      () => build({ w }, f32(1)),
      /truncated: tensor "w" data_offsets \[0, 8\] run past the end of the 4-byte data buffer/,
    ],
    [
      'offsets disagree with shape x dtype',
      () => build({ w: { ...w, shape: [3] } }, f32(1).concat(f32(2))),
      /tensor "w" data_offsets \[0, 8\] span 8 bytes but shape \[3\] of F32 needs 12/,
    ],
    [
      'overlapping tensors',
      () => build({ a: w, b: { ...w, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /tensor "b" at \[4, 12\] overlaps tensor "a" \(ends at 8\)/,
    ],
    [
      'gap between tensors',
      () =>
        build(
          { a: { ...w, shape: [1], data_offsets: [0, 4] }, b: { ...w, shape: [1], data_offsets: [8, 12] } },
          new Uint8Array(12),
        ),
      /gap of 4 unused bytes between tensor "a" and tensor "b" at 8/,
    ],
    ['unused bytes after the last tensor', () => build({ w }, new Uint8Array(12)), /4 unused bytes after tensor "w"/],
    [
      'metadata value not a string',
      () => build({ __metadata__: { epoch: 3 } }),
      /__metadata__ value for "epoch" is not a string/,
    ],
    ['metadata not an object', () => build({ __metadata__: ['a'] }), /__metadata__ is not an object of strings/],
  ];
  it.each(cases)('%s', (_name, make, what) => {
    expectFileError(() => decodeSafetensors(make(), SOURCE), what);
  });

  it('names <buffer> when no source is given', () => {
    expectFileError(() => decodeSafetensors(new Uint8Array(3)), /shorter/, '<buffer>');
  });
});

describe('readSafetensors / writeSafetensors and writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eddy-st-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const tensors = { w: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } };

  it('writes and reads back a file, sync and async, leaving no temp files', async () => {
    const path = join(dir, 'm.safetensors');
    writeSafetensors(path, tensors, { format: 'pt' });
    expect(readSafetensors(path).tensors.get('w')!.data).toEqual(new Float32Array([1, 2, 3, 4]));
    await writeSafetensorsAsync(path, { w: { shape: [1], data: new Float32Array([9]) } });
    const back = await readSafetensorsAsync(path);
    expect(back.tensors.get('w')!.data).toEqual(new Float32Array([9]));
    expect(back.metadata).toEqual({});
    expect(readdirSync(dir)).toEqual(['m.safetensors']);
  });

  it('reports a missing file as ERR_FILE naming the path', async () => {
    const path = join(dir, 'missing.safetensors');
    expectFileError(() => readSafetensors(path), /Cannot read safetensors file .*: no such file/, path);
    await expect(readSafetensorsAsync(path)).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining(path),
    });
  });

  it('reports a corrupt file with its path as the source', () => {
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, new Uint8Array(4));
    expectFileError(() => readSafetensors(path), /shorter than the 8-byte/, path);
  });

  it('fails cleanly when the directory does not exist, creating nothing', async () => {
    const path = join(dir, 'no', 'such', 'dir', 'm.safetensors');
    expectFileError(() => writeSafetensors(path, tensors), /Cannot write .*ENOENT/, path);
    await expect(writeFileAtomicAsync(path, 'x')).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining(path),
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes the temp file and keeps the target when the final rename fails', async () => {
    // The target is a non-empty directory: the temp file is written and fsynced, then rename() fails.
    const target = join(dir, 'm.safetensors');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'old');
    expectFileError(() => writeFileAtomic(target, 'new'), /Cannot write/, target);
    await expect(writeFileAtomicAsync(target, 'new')).rejects.toMatchObject({ code: 'ERR_FILE' });
    expect(readdirSync(dir)).toEqual(['m.safetensors']);
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('old');
  });

  it('leaves an existing file byte-identical when a write fails, and replaces it when one succeeds', () => {
    const path = join(dir, 'm.safetensors');
    writeSafetensors(path, tensors);
    const before = readFileSync(path);
    expect(() => writeSafetensors(path, { w: { shape: [5], data: new Float32Array(4) } })).toThrow(/length 5/);
    expect(readFileSync(path).equals(before)).toBe(true);
    writeFileAtomic(path, 'replaced');
    expect(readFileSync(path, 'utf8')).toBe('replaced');
    expect(readdirSync(dir)).toEqual(['m.safetensors']);
  });
});

// PyTorch interop: Debian's python3-torch for /usr/bin/python3 (CI installs it). Uses the `safetensors`
// package when present, otherwise writes/reads the layout with struct + json.
const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const TORCH_SKIP = hasTorch ? '' : ' [skipped: /usr/bin/python3 cannot import torch; apt-get install -y python3-torch]';

const PY_WRITE = `
import sys, json, struct, torch
path = sys.argv[1]
torch.manual_seed(0)
ts = {
  'f32': torch.tensor([[1.5, -2.0, 3.25], [0.0, 1e-3, -7.0]], dtype=torch.float32),
  'f64': torch.tensor([0.1, -1e10], dtype=torch.float64),
  'f16': torch.tensor([1.0, -2.5, 65504.0, 2.0 ** -24], dtype=torch.float16),
  'bf16': torch.tensor([1.0, -2.5, 3.0e38], dtype=torch.bfloat16),
  'i64': torch.tensor([-3, 2 ** 40], dtype=torch.int64),
  'i32': torch.tensor([-7, 100000], dtype=torch.int32),
  'i16': torch.tensor([-32768, 5], dtype=torch.int16),
  'i8': torch.tensor([-128, 127], dtype=torch.int8),
  'u8': torch.tensor([0, 255], dtype=torch.uint8),
  'bool': torch.tensor([True, False, True]),
  'scalar': torch.tensor(4.5),
  'empty': torch.zeros(0, 3),
  'weight_ih_l0': torch.nn.LSTM(3, 2).weight_ih_l0.detach().clone(),
}
DT = {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64',
      torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
try:
  from safetensors.torch import save_file
  save_file(ts, path, metadata={'format': 'pt'})
except ImportError:
  header, blobs, off = {'__metadata__': {'format': 'pt'}}, [], 0
  for name in sorted(ts):
    t = ts[name].contiguous()
    a = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy()  # numpy has no bfloat16
    raw = a.astype(a.dtype.newbyteorder('<')).tobytes()
    header[name] = {'dtype': DT[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
  h = json.dumps(header).encode()
  h += b' ' * (-len(h) % 8)
  with open(path, 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
print(json.dumps({k: {'dtype': DT[t.dtype], 'shape': list(t.shape), 'values': t.float().flatten().tolist()} for k, t in ts.items()}))
`;

const PY_READ = `
import sys, json, struct, torch
path = sys.argv[1]
DT = {'F32': torch.float32, 'F64': torch.float64, 'I32': torch.int32}
try:
  from safetensors import safe_open
  ts = {}
  with safe_open(path, 'pt') as f:
    meta = f.metadata() or {}
    for k in f.keys():
      ts[k] = f.get_tensor(k)
except ImportError:
  data = open(path, 'rb').read()
  (n,) = struct.unpack('<Q', data[:8])
  header = json.loads(data[8:8 + n])
  meta = header.pop('__metadata__', {})
  buf = bytearray(data[8 + n:])
  ts = {}
  for k, info in header.items():
    b, e = info['data_offsets']
    dt = DT[info['dtype']]
    ts[k] = torch.frombuffer(buf[b:e], dtype=dt).reshape(info['shape']) if e > b else torch.zeros(info['shape'], dtype=dt)
print(json.dumps({'metadata': meta, 'tensors': {k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'values': v.double().flatten().tolist()} for k, v in ts.items()}}))
`;

describe(`PyTorch interop${TORCH_SKIP}`, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eddy-st-py-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const python = (script: string, path: string): string =>
    execFileSync(PY, ['-c', script, path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it.skipIf(!hasTorch)(
    `decodes a file written by torch${TORCH_SKIP}`,
    () => {
      const path = join(dir, 'torch.safetensors');
      const expected = JSON.parse(python(PY_WRITE, path)) as Record<
        string,
        { dtype: string; shape: number[]; values: number[] }
      >;
      const { tensors, metadata } = readSafetensors(path);
      expect(metadata).toEqual({ format: 'pt' });
      expect([...tensors.keys()].sort()).toEqual(Object.keys(expected).sort());
      for (const [name, want] of Object.entries(expected)) {
        const got = tensors.get(name)!;
        expect({ name, dtype: got.dtype, shape: got.shape, values: Array.from(got.data) }).toEqual({ name, ...want });
      }
    },
    60_000,
  );

  it.skipIf(!hasTorch)(
    `writes a file torch reads${TORCH_SKIP}`,
    () => {
      const path = join(dir, 'eddy.safetensors');
      const input = {
        weight_hh_l0: { shape: [2, 3], data: new Float32Array([0.25, -1.5, 3, 1e-3, 0, -7]) },
        steps: { shape: [3], data: new Int32Array([-1, 0, 2 ** 30]) },
        lr: { shape: [2], data: new Float64Array([0.1, -1e300]) },
        scalar: { shape: [], data: new Float32Array([4.5]) },
        empty: { shape: [0, 2], data: new Float32Array(0) },
      };
      writeSafetensors(path, input, { format: 'pt', note: 'héllo' });
      const got = JSON.parse(python(PY_READ, path)) as {
        metadata: object;
        tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
      };
      expect(got.metadata).toEqual({ format: 'pt', note: 'héllo' });
      const torchDtype = {
        weight_hh_l0: 'torch.float32',
        steps: 'torch.int32',
        lr: 'torch.float64',
        scalar: 'torch.float32',
        empty: 'torch.float32',
      };
      for (const [name, t] of Object.entries(input)) {
        expect(got.tensors[name]).toEqual({
          dtype: torchDtype[name as keyof typeof torchDtype],
          shape: t.shape,
          values: Array.from(t.data),
        });
      }
    },
    60_000,
  );
});
