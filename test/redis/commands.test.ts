/**
 * The Redis commands of the `eddy` CLI as a user meets them: `serve-redis` and `produce-redis` as processes (a text
 * replayed as keyed steps through a worker, SIGTERM handing the shards back), bad flags as one line and exit code 2,
 * and a small `bench-redis` run printing its table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/captureCli.ts';
import { main } from '../../pipelines/cli/main.ts';
import { type RedisServer, startRedisServer } from '../../pipelines/redis/redisServer.ts';
import { redisShardKeys } from '../../src/redis/redisKeys.ts';
import { dataPath } from '../sources/dataPath.ts';

const EDDY = fileURLToPath(new URL('../../pipelines/eddy.ts', import.meta.url));
let server: RedisServer;
let admin: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
  admin.on('error', () => undefined);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  admin?.disconnect();
  await server?.stop();
});

function eddy(...args: string[]): { child: ChildProcess; stderr: () => string; code: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', EDDY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, stderr: () => err, code };
}

describe('eddy serve-redis and produce-redis', () => {
  it('a text replayed by 3 users through one worker; SIGTERM commits and hands the shards back (exit 0)', async () => {
    const flags = ['--redis', server.url, '--prefix', 'cmd', '--shards', '2'];
    const worker = eddy('serve-redis', '--model', 'shakespeare', '--backend', 'js', '--stats-ms', '0', ...flags);
    const p = eddy(
      'produce-redis',
      '--model',
      'shakespeare',
      '--text',
      dataPath('sonnets.txt'),
      '--keys',
      '3',
      '--steps',
      '20',
      ...flags,
    );
    expect(await p.code).toBe(0);
    expect(p.stderr()).toMatch(/produced 60 steps for 3 keys/);
    const outputs = async () =>
      (await admin.xlen(redisShardKeys('cmd', 0).output)) + (await admin.xlen(redisShardKeys('cmd', 1).output));
    const t0 = Date.now();
    while ((await outputs()) < 60 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    expect(await outputs()).toBe(60);
    worker.child.kill('SIGTERM');
    expect(await worker.code).toBe(0);
    expect(worker.stderr()).toMatch(/acquired shard 0/);
    expect(worker.stderr()).toMatch(/stopped: 60 steps, 60 entries committed/);
    expect(await admin.exists(redisShardKeys('cmd', 0).lease, redisShardKeys('cmd', 1).lease)).toBe(0);
  }, 120_000);
});

describe('bad flags and bench-redis, in this process', () => {
  const cli = captureCli();

  it.each([
    [['serve-redis', '--model', 'video-grid', '--shards', '0'], /--shards/],
    [['serve-redis', '--model', 'video-grid', '--redis', 'http://x'], /--redis/],
    [['serve-redis', '--model', 'video-grid', '--lease-ms', '10'], /--lease-ms/],
    [['serve-redis'], /--model/],
    [['produce-redis', '--model', 'video-grid'], /exactly one of --clip and --text/],
    [['produce-redis', '--model', 'video-grid', '--text', 'nope.txt'], /--text/],
    [['bench-redis', '--workers', '0'], /--workers/],
  ])('eddy %j: one line, exit code 2', async (argv, re) => {
    expect(await main(argv as string[])).toBe(2);
    expect(cli.err).toMatch(re);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
  });

  it('bench-redis prints its table, outputs checked against keyedRecurrent', async () => {
    const argv = ['bench-redis', '--redis', server.url, '--backend', 'js', '--workers', '1', '--keys', '10'];
    argv.push('--entries', '300', '--rate', '200', '--seconds', '0.5', '--shards', '2', '--quiet');
    expect(await main(argv)).toBe(0);
    expect(cli.out).toMatch(/\| workers \| keys \| steps\/s through Redis/);
    expect(cli.out).toMatch(/\| 1 \| 10 \| [\d,]+ \| [\d.]+ ms \| [\d.]+ ms \| 200 \| [\d,]+ \| identical \|/);
  }, 120_000);
});
