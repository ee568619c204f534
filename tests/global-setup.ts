// Creates a fresh database for this test run in the local PostgreSQL, migrates it once, and drops it at the end.
// Each run gets its own database, so two runs on one machine never see each other.
import type { TestProject } from 'vitest/node';
import { adminQuery, dbUrl } from '../harness/index.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';

const base = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/checkin_hub_test');
const prefix = base.pathname.slice(1);
const server = dbUrl(base, 'postgres');

export default async function setup(project: TestProject) {
  const stamp = Date.now();
  const name = `${prefix}_${stamp}_${process.pid}`;
  // Databases left behind by runs that were killed more than an hour ago.
  const left = await adminQuery<{ datname: string }>(server, 'select datname from pg_database where datname like $1', [`${prefix}\\_%`]);
  for (const { datname } of left) {
    const started = Number(datname.slice(prefix.length + 1).split('_')[0]);
    if (Number.isFinite(started) && stamp - started > 3_600_000) await adminQuery(server, `drop database if exists "${datname}" with (force)`);
  }
  await adminQuery(server, `create database "${name}"`);
  const url = dbUrl(base, name);
  const config = loadConfig({ DATABASE_URL: url, SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp/checkin-hub-test' });
  const orm = await openDatabase(config, { migrate: true });
  await orm.close();
  project.provide('databaseUrl', url);
  return async () => {
    await adminQuery(server, `drop database if exists "${name}" with (force)`);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
