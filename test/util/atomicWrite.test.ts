import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStaleTemporaries, writeFileAtomic, writeFileAtomicAsync } from '../../src/util/atomicWrite.ts';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid as number;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory with a target and the temporaries a killed writer (and others) left beside it. */
function scene(livePid: number) {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-atomic-'));
  dirs.push(dir);
  const target = join(dir, 'ckpt.safetensors');
  writeFileSync(target, 'old');
  const dead = deadPid();
  const stale = [
    `ckpt.safetensors.${dead}.0123456789ab.tmp`, // its writer was killed
    `ckpt.safetensors.${process.pid}.aaaaaaaaaaaa.tmp`, // this process's, but no write of it is in flight
  ];
  const live = [
    `ckpt.safetensors.${livePid}.bbbbbbbbbbbb.tmp`, // another live process may be writing it
    `other.safetensors.${dead}.cccccccccccc.tmp`, // another target's
    `ckpt.safetensors.${dead}.notatemp`, // not one of our temporaries
  ];
  const old = `ckpt.safetensors.${livePid}.dddddddddddd.tmp`; // untouched for two days: stale whoever holds the pid
  for (const f of [...stale, ...live, old]) writeFileSync(join(dir, f), 'partial');
  const twoDaysAgo = Date.now() / 1000 - 2 * 86400;
  utimesSync(join(dir, old), twoDaysAgo, twoDaysAgo);
  return { dir, target, stale: [...stale, old], live };
}

describe('atomic writes clean the stale temporaries of their target', () => {
  it('writeFileAtomic removes a killed writer’s temporaries of the same target only', () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      const s = scene(sleeper.pid as number);
      writeFileAtomic(s.target, 'new');
      expect(readFileSync(s.target, 'utf8')).toBe('new');
      for (const f of s.stale) expect(existsSync(join(s.dir, f)), f).toBe(false);
      for (const f of s.live) expect(existsSync(join(s.dir, f)), f).toBe(true);
      expect(readdirSync(s.dir).filter((f) => f.startsWith('ckpt.safetensors.')).length).toBe(2);
    } finally {
      sleeper.kill();
    }
  });

  it('writeFileAtomicAsync does the same, and never touches its own temporary in flight', async () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      const s = scene(sleeper.pid as number);
      // two concurrent writes of the same target from this process: neither removes the other's temporary
      await Promise.all([writeFileAtomicAsync(s.target, 'a'.repeat(1 << 20)), writeFileAtomicAsync(s.target, 'b')]);
      expect(['a'.repeat(1 << 20), 'b']).toContain(readFileSync(s.target, 'utf8'));
      for (const f of s.stale) expect(existsSync(join(s.dir, f)), f).toBe(false);
      for (const f of s.live) expect(existsSync(join(s.dir, f)), f).toBe(true);
    } finally {
      sleeper.kill();
    }
  });

  it('removeStaleTemporaries (run on resume) returns what it removed; a missing directory is no error', () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      const s = scene(sleeper.pid as number);
      const removed = removeStaleTemporaries(s.target);
      expect(removed.map((p) => p.slice(s.dir.length + 1)).sort()).toEqual([...s.stale].sort());
      expect(removeStaleTemporaries(join(s.dir, 'nope', 'x.safetensors'))).toEqual([]);
    } finally {
      sleeper.kill();
    }
  });
});
