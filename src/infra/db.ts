import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator } from '@mikro-orm/migrations';
import { PgliteDriver } from '@mikro-orm/pglite';
import { MikroORM, PostgreSqlDriver, type EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.ts';
import { entities } from './entities.ts';

/** The ORM as this app uses it: SQL-capable whichever driver (PostgreSQL or PGlite) is underneath. */
export type Orm = MikroORM;
export type Em = EntityManager;
type OrmOptions = Parameters<typeof MikroORM.init>[0];

const root = fileURLToPath(new URL('../..', import.meta.url));

/** ORM options for either PostgreSQL (`DATABASE_URL`) or the embedded PGlite database under `DATA_DIR`. */
export function ormOptions(config: Pick<Config, 'database' | 'dataDir' | 'dbPoolMax'>): OrmOptions {
  const common = {
    entities,
    extensions: [Migrator],
    migrations: {
      path: join(root, 'migrations'),
      pathTs: join(root, 'migrations'),
      glob: '!(*.d).{js,ts}',
      transactional: true,
      snapshot: false,
      silent: true,
    },
    // Entities are plain data here; skipping the dynamic-import discovery keeps startup fast.
    discovery: { warnWhenNoEntities: true },
    forceUtcTimezone: true,
    debug: false,
  };
  if (config.database) {
    return {
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: config.database.url,
      pool: { min: 0, max: config.dbPoolMax },
      // Fail fast instead of hanging when the database is down or a query runs away.
      driverOptions: { connectionTimeoutMillis: 5_000, statement_timeout: 30_000, idle_in_transaction_session_timeout: 60_000 },
    } as OrmOptions;
  }
  const dataDir = join(config.dataDir, 'pg');
  mkdirSync(config.dataDir, { recursive: true });
  return { ...common, driver: PgliteDriver, dbName: dataDir } as unknown as OrmOptions;
}

/** Opens the database; migrates it first when asked. */
export async function createOrm(config: Pick<Config, 'database' | 'dataDir' | 'dbPoolMax'>, opts: { migrate?: boolean } = {}): Promise<Orm> {
  const orm = (await MikroORM.init(ormOptions(config))) as unknown as Orm;
  if (opts.migrate) await orm.migrator.up();
  return orm;
}
