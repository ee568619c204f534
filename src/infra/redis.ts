import { Redis } from 'ioredis';

/** A Redis connection that retries forever with capped backoff (Redis restarts must not kill the hub). */
export function createRedis(url: string, opts: { forBlocking?: boolean } = {}) {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    // Blocking readers (BullMQ workers, the streams adapter) must not time out their commands.
    maxRetriesPerRequest: opts.forBlocking ? null : 3,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
}

export type { Redis };
