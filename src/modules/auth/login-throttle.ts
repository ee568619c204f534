/**
 * Counts failed sign-ins per account and per client address in a fixed window; past the limit the
 * caller gets 429 until the window ends. One instance per process (kept in memory).
 */
export class LoginThrottle {
  readonly #failures = new Map<string, { count: number; resetAt: number }>();
  readonly #limits: { account: number; address: number; windowMs: number };

  constructor(limits: { maxFailures: number; maxFailuresPerAddress: number; windowSeconds: number }) {
    this.#limits = { account: limits.maxFailures, address: limits.maxFailuresPerAddress, windowMs: limits.windowSeconds * 1000 };
  }

  /** Seconds to wait when either key is over its limit, else 0. */
  retryAfter(account: string, address: string, now = Date.now()): number {
    let wait = 0;
    for (const [key, limit] of [[`a:${account}`, this.#limits.account], [`ip:${address}`, this.#limits.address]] as const) {
      const entry = this.#failures.get(key);
      if (!entry) continue;
      if (entry.resetAt <= now) this.#failures.delete(key);
      else if (entry.count >= limit) wait = Math.max(wait, Math.ceil((entry.resetAt - now) / 1000));
    }
    return wait;
  }

  recordFailure(account: string, address: string, now = Date.now()) {
    for (const key of [`a:${account}`, `ip:${address}`]) {
      const entry = this.#failures.get(key);
      if (!entry || entry.resetAt <= now) this.#failures.set(key, { count: 1, resetAt: now + this.#limits.windowMs });
      else entry.count++;
    }
    if (this.#failures.size > 100_000) this.#sweep(now);
  }

  recordSuccess(account: string) {
    this.#failures.delete(`a:${account}`);
  }

  #sweep(now: number) {
    for (const [key, entry] of this.#failures) if (entry.resetAt <= now) this.#failures.delete(key);
  }
}
