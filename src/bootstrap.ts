import type { Config } from './config.ts';
import { sqlOf, type Em } from './infra/db.ts';
import type { Logger } from './infra/logger.ts';
import { hashPassword } from './modules/auth/index.ts';
import { ensureAdmin } from './modules/employees/index.ts';
import { teams } from './modules/teams/index.ts';
import { seedDemo } from '../seeds/demo.ts';

export const DEMO_PASSWORD = 'demo-pass-123';

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
