// Creates a fresh test database in the local PostgreSQL and migrates it once for the whole run.
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { createOrm } from '../src/infra/db.ts';
import { testDatabaseUrl } from './env.ts';

export default async function setup() {
  const url = new URL(testDatabaseUrl);
  const name = url.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`drop database if exists "${name}" with (force)`);
  await client.query(`create database "${name}"`);
  await client.end();
  const config = loadConfig({ DATABASE_URL: testDatabaseUrl, SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp/checkin-hub-test' });
  const orm = await createOrm(config, { migrate: true });
  await orm.close();
}
