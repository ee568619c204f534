// npm run db:migrate — applies pending migrations to the configured database.
import { loadConfig } from '../config.ts';
import { createLogger } from '../infra/logger.ts';
import { openDatabase } from '../database.ts';
import { untilReachable } from '../infra/startup.ts';

const config = loadConfig();
const log = createLogger(config.logLevel);
const orm = await openDatabase(config);
await untilReachable(orm, log, { migrate: true });
const pending = await orm.migrator.getPending();
log.info({ pending: pending.length, database: config.database ? 'postgresql' : 'embedded' }, 'database is up to date');
await orm.close();
