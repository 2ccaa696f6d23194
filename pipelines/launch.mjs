// Starts the `eddy` command line inside the repository (the `npm run` aliases): from the JavaScript that
// `npm install` compiled into dist/ (`npm run build`) when it is newer than every source file, else from the
// TypeScript sources through tsx (a slower start, with a note). Plain JavaScript on purpose: it must run before
// anything is compiled. Installed packages run dist/pipelines/eddy.js directly (the `bin`).
//   node pipelines/launch.mjs <command> [flags...]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'models') t = Math.max(t, newest(p));
    } else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const stamp = join(root, 'dist', '.built');
const compiled = join(root, 'dist', 'pipelines', 'eddy.js');
const fresh =
  existsSync(stamp) &&
  existsSync(compiled) &&
  statSync(stamp).mtimeMs >= Math.max(newest(join(root, 'src')), newest(join(root, 'pipelines')));
if (fresh) {
  process.argv = [process.argv[0], compiled, ...args];
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write(
    'eddy: dist/ is missing or older than the sources; running them through tsx (run `npm run build` for a fast start)\n',
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'pipelines', 'eddy.ts'), ...args], {
    stdio: 'inherit',
  });
  // a supervisor that signals only this process still stops the command (which then writes its checkpoint)
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
