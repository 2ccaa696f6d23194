/**
 * Checks that a GIF is whole before it is decoded: libvips decodes the frames of a truncated GIF that it can and
 * stops without an error, so a cut file would silently yield fewer frames. Walking the block structure (header,
 * colour tables, extensions, image descriptors and their data sub-blocks, up to the trailer) needs no decoding:
 * the sub-block lengths say where each block ends.
 */

/** Whether the bytes start as a GIF (`GIF87a` / `GIF89a`). */
export function isGif(b: Uint8Array): boolean {
  return b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38;
}

/**
 * What is wrong with a GIF's block structure, or null when it is whole through its trailer.
 * @returns e.g. `truncated in the image data of frame 3 (at byte 5120 of 6080)`
 */
export function gifProblem(b: Uint8Array): string | null {
  const n = b.length;
  if (n < 13) return `truncated: ${n} bytes, shorter than the 13-byte header`;
  let p = 13;
  const table = (flags: number): number => (flags & 0x80 ? 3 * (1 << ((flags & 7) + 1)) : 0);
  p += table(b[10]); // global colour table
  /** Skips data sub-blocks up to their 0 terminator; false when the bytes end first. */
  const subBlocks = (): boolean => {
    for (;;) {
      if (p >= n) return false;
      const len = b[p++];
      if (len === 0) return true;
      p += len;
    }
  };
  let frames = 0;
  while (p < n) {
    const at = p;
    const tag = b[p++];
    if (tag === 0x3b) return null; // trailer
    if (tag === 0x21) {
      p++; // extension label
      if (!subBlocks()) return `truncated in an extension after ${frames} frames (at byte ${at} of ${n})`;
    } else if (tag === 0x2c) {
      if (p + 9 > n) return `truncated in the descriptor of frame ${frames} (at byte ${at} of ${n})`;
      p += 9 + table(b[p + 8]) + 1; // descriptor, local colour table, LZW minimum code size
      if (!subBlocks()) return `truncated in the image data of frame ${frames} (at byte ${at} of ${n})`;
      frames++;
    } else {
      return `unknown block 0x${tag.toString(16).padStart(2, '0')} at byte ${at} after ${frames} frames`;
    }
  }
  return `truncated after ${frames} frames: no trailer (${n} bytes)`;
}
