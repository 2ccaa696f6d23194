/**
 * The frame trainers' checkpoint (`trainFrameLabeler`, `trainPerFrame` with `options.checkpoint`): one safetensors
 * file, written atomically after every epoch, holding what a killed run needs to end as the uninterrupted run
 * would have: the parameters, the optimizer's buffers, and in the metadata the epochs done, the losses so far, the RNG states (the joins', the shuffle's or the trainer's) and the settings
 * the run was started with (a resume with other settings is refused: it would silently train something else).
 *
 * ```
 * tensors   params [P], optimizer.<buffer> [n]       (no carried state: every epoch starts from zeros)
 * metadata  eddy.frames-checkpoint = JSON { kind, settings, epoch, losses, frames, updates, rngs, optimizer scalars }
 * ```
 */
import { existsSync } from 'node:fs';
import { readSafetensors, writeSafetensors, type SafetensorsInput } from '../model/safetensors.ts';
import type { OptimizerState } from '../train/optimizer.ts';
import { removeStaleTemporaries } from '../util/atomicWrite.ts';
import { EddyError } from '../util/errors.ts';
import type { RngState } from '../util/rng.ts';
import type { LabeledClip } from './joinClips.ts';

const KEY = 'eddy.frames-checkpoint';

/** What a frame trainer's checkpoint holds besides the parameters. */
export interface FramesCheckpoint {
  /** Which trainer wrote it. */
  kind: 'recurrent' | 'per-frame';
  /** The run's settings (sizes, options, a checksum of the clips); a resume must match them. */
  settings: Record<string, string | number>;
  /** Epochs done. */
  epoch: number;
  /** Mean training loss of each epoch done. */
  losses: number[];
  frames: number;
  updates: number;
  /** The RNG of the joins after `epoch` epochs. */
  joins: RngState;
  /** The second RNG: the per-frame shuffle's, or the recurrent trainer's. */
  rng: RngState;
  /** Recurrent: the trainer's data cursor. */
  cursor: number;
  optimizer: OptimizerState;
}

/** Writes a checkpoint atomically: a crash mid-write leaves the previous one intact. */
export function saveFramesCheckpoint(path: string, params: Float32Array, c: FramesCheckpoint): void {
  const tensors: Record<string, SafetensorsInput> = { params: { shape: [params.length], data: params } };
  for (const [k, v] of Object.entries(c.optimizer.buffers)) tensors[`optimizer.${k}`] = { shape: [v.length], data: v };
  const { optimizer, ...rest } = c;
  const meta = { ...rest, optimizer: { name: optimizer.name, step: optimizer.step, scalars: optimizer.scalars } };
  writeSafetensors(path, tensors, { [KEY]: JSON.stringify(meta) });
}

/**
 * The checkpoint at `path` when it exists (null when not), checked against the run about to continue from it.
 * Stale temporaries of a killed write beside it are removed first.
 * @throws EddyError ERR_FILE naming the file when it is corrupt, not a frame trainer's checkpoint, written by the
 *   other trainer, for another number of parameters, or with other settings (each differing setting named)
 */
export function loadFramesCheckpoint(
  path: string,
  kind: FramesCheckpoint['kind'],
  settings: Record<string, string | number>,
  paramCount: number,
): (FramesCheckpoint & { params: Float32Array }) | null {
  if (!existsSync(path)) return null;
  removeStaleTemporaries(path);
  const file = readSafetensors(path);
  const raw = file.metadata[KEY];
  if (raw === undefined)
    throw new EddyError('ERR_FILE', `Cannot resume from ${path}: not a frame trainer's checkpoint (no ${KEY})`);
  let meta: Omit<FramesCheckpoint, 'optimizer'> & {
    optimizer: { name: string; step: number; scalars: Record<string, number> };
  };
  try {
    meta = JSON.parse(raw) as typeof meta;
  } catch {
    throw new EddyError('ERR_FILE', `Cannot resume from ${path}: its ${KEY} metadata is not valid JSON`);
  }
  if (meta.kind !== kind)
    throw new EddyError(
      'ERR_FILE',
      `Cannot resume from ${path}: it is the ${meta.kind} trainer's checkpoint, not the ${kind} one's`,
    );
  const differ = Object.keys({ ...settings, ...meta.settings }).filter((k) => settings[k] !== meta.settings?.[k]);
  if (differ.length > 0)
    throw new EddyError(
      'ERR_FILE',
      `Cannot resume from ${path}: it was written with other settings (${differ
        .map((k) => `${k} ${JSON.stringify(meta.settings?.[k])}, now ${JSON.stringify(settings[k])}`)
        .join('; ')}); remove it, or write to another checkpoint`,
    );
  const params = file.tensors.get('params')?.data;
  if (params === undefined || params.length !== paramCount)
    throw new EddyError(
      'ERR_FILE',
      `Cannot resume from ${path}: it holds ${params?.length ?? 'no'} parameters for a model of ${paramCount}`,
    );
  const buffers: Record<string, Float32Array> = {};
  for (const [name, t] of file.tensors) if (name.startsWith('optimizer.')) buffers[name.slice(10)] = t.data;
  return { ...meta, params, optimizer: { ...meta.optimizer, buffers } };
}

/** A checksum of the clips (frame count, every label, every 97th pixel's bits): a resume on other data is refused. */
export function clipsChecksum(clips: readonly LabeledClip[]): string {
  let hash = 0x811c9dc5;
  const mix = (v: number): void => {
    hash = Math.imul(hash ^ (v >>> 0), 0x01000193) >>> 0;
  };
  mix(clips.length);
  for (const clip of clips) {
    mix(clip.T);
    for (let t = 0; t < clip.labels.length; t++) mix(clip.labels[t]);
    const bits = new Uint32Array(clip.pixels.buffer, clip.pixels.byteOffset, clip.pixels.length);
    for (let i = 0; i < bits.length; i += 97) mix(bits[i]);
  }
  return hash.toString(16).padStart(8, '0');
}
