/** The flags every Redis command shares: where Redis is and which deployment. */

export const redisFlags = {
  redis: { type: 'string', default: 'redis://127.0.0.1:6379', placeholder: 'URL', description: 'where Redis is' },
  prefix: {
    type: 'string',
    default: 'eddy',
    placeholder: 'NAME',
    description: "prefix of the deployment's Redis keys",
  },
  shards: {
    type: 'integer',
    min: 1,
    max: 16384,
    default: 16,
    description: 'shards (input streams) of the deployment; the same for every worker and producer',
  },
} as const;

/** Library option paths in the words of the command line. */
export const REDIS_OPTION_FLAGS: Record<string, string> = {
  'options.redis': '--redis',
  'options.prefix': '--prefix',
  'options.shards': '--shards',
  'options.group': '--group',
  'options.commitIntervalMs': '--commit-ms',
  'options.leaseMs': '--lease-ms',
  'options.readCount': '--read-count',
  'options.maxBatch': '--max-batch',
  'options.maxKeys': '--max-keys',
  'options.workerId': '--worker-id',
  'options.maxLen': '--max-len',
};
