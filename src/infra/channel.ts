import { clusterChannel } from './cluster.ts';
import type { Logger } from './logger.ts';
import { createRedis, type Redis } from './redis.ts';

/** Announcements between instances (or API processes): what one publishes, the others hear. */
export type Channel = {
  publish(message: string): void;
  subscribe(listener: (message: string) => void): void;
  close(): Promise<void>;
};

/**
 * A channel across instances: Redis pub/sub with REDIS_URL (`publisher` is the process's connection; listening takes a
 * connection of its own), the primary for the API processes of one machine without Redis, or none in one process.
 */
export function openChannel(name: string, opts: { redisUrl: string | null; prefix: string; publisher: Redis | null; clustered: boolean; log: Logger }): Channel | null {
  if (opts.redisUrl && opts.publisher) {
    const publisher = opts.publisher;
    const channel = `${opts.prefix}${name}`;
    let subscriber: Redis | null = null;
    return {
      publish: (message) => void publisher.publish(channel, message).catch(() => undefined),
      subscribe(listener) {
        subscriber ??= createRedis(opts.redisUrl!);
        subscriber.on('error', () => undefined);
        subscriber.on('message', (from, message: string) => from === channel && listener(message));
        void subscriber.subscribe(channel).catch((error) => opts.log.warn({ err: error, channel }, 'could not listen for announcements'));
      },
      async close() {
        await subscriber?.quit().catch(() => undefined);
      },
    };
  }
  return opts.clustered ? clusterChannel(name) : null;
}
