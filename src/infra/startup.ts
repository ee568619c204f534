import type { Orm } from './db.ts';
import type { Logger } from './logger.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `step` until it succeeds, waiting longer after each failure (0.5 s doubling to 30 s): the database or Redis
 * may come up after the hub does.
 */
export async function withRetry<T>(what: string, log: Logger, step: () => Promise<T>, opts: { signal?: AbortSignal } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      const wait = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
      log.warn({ attempt, retry_in_ms: wait, err: error }, `${what} not reachable; retrying`);
      await sleep(wait);
    }
  }
}

/** Applies pending migrations (once the database answers). */
export async function migrate(orm: Orm, log: Logger) {
  await orm.em.fork().execute('select 1');
  const applied = await orm.migrator.up();
  if (applied.length) log.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
}

/** Waits (with backoff) until the database answers, migrating it first when asked. */
export async function untilReachable(orm: Orm, log: Logger, opts: { migrate: boolean; signal?: AbortSignal }) {
  await withRetry(
    'database',
    log,
    async () => {
      if (opts.migrate) await migrate(orm, log);
      else await orm.em.fork().execute('select 1');
    },
    opts,
  );
}
