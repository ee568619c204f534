// Redis housekeeping: a run's keys live under its own prefix and go at the end.
import { Redis } from 'ioredis';
import { progress } from './run.ts';

/** Deletes every key under `prefix` (bounded to 20 s); the sessions a hub keeps for disconnected sockets included. */
export async function deleteRedisKeys(redisUrl: string, prefix: string, opts: { quiet?: boolean } = {}) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    const until = Date.now() + 20_000;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0' && Date.now() < until);
    if (!opts.quiet) progress(`deleted ${deleted} Redis keys under ${prefix}`);
    return deleted;
  } finally {
    redis.disconnect();
  }
}
