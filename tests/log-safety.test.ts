// A database error never puts the values of the statement that failed into a log line: not the row a constraint
// refused (MikroORM's "detail: Failing row contains (…)"), not the statement with its values inlined (PGlite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeError, statementShape } from '../src/infra/log-safety.ts';
import { createSoloDatabase, createTestHub, uid, type TestHub } from './utils.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Makes the database refuse a new employee called "Boom…" with a check constraint, then asks for one. */
async function provokeRefusedInsert(hub: TestHub) {
  await hub.em().execute(`alter table employees add constraint no_boom check (name not like 'Boom%')`);
  const admin = await hub.makeEmployee({ access: 'admin' });
  const email = `boom.${uid()}@example.com`;
  const res = await hub.request('POST', '/employees/', { token: admin.token, json: { name: `Boom ${uid()}`, email, password: 'Sturdy-Lamp-981' } });
  return { res, email };
}

function assertNoValues(lines: string[], email: string) {
  const failures = lines.filter((l) => l.includes('unhandled error'));
  expect(failures.length).toBe(1);
  const line = failures[0];
  expect(line).not.toMatch(/\$2[aby]\$/);
  expect(line).not.toContain(email);
  expect(line).not.toContain('Failing row');
  const entry = JSON.parse(line);
  // What the reader needs stays: the kind of error, its code and what was refused.
  expect(entry.err.code).toBe('23514');
  expect(entry.err.constraint).toBe('no_boom');
  expect(entry.err.message).toContain('violates check constraint "no_boom"');
  expect(entry.err.stack).toMatch(/\n\s+at /);
}

describe('database errors in the logs', () => {
  it('when PostgreSQL refuses a row holding a password hash, then the log line names the code and constraint but holds no value of the row', async () => {
    const db = await createSoloDatabase('logs');
    const hub = await createTestHub({ DATABASE_URL: db.url });
    try {
      const { res, email } = await provokeRefusedInsert(hub);
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal_error');
      assertNoValues(hub.log, email);
    } finally {
      await hub.close();
      await db.drop();
    }
  });

  it('when the embedded database refuses the same row, then neither the inlined statement nor the row reaches the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkin-logs-'));
    dirs.push(dir);
    const hub = await createTestHub({ DATABASE_URL: '', DATA_DIR: dir });
    try {
      await hub.orm.migrator.up();
      const { res, email } = await provokeRefusedInsert(hub);
      expect(res.status).toBe(500);
      assertNoValues(hub.log, email);
      const entry = JSON.parse(hub.log.find((l) => l.includes('unhandled error'))!);
      // The statement's shape is kept, without its values.
      expect(entry.err.statement).toMatch(/^insert into "?employees"? /);
      expect(entry.err.statement).not.toMatch(/@example\.com/);
    } finally {
      await hub.close();
    }
  }, 120_000);

  it('statementShape replaces string, dollar-quoted and number literals, and serializeError keeps names only', () => {
    expect(statementShape(`insert into t (a, b, c) values ('x''y', 42, -1.5e3) returning "id"`)).toBe('insert into t (a, b, c) values (?, ?, ?) returning "id"');
    expect(statementShape('select $q$secret$q$, t1.col from t1 where $1 = 2')).toBe('select ?, t1.col from t1 where $1 = ?');
    const error = Object.assign(new Error('invalid input syntax for type integer: "hunter2"'), { code: '22P02', severity: 'ERROR', detail: 'the value' });
    expect(serializeError(error)).toMatchObject({ type: 'Error', message: 'invalid input syntax for type integer: "?"', code: '22P02' });
    expect(JSON.stringify(serializeError(error))).not.toContain('hunter2');
    expect(JSON.stringify(serializeError(error))).not.toContain('the value');
  });
});
