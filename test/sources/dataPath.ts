/**
 * Locates the shared test data (`../shared/data` next to the repository root), failing with a message that says
 * where it was expected when it is missing.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared data directory, `path.resolve(repoRoot, '../shared/data')`. */
export const dataDir = resolve(repoRoot, '../shared/data');

/**
 * The absolute path of a file in the shared data directory.
 * @throws {Error} naming the expected location when the file is missing
 */
export function dataPath(name: string): string {
  const p = resolve(dataDir, name);
  if (!existsSync(p)) {
    throw new Error(
      `Test data file ${name} is missing: expected it at ${p} (the shared data directory is resolved as ../shared/data from the repository root ${repoRoot})`,
    );
  }
  return p;
}
