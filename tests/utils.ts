// The test harness: the real app on the real test database, with factories for its data.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { Bus } from '../src/infra/bus.ts';
import { adminQuery, dbUrl } from '../harness/index.ts';
import { openDatabase } from '../src/database.ts';
import type { Access } from '../src/infra/context.ts';
import type { Em } from '../src/infra/db.ts';
import { GroupCommits } from '../src/infra/group-commit.ts';
import { createMemoryJobs } from '../src/infra/jobs/memory.ts';
import type { Delivery, JobName, JobResult } from '../src/infra/jobs/types.ts';
import { createLogger } from '../src/infra/logger.ts';
import { createSequencer } from '../src/infra/sequencer.ts';
import { jobHandlers } from '../src/jobs.ts';
import { createBudgets } from '../src/budgets.ts';
import { hashPassword, issueAccessToken } from '../src/modules/auth/index.ts';
import { testDatabaseUrl } from './env.ts';

export const TEST_SECRET = 'test-secret-key-that-is-long-enough-1234567890';
export const TEST_PASSWORD = 'Correct-Horse-42';

/** The intervals of a record written straight into the database by a fixture: one stay from its check-in (JSON). */
export const stayOf = (checkIn: string | null | undefined, checkOut?: string | null) =>
  JSON.stringify(checkIn ? [{ check_in_time: new Date(checkIn).toISOString(), check_out_time: checkOut ? new Date(checkOut).toISOString() : null }] : []);

/** A unique suffix, so each test's names, emails and badges never collide with another's. */
export const uid = () => randomUUID().slice(0, 8);

let passwordHash: Promise<string> | null = null;

/**
 * The test configuration: the local PostgreSQL test database, quiet logs, known secret. Tests punch in and out
 * milliseconds apart, so the double-scan window is off unless a test sets PUNCH_DEBOUNCE_SECONDS (the tests of that
 * rule run with the default).
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: testDatabaseUrl,
    SECRET_KEY: TEST_SECRET,
    DATA_DIR: '/tmp/checkin-hub-test',
    LOG_LEVEL: 'info',
    BCRYPT_COST: '10',
    PUNCH_DEBOUNCE_SECONDS: '0',
    ...env,
  });
}

export type Reply = { status: number; body: any; headers: Headers; text: string };

export type TeamRow = { team_id: number; team_name: string };
export type EmployeeRow = { employee_id: number; name: string; email: string; team_id: number | null; access: Access; badge_id: string | null };

/** Builds the real app (real ORM, real PostgreSQL) with test settings; `close()` when done. */
export async function createTestHub(env: Record<string, string> = {}) {
  const config = testConfig(env);
  const orm = await openDatabase(config);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const log = createLogger(config.logLevel, sink);
  const bus = new Bus();
  const sequencer = createSequencer(null, 'test:');
  const jobs = createMemoryJobs({ orm, config, log, sequencer, handlers: jobHandlers() });
  const app = createApp({
    config,
    orm,
    log,
    bus,
    jobs,
    budgets: createBudgets(config, null),
    commits: new GroupCommits(config),
    readiness: async () => {
      try {
        await orm.em.fork().execute('select 1');
        return { database: 'ok' };
      } catch {
        return { database: 'unavailable' };
      }
    },
  });

  const em = () => orm.em.fork() as Em;

  /** Sends a request through the app (no port). `json` and `form` set the body. */
  async function request(
    method: string,
    path: string,
    opts: { token?: string; json?: unknown; form?: Record<string, string>; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.body;
    if (opts.json !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed, headers: res.headers, text };
  }

  /**
   * Inserts a team. Its hours: `schedule_id`, or the simple week of `workday_start` / `grace_minutes` /
   * `working_weekdays` (a schedule the team owns: an eight-hour shift on each working weekday, as the API makes one).
   */
  async function makeTeam(
    fields: Partial<{
      team_name: string; workday_start: string; grace_minutes: number; working_weekdays: number[]; schedule_id: number | null;
      timezone: string | null; weekly_hours: number; missing_check_out: 'flag' | 'close_at_shift_end';
    }> = {},
  ) {
    const [row] = await em().execute<TeamRow[]>(
      `insert into teams (team_name, schedule_id, timezone, weekly_hours, missing_check_out, created_at, updated_at)
       values (?, ?, ?, ?, ?, now(), now()) returning team_id, team_name`,
      [fields.team_name ?? `Team ${uid()}`, fields.schedule_id ?? null, fields.timezone ?? null, fields.weekly_hours ?? 40, fields.missing_check_out ?? 'flag'],
    );
    if (fields.schedule_id === undefined) {
      const start = fields.workday_start ?? '09:00';
      const [h, m] = start.split(':').map(Number);
      const end = `${String((h + 8) % 24).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
      const shifts = (fields.working_weekdays ?? [1, 2, 3, 4, 5]).map((weekday) => ({ week: 1, weekday, start, end, break_minutes: 0 }));
      await em().execute(
        `with s as (
           insert into schedules (name, cycle_weeks, starts_on, grace_minutes, shifts, version, valid_from, owner_team_id, created_at, updated_at)
           values (?, 1, '2024-01-01', ?, ?::jsonb, 1, '1900-01-01', ?, now(), now()) returning *
         ), v as (
           insert into schedule_versions select schedule_id, version, valid_from, cycle_weeks, starts_on, grace_minutes, shifts, now() from s
         )
         update teams set schedule_id = (select schedule_id from s) where team_id = ?`,
        [`${row.team_name} hours`, fields.grace_minutes ?? 5, JSON.stringify(shifts), row.team_id, row.team_id],
      );
    }
    return row;
  }

  /** Inserts an employee (password TEST_PASSWORD) and returns it with a valid token. */
  async function makeEmployee(
    fields: Partial<{ name: string; email: string; team_id: number | null; access: Access; badge_id: string | null; active: boolean }> = {},
  ) {
    passwordHash ??= hashPassword(TEST_PASSWORD, 10);
    const id = uid();
    const [row] = await em().execute<EmployeeRow[]>(
      `insert into employees (name, email, team_id, role, access, password_hash, badge_id, active, created_at, updated_at)
       values (?, ?, ?, 'Developer', ?, ?, ?, ?, now(), now())
       returning employee_id, name, email, team_id, access, badge_id`,
      [
        fields.name ?? `Person ${id}`,
        (fields.email ?? `person.${id}@example.com`).toLowerCase(),
        fields.team_id ?? null,
        fields.access ?? 'employee',
        await passwordHash,
        // Stored normalised (trimmed, upper case), as the API stores badges.
        fields.badge_id === undefined ? `BADGE-${id}`.toUpperCase() : (fields.badge_id?.trim().toUpperCase() ?? null),
        fields.active ?? true,
      ],
    );
    const { token } = await issueAccessToken(config, row.employee_id, row.access);
    return { ...row, token };
  }

  /** A team with a manager, two employees and an admin (admins have no team). */
  async function makeOrg() {
    const team = await makeTeam();
    const manager = await makeEmployee({ team_id: team.team_id, access: 'manager' });
    const alice = await makeEmployee({ team_id: team.team_id });
    const bob = await makeEmployee({ team_id: team.team_id });
    const admin = await makeEmployee({ access: 'admin' });
    return { team, manager, alice, bob, admin };
  }

  /**
   * Runs a job as the queue would, once no other job is running, and gives its result with the deliveries it sent to
   * sockets meanwhile (every instance hears them: this is what its sockets would get).
   */
  async function runJob(name: JobName, data: Record<string, unknown>): Promise<JobResult & { deliveries: Delivery[] }> {
    for (let i = 0; i < 200 && Object.values(await jobs.counts()).some((n) => n > 0); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const deliveries: Delivery[] = [];
    const off = jobs.onDeliveries((sent) => deliveries.push(...sent));
    try {
      return { ...(await jobs.run(name, data)), deliveries };
    } finally {
      off();
    }
  }

  /** Rows of a table matching a where clause, straight from the database. */
  async function rows<T = Record<string, unknown>>(sql: string, params: unknown[] = []) {
    return em().execute<T[]>(sql, params);
  }

  return {
    app, orm, config, bus, jobs, sequencer, log: logLines, em, request, makeTeam, makeEmployee, makeOrg, rows, runJob,
    close: async () => {
      await jobs.close();
      await orm.close();
    },
  };
}

export type TestHub = Awaited<ReturnType<typeof createTestHub>>;

/**
 * A private, migrated database beside this run's, for tests that need whole-table truths (org-wide numbers,
 * whole-table checksums) that other test files writing in parallel would disturb. `drop()` when done.
 */
export async function createSoloDatabase(label = 'solo') {
  const name = `${new URL(testDatabaseUrl).pathname.slice(1)}_${label}_${uid()}`;
  await adminQuery(dbUrl(new URL(testDatabaseUrl), 'postgres'), `create database "${name}"`);
  const url = dbUrl(new URL(testDatabaseUrl), name);
  const migrator = await openDatabase(testConfig({ DATABASE_URL: url }), { migrate: true });
  await migrator.close();
  return { name, url, drop: async () => void (await adminQuery(dbUrl(new URL(testDatabaseUrl), 'postgres'), `drop database if exists "${name}" with (force)`)) };
}
