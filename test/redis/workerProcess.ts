/**
 * A worker process for the scale-out test: `runRedisWorker` with the model file and options given as JSON in
 * argv[2], its events on stderr one line each (as `eddy serve-redis` prints them), stopped gracefully by SIGTERM.
 * It imports only the worker's modules, so that it starts fast on a loaded machine (the test starts many).
 *
 *   node --import tsx test/redis/workerProcess.ts '{"model":"m.safetensors","redis":"redis://...", ...}'
 */
import { loadModel } from '../../src/model/modelFile.ts';
import { describeRedisWorkerEvent } from '../../src/redis/describeRedisWorkerEvent.ts';
import type { RedisWorkerOptions } from '../../src/redis/redisWorkerOptions.ts';
import { runRedisWorker } from '../../src/redis/runRedisWorker.ts';

const { model, ...options } = JSON.parse(process.argv[2]) as Omit<RedisWorkerOptions, 'model'> & { model: string };
const worker = runRedisWorker({
  ...options,
  model: loadModel(model),
  onEvent: (e) => {
    const line = describeRedisWorkerEvent(e);
    if (line !== null) process.stderr.write(`${line}\n`);
  },
});
process.stderr.write(`worker ${worker.id} started\n`);
process.on('SIGTERM', () => void worker.stop());
await worker.done;
