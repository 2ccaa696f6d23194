/**
 * A throwaway `redis-server` (Debian's) for tests and the benchmark: a free loopback port, its own temporary
 * directory, AOF on; never the system instance. `restart({ kill: true })` SIGKILLs it and starts it again on the
 * same port and directory, so it comes back from its append-only file.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /** AOF fsync policy: `always` (an acknowledged write survives a crash of Redis) or `everysec`. @default 'always' */
  appendfsync?: 'always' | 'everysec';
}

/** A running throwaway server. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly dir: string;
  /** Stops it (SIGKILL with `kill`, else SHUTDOWN through SIGTERM) and starts it again from its files. */
  restart(o?: { kill?: boolean; downMs?: number }): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/** Whether `redis-server` is on PATH. */
export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) {
        sock.destroy();
        resolve(data.startsWith('+PONG'));
      }
    });
    sock.on('error', () => resolve(false));
  });
}

/** Starts a server; resolves once it answers PING (with its data loaded). */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!redisServerAvailable())
    throw new Error('redis-server is not installed (Debian: apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'eddy-redis-'));
  const port = await freePort();
  const conf: Record<string, string> = {
    port: String(port),
    bind: '127.0.0.1',
    dir,
    appendonly: 'yes',
    appendfsync: options.appendfsync ?? 'always',
    save: '',
    daemonize: 'no',
    logfile: join(dir, 'log'),
  };
  const args = Object.entries(conf).flatMap(([k, v]) => [`--${k}`, v]);
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const t0 = Date.now();
    while (!(await ping(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} (log in ${dir})`);
      if (Date.now() - t0 > 10_000) throw new Error(`redis-server did not answer on port ${port} (log in ${dir})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const end = (signal: NodeJS.Signals): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async restart(o = {}) {
      await end(o.kill ? 'SIGKILL' : 'SIGTERM');
      if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
      await launch();
    },
    async stop() {
      await end('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
