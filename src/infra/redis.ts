import { Redis } from 'ioredis';

/**
 * A Redis connection that retries forever with capped backoff (Redis restarts must not kill the hub).
 * Commands issued in the same turn of the event loop go out as one pipeline (one write, one read): a batch of
 * punches makes one broadcast per change, and without this each of them would be its own round trip and syscall.
 */
export function createRedis(url: string, opts: { forBlocking?: boolean } = {}) {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    enableAutoPipelining: true,
    // Blocking readers (BullMQ workers, the streams adapter) must not time out their commands.
    maxRetriesPerRequest: opts.forBlocking ? null : 3,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
}

export type { Redis };
