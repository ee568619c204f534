import type { Config } from './config.ts';
import { sqlOf, type Em, type Orm } from './infra/db.ts';
import type { Logger } from './infra/logger.ts';
import { migrate } from './infra/startup.ts';
import { hashPassword } from './modules/auth/index.ts';
import { ensureAdmin } from './modules/employees/index.ts';
import { teams } from './modules/teams/index.ts';
import { seedDemo } from '../seeds/demo.ts';

export const DEMO_PASSWORD = 'demo-pass-123';

/**
 * Once per deployment, before the first request: the migrations (always for the embedded database, else as
 * MIGRATE_ON_START says; otherwise the database must answer) and `bootstrap`. Run by the one process of a hub, or by
 * the primary of several (src/primary.ts).
 */
export async function prepareDatabase(orm: Orm, config: Config, log: Logger) {
  if (config.migrateOnStart || !config.database) await migrate(orm, log);
  else await orm.em.fork().execute('select 1');
  await bootstrap(orm.em.fork() as Em, config, log, { demo: !config.database && config.seedDemo });
}

/** What a fresh hub needs before its first request: an admin, and on a first embedded start the demo organisation. */
export async function bootstrap(em: Em, config: Config, log: Logger, opts: { demo: boolean }) {
  await ensureAdmin(sqlOf(em), config, log);
  if (opts.demo) await seedIfEmpty(em, config, log);
}

/** Loads the demo organisation when the database holds no teams yet. */
async function seedIfEmpty(em: Em, config: Config, log: Logger) {
  if ((await teams.ids(sqlOf(em))).length > 0) return;
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
