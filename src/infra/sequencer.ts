import type { Redis } from './redis.ts';

/** Per-team change counters: shared through Redis across instances, or kept in memory in one process. */
export type Sequencer = {
  next(key: string): Promise<number>;
  current(key: string): Promise<number>;
};

export function createSequencer(redis: Redis | null, prefix: string): Sequencer {
  if (redis) {
    const k = (key: string) => `${prefix}seq:team:${key}`;
    return {
      next: (key) => redis.incr(k(key)),
      current: async (key) => Number((await redis.get(k(key))) ?? 0),
    };
  }
  const counters = new Map<string, number>();
  return {
    next: async (key) => {
      const value = (counters.get(key) ?? 0) + 1;
      counters.set(key, value);
      return value;
    },
    current: async (key) => counters.get(key) ?? 0,
  };
}
