import { callPrimary } from '../../infra/cluster.ts';
import type { Redis } from '../../infra/redis.ts';

/**
 * Open sockets per owner (a user or a kiosk), so one token cannot hold thousands of connections. `add` records a new
 * socket and answers the ids of the oldest ones beyond the limit, which the caller closes (on whichever instance they
 * live: the adapter carries the disconnect). With Redis the count spans every instance; a crashed instance's entries
 * are simply the oldest and go first.
 */
export type ConnectionRegistry = {
  add(owner: string, socketId: string): Promise<string[]>;
  remove(owner: string, socketId: string): Promise<void>;
};

/** Adds the socket, keeps the newest `max`, returns the ids removed. A day without activity forgets the owner. */
const ADD = `
  redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])
  redis.call('expire', KEYS[1], 86400)
  local excess = redis.call('zcard', KEYS[1]) - tonumber(ARGV[3])
  if excess <= 0 then return {} end
  local popped = redis.call('zpopmin', KEYS[1], excess)
  local ids = {}
  for i = 1, #popped, 2 do ids[#ids + 1] = popped[i] end
  return ids`;

export function createConnectionRegistry(redis: Redis | 'primary' | null, prefix: string, max: number): ConnectionRegistry {
  // One of several API processes without Redis: the primary counts (src/primary.ts).
  if (redis === 'primary') {
    return {
      add: (owner, socketId) => callPrimary('sockets.add', owner, socketId),
      remove: (owner, socketId) => callPrimary('sockets.remove', owner, socketId),
    };
  }
  if (redis) {
    const key = (owner: string) => `${prefix}sockets:${owner}`;
    return {
      add: async (owner, socketId) => (await redis.eval(ADD, 1, key(owner), Date.now(), socketId, max)) as string[],
      remove: async (owner, socketId) => void (await redis.zrem(key(owner), socketId)),
    };
  }
  // In one process: each owner's sockets in the order they came (a Set keeps insertion order).
  const owners = new Map<string, Set<string>>();
  return {
    async add(owner, socketId) {
      let ids = owners.get(owner);
      if (!ids) owners.set(owner, (ids = new Set()));
      ids.add(socketId);
      const excess: string[] = [];
      for (const id of ids) {
        if (ids.size - excess.length <= max) break;
        excess.push(id);
      }
      for (const id of excess) ids.delete(id);
      return excess;
    },
    async remove(owner, socketId) {
      const ids = owners.get(owner);
      ids?.delete(socketId);
      if (ids?.size === 0) owners.delete(owner);
    },
  };
}
