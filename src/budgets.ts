import type { Config } from './config.ts';
import { createBudget, type Budgets, type BudgetStore } from './infra/budgets.ts';
import type { Redis } from './infra/redis.ts';
import { LoginThrottle } from './modules/auth/index.ts';

/** How long a slot of a heavy request is held at most if its process dies before giving it back. */
const HEAVY_HOLD_SECONDS = 600;

/**
 * Every budget of the hub, built once per process: in Redis when REDIS_URL is set, in the primary's memory for the API
 * processes of one machine without Redis (`primary`), else in memory.
 */
export function createBudgets(config: Config, redis: Redis | null, opts: { primary?: boolean } = {}): Budgets {
  const store: BudgetStore = { redis, prefix: config.redisPrefix, primary: opts.primary };
  const s = config.socket;
  return {
    login: new LoginThrottle(config.login, store),
    questions: createBudget(store, { name: 'questions', points: config.llm.questionsPerMinute, seconds: 60 }),
    heavyPerUser: createBudget(store, { name: 'heavy', points: config.heavy.perUser, seconds: HEAVY_HOLD_SECONDS, held: true }),
    heavyInProcess: createBudget(store, { name: 'heavy:process', points: config.heavy.inFlight, seconds: HEAVY_HOLD_SECONDS, local: true, held: true }),
    kioskPunches: createBudget(store, {
      name: 'kiosk-punches', points: s.punchesPerSecond, seconds: 1, local: true, burst: { points: s.punchBurst, seconds: Math.max(1, Math.ceil(s.punchBurst / s.punchesPerSecond)) },
    }),
    socketEvents: createBudget(store, {
      name: 'socket-events', points: s.eventsPerSecond, seconds: 1, local: true, burst: { points: s.eventBurst, seconds: Math.max(1, Math.ceil(s.eventBurst / s.eventsPerSecond)) },
    }),
    handshakes: createBudget(store, { name: 'handshakes', points: s.handshakesPerMinute, seconds: 60 }),
    // Like the sign-in counters: in Redis with REDIS_URL, so a guesser moving between instances meets the same count.
    pinPerEmployee: createBudget(store, { name: 'pin:employee', points: config.pin.attemptsPerEmployee, seconds: config.pin.windowSeconds }),
    pinPerKiosk: createBudget(store, { name: 'pin:kiosk', points: config.pin.attemptsPerKiosk, seconds: config.pin.windowSeconds }),
  };
}
