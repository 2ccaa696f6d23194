import { describe, expect, it } from 'vitest';
import { EddyError } from '../../src/util/errors.ts';
import { Vocabulary, createEncodeStats } from '../../src/sources/vocabulary.ts';

describe('Vocabulary', () => {
  it('fromText gives the sorted unique code points', () => {
    const v = Vocabulary.fromText('hello world');
    expect(v.chars).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(v.size).toBe(8);
    expect([...v.encode('hello')]).toEqual([3, 2, 4, 4, 5]);
    expect(v.decode(v.encode('world hello'))).toBe('world hello');
  });

  it('treats an astral character as one token', () => {
    const v = Vocabulary.fromText('a🎉b日');
    expect(v.size).toBe(4);
    expect(v.chars).toEqual(['a', 'b', '日', '🎉']);
    const ids = v.encode('🎉a🎉');
    expect([...ids]).toEqual([3, 0, 3]);
    expect(v.decode(ids)).toBe('🎉a🎉');
  });

  it("'error' names the character, its code point and position", () => {
    const v = new Vocabulary(['a', 'b']);
    expect(() => v.encode('abé')).toThrowError(/"é" \(U\+00E9\) at position 2/);
    try {
      v.encode('ab🎉', { position: 100, skipped: 0, mapped: 0 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EddyError);
      expect((err as EddyError).code).toBe('ERR_INVALID_ARG');
      expect((err as Error).message).toMatch(/"🎉" \(U\+1F389\) at position 102/);
    }
  });

  it("'map' maps to unknownToken, which must be in the vocabulary", () => {
    const v = new Vocabulary(['a', 'b', '?'], { unknown: 'map', unknownToken: '?' });
    const stats = createEncodeStats();
    expect([...v.encode('axb', stats)]).toEqual([0, 2, 1]);
    expect(stats).toEqual({ position: 3, skipped: 0, mapped: 1 });
    expect(() => new Vocabulary(['a'], { unknown: 'map', unknownToken: '?' })).toThrowError(/options\.unknownToken/);
    const f = Vocabulary.fromText('ab', { unknown: 'map' });
    expect(f.has('\uFFFD')).toBe(true);
    expect(f.decode(f.encode('zab'))).toBe('\uFFFDab');
  });

  it("'skip' drops and counts", () => {
    const v = new Vocabulary(['a', 'b'], { unknown: 'skip' });
    const stats = createEncodeStats();
    expect([...v.encode('axbyy', stats)]).toEqual([0, 1]);
    expect([...v.encode('zza', stats)]).toEqual([0]);
    expect(stats).toEqual({ position: 8, skipped: 5, mapped: 0 });
    expect(v.skipped).toBe(5);
  });

  it('round-trips through JSON as an array of strings', () => {
    const v = Vocabulary.fromText('First Citizen:\n🎉');
    const json = JSON.stringify(v);
    expect(JSON.parse(json)).toEqual(v.chars);
    const w = Vocabulary.fromJSON(json);
    expect(w.chars).toEqual(v.chars);
    expect(Vocabulary.fromJSON(JSON.parse(json) as unknown).size).toBe(v.size);
  });

  it('decode rejects ids out of range, naming the position', () => {
    const v = new Vocabulary(['a']);
    expect(() => v.decode(new Int32Array([0, 1]))).toThrowError(/ids\[1\]/);
  });

  it('rejects invalid arguments naming them', () => {
    expect(() => new Vocabulary(['a', 'ab'])).toThrowError(/chars\[1\]/);
    expect(() => new Vocabulary(['a', 'a'])).toThrowError(/Duplicate character "a" \(U\+0061\) at chars\[1\]/);
    expect(() => new Vocabulary(['a'], { unknown: 'drop' as 'skip' })).toThrowError(/options\.unknown/);
    expect(() => new Vocabulary(['a'], { unknownToken: 'xy' })).toThrowError(/options\.unknownToken/);
    expect(() => Vocabulary.fromJSON('{')).toThrowError(/json/);
    expect(() => Vocabulary.fromJSON({})).toThrowError(/json/);
    expect(() => Vocabulary.fromText(3 as unknown as string)).toThrowError(/text/);
  });
});
