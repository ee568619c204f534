// Used by the MikroORM CLI (`npx mikro-orm migration:create`); the app builds the same options in src/infra/db.ts.
import { loadConfig } from './src/config.ts';
import { ormOptions } from './src/infra/db.ts';

export default ormOptions(loadConfig());
