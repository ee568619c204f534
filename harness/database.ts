// PostgreSQL housekeeping: statements on their own connection, scratch databases dropped at the end, retries while the
// server restarts (the machine is shared).
import pg from 'pg';
import { checkNotFinishing, onCleanup, progress, sleep, withTimeout } from './run.ts';

/** `base` (any database URL of the server) pointing at database `name`. */
export const dbUrl = (base: URL, name: string) => {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
};

/** One statement on its own connection (bounded to `timeoutMs`, default 60 s). */
export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: URL | string,
  sql: string,
  params: unknown[] = [],
  timeoutMs = 60_000,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a server restarting under the statement: the query itself rejects
  await client.connect();
  try {
    return (await withTimeout(client.query<T>(sql, params), timeoutMs, sql.slice(0, 200))).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * True for errors that mean PostgreSQL is (re)starting or went away rather than a bad statement: the machine is shared,
 * and other work may restart the server (admin shutdown, crash recovery, refused connections).
 */
export function transientPgError(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    ['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(e?.code ?? '') ||
    /shutting down|starting up|in recovery mode|Connection terminated|ECONNREFUSED|ECONNRESET|terminating connection|57P0[123]/i.test(e?.message ?? '')
  );
}

/** Runs `fn` again (every second) while it fails with a transient PostgreSQL error, for up to `forMs`. */
export async function retryTransient<T>(fn: () => Promise<T>, forMs: number, what: string): Promise<T> {
  const until = Date.now() + forMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!transientPgError(error) || Date.now() > until) throw error;
      progress(`${what}: PostgreSQL unavailable (${(error as Error).message.split('\n')[0]}); retrying`);
      await sleep(1000);
    }
  }
}

/** Creates a scratch database (dropping any of that name first) and registers its drop. */
export async function scratchDatabase(base: URL, name: string) {
  checkNotFinishing();
  await adminQuery(base, `drop database if exists "${name}" with (force)`);
  await adminQuery(base, `create database "${name}"`);
  const drop = onCleanup(`drop database ${name}`, async () => {
    await retryTransient(() => adminQuery(base, `drop database if exists "${name}" with (force)`), 25_000, `drop database ${name}`);
    progress(`dropped database ${name}`);
  });
  return { url: dbUrl(base, name), drop };
}
