import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator } from '@mikro-orm/migrations';
import { CompiledQuery, PGliteDialect, type Kysely } from 'kysely';
import { PgliteDriver } from '@mikro-orm/pglite';
import { MikroORM, PostgreSqlConnection, PostgreSqlDriver, type EntityManager } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import type { Config } from '../config.ts';
import { openPgliteThread } from './pglite-thread.ts';

/** The ORM as this app uses it: SQL-capable whichever driver (PostgreSQL or PGlite) is underneath. */
export type Orm = MikroORM;
export type Em = EntityManager;
type OrmOptions = Parameters<typeof MikroORM.init>[0];

const root = fileURLToPath(new URL('../..', import.meta.url));

/** ORM options for either PostgreSQL (`DATABASE_URL`) or the embedded PGlite database under `DATA_DIR`. */
export function ormOptions(config: Pick<Config, 'database' | 'dataDir' | 'dbPoolMax'>, entities: OrmOptions['entities']): OrmOptions {
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
  // PGlite in a thread of its own (src/infra/pglite-thread.ts) under Kysely's PGlite dialect, as the driver would
  // build it in this thread: opened at the first statement, closed (and the thread ended) by `orm.close()`.
  const dialect = () => new PGliteDialect({ pglite: () => openPgliteThread(dataDir) });
  return { ...common, driver: PgliteDriver, dbName: dataDir, driverOptions: dialect } as unknown as OrmOptions;
}

/** Opens the database with these entities; migrates it first when asked. */
export async function createOrm(config: Pick<Config, 'database' | 'dataDir' | 'dbPoolMax'>, entities: OrmOptions['entities'], opts: { migrate?: boolean } = {}): Promise<Orm> {
  const orm = (await MikroORM.init(ormOptions(config, entities))) as unknown as Orm;
  if (opts.migrate) await orm.migrator.up();
  return orm;
}

/** A statement and its bound values, as the driver takes them (the benchmarks' plain-`pg` baseline runs the same). */
export type Statement = { text: string; values: unknown[] };

/** Runs statements with bind parameters (`$1`, `$2` …); a statement given a `name` is prepared once per connection. */
export type Sql = { query<T = Record<string, unknown>>(text: string, params?: readonly unknown[], name?: string): Promise<T[]> };
export type TransactionOptions = {
  /**
   * Plan the named statements once per connection and keep that plan (PostgreSQL's `plan_cache_mode`). With arrays
   * as parameters the planner otherwise re-plans every execution, because it cannot tell that a generic plan fits
   * every array size: for the punch statements that planning was more than half of the database's time.
   */
  genericPlans?: boolean;
  /**
   * Every row the transaction's statements touch is found by a key: no sequential scans. A generic plan made while a
   * table is still small would otherwise scan it, and keep scanning it as it grows until the next ANALYZE.
   */
  keyLookupsOnly?: boolean;
};
export type SqlDb = Sql & { transaction<T>(fn: (tx: Sql) => Promise<T>, opts?: TransactionOptions): Promise<T> };

type Reads = readonly (() => Promise<unknown>)[];
/**
 * Independent reads: side by side on the pool (each takes its own connection), one after another inside a
 * transaction, whose one connection runs one statement at a time (pg refuses to queue them from pg@9 on).
 */
export async function readAll<T extends Reads>(sql: Sql, reads: T): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  if ('transaction' in sql) return (await Promise.all(reads.map((read) => read()))) as never;
  const out: unknown[] = [];
  for (const read of reads) out.push(await read());
  return out as never;
}

const pgRunner = (client: Pick<PoolClient, 'query'>): Sql => ({
  query: async <T,>(text: string, params: readonly unknown[] = [], name?: string) =>
    (await client.query({ text, values: [...params], ...(name ? { name } : {}) })).rows as T[],
});

/** PostgreSQL through the ORM's own `pg` pool (same connections, same settings and timeouts). */
function pgSql(connection: PostgreSqlConnection): SqlDb {
  const pool = () => connection.getNativeClient();
  return {
    query: async (text, params, name) => pgRunner(await pool()).query(text, params, name),
    async transaction(fn, opts = {}) {
      const client = await (await pool()).connect();
      let broken: Error | undefined;
      try {
        // One round trip for both (the simple protocol takes several statements without parameters).
        const settings = [opts.genericPlans && 'set local plan_cache_mode = force_generic_plan', opts.keyLookupsOnly && 'set local enable_seqscan = off'];
        await client.query(['begin', ...settings.filter(Boolean)].join('; '));
        const result = await fn(pgRunner(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch((e: Error) => (broken = e));
        throw error;
      } finally {
        client.release(broken); // a connection that cannot even roll back is discarded
      }
    },
  };
}

/** PGlite (one connection): through the ORM's Kysely instance, which queues everything on it. */
function kyselySql(db: Kysely<unknown>): SqlDb {
  const runner = (executor: Pick<Kysely<unknown>, 'executeQuery'>): Sql => ({
    query: async <T,>(text: string, params: readonly unknown[] = []) => (await executor.executeQuery(CompiledQuery.raw(text, [...params]))).rows as T[],
  });
  return { ...runner(db), transaction: (fn) => db.transaction().execute((trx) => fn(runner(trx))) };
}

/**
 * Statements with bind parameters straight on the driver, for the hot paths: MikroORM's `execute` inlines every
 * value into the SQL text, so each batch of punches would be a new statement to parse and plan, and its text would
 * be built and sent character by character. Named statements are prepared once per connection (on PostgreSQL),
 * which saves their planning (about half a millisecond each for the punch statements) on every batch.
 * `transaction` runs `fn` in one transaction (READ COMMITTED) and rolls it back when `fn` throws.
 * @example await sqlOf(em).transaction((tx) => tx.query('select 1 where $1::int > 0', [1], 'probe'));
 */
export function sqlOf(em: Em): SqlDb {
  const connection = em.getConnection();
  let sql = sqls.get(connection);
  if (!sql) {
    sql = connection instanceof PostgreSqlConnection ? pgSql(connection) : kyselySql((connection as { getClient(): unknown }).getClient() as Kysely<unknown>);
    sqls.set(connection, sql);
  }
  return sql;
}
const sqls = new WeakMap<object, SqlDb>();

/** A json/jsonb column's value: PostgreSQL's driver parses it, PGlite (and a text cast) may hand it over as text. */
export const jsonValue = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));
