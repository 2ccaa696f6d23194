// Builds the optional native addon at `npm install` (and `npm run build:native`). Never fails the install: when
// there is no C++ toolchain or the build breaks, it says so on stderr and eddy runs on its WebAssembly kernels.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const strict = process.argv.includes('--strict'); // npm run build:native: a failure is an error
const say = (msg) => process.stderr.write(`eddy native addon: ${msg}\n`);

if (process.env.EDDY_NATIVE === '0') {
  say('skipped (EDDY_NATIVE=0); eddy uses its WebAssembly kernels');
  process.exit(0);
}

/** node-gyp: the one npm runs scripts with, else the one bundled with npm beside this node. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp))
    return process.env.npm_config_node_gyp;
  const candidates = [join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package
  }
  return candidates.find((p) => existsSync(p));
}

const gyp = nodeGyp();
if (!gyp) {
  say('node-gyp not found; skipped (eddy uses its WebAssembly kernels)');
  process.exit(strict ? 1 : 0);
}
// Build against the headers installed beside this node (node-gyp would otherwise try to download them; the
// machines eddy runs on reach no such address), unless npm already says where they are.
const args = [gyp, 'rebuild', '--directory', dir];
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include/node/node_api.h')))
  args.push(`--nodedir=${prefix}`);
const t0 = Date.now();
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status === 0) {
  say(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${join(dir, 'build/Release/eddy_native.node')})`);
} else {
  rmSync(join(dir, 'build'), { recursive: true, force: true });
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  say(`build failed; eddy uses its WebAssembly kernels. Last lines of node-gyp:\n${tail || r.error?.message}`);
  process.exit(strict ? 1 : 0);
}
