import { callPrimary } from './cluster.ts';
import type { Redis } from './redis.ts';

/**
 * Per-team change counters: shared through Redis across instances, kept by the primary for the API processes of one
 * machine without Redis (src/primary.ts), or kept in memory in one process.
 */
export type Sequencer = {
  next(key: string): Promise<number>;
  /** Reserves `n` consecutive numbers in one step and returns the last of them (the first is `last - n + 1`). */
  reserve(key: string, n: number): Promise<number>;
  current(key: string): Promise<number>;
};

export function createSequencer(redis: Redis | 'primary' | null, prefix: string): Sequencer {
  if (redis === 'primary') {
    return {
      next: (key) => callPrimary('seq.reserve', key, 1),
      reserve: (key, n) => callPrimary('seq.reserve', key, n),
      current: (key) => callPrimary('seq.current', key),
    };
  }
  if (redis) {
    const k = (key: string) => `${prefix}seq:team:${key}`;
    return {
      next: (key) => redis.incr(k(key)),
      reserve: (key, n) => redis.incrby(k(key), n),
      current: async (key) => Number((await redis.get(k(key))) ?? 0),
    };
  }
  const counters = new Map<string, number>();
  const reserve = async (key: string, n: number) => {
    const value = (counters.get(key) ?? 0) + n;
    counters.set(key, value);
    return value;
  };
  return {
    next: (key) => reserve(key, 1),
    reserve,
    current: async (key) => counters.get(key) ?? 0,
  };
}
