import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { hashPassword } from '../modules/auth/index.ts';
import { seedDemo } from '../../seeds/demo.ts';
import { createOrm, type Em, type Orm } from './db.ts';
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
      log.warn({ attempt, retry_in_ms: wait, err: { message: (error as Error).message } }, `${what} not reachable; retrying`);
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

/** Opens (and migrates) the database, retrying with backoff while it is not reachable. */
export async function connectWithRetry(config: Config, log: Logger, opts: { migrate: boolean; signal?: AbortSignal }): Promise<Orm> {
  const orm = await createOrm(config, { migrate: false });
  await withRetry(
    'database',
    log,
    async () => {
      if (opts.migrate) await migrate(orm, log);
      else await orm.em.fork().execute('select 1');
    },
    opts,
  );
  return orm;
}

/**
 * Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when there is no admin. Without ADMIN_PASSWORD a random
 * one is written to DATA_DIR/admin-password (readable by the owner only), in production as in development: a fresh
 * deployment always has a way in.
 */
export async function ensureAdmin(em: Em, config: Config, log: Logger) {
  const [{ n }] = await em.execute<{ n: string | number }[]>("select count(*) as n from employees where access = 'admin' and active");
  if (Number(n) > 0) return;
  let password = config.adminPassword;
  if (!password) {
    password = randomBytes(12).toString('base64url');
    mkdirSync(config.dataDir, { recursive: true });
    const file = join(config.dataDir, 'admin-password');
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    log.info({ email: config.adminEmail, password_file: file }, 'first admin created; the password is in the file');
  }
  const hash = await hashPassword(password, config.bcryptCost);
  await em.execute(
    `insert into employees (name, email, role, access, password_hash, active, created_at, updated_at)
     values ('Administrator', ?, 'Administrator', 'admin', ?, true, now(), now())
     on conflict (email) do update set access = 'admin', active = true, password_hash = excluded.password_hash, updated_at = now()`,
    [config.adminEmail, hash],
  );
  log.info({ email: config.adminEmail }, 'admin account ready');
}

export const DEMO_PASSWORD = 'demo-pass-123';

/** Loads the demo organisation when the database holds no teams yet. */
export async function seedIfEmpty(em: Em, config: Config, log: Logger) {
  const [{ n }] = await em.execute<{ n: string | number }[]>('select count(*) as n from teams');
  if (Number(n) > 0) return;
  const started = performance.now();
  const summary = await seedDemo(em, {
    employees: 60,
    days: 90,
    timezone: config.timezone,
    passwordHash: await hashPassword(DEMO_PASSWORD, config.bcryptCost),
  });
  log.info(
    { ...summary, managers: summary.managers.map((m) => m.email), ms: Math.round(performance.now() - started) },
    'demo data loaded (the demo users and their password are in the README)',
  );
}
