// Used by the MikroORM CLI (`npx mikro-orm migration:create`); the app builds the same options in src/database.ts.
import { loadConfig } from './src/config.ts';
import { databaseOptions } from './src/database.ts';

export default databaseOptions(loadConfig());
