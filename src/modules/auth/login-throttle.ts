import type { LoginLimits } from '../../config.ts';
import { createBudget, type Budget, type BudgetStore } from '../../infra/budgets.ts';

/**
 * Sign-in throttling that an attacker cannot turn against the real user.
 * - Per (account, client address): a handful of failures, then that pair waits out the window. A storm of wrong
 *   passwords from one address locks only that address out of that account.
 * - Per client address: many more failures (one address guessing many accounts), then that address waits.
 * - Per account, from all addresses together: past a higher limit, each further failure makes the account wait a
 *   little longer before the next try (1 s, 2 s, 4 s … up to a cap), never a lock of the whole window. The real
 *   user, from their own address, waits seconds at worst; a success clears it.
 * Only failures count. The counters live in Redis when REDIS_URL is set, so every instance shares them.
 */
export class LoginThrottle {
  readonly #pair: Budget;
  readonly #address: Budget;
  readonly #account: Budget;
  readonly #accountDelay: Budget;
  readonly #limits: LoginLimits;

  constructor(limits: LoginLimits, store: BudgetStore = { redis: null, prefix: '' }) {
    this.#limits = limits;
    this.#pair = createBudget(store, { name: 'login:pair', points: limits.maxFailures, seconds: limits.windowSeconds });
    this.#address = createBudget(store, { name: 'login:address', points: limits.maxFailuresPerAddress, seconds: limits.windowSeconds });
    this.#account = createBudget(store, { name: 'login:account', points: limits.maxFailuresPerAccount, seconds: limits.windowSeconds });
    // A blocked key of a one-point budget is a wait: the delay the account must observe before its next try.
    this.#accountDelay = createBudget(store, { name: 'login:account-delay', points: 1, seconds: limits.maxAccountDelaySeconds });
  }

  /** Seconds to wait before this account may try from this address, or 0. */
  async retryAfter(account: string, address: string): Promise<number> {
    const waits = await Promise.all([this.#pair.wait(`${account}|${address}`), this.#address.wait(address), this.#accountDelay.wait(account)]);
    return Math.max(...waits);
  }

  async recordFailure(account: string, address: string) {
    const [, , total] = await Promise.all([
      this.#pair.charge(`${account}|${address}`),
      this.#address.charge(address),
      this.#account.charge(account),
    ]);
    const over = total.used - this.#limits.maxFailuresPerAccount;
    if (over > 0) await this.#accountDelay.block(account, Math.min(2 ** (over - 1), this.#limits.maxAccountDelaySeconds));
  }

  async recordSuccess(account: string, address: string) {
    await Promise.all([this.#pair.reset(`${account}|${address}`), this.#account.reset(account), this.#accountDelay.reset(account)]);
  }
}
