// Raw punches partitioned by month: the migration, where a punch lands, retries across months, the partition job
// (made ahead, idempotent, two at once), PUNCH_RETENTION_MONTHS, and the embedded database doing the same.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, dbUrl } from '../harness/index.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';
import { testDatabaseUrl } from './env.ts';
import { createSoloDatabase, createTestHub, testConfig, uid, type TestHub } from './utils.ts';

const DAY = 86_400_000;
const eventId = () => `evt-${randomUUID()}`;
/** The first instant of the UTC month of `at`, moved by `months`. */
const monthStart = (at: Date, months = 0) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
/** The partition a punch at `at` belongs in (`punches_y2026m12`). */
const partitionOf = (at: Date) => `punches_y${at.getUTCFullYear()}m${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
/** Noon UTC on the 10th of the month `months` away from now: well inside its month. */
const midMonth = (months: number) => new Date(monthStart(new Date(), months).getTime() + 9 * DAY + 12 * 3_600_000);

/** The partitions of `punches`, by name. */
const partitions = async (h: TestHub) =>
  (await h.rows<{ name: string }>(`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'punches'::regclass order by 1`)).map((r) => r.name);
/** Where each of these keys' punches is stored. */
const placed = async (h: TestHub, keys: string[]) =>
  h.rows<{ client_event_id: string; part: string }>(`select client_event_id, tableoid::regclass::text as part from punches where client_event_id in (?) order by occurred_at`, [keys]);

/** The attendance lookups of a person and their team: each list endpoint, one record, the CSV export. */
async function lookups(h: TestHub, token: string, employeeId: number, teamId: number) {
  const range = 'date_from=2000-01-01&date_to=2099-12-31';
  const list = (await h.request('GET', `/attendance/?employee_id=${employeeId}&${range}`, { token })).body as { record_id: number }[];
  return {
    list,
    employee: (await h.request('GET', `/attendance/employee/${employeeId}?${range}`, { token })).body,
    team: (await h.request('GET', `/attendance/team/${teamId}?${range}`, { token })).body,
    one: await Promise.all(list.map(async (r) => (await h.request('GET', `/attendance/${r.record_id}`, { token })).body)),
    csv: (await h.request('GET', `/attendance/export.csv?employee_id=${employeeId}&${range}`, { token })).text,
  };
}

/** A record of a past day and its two raw punches (with keys), written as a punch would have, long ago. */
async function pastDay(h: TestHub, employeeId: number, teamId: number, day: Date) {
  const date = day.toISOString().slice(0, 10);
  const [inAt, outAt] = [`${date}T09:00:00Z`, `${date}T17:00:00Z`];
  const [record] = await h.rows<{ record_id: number }>(
    `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, source, intervals, worked_minutes, last_punch_at, created_at, updated_at)
     values (?, ?, ?, 'Present', ?, ?, 'kiosk', ?::jsonb, 480, ?, now(), now()) returning record_id`,
    [employeeId, teamId, date, inAt, outAt, JSON.stringify([{ check_in_time: inAt, check_out_time: outAt }]), outAt],
  );
  const keys = [eventId(), eventId()];
  await h.rows(
    `with p as (
       insert into punches (employee_id, occurred_at, received_at, source, device, client_event_id, intent, action, record_id)
       values (?, ?, ?, 'kiosk', 'Door', ?, 'auto', 'check_in', ?), (?, ?, ?, 'kiosk', 'Door', ?, 'auto', 'check_out', ?)
       returning punch_id, occurred_at, employee_id, client_event_id)
     insert into punch_keys (client_event_id, punch_id, occurred_at, employee_id) select client_event_id, punch_id, occurred_at, employee_id from p`,
    [employeeId, inAt, inAt, keys[0], record.record_id, employeeId, outAt, outAt, keys[1], record.record_id],
  );
  return { record_id: record.record_id, keys };
}

describe('the migration to monthly partitions', () => {
  const base = new URL(testDatabaseUrl);
  const name = `${base.pathname.slice(1)}_partmig_${uid()}`;
  const url = dbUrl(base, name);
  afterAll(() => adminQuery(dbUrl(base, 'postgres'), `drop database if exists "${name}" with (force)`));

  it('when a database with punches is migrated, then punches is partitioned by month of occurred_at, every row is in its month, the keys are kept unique, and down() gives the plain table back', async () => {
    await adminQuery(dbUrl(base, 'postgres'), `create database "${name}"`);
    const orm = await openDatabase(testConfig({ DATABASE_URL: url }));
    const q = <T = Record<string, unknown>>(sql: string) => adminQuery(url, sql) as Promise<T[]>;
    try {
      await orm.migrator.up({ to: 'Migration20261205090000' });
      await q(`insert into employees (name, email, access, password_hash, created_at, updated_at) values ('Ann', 'ann@example.com', 'employee', 'x', now(), now())`);
      await q(`insert into attendance (employee_id, attendance_date, status, created_at, updated_at) values (1, '2025-03-03', 'Present', now(), now())`);
      await q(`insert into punches (employee_id, occurred_at, received_at, source, client_event_id, action, record_id, intent) values
                 (1, '2025-03-03T08:00:00Z', '2025-03-03T08:00:00Z', 'kiosk', 'k-march', 'check_in', 1, 'auto'),
                 (1, '2025-03-03T17:00:00Z', '2025-03-03T17:00:00Z', 'kiosk', null, 'check_out', 1, 'auto'),
                 (1, '2024-11-30T23:59:59.999Z', '2024-12-01T00:00:01Z', 'api', 'k-november', 'ignored', null, null),
                 (1, now(), now(), 'web', 'k-now', 'check_in', null, 'check_in')`);
      const before = await q(`select * from punches order by punch_id`);

      await orm.migrator.up();
      expect(await q(`select pt.partstrat, a.attname from pg_partitioned_table pt join pg_attribute a on a.attrelid = pt.partrelid and a.attnum = pt.partattrs[0]
                       where pt.partrelid = 'punches'::regclass`)).toEqual([{ partstrat: 'r', attname: 'occurred_at' }]);
      const names = (await q<{ name: string }>(`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'punches'::regclass`)).map((r) => r.name);
      const now = new Date();
      for (const month of ['punches_y2024m11', 'punches_y2025m03', 'punches_default', ...[-1, 0, 1, 2, 3].map((m) => partitionOf(monthStart(now, m)))]) expect(names).toContain(month);
      // Every row as it was, each in the partition of its month (the last instant of November stays in November).
      expect(await q(`select * from punches order by punch_id`)).toEqual(before);
      expect(await q(`select client_event_id, tableoid::regclass::text as part from punches where client_event_id is not null order by punch_id`)).toEqual([
        { client_event_id: 'k-march', part: 'punches_y2025m03' },
        { client_event_id: 'k-november', part: 'punches_y2024m11' },
        { client_event_id: 'k-now', part: partitionOf(now) },
      ]);
      expect(await q(`select count(*)::int as n from punches_default`)).toEqual([{ n: 0 }]);
      // The keys, with their punches' whole primary key; still unique whatever the time.
      expect(await q(`select k.client_event_id from punch_keys k join punches p on p.punch_id = k.punch_id and p.occurred_at = k.occurred_at order by 1`)).toEqual([
        { client_event_id: 'k-march' }, { client_event_id: 'k-november' }, { client_event_id: 'k-now' },
      ]);
      await expect(q(`insert into punch_keys values ('k-march', 999, '2027-01-01T00:00:00Z', 1)`)).rejects.toThrow(/punch_keys_pkey/);
      // The constraints and indexes of the plain table, on every partition.
      const constraints = (await q<{ conname: string }>(`select conname from pg_constraint where conrelid = 'punches'::regclass order by 1`)).map((r) => r.conname);
      expect(constraints).toEqual(['punches_action_check', 'punches_employee_id_foreign', 'punches_intent_check', 'punches_pkey', 'punches_record_id_foreign', 'punches_source_check']);
      await expect(q(`insert into punches (employee_id, occurred_at, received_at, source, action) values (1, '2025-03-04T08:00:00Z', now(), 'fax', 'check_in')`)).rejects.toThrow(/punches_source_check/);
      await expect(q(`insert into punches (employee_id, occurred_at, received_at, source, action) values (999, '2025-03-04T08:00:00Z', now(), 'kiosk', 'check_in')`)).rejects.toThrow(/punches_employee_id_foreign/);
      expect(await q(`select count(*)::int as n from pg_indexes where tablename = 'punches_y2025m03'`)).toEqual([{ n: 2 }]);
      // New punches take the next ids of the same sequence.
      expect(Number((await q<{ id: string }>(`select nextval(pg_get_serial_sequence('punches', 'punch_id')) as id`))[0].id)).toBeGreaterThan(4);

      await orm.migrator.down();
      expect(await q(`select relkind from pg_class where relname = 'punches'`)).toEqual([{ relkind: 'r' }]);
      expect(await q(`select * from punches order by punch_id`)).toEqual(before);
      expect(await q(`select to_regclass('punch_keys') as t`)).toEqual([{ t: null }]);
      expect((await q<{ conname: string }>(`select conname from pg_constraint where conrelid = 'punches'::regclass order by 1`)).map((r) => r.conname)).toContain('punches_client_event_id_unique');
      await orm.migrator.up();
      expect(await q(`select count(*)::int as n from punch_keys`)).toEqual([{ n: 3 }]);
    } finally {
      await orm.close();
    }
  });
});

describe('punches in monthly partitions', () => {
  let db: Awaited<ReturnType<typeof createSoloDatabase>>;
  let hub: TestHub;
  let other: TestHub;
  beforeAll(async () => {
    db = await createSoloDatabase('parts');
    // Punches as old as 60 days are accepted here, so that one punch and its retry can claim different months.
    hub = await createTestHub({ DATABASE_URL: db.url, PUNCH_MAX_AGE_HOURS: '1440' });
    other = await createTestHub({ DATABASE_URL: db.url, PUNCH_MAX_AGE_HOURS: '1440' });
  });
  afterAll(async () => {
    await hub?.close();
    await other?.close();
    await db?.drop();
  });

  it('when a punch is made, then it lands in the partition of its month, and its key in punch_keys', async () => {
    const team = await hub.makeTeam();
    const person = await hub.makeEmployee({ team_id: team.team_id });
    const admin = await hub.makeEmployee({ access: 'admin' });
    await hub.runJob('attendance:partition-punches', {});
    const earlier = new Date(Date.now() - 40 * DAY);
    const [now, past] = [eventId(), eventId()];
    expect((await hub.request('POST', '/attendance/check-in', { token: admin.token, json: { employee_id: person.employee_id, occurred_at: earlier.toISOString(), client_event_id: past } })).status).toBe(200);
    expect((await hub.request('POST', '/attendance/check-in', { token: person.token, json: { employee_id: person.employee_id, client_event_id: now } })).status).toBe(200);
    expect(await placed(hub, [past, now])).toEqual([
      { client_event_id: past, part: partitionOf(earlier) },
      { client_event_id: now, part: partitionOf(new Date()) },
    ]);
    expect(await hub.rows(`select client_event_id from punch_keys where client_event_id in (?) order by occurred_at`, [[past, now]])).toEqual([{ client_event_id: past }, { client_event_id: now }]);
  });

  it('when an event is sent again with a time in another month, then the first result comes back with duplicate: true and no second punch is stored in either partition', async () => {
    const team = await hub.makeTeam();
    const person = await hub.makeEmployee({ team_id: team.team_id });
    const admin = await hub.makeEmployee({ access: 'admin' });
    const key = eventId();
    const first = new Date(Date.now() - 40 * DAY);
    const punch = (at: Date, h = hub) => h.request('POST', '/attendance/check-in', { token: admin.token, json: { employee_id: person.employee_id, occurred_at: at.toISOString(), client_event_id: key } });
    const one = await punch(first);
    expect(one.status).toBe(200);
    expect(one.body.duplicate).toBe(false);
    const again = await punch(new Date());
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...one.body, duplicate: true });
    // The same event from two hubs at once, each with yet another time: still the first result, nothing written.
    const racing = await Promise.all([punch(new Date(Date.now() - 10 * DAY)), punch(new Date(Date.now() - 20 * DAY), other), punch(new Date(Date.now() - 50 * DAY), other)]);
    expect(racing.map((r) => [r.status, r.body.duplicate, r.body.record.record_id])).toEqual(Array(3).fill([200, true, one.body.record.record_id]));
    expect(await placed(hub, [key])).toEqual([{ client_event_id: key, part: partitionOf(first) }]);
    expect(await hub.rows(`select count(*)::int as n from punches where employee_id = ?`, [person.employee_id])).toEqual([{ n: 1 }]);
    expect(await hub.rows(`select count(*)::int as n from attendance where employee_id = ?`, [person.employee_id])).toEqual([{ n: 1 }]);
  });

  it('when new events with different keys race across months, then each is stored once, in its own month', async () => {
    const team = await hub.makeTeam();
    const people = await Promise.all(Array.from({ length: 6 }, () => hub.makeEmployee({ team_id: team.team_id })));
    const admin = await hub.makeEmployee({ access: 'admin' });
    const sends = people.flatMap((p, i) => {
      const body = { employee_id: p.employee_id, occurred_at: new Date(Date.now() - (i % 2 ? 45 : 1) * DAY).toISOString(), client_event_id: eventId() };
      // Every event twice, from two hubs at once.
      return [hub, other].map((h) => h.request('POST', '/attendance/check-in', { token: admin.token, json: body }).then((r) => ({ r, body })));
    });
    const replies = await Promise.all(sends);
    expect(replies.every(({ r }) => r.status === 200)).toBe(true);
    expect(replies.filter(({ r }) => r.body.duplicate === false)).toHaveLength(people.length);
    const keys = [...new Set(replies.map(({ body }) => body.client_event_id))];
    const rows = await placed(hub, keys);
    expect(rows).toHaveLength(people.length);
    for (const { body } of replies) expect(rows.find((r) => r.client_event_id === body.client_event_id)?.part).toBe(partitionOf(new Date(body.occurred_at)));
  });

  it('when the partition job runs, then it makes the coming months’ partitions and moves what the default partition took into its month; run again, or twice at once, it does nothing more', async () => {
    const person = await hub.makeEmployee();
    const ahead = [1, 2, 3].map((m) => partitionOf(monthStart(new Date(), m)));
    // Months pass: the partitions ahead are not there yet, and a punch far ahead went to the default partition.
    for (const name of ahead) await hub.rows(`drop table if exists "${name}"`);
    const stray = midMonth(7);
    await hub.rows(`insert into punches (employee_id, occurred_at, received_at, source, action) values (?, ?, now(), 'api', 'check_in')`, [person.employee_id, stray.toISOString()]);
    expect((await hub.rows<{ part: string }>(`select tableoid::regclass::text as part from punches where employee_id = ?`, [person.employee_id]))[0].part).toBe('punches_default');

    const run = await hub.runJob('attendance:partition-punches', {});
    expect(run).toMatchObject({ created: [...ahead, partitionOf(stray)], adopted: 1, dropped: [], pruned_keys: 0 });
    expect(await partitions(hub)).toEqual(expect.arrayContaining([...ahead, partitionOf(stray), 'punches_default']));
    expect((await hub.rows<{ part: string }>(`select tableoid::regclass::text as part from punches where employee_id = ?`, [person.employee_id]))[0].part).toBe(partitionOf(stray));
    // A partition made by the job is like the others: its indexes and constraints are the table's.
    expect((await hub.rows<{ n: number }>(`select count(*)::int as n from pg_indexes where tablename = ?`, [ahead[2]]))[0].n).toBe(2);
    await expect(hub.rows(`insert into punches (employee_id, occurred_at, received_at, source, action) values (?, ?, now(), 'fax', 'check_in')`, [person.employee_id, midMonth(3).toISOString()])).rejects.toThrow(/punches_source_check/);

    expect(await hub.runJob('attendance:partition-punches', {})).toMatchObject({ created: [], adopted: 0, dropped: [] });
    // Two processes at once: one makes the partitions, the other finds them made.
    for (const name of ahead.slice(1)) await hub.rows(`drop table "${name}"`);
    const both = await Promise.all([hub.runJob('attendance:partition-punches', {}), other.runJob('attendance:partition-punches', {})]);
    expect(both.flatMap((r) => r.created as string[]).sort()).toEqual(ahead.slice(1));
    expect(await partitions(hub)).toEqual(expect.arrayContaining(ahead));
  });
});

describe('PUNCH_RETENTION_MONTHS', () => {
  let db: Awaited<ReturnType<typeof createSoloDatabase>>;
  let keeper: TestHub;
  let hub: TestHub;
  beforeAll(async () => {
    db = await createSoloDatabase('retain');
    keeper = await createTestHub({ DATABASE_URL: db.url });
    hub = await createTestHub({ DATABASE_URL: db.url, PUNCH_RETENTION_MONTHS: '2' });
  });
  afterAll(async () => {
    await keeper?.close();
    await hub?.close();
    await db?.drop();
  });

  it('when months of punches are older than the retention, then their partitions are dropped whole with their keys, and the attendance records, the recent punches and every attendance lookup stay as they were', async () => {
    const team = await hub.makeTeam();
    const person = await hub.makeEmployee({ team_id: team.team_id });
    const manager = await hub.makeEmployee({ team_id: team.team_id, access: 'manager' });
    const admin = await hub.makeEmployee({ access: 'admin' });
    const old = [midMonth(-6), midMonth(-3)];
    const days = [];
    for (const day of old) days.push(await pastDay(hub, person.employee_id, team.team_id, day));
    // Without retention, the job gives the old months their partitions.
    expect((await keeper.runJob('attendance:partition-punches', {})).created).toEqual(old.map(partitionOf));
    const recent = eventId();
    const punched = await hub.request('POST', '/attendance/check-in', { token: person.token, json: { employee_id: person.employee_id, client_event_id: recent } });
    expect(punched.status).toBe(200);
    // A stray from before the retention in the default partition goes too.
    await hub.rows(`insert into punches (employee_id, occurred_at, received_at, source, action) values (?, ?, now(), 'api', 'check_in')`, [person.employee_id, midMonth(-9).toISOString()]);
    const before = await lookups(hub, admin.token, person.employee_id, team.team_id);
    const managerBefore = await lookups(hub, manager.token, person.employee_id, team.team_id);
    expect(before.list).toHaveLength(3);

    const run = await hub.runJob('attendance:partition-punches', {});
    expect(run).toMatchObject({ dropped: old.map(partitionOf), pruned_keys: 4 });
    const left = await partitions(hub);
    for (const day of old) expect(left).not.toContain(partitionOf(day));
    expect(await hub.rows(`select tableoid::regclass::text as part, client_event_id from punches where employee_id = ?`, [person.employee_id])).toEqual([
      { part: partitionOf(new Date()), client_event_id: recent },
    ]);
    expect(await hub.rows(`select count(*)::int as n from punch_keys where client_event_id in (?)`, [days.flatMap((d) => d.keys)])).toEqual([{ n: 0 }]);
    // The records of those months stay, and every lookup answers as before.
    expect(await hub.rows(`select count(*)::int as n from attendance where record_id in (?)`, [days.map((d) => d.record_id)])).toEqual([{ n: 2 }]);
    expect(await lookups(hub, admin.token, person.employee_id, team.team_id)).toEqual(before);
    expect(await lookups(hub, manager.token, person.employee_id, team.team_id)).toEqual(managerBefore);
    // The recent punch is still recognised when retried, and new punches go on.
    const retry = await hub.request('POST', '/attendance/check-in', { token: person.token, json: { employee_id: person.employee_id, client_event_id: recent } });
    expect(retry.body).toEqual({ ...punched.body, duplicate: true });
    expect((await hub.request('POST', '/attendance/check-out', { token: person.token, json: { employee_id: person.employee_id, client_event_id: eventId() } })).status).toBe(200);
    // Run again: nothing left to drop.
    expect(await hub.runJob('attendance:partition-punches', {})).toMatchObject({ created: [], dropped: [], pruned_keys: 0 });
  });

  it('when PUNCH_RETENTION_MONTHS would drop punches PUNCH_MAX_AGE_HOURS still accepts, then the configuration is refused naming it; unset, everything is kept', () => {
    const env = { DATABASE_URL: 'postgres://x@127.0.0.1/x', SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp/checkin-hub-test' };
    expect(() => loadConfig({ ...env, PUNCH_MAX_AGE_HOURS: '2160', PUNCH_RETENTION_MONTHS: '3' })).toThrow(/PUNCH_RETENTION_MONTHS/);
    expect(loadConfig({ ...env, PUNCH_MAX_AGE_HOURS: '2160', PUNCH_RETENTION_MONTHS: '4' }).punch.retentionMonths).toBe(4);
    expect(() => loadConfig({ ...env, PUNCH_RETENTION_MONTHS: '-1' })).toThrow(/PUNCH_RETENTION_MONTHS/);
    expect(loadConfig(env).punch.retentionMonths).toBe(0);
  });
});

describe('monthly partitions on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'checkin-partitions-'));
  let hub: TestHub;
  beforeAll(async () => {
    const orm = await openDatabase({ database: null, dataDir, dbPoolMax: 1 }, { migrate: true });
    await orm.close();
    hub = await createTestHub({ DATABASE_URL: '', DATA_DIR: dataDir, PUNCH_RETENTION_MONTHS: '2' });
  }, 180_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when PGlite runs the migrations, the punches, the partition job and the retention, then it behaves as PostgreSQL does', async () => {
    expect(hub.config.database).toBeNull();
    expect(await hub.rows(`select partstrat from pg_partitioned_table where partrelid = 'punches'::regclass`)).toEqual([{ partstrat: 'r' }]);
    const team = await hub.makeTeam();
    const person = await hub.makeEmployee({ team_id: team.team_id });
    const admin = await hub.makeEmployee({ access: 'admin' });
    const key = eventId();
    const first = await hub.request('POST', '/attendance/check-in', { token: person.token, json: { employee_id: person.employee_id, client_event_id: key } });
    expect(first.status).toBe(200);
    const retry = await hub.request('POST', '/attendance/check-in', { token: admin.token, json: { employee_id: person.employee_id, occurred_at: new Date(Date.now() - 5 * DAY).toISOString(), client_event_id: key } });
    expect(retry.body).toEqual({ ...first.body, duplicate: true });
    expect(await placed(hub, [key])).toEqual([{ client_event_id: key, part: partitionOf(new Date()) }]);

    // A month that had punches when it was migrated, and a punch far ahead that went to the default partition.
    const [past, ahead] = [midMonth(-5), midMonth(7)];
    await hub.rows(`create table "${partitionOf(past)}" partition of punches for values from ('${monthStart(past).toISOString()}') to ('${monthStart(past, 1).toISOString()}')`);
    const old = await pastDay(hub, person.employee_id, team.team_id, past);
    await hub.rows(`insert into punches (employee_id, occurred_at, received_at, source, action) values (?, ?, now(), 'api', 'check_in')`, [person.employee_id, ahead.toISOString()]);
    expect((await placed(hub, old.keys)).map((r) => r.part)).toEqual([partitionOf(past), partitionOf(past)]);
    const before = await lookups(hub, admin.token, person.employee_id, team.team_id);

    const run = await hub.runJob('attendance:partition-punches', {});
    expect(run).toMatchObject({ created: [partitionOf(ahead)], adopted: 1, dropped: [partitionOf(past)], pruned_keys: 2 });
    expect(await hub.rows(`select tableoid::regclass::text as part from punches where employee_id = ? order by occurred_at`, [person.employee_id])).toEqual([
      { part: partitionOf(new Date()) }, { part: partitionOf(ahead) },
    ]);
    expect(await hub.rows(`select client_event_id from punch_keys where employee_id = ?`, [person.employee_id])).toEqual([{ client_event_id: key }]);
    expect(await lookups(hub, admin.token, person.employee_id, team.team_id)).toEqual(before);
    expect(await hub.runJob('attendance:partition-punches', {})).toMatchObject({ created: [], adopted: 0, dropped: [], pruned_keys: 0 });
  });
});
