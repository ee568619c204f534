import { BurstyRateLimiter, RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from './redis.ts';

/**
 * Budgets (how much of something a key may use in a window), kept by rate-limiter-flexible: in memory in a single
 * process, in Redis when REDIS_URL is set so that every instance draws on the same budget, and in the primary's memory
 * for the API processes of one machine without Redis (the library's cluster store). A Redis outage does not fail the
 * requests it guards: the budget falls back to this process's memory until Redis is back.
 */
export type BudgetStore = { redis: Redis | null; prefix: string; primary?: boolean };

export type Budget = {
  /** Uses `points` (default 1): 0 when granted, else the seconds to wait (nothing is used then). */
  take(key: string, points?: number): Promise<number>;
  /** Counts `points` against the key whatever is left (a failure that must count): the seconds to wait after it, or 0. */
  charge(key: string, points?: number): Promise<{ used: number; wait: number }>;
  /** Gives points back (the end of something held, such as a running export). */
  give(key: string, points?: number): Promise<void>;
  /** The seconds the key must wait before it may use one more point, or 0, without using anything. */
  wait(key: string): Promise<number>;
  /** Blocks the key for `seconds`. */
  block(key: string, seconds: number): Promise<void>;
  /** Forgets the key. */
  reset(key: string): Promise<void>;
};

export type BudgetSpec = {
  /** Part of every key (`<prefix>budget:<name>:<key>`). */
  name: string;
  /** Points per window. */
  points: number;
  /** The window, in seconds. */
  seconds: number;
  /** Always in this process's memory, even with Redis (a per-socket budget: the socket lives in one process). */
  local?: boolean;
  /** Points that may be used beyond `points` in a burst, refilled over `burstSeconds`. */
  burst?: { points: number; seconds: number };
  /**
   * Points are held and given back (things running at once) rather than spent: a refused `take` does not count.
   * (For a rate, the library counts refused attempts too, so a flood keeps its sender waiting.)
   */
  held?: boolean;
};

/** Seconds to wait, to the millisecond (callers writing a Retry-After header round up). */
const secondsOf = (ms: number) => Math.max(1, Math.ceil(ms)) / 1000;

function limiter(store: BudgetStore, spec: { name: string; points: number; seconds: number; local?: boolean }): RateLimiterAbstract {
  const keyPrefix = `${store.prefix}budget:${spec.name}`;
  if (!spec.local && !store.redis && store.primary) return new RateLimiterCluster({ keyPrefix, points: spec.points, duration: spec.seconds, timeoutMs: 5_000 });
  const memory = new RateLimiterMemory({ keyPrefix, points: spec.points, duration: spec.seconds });
  if (!store.redis || spec.local) return memory;
  return new RateLimiterRedis({
    storeClient: store.redis,
    keyPrefix,
    points: spec.points,
    duration: spec.seconds,
    // Not connected: answer from memory at once instead of queueing behind the reconnect.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

/** A rejection that means "over budget" (the library rejects with a RateLimiterRes), as opposed to a store error. */
const overBudget = (error: unknown): error is RateLimiterRes => error instanceof RateLimiterRes;

/**
 * A budget in the given store.
 * @example const logins = createBudget(store, { name: 'login-pair', points: 5, seconds: 900 }); if (await logins.wait(key)) …
 */
export function createBudget(store: BudgetStore, spec: BudgetSpec): Budget {
  const base = limiter(store, spec);
  const consumer = spec.burst
    ? new BurstyRateLimiter(base, limiter(store, { name: `${spec.name}:burst`, points: spec.burst.points, seconds: spec.burst.seconds, local: spec.local }))
    : base;
  return {
    async take(key, points = 1) {
      try {
        await consumer.consume(key, points);
        return 0;
      } catch (error) {
        if (!overBudget(error)) throw error;
        if (spec.held) await base.reward(key, points);
        return secondsOf(error.msBeforeNext);
      }
    },
    async charge(key, points = 1) {
      const res = await base.penalty(key, points);
      return { used: res.consumedPoints, wait: res.consumedPoints > spec.points ? secondsOf(res.msBeforeNext) : 0 };
    },
    async give(key, points = 1) {
      await base.reward(key, points);
    },
    async wait(key) {
      const res = await base.get(key);
      return res && res.consumedPoints >= spec.points ? secondsOf(res.msBeforeNext) : 0;
    },
    async block(key, seconds) {
      await base.block(key, seconds);
    },
    async reset(key) {
      await base.delete(key);
    },
  };
}

/** Sign-in throttling as the HTTP layer sees it (the auth module implements it on budgets). */
export type LoginGuard = {
  /** Seconds to wait before this account may try from this address, or 0. */
  retryAfter(account: string, address: string): Promise<number>;
  recordFailure(account: string, address: string): Promise<void>;
  recordSuccess(account: string, address: string): Promise<void>;
};

/** Every budget of the hub, built once per process (src/budgets.ts). */
export type Budgets = {
  login: LoginGuard;
  /** Assistant questions per admin and minute. */
  questions: Budget;
  /** Heavy requests (exports, reports, questions) running at once per person (shared across instances). */
  heavyPerUser: Budget;
  /** Heavy requests running at once in this process: the rest of the connection pool stays for everyone else. */
  heavyInProcess: Budget;
  /** Punches per kiosk socket (a burst, then a steady rate); like the event budget, kept where the socket lives. */
  kioskPunches: Budget;
  /** Requests per socket (a burst, then a steady rate); a socket lives in one process, so in memory. */
  socketEvents: Budget;
  /** Socket handshakes per client address and minute. */
  handshakes: Budget;
  /** Kiosk PIN attempts per employee number (shared across instances): a wrong PIN keeps its point. */
  pinPerEmployee: Budget;
  /** Kiosk PIN attempts per kiosk, whatever the numbers (shared across instances). */
  pinPerKiosk: Budget;
};
