// The worker as its own process (`npm run worker`) beside two API processes, all sharing the test PostgreSQL and Redis.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBullJobs } from '../src/infra/jobs/bullmq.ts';
import type { JobResult, Jobs } from '../src/infra/jobs/types.ts';
import { createLogger } from '../src/infra/logger.ts';
import { createRedis } from '../src/infra/redis.ts';
import { testDatabaseUrl } from './env.ts';
import { spawnHub, spawnWorker, type HubChild as HubProcess, type WorkerChild as WorkerProcess } from '../harness/index.ts';
import { collect, http, nextEvent, openSocket, sleep, waitFor, type Client } from './socket-utils.ts';
import { createTestHub, stayOf, TEST_SECRET, uid, type TestHub } from './utils.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** The recompute runs this long after a team's first change; 30 punches take ~0.5 s here, so a burst fits well inside. */
const DEBOUNCE_MS = 2000;
const PREFIX = `test:${uid()}:`;
const ALL_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

const baseEnv = (prefix: string) => ({
  DATABASE_URL: testDatabaseUrl,
  REDIS_URL,
  REDIS_PREFIX: prefix,
  SECRET_KEY: TEST_SECRET,
  MIGRATE_ON_START: 'false',
  DATA_DIR: '/tmp/checkin-hub-test',
  SUMMARY_DEBOUNCE_MS: String(DEBOUNCE_MS),
  // No recurring jobs: a refresh of every team (this file's or another's) must not fall into a test's window.
  JOB_SCHEDULES: 'false',
});

let a: HubProcess;
let b: HubProcess;
let worker: WorkerProcess;
let hub: TestHub;
const extraWorkers: WorkerProcess[] = [];
const sockets: Client[] = [];
const track = (s: Client) => (sockets.push(s), s);

type LogEntry = { msg?: string; job?: string; job_id?: string; ms?: number; [key: string]: unknown };

/** The JSON log lines a process has written so far. */
function entries(logs: string[]): LogEntry[] {
  return logs
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogEntry);
}

const jobsDone = (logs: string[], since = 0, name = 'summaries:recompute') =>
  entries(logs).slice(since).filter((e) => e.msg === 'job done' && e.job === name);


/** Resolves with the exit code once the child has exited, or fails after `ms`. */
function exitOf(child: WorkerProcess['child'], ms: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not exit within ${ms} ms`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Stops a child within a bound, killing it if it does not go. */
async function stopWithin<T extends { child: WorkerProcess['child']; stop: () => Promise<number | null> }>(p: T | undefined, ms = 20_000) {
  if (!p) return;
  await Promise.race([p.stop(), sleep(ms)]);
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

/** Removes every Redis key under a prefix (queues, schedulers, socket streams). */
async function clearRedisPrefix(prefix: string) {
  const redis = createRedis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit().catch(() => undefined);
  }
}

beforeAll(async () => {
  hub = await createTestHub();
  const env = baseEnv(PREFIX);
  [worker, a, b] = await Promise.all([spawnWorker(env), spawnHub(env), spawnHub(env)]);
}, 90_000);
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all([stopWithin(worker), stopWithin(a), stopWithin(b), ...extraWorkers.map((w) => stopWithin(w))]);
  await hub?.close();
  await clearRedisPrefix(PREFIX);
}, 60_000);

async function kioskOn(on: HubProcess, adminToken: string) {
  const res = await http(on.url, 'POST', '/kiosks/', { token: adminToken, json: { name: `Door ${uid()}` } });
  expect(res.status).toBe(201);
  return res.body as { kiosk_id: number; token: string };
}

/** A team working every day (so "today" always counts), its manager, and `size` employees with badges. */
async function teamWith(size: number) {
  const team = await hub.makeTeam({ working_weekdays: ALL_WEEKDAYS });
  const manager = await hub.makeEmployee({ team_id: team.team_id, access: 'manager' });
  const members = await Promise.all(Array.from({ length: size }, () => hub.makeEmployee({ team_id: team.team_id })));
  return { team, manager, members };
}

describe('the worker process beside two API processes', () => {
  it('when a kiosk on instance A punches 30 employees of a team in a burst, then a board and an admin on instance B each get one summary:updated, and the worker ran one recompute', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const { team, manager, members } = await teamWith(30);
    const kiosk = track(await openSocket(a.url, (await kioskOn(a, admin.token)).token));
    const board = track(await openSocket(b.url, manager.token));
    const adminSocket = track(await openSocket(b.url, admin.token));
    expect((await board.emitWithAck('board:join', { team_id: team.team_id })).ok).toBe(true);
    const onBoard = collect(board, 'summary:updated');
    const onAdmin = collect(adminSocket, 'summary:updated');
    const ours = <T extends { team_id: number | null }>(list: T[]) => list.filter((s) => s.team_id === team.team_id);

    const mark = entries(worker.logs).length;
    const started = Date.now();
    const acks = await Promise.all(
      members.map((m) => kiosk.emitWithAck('attendance:check', { badge_id: m.badge_id!, client_event_id: `burst-${uid()}` })),
    );
    const burstMs = Date.now() - started;
    expect(acks.filter((x) => x.ok && x.action === 'check_in')).toHaveLength(30);
    // The recompute is delayed by SUMMARY_DEBOUNCE_MS from the first punch; a longer burst would rightly get a second one.
    expect(burstMs).toBeLessThan(DEBOUNCE_MS);

    await waitFor('summary:updated on the board and the admin socket', () => ours(onBoard).length > 0 && ours(onAdmin).length > 0, 15_000);
    await sleep(2500);
    expect(ours(onBoard)).toHaveLength(1);
    expect(ours(onAdmin)).toHaveLength(1);
    const [pushed] = ours(onBoard);
    expect(ours(onAdmin)[0]).toEqual(pushed);
    expect(pushed.today).toMatchObject({ expected: 31, present: 30, not_in_yet: 1 });

    const stored = await http(b.url, 'GET', `/summarize_attendance/?team_id=${team.team_id}`, { token: admin.token });
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual(pushed);
    expect(stored.body.today.present).toBe(30);

    const done = jobsDone(worker.logs, mark);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ job_id: expect.any(String), ms: expect.any(Number) });
  }, 60_000);

  it('when a team’s summary changes, then an employee of another team and that team’s manager on instance A are not told', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const changing = await teamWith(1);
    const other = await teamWith(1);
    const kiosk = track(await openSocket(a.url, (await kioskOn(a, admin.token)).token));
    const changingBoard = track(await openSocket(a.url, changing.manager.token));
    const otherBoard = track(await openSocket(a.url, other.manager.token));
    const otherEmployee = track(await openSocket(a.url, other.members[0].token));
    expect((await changingBoard.emitWithAck('board:join', { team_id: changing.team.team_id })).ok).toBe(true);
    expect((await otherBoard.emitWithAck('board:join', { team_id: other.team.team_id })).ok).toBe(true);
    const toOtherBoard = collect(otherBoard, 'summary:updated');
    const toOtherEmployee = collect(otherEmployee, 'summary:updated');
    const pushed = nextEvent(changingBoard, 'summary:updated', 15_000);

    const ack = await kiosk.emitWithAck('attendance:check', { badge_id: changing.members[0].badge_id!, client_event_id: `one-${uid()}` });
    expect(ack.ok).toBe(true);
    expect((await pushed).team_id).toBe(changing.team.team_id);
    await sleep(1500);
    expect(toOtherBoard.filter((s) => s.team_id !== other.team.team_id)).toEqual([]);
    expect(toOtherEmployee).toEqual([]);
  });

  it('when an admin closes a past day on instance A, then absences are recorded, a board on instance B hears of them and of the missing check-out, and a second run changes nothing', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    // A long-past day no other test file writes to: closing a day touches every team's records of that day.
    const day = '2024-05-15';
    const { team, manager, members } = await teamWith(5);
    const [forgot, full, onLeave, absent1, absent2] = members;
    // Members since before the day (the manager joined today, so is not expected that day).
    await hub.rows(`update employees set created_at = ?::date - interval '1 day' + interval '12 hours' where team_id = ? and access = 'employee'`, [day, team.team_id]);
    const insert = (employeeId: number, status: string, checkIn: string | null, checkOut: string | null) =>
      hub.rows<{ record_id: number }>(
        `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, intervals, source, created_at, updated_at)
         values (?, ?, ?::date, ?, ?::timestamptz, ?::timestamptz, ?::jsonb, 'api', now(), now()) returning record_id`,
        [employeeId, team.team_id, day, status, checkIn, checkOut, stayOf(checkIn, checkOut)],
      );
    const [forgotRecord] = await insert(forgot.employee_id, 'Present', `${day}T08:55:00Z`, null);
    await insert(full.employee_id, 'Present', `${day}T08:50:00Z`, `${day}T17:00:00Z`);
    await insert(onLeave.employee_id, 'On Leave', null, null);

    const board = track(await openSocket(b.url, manager.token));
    const snapshot = await board.emitWithAck('board:join', { team_id: team.team_id });
    if (!snapshot.ok) throw new Error('join failed');
    const changes = collect(board, 'attendance:changed');
    const flagged = collect(board, 'attendance:missing_check_out');

    const first = await http(a.url, 'POST', '/attendance/end-of-day', { token: admin.token, json: { date: day } });
    expect(first).toEqual({ status: 200, body: { days: [{ date: day, absent: 2, missing_check_out: 1, auto_closed: 0 }] } });

    const records = () =>
      hub.rows<{ employee_id: number; status: string; source: string; missing_check_out: boolean; notes: string | null; updated_at: Date }>(
        `select employee_id, status, source, missing_check_out, notes, updated_at from attendance
          where team_id = ? and attendance_date = ?::date order by employee_id`,
        [team.team_id, day],
      );
    const after = await records();
    const byEmployee = new Map(after.map((r) => [r.employee_id, r]));
    expect(after).toHaveLength(5);
    for (const e of [absent1, absent2]) expect(byEmployee.get(e.employee_id)).toMatchObject({ status: 'Absent', source: 'system', missing_check_out: false });
    expect(byEmployee.get(forgot.employee_id)).toMatchObject({ status: 'Present', missing_check_out: true, notes: 'Missing check-out' });
    expect(byEmployee.get(full.employee_id)).toMatchObject({ status: 'Present', missing_check_out: false });
    expect(byEmployee.get(onLeave.employee_id)).toMatchObject({ status: 'On Leave', missing_check_out: false });
    expect([...byEmployee.keys()]).not.toContain(manager.employee_id);

    await waitFor('the day-close events on the board', () => changes.length >= 3 && flagged.length >= 1, 10_000);
    await sleep(500);
    expect(changes).toHaveLength(3);
    const created = changes.filter((c) => c.action === 'created');
    expect(created.map((c) => c.employee.employee_id).sort()).toEqual([absent1.employee_id, absent2.employee_id].sort());
    for (const c of created) expect(c.record).toMatchObject({ status: 'Absent', attendance_date: day, team_id: team.team_id });
    expect(changes.filter((c) => c.action === 'updated')).toEqual([
      expect.objectContaining({ team_id: team.team_id, record: expect.objectContaining({ record_id: forgotRecord.record_id, missing_check_out: true }) }),
    ]);
    // Numbered after the board's snapshot, whichever process numbered them.
    expect(changes.map((c) => c.seq).sort((x, y) => x - y)).toEqual([snapshot.seq + 1, snapshot.seq + 2, snapshot.seq + 3]);
    expect(flagged).toEqual([
      {
        team_id: team.team_id,
        date: day,
        records: [{ record_id: forgotRecord.record_id, employee_id: forgot.employee_id, name: forgot.name, check_in_time: expect.any(String) }],
      },
    ]);

    const again = await http(a.url, 'POST', '/attendance/end-of-day', { token: admin.token, json: { date: day } });
    expect(again).toEqual({ status: 200, body: { days: [{ date: day, absent: 0, missing_check_out: 0, auto_closed: 0 }] } });
    await sleep(1000);
    expect(changes).toHaveLength(3);
    expect(flagged).toHaveLength(1);
    expect(await records()).toEqual(after);
  });

  it('when a worker is killed in the middle of closing a day, then another worker picks the job up and the day is closed exactly once', async () => {
    const prefix = `test:${uid()}:`;
    const env = { ...baseEnv(prefix), WORKER_LOCK_SECONDS: '2' };
    const producer: Jobs = createBullJobs({ url: REDIS_URL, prefix }, createLogger('silent'));
    const locker = new pg.Client({ connectionString: testDatabaseUrl });
    await locker.connect();
    try {
      const doomed = await spawnWorker(env);
      extraWorkers.push(doomed);
      // A past date of its own, a team working every day, and three members who joined before it.
      const day = `2013-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`;
      const team = await hub.makeTeam({ working_weekdays: ALL_WEEKDAYS });
      const members = await Promise.all([1, 2, 3].map(() => hub.makeEmployee({ team_id: team.team_id })));
      await hub.rows(`update employees set created_at = '2010-01-01' where team_id = ?`, [team.team_id]);
      // Hold one member's record for that day uncommitted: the job's insert waits on it, mid-transaction.
      await locker.query('begin');
      await locker.query(
        `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at) values ($1, $2, $3, 'On Leave', 'api', now(), now())`,
        [members[0].employee_id, team.team_id, day],
      );
      const lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
      const running = producer.run('attendance:end-of-day', { date: day }, 60_000);
      await waitFor(
        'the job to wait on the held record',
        async () => (await locker.query('select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [lockerPid])).rowCount,
        15_000,
      );
      doomed.child.kill('SIGKILL');
      await exitOf(doomed.child, 5_000);
      // The held record commits (a leave), then a second worker finds the stalled job and runs it again.
      await locker.query('commit');
      const rescuer = await spawnWorker(env);
      extraWorkers.push(rescuer);
      const result: JobResult = await running;
      expect(result).toMatchObject({ days: [{ date: day, absent: 2, missing_check_out: 0, auto_closed: 0 }] });
      const rows = await hub.rows<{ employee_id: number; status: string }>(
        `select employee_id, status from attendance where team_id = ? and attendance_date = ? order by employee_id`,
        [team.team_id, day],
      );
      const expected = new Map(members.map((m, i) => [m.employee_id, i === 0 ? 'On Leave' : 'Absent']));
      expect(rows.map((r) => [Number(r.employee_id), r.status])).toEqual([...expected.entries()].sort((x, y) => x[0] - y[0]));
      expect(await rescuer.stop()).toBe(0);
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end().catch(() => undefined);
      await producer.close();
      for (const w of extraWorkers) await stopWithin(w);
      await clearRedisPrefix(prefix);
    }
  }, 90_000);

  it('when the worker gets SIGTERM while a job runs, then the job finishes, the worker exits 0, and a job added while no worker runs is done by the next worker', async () => {
    // A queue of its own, so the main worker cannot take these jobs.
    const prefix = `test:${uid()}:`;
    const env = baseEnv(prefix);
    const producer: Jobs = createBullJobs({ url: REDIS_URL, prefix }, createLogger('silent'));
    const locker = new pg.Client({ connectionString: testDatabaseUrl });
    await locker.connect();
    try {
      const first = await spawnWorker(env);
      extraWorkers.push(first);
      const held = await hub.makeTeam({ working_weekdays: ALL_WEEKDAYS });

      // Hold the team's summary row so the recompute, once started, waits on it: "running" for as long as we like.
      await locker.query('begin');
      await locker.query(`insert into summaries (scope, body, digest, computed_at) values ($1, '{}', 'held', now())`, [`team:${held.team_id}`]);
      const lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
      const mark = entries(first.logs).length;
      const running = producer.run('summaries:recompute', { team_id: held.team_id }, 30_000);
      await waitFor(
        'the recompute to wait on the held row',
        // Inside a transaction pg_stat_activity is a snapshot taken at its first read: clear it before each look.
        async () => {
          await locker.query('select pg_stat_clear_snapshot()');
          return (await locker.query('select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [lockerPid])).rowCount;
        },
        15_000,
      );

      first.child.kill('SIGTERM');
      await waitFor('the worker to start stopping', () => entries(first.logs).some((e) => e.msg?.startsWith('worker stopping')), 5_000);
      await sleep(1000);
      expect(first.child.exitCode).toBeNull();
      expect(jobsDone(first.logs, mark)).toHaveLength(0);

      await locker.query('rollback');
      const result: JobResult = await running;
      expect(result).toMatchObject({ scopes: 2 });
      expect(await exitOf(first.child, 20_000)).toBe(0);
      expect(jobsDone(first.logs, mark)).toHaveLength(1);
      expect(entries(first.logs).some((e) => e.msg === 'worker stopped')).toBe(true);
      const [row] = await hub.rows<{ body: { team_id: number } }>('select body from summaries where scope = ?', [`team:${held.team_id}`]);
      expect(row.body.team_id).toBe(held.team_id);

      // No worker now: the job waits in Redis, and the next worker does it.
      const waiting = await hub.makeTeam({ working_weekdays: ALL_WEEKDAYS });
      let settled = false;
      const queued = producer.run('summaries:recompute', { team_id: waiting.team_id }, 45_000).finally(() => (settled = true));
      await sleep(1500);
      expect(settled).toBe(false);
      const next = await spawnWorker(env);
      extraWorkers.push(next);
      expect(await queued).toMatchObject({ scopes: 2 });
      await waitFor(
        'the queued job in the new worker’s log',
        () => jobsDone(next.logs).some((e) => !String(e.job_id).startsWith('repeat:')),
        10_000,
      );
      expect(await next.stop()).toBe(0);
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end().catch(() => undefined);
      await producer.close();
      for (const w of extraWorkers) await stopWithin(w);
      await clearRedisPrefix(prefix);
    }
  }, 120_000);

  it('when REDIS_URL is not set, then the worker exits with code 2 and names REDIS_URL', async () => {
    const child = spawn(process.execPath, ['src/worker.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: testDatabaseUrl,
        SECRET_KEY: TEST_SECRET,
        DATA_DIR: '/tmp/checkin-hub-test',
        MIGRATE_ON_START: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    const code = await exitOf(child, 20_000).finally(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    expect(code).toBe(2);
    expect(output).toContain('REDIS_URL');
  });
});
