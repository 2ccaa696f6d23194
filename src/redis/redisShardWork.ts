/**
 * The work of one held shard between two commits, and the steps from read entries to that work:
 *
 * ```
 * read reply  [[id, [k, key, x, bytes]], ...]  ─parseEntries─►  Entry { shard, id, key, x }
 * entries ─stepEntries─►  bad (an err output) | at or below the key's last id (skipped) | stepped (an output)
 *          ─► shard.pending: outputs and acks in entry order, keys -> last applied id
 * pending ─commitArguments─►  the arguments of the commit script
 * ```
 */
import type { StepInput } from '../operators/stepper.ts';
import { decodeStepInput, encodeKeyState, float32Bytes } from './redisCodec.ts';
import type { RedisKeyMemory } from './redisKeyMemory.ts';
import { compareStreamIds, shardOf, type RedisShardKeys } from './redisKeys.ts';
import type { ResolvedRedisWorkerOptions } from './redisWorkerOptions.ts';

/** The work done in a shard since its last commit. */
export interface Pending {
  outputs: (string | Buffer)[]; // quadruples: input id, key, 'y' | 'err', value
  acks: string[];
  keys: Map<string, string>; // key -> last applied id, states to store
  since: number; // when the first uncommitted entry was read
}

/** A shard held by this worker. */
export interface Shard {
  readonly index: number;
  readonly keys: RedisShardKeys;
  readonly token: string;
  cursor: string; // an id: our own pending entries after it; '>': new entries
  wakeId: string | null; // after an empty '>' read: the stream's last entry id
  pending: Pending;
}

/** One entry read. */
export interface Entry {
  shard: Shard;
  id: string;
  key: string;
  x: Buffer | null | undefined;
}

/** Nothing to commit. */
export function emptyPending(): Pending {
  return { outputs: [], acks: [], keys: new Map(), since: 0 };
}

/** One entry of an XREADGROUP reply: its id and its fields (null for an entry deleted since it was delivered). */
export type ReadEntry = [Buffer, Buffer[] | null];

/** The entries of a read reply; while the shard re-reads its pending entries, its cursor moves past them. */
export function parseEntries(s: Shard, body: readonly ReadEntry[]): Entry[] {
  const out: Entry[] = [];
  for (const [idBuf, fields] of body) {
    const id = idBuf.toString();
    if (s.cursor !== '>') s.cursor = id;
    let key = '';
    let x: Buffer | undefined;
    for (let f = 0; fields !== null && f + 1 < fields.length; f += 2) {
      const name = fields[f].toString();
      if (name === 'k') key = fields[f + 1].toString();
      else if (name === 'x') x = fields[f + 1];
    }
    out.push({ shard: s, id, key, x: fields === null ? null : x });
  }
  return out;
}

/** Counters `stepEntries` adds to. */
export interface StepCounters {
  steps: number;
  skipped: number;
  badEntries: number;
}

/**
 * Skips, rejects or steps each entry (their keys' states already in `memory`), and records the outputs, the
 * acknowledgements and the stepped keys in their shards' pending work, in entry order.
 */
export function stepEntries(
  entries: readonly Entry[],
  memory: RedisKeyMemory,
  o: ResolvedRedisWorkerOptions,
  stats: StepCounters,
): void {
  // 2. Skip, reject or keep each entry.
  const result: (Float32Array | string | null)[] = new Array(entries.length).fill(null); // output, error, skipped
  const keys: string[] = [];
  const inputs: StepInput[] = [];
  const ids: string[] = [];
  const at: number[] = []; // entry index of each kept entry
  const lastInBatch = new Map<string, string>();
  entries.forEach((e, i) => {
    let input: StepInput;
    try {
      if (e.x === null) throw new Error('deleted from the stream before it was read');
      if (e.key === '') throw new Error('no key field k');
      if (shardOf(e.key, o.shards) !== e.shard.index)
        throw new Error(`key of shard ${shardOf(e.key, o.shards)} (check the producer's shard count)`);
      input = decodeStepInput(o.model, e.x, e.key);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      result[i] = error;
      stats.badEntries++;
      o.onEvent({ type: 'bad-entry', shard: e.shard.index, id: e.id, key: e.key, error });
      return;
    }
    const last = lastInBatch.get(e.key) ?? memory.lastIdOf(e.key);
    if (last !== undefined && compareStreamIds(e.id, last) <= 0) {
      stats.skipped++;
      o.onEvent({ type: 'skipped', shard: e.shard.index, id: e.id, key: e.key });
      return;
    }
    lastInBatch.set(e.key, e.id);
    keys.push(e.key);
    inputs.push(input);
    ids.push(e.id);
    at.push(i);
  });
  // 3. Step in rounds; a key is marked uncommitted as soon as its chunk is stepped (before a later chunk can
  //    evict it), and the work is recorded for each shard's commit in entry order.
  memory.step(keys, inputs, ids, Date.now(), (j, y) => {
    const e = entries[at[j]];
    e.shard.pending.keys.set(e.key, e.id);
    result[at[j]] = y;
  });
  stats.steps += keys.length;
  entries.forEach((e, i) => {
    const p = e.shard.pending;
    const r = result[i];
    if (r instanceof Float32Array) p.outputs.push(e.id, e.key, 'y', float32Bytes(r));
    else if (typeof r === 'string') p.outputs.push(e.id, e.key, 'err', r);
    p.acks.push(e.id);
  });
}

/** The arguments of the commit script for a shard's pending work (see `commitScript`). */
export function commitArguments(
  s: Shard,
  o: ResolvedRedisWorkerOptions,
  memory: RedisKeyMemory,
): (string | Buffer | number)[] {
  const p = s.pending;
  const states: (string | Buffer)[] = [];
  for (const [key, lastId] of p.keys) states.push(key, encodeKeyState(lastId, memory.stateOf(key)));
  const trim = o.trimInput ? '1' : '0';
  return [
    s.token,
    o.group,
    p.keys.size,
    p.outputs.length / 4,
    o.outputMaxLen,
    trim,
    ...states,
    ...p.outputs,
    ...p.acks,
  ];
}
