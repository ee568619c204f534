// Creates a fresh database for this test run in the local PostgreSQL, migrates it once, and drops it at the end.
// Each run gets its own database, so two runs on one machine never see each other.
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';

const base = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/checkin_hub_test');
const prefix = base.pathname.slice(1);

function urlFor(database: string) {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject) {
  const stamp = Date.now();
  const name = `${prefix}_${stamp}_${process.pid}`;
  await admin(async (client) => {
    // Databases left behind by runs that were killed more than an hour ago.
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${prefix}\\_%`]);
    for (const { datname } of rows) {
      const started = Number(datname.slice(prefix.length + 1).split('_')[0]);
      if (Number.isFinite(started) && stamp - started > 3_600_000) await client.query(`drop database if exists "${datname}" with (force)`);
    }
    await client.query(`create database "${name}"`);
  });
  const url = urlFor(name);
  const config = loadConfig({ DATABASE_URL: url, SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp/checkin-hub-test' });
  const orm = await openDatabase(config, { migrate: true });
  await orm.close();
  project.provide('databaseUrl', url);
  return async () => {
    await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
