import type { Config } from './config.ts';
import { entities } from './entities.ts';
import { createOrm, ormOptions, type Orm } from './infra/db.ts';

/** The hub's database (PostgreSQL, or the embedded PGlite under DATA_DIR) with its entities; migrated when asked. */
export const openDatabase = (config: Pick<Config, 'database' | 'dataDir' | 'dbPoolMax'>, opts: { migrate?: boolean } = {}): Promise<Orm> =>
  createOrm(config, entities, opts);

/** The ORM options of the hub, for the MikroORM CLI (mikro-orm.config.ts). */
export const databaseOptions = (config: Pick<Config, 'database' | 'dataDir' | 'dbPoolMax'>) => ormOptions(config, entities);
