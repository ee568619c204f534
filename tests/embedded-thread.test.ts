// The embedded database (PGlite) runs in a thread of its own: a long statement holds only its own caller, never the
// hub's event loop (sockets, HTTP, timers), and it still behaves as one PostgreSQL session.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';
import { sqlOf, type Em } from '../src/infra/db.ts';
import { start } from '../src/main.ts';
import { TEST_SECRET } from './utils.ts';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkin-embedded-thread-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Counts this thread's timer turns until `work` settles. */
async function turnsDuring(work: Promise<unknown>) {
  let turns = 0;
  const timer = setInterval(() => turns++, 10);
  try {
    await work;
  } finally {
    clearInterval(timer);
  }
  return turns;
}

describe('embedded database thread', () => {
  it('when a statement runs for a second, then this thread keeps turning, and errors, transactions and the data on disk are as before', async () => {
    const dataDir = freshDir();
    const orm = await openDatabase({ database: null, dataDir, dbPoolMax: 1 });
    try {
      await orm.em.fork().execute('create table probe (id int primary key, note text)');
      // PGlite sleeping in this thread would give no timer turn at all until it returns.
      expect(await turnsDuring(orm.em.fork().execute('select pg_sleep(1)'))).toBeGreaterThan(0);

      // A database error keeps what the error handlers read.
      const sql = sqlOf(orm.em.fork() as Em);
      await sql.query('insert into probe values ($1, $2)', [1, 'kept']);
      const duplicate = await sql.query('insert into probe values ($1, $2)', [1, 'again']).catch((error: unknown) => error);
      expect(duplicate).toMatchObject({ code: '23505', constraint: 'probe_pkey' });

      // A transaction that throws is rolled back, and a statement from outside waits for it instead of joining it.
      let outsideSaw: number | null = null;
      const failing = sql.transaction(async (tx) => {
        await tx.query('insert into probe values ($1, $2)', [2, 'rolled back']);
        const outside = sql.query<{ n: number }>('select count(*)::int as n from probe').then(([row]) => (outsideSaw = row.n));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(outsideSaw).toBeNull();
        void outside;
        throw new Error('undo');
      });
      await expect(failing).rejects.toThrow('undo');
      await expect.poll(() => outsideSaw).toBe(1);
    } finally {
      await orm.close();
    }
    const reopened = await openDatabase({ database: null, dataDir, dbPoolMax: 1 });
    try {
      expect(await reopened.em.fork().execute('select id, note from probe')).toEqual([{ id: 1, note: 'kept' }]);
    } finally {
      await reopened.close();
    }
  }, 120_000);

  it('when a long statement runs in the embedded hub, then /healthz is answered before it ends', async () => {
    const config = loadConfig({
      DATA_DIR: freshDir(),
      PORT: '0',
      HOST: '127.0.0.1',
      SECRET_KEY: TEST_SECRET,
      SEED_DEMO: 'false',
      JOB_SCHEDULES: 'false',
      LOG_LEVEL: 'silent',
      ADMIN_PASSWORD: 'Embedded-Thread-2026',
    });
    const hub = await start(config);
    try {
      let slowDone = false;
      const slow = hub.orm.em.fork().execute('select pg_sleep(1.5)').then(() => (slowDone = true));
      await new Promise((resolve) => setTimeout(resolve, 100)); // the statement has reached the database
      const health = await fetch(`http://127.0.0.1:${hub.port}/healthz`);
      expect(health.status).toBe(200);
      expect(slowDone).toBe(false);
      await slow;
    } finally {
      await hub.stop('test');
    }
  }, 120_000);
});
