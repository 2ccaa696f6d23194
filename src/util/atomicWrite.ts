/**
 * Atomic file replacement: write a temp file beside the target, flush it to disk, then rename it over the
 * target.
 *
 * Why: writing a checkpoint in place truncates the old file first, so a crash, a full disk or a killed
 * process half-way through leaves neither the old weights nor the new ones. `rename` within one directory
 * is atomic on POSIX file systems, so readers (and a restarted process) see either the last good file or
 * the complete new one, never a torn mix. The `fsync` before the rename makes sure the new bytes are on
 * disk before the name points at them; the `fsync` of the directory afterwards makes the rename itself
 * durable. On failure the temp file is removed and the target is left untouched.
 *
 * A process killed mid-write cannot remove its temp file, so every write (and `removeStaleTemporaries`, which a
 * resume calls) first removes the stale temporaries of the same target: those whose writer is gone (see there).
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EddyError } from './errors.ts';

/** The temp name `<path>.<pid>.<random>.tmp`: same directory (so rename stays atomic), unique per call. */
function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** How long a temporary may go unmodified before it counts as stale whoever holds its pid (a reused pid). */
const STALE_AFTER_MS = 24 * 3600 * 1000;

/**
 * The temporaries this process is writing now. Process-wide on purpose: it describes files this process owns,
 * so that a concurrent write of the same target never removes another write's temporary.
 */
const inFlight = new Set<string>();

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Removes the stale temporaries of an atomic write of `path`: files `<path>.<pid>.<12 hex>.tmp` beside it whose
 * writer is gone. A temporary is stale when
 * 1. its pid is this process's and no write of this process has it in flight (a previous process with the same
 *    pid, as in a container restarted after a kill), or
 * 2. no process with its pid is alive on this machine, or
 * 3. it has not been modified for 24 hours (its pid was reused by an unrelated process).
 * Other files, and the temporaries of other targets, are never touched. Writers on other machines sharing the
 * directory are not visible: do not write one target from several machines at once.
 *
 * @param path the target file
 * @returns the paths removed (best effort: a file that cannot be removed is left and not listed)
 */
export function removeStaleTemporaries(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${base}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no directory yet (the write itself will report it) or not readable
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    const m = pattern.exec(name);
    if (m === null) continue;
    const tmp = join(dir, name);
    if (inFlight.has(tmp)) continue;
    const pid = Number(m[1]);
    let stale = pid === process.pid || !pidAlive(pid);
    if (!stale) {
      try {
        stale = now - statSync(tmp).mtimeMs > STALE_AFTER_MS;
      } catch {
        continue; // gone already
      }
    }
    if (!stale) continue;
    try {
      unlinkSync(tmp);
      removed.push(tmp);
    } catch {
      // Removed by someone else, or not ours to remove: leave it.
    }
  }
  return removed;
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function fileError(path: string, err: unknown): EddyError {
  const reason = err instanceof Error ? err.message : String(err);
  return new EddyError('ERR_FILE', `Cannot write ${path}: ${reason}`, { cause: err });
}

/** Flushes a directory entry (the rename) to disk; some platforms cannot open directories, so best effort. */
function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here (e.g. Windows, some network file systems): the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort, as in fsyncDirSync.
  }
}

/**
 * Replaces the file at `path` with `data` atomically.
 *
 * 1. Removes the stale temporaries of `path` (`removeStaleTemporaries`), then writes `data` to
 *    `<path>.<pid>.<random>.tmp` in the same directory and fsyncs it.
 * 2. Renames the temp file over `path` (atomic), then fsyncs the directory where the platform allows.
 * 3. On any failure removes the temp file; an existing file at `path` is left as it was.
 *
 * @example
 * writeFileAtomic('model.safetensors', bytes);
 * @param path the target file; its directory must exist
 * @param data bytes, or a string written as UTF-8
 * @throws {EddyError} `ERR_FILE` naming `path` and the reason
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = toBytes(data);
  removeStaleTemporaries(path);
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  let created = false;
  inFlight.add(tmp);
  try {
    fd = openSync(tmp, 'wx');
    created = true;
    // writeSync may write fewer bytes than asked: loop until everything is out.
    for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    created = false;
  } catch (err) {
    throw fileError(path, err);
  } finally {
    inFlight.delete(tmp);
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing; the original error is the one to report.
      }
    }
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        // Nothing more we can do; the original error is the one to report.
      }
    }
  }
  fsyncDirSync(dirname(path));
}

/**
 * The async form of {@link writeFileAtomic}, with the same steps and guarantees.
 *
 * @example
 * await writeFileAtomicAsync('model.safetensors', bytes);
 * @throws {EddyError} `ERR_FILE` naming `path` and the reason (as a rejected promise)
 */
export async function writeFileAtomicAsync(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = toBytes(data);
  removeStaleTemporaries(path);
  const tmp = tempPathFor(path);
  let created = false;
  inFlight.add(tmp);
  try {
    const handle = await open(tmp, 'wx');
    created = true;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    created = false;
  } catch (err) {
    throw fileError(path, err);
  } finally {
    if (created) await unlink(tmp).catch(() => undefined);
    inFlight.delete(tmp);
  }
  await fsyncDir(dirname(path));
}
