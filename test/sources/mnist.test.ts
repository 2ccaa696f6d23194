import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';
import { loadMnist, mnistPaths, parseMnistImages, parseMnistLabels } from '../../src/sources/mnist.ts';
import { dataDir, dataPath } from './dataPath.ts';

function header(magic: number, ...dims: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

function errorOf(f: () => unknown): EddyError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(EddyError);
    return err as EddyError;
  }
  throw new Error('expected an error');
}

describe('MNIST IDX files', () => {
  it('reads the test split: 10000 images of 28x28, first labels 7 2 1 0 4 1 4 9', async () => {
    dataPath('t10k-images-idx3-ubyte.gz');
    const test = await loadMnist(mnistPaths(dataDir, 'test'));
    expect(test.count).toBe(10000);
    expect(test.rows).toBe(28);
    expect(test.cols).toBe(28);
    expect(test.images.length).toBe(10000 * 28 * 28);
    expect([...test.labels.subarray(0, 8)]).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
    let ink = 0;
    for (let i = 0; i < 784; i++) ink += test.images[i] > 0 ? 1 : 0;
    expect(ink).toBeGreaterThan(50); // the first image is a drawn 7
  });

  it('reads the training split: first labels 5 0 4 1 9 2 1 3 (with limit)', async () => {
    dataPath('train-images-idx3-ubyte.gz');
    const train = await loadMnist(mnistPaths(dataDir, 'train'), { limit: 100 });
    expect(train.count).toBe(100);
    expect(train.images.length).toBe(100 * 784);
    expect([...train.labels.subarray(0, 8)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
  });

  it('mnistPaths names the standard files', () => {
    expect(mnistPaths('/d', 'train')).toEqual({
      images: '/d/train-images-idx3-ubyte.gz',
      labels: '/d/train-labels-idx1-ubyte.gz',
    });
    expect(mnistPaths('/d', 'test').labels).toBe('/d/t10k-labels-idx1-ubyte.gz');
    expect(() => mnistPaths('/d', 'val' as 'test')).toThrowError(/split/);
  });

  it('a corrupted header fails clearly, naming the file', () => {
    const pixels = Buffer.alloc(2 * 4 * 4);
    const good = Buffer.concat([header(0x803, 2, 4, 4), pixels]);
    expect(parseMnistImages(gzipSync(good), 'ok.gz').count).toBe(2);
    const badMagic = errorOf(() =>
      parseMnistImages(gzipSync(Buffer.concat([header(0x802, 2, 4, 4), pixels])), 'bad-images.gz'),
    );
    expect(badMagic.code).toBe('ERR_FILE');
    expect(badMagic.message).toBe(
      'MNIST file bad-images.gz is not a valid IDX file: expected image magic number 0x00000803 but found 0x00000802',
    );
    const badCount = errorOf(() =>
      parseMnistImages(gzipSync(Buffer.concat([header(0x803, 3, 4, 4), pixels])), 'short.gz'),
    );
    expect(badCount.message).toMatch(/short\.gz .*header says 3 images of 4x4 \(64 bytes\) but the file has 48 bytes/);
    expect(errorOf(() => parseMnistImages(gzipSync(Buffer.alloc(5)), 'tiny.gz')).message).toMatch(
      /tiny\.gz .*16-byte image header/,
    );
    expect(errorOf(() => parseMnistImages(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'broken.gz')).message).toMatch(
      /broken\.gz is not a valid gzip file/,
    );
    const labelsMagic = errorOf(() => parseMnistLabels(gzipSync(good), 'labels.gz'));
    expect(labelsMagic.message).toMatch(/labels\.gz .*expected label magic number 0x00000801 but found 0x00000803/);
    const badLabel = errorOf(() => parseMnistLabels(Buffer.concat([header(0x801, 2), Buffer.from([3, 12])]), 'l.gz'));
    expect(badLabel.message).toMatch(/label 1 is 12/);
  });

  it('the header is checked on the first inflated bytes: a bomb is refused without inflating it', () => {
    // 512 gzip members of 1 MiB each: a 0.5 MB file that inflates to 512 MiB
    const bomb = (head: Buffer): Buffer => {
      const member = gzipSync(Buffer.alloc(1 << 20));
      return Buffer.concat([gzipSync(head), ...Array.from({ length: 512 }, () => member)]);
    };
    for (const [name, bytes, parse, what] of [
      ['images, wrong magic', bomb(header(0x1234, 1, 28, 28)), parseMnistImages, /image magic number/],
      ['labels, wrong magic', bomb(header(0x1234, 1)), parseMnistLabels, /label magic number/],
      [
        'images, longer than declared',
        bomb(header(0x803, 1, 28, 28)),
        parseMnistImages,
        /800 bytes\) but the file has more/,
      ],
      ['labels, longer than declared', bomb(header(0x801, 3)), parseMnistLabels, /11 bytes\) but the file has more/],
    ] as const) {
      const rss0 = process.memoryUsage.rss();
      const err = errorOf(() => parse(bytes, name));
      expect(err.code).toBe('ERR_FILE');
      expect(err.message).toMatch(what);
      // inflating it all would add 512 MiB (memory, not time: time depends on how loaded the machine is)
      expect((process.memoryUsage.rss() - rss0) / 2 ** 20, name).toBeLessThan(128);
    }
  });

  it('a missing file fails with ERR_FILE naming it; images and labels must agree', async () => {
    const missing = await loadMnist({ images: '/nope/images.gz', labels: '/nope/labels.gz' }).catch((e: unknown) => e);
    expect((missing as EddyError).code).toBe('ERR_FILE');
    expect((missing as Error).message).toMatch(/not found: \/nope\/(images|labels)\.gz/);
    const dev = await loadMnist({ images: '/dev/zero', labels: '/dev/zero' }).catch((e: unknown) => e);
    expect((dev as EddyError).code).toBe('ERR_FILE');
    expect((dev as Error).message).toMatch(/\/dev\/zero is not a regular file/);
    const mixed = await loadMnist({
      images: dataPath('t10k-images-idx3-ubyte.gz'),
      labels: dataPath('train-labels-idx1-ubyte.gz'),
    }).catch((e: unknown) => e);
    expect((mixed as Error).message).toMatch(/10000 images but .*train-labels.* has 60000 labels/);
  });

  it('rejects invalid options naming them', async () => {
    await expect(loadMnist(mnistPaths(dataDir, 'test'), { limit: -1 })).rejects.toThrowError(/options\.limit/);
    await expect(loadMnist({ images: 3 } as never)).rejects.toThrowError(/paths\.images/);
  });
});
