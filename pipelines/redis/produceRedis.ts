/**
 * `eddy produce-redis`: replays a GRID clip or a text as keyed steps into a Redis Streams deployment, as many
 * cameras or users would: `--keys` keys, each replaying the same sequence from its own offset (key i starts at
 * i·T/keys), round-robin over the keys, at `--rate` steps per second in all (0: as fast as Redis takes them).
 *
 * - A clip (`--clip x.mpg`) needs a frame labeller (`--model pipelines/models/video-grid.safetensors`): the clip is
 *   decoded once at the labeller's frame size and turned into its features (one stream's features, differences
 *   included), which every key replays.
 * - A text (`--text sonnets.txt`) needs a character model with a vocabulary (`--model shakespeare`): characters
 *   outside it are left out.
 */
import { readFileSync } from 'node:fs';
import {
  EddyError,
  FrameFeatures,
  type RNNModel,
  createRedisProducer,
  loadFrameLabeler,
  readVideoClip,
} from '../../src/index.ts';

/** The steps one key replays: dense features `[T][X]` or token ids `[T]`. */
export type StepSequence = Float32Array[] | number[];

/** A clip's features for a frame labeller (the model is the labeller's). */
export async function clipSteps(clip: string, modelPath: string): Promise<{ model: RNNModel; steps: Float32Array[] }> {
  const labeler = loadFrameLabeler(modelPath);
  const { spec } = labeler;
  if (spec.channels !== 1)
    throw new EddyError('ERR_INVALID_ARG', 'Expected a frame labeller of grey frames for --clip');
  const video = await readVideoClip(clip, { width: spec.width, height: spec.height });
  const features = new FrameFeatures(spec);
  const n = spec.width * spec.height;
  const steps: Float32Array[] = [];
  for (let t = 0; t < video.T; t++) {
    const x = new Float32Array(spec.size);
    features.pixels(video.pixels, t * n, x, 0);
    steps.push(x);
  }
  return { model: labeler.model, steps };
}

/** A text's characters as ids of the model's vocabulary (unknown characters left out). */
export function textSteps(textPath: string, model: RNNModel, maxChars = 1_000_000): number[] {
  const vocab = model.config.vocab;
  if (!vocab || model.config.input === 'dense')
    throw new EddyError('ERR_INVALID_ARG', 'Expected a character model with a vocabulary for --text');
  const ids = new Map(vocab.map((c, i) => [c, i]));
  const out: number[] = [];
  for (const ch of readFileSync(textPath, 'utf8')) {
    const id = ids.get(ch);
    if (id !== undefined) out.push(id);
    if (out.length >= maxChars) break;
  }
  if (out.length === 0) throw new EddyError('ERR_FILE', `${textPath} has no character of the model's vocabulary`);
  return out;
}

/** What `produce-redis` runs with. */
export interface ProduceRedisParams {
  model: RNNModel;
  steps: StepSequence;
  keys: number;
  keyPrefix: string;
  /** Steps per key (0: the whole sequence once). */
  perKey: number;
  /** Steps per second in all (0: unpaced). */
  rate: number;
  redis: string;
  prefix: string;
  shards: number;
  maxLen: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Writes the steps; returns how many were written. */
export async function produceRedis(p: ProduceRedisParams): Promise<number> {
  const producer = createRedisProducer({
    model: p.model,
    redis: p.redis,
    prefix: p.prefix,
    shards: p.shards,
    maxLen: p.maxLen,
    onRetry: (attempt, delayMs, error) =>
      p.log(`connection lost (${error}); reconnecting in ${delayMs} ms (attempt ${attempt})`),
  });
  const T = p.steps.length;
  const perKey = p.perKey > 0 ? p.perKey : T;
  const total = perKey * p.keys;
  const t0 = performance.now();
  let sent = 0;
  let lastLog = t0;
  try {
    // Round r: step r of every key, key i at position (i·T/keys + r) mod T of the sequence.
    const tick = 1000; // adds per await, so that the pipeline stays full without unbounded memory
    let pending: Promise<string>[] = [];
    for (let r = 0; r < perKey && !p.signal.aborted; r++) {
      for (let i = 0; i < p.keys; i++) {
        const x = p.steps[(Math.floor((i * T) / p.keys) + r) % T];
        pending.push(producer.add(`${p.keyPrefix}${i}`, x));
        sent++;
        if (pending.length >= tick || (p.rate > 0 && sent % Math.max(1, Math.ceil(p.rate / 100)) === 0)) {
          await Promise.all(pending);
          pending = [];
          if (p.rate > 0) {
            const due = t0 + (sent * 1000) / p.rate;
            const wait = due - performance.now();
            if (wait > 0) await new Promise((res) => setTimeout(res, wait));
          }
        }
        const now = performance.now();
        if (now - lastLog > 10_000) {
          lastLog = now;
          p.log(`sent ${sent}/${total}  ${Math.round((sent * 1000) / (now - t0))} steps/s`);
        }
      }
    }
    await Promise.all(pending);
  } finally {
    await producer.close();
  }
  const s = (performance.now() - t0) / 1000;
  p.log(`produced ${sent} steps for ${p.keys} keys in ${s.toFixed(1)} s (${Math.round(sent / s)} steps/s)`);
  return sent;
}
