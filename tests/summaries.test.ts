// Attendance summaries: the numbers and sentences of GET /summarize_attendance/, who may read which, the stored
// summary and its recompute job, and the same summaries from the embedded (PGlite) server.
//
// Summaries are relative to the real current date, so every fixture is built relative to today's local date (UTC,
// the test hub's TIMEZONE) with the service's own rules: yesterday = the last working day before today, last week =
// the previous Monday–Sunday. Other files write to the same database at the same time: every number read here is
// one team's (team_id filter), never the organisation's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database.ts';
import type { Delivery } from '../src/infra/jobs/types.ts';
import { addDays, isoWeekday, localDate } from '../src/infra/time.ts';
import { spawnHub, type HubChild as HubProcess } from '../harness/index.ts';
import { createTestHub, TEST_PASSWORD, uid, type TestHub } from './utils.ts';

let hub: TestHub;
let admin: Awaited<ReturnType<TestHub['makeEmployee']>>;

beforeAll(async () => {
  hub = await createTestHub();
  admin = await hub.makeEmployee({ access: 'admin' });
});
afterAll(async () => {
  await hub?.close();
});

const ALL_WEEK = [1, 2, 3, 4, 5, 6, 7];
const MON_FRI = [1, 2, 3, 4, 5];

const today = localDate(new Date(), 'UTC');
const yesterday = addDays(today, -1);
/** Last week's Monday: the Monday of this week, minus seven days. */
const lastMonday = addDays(today, 1 - isoWeekday(today) - 7);
/** A day of last week: 0 = Monday … 6 = Sunday. */
const lastWeek = (i: number) => addDays(lastMonday, i);
/** Long before any fixture date (the summary looks back at most 14 days). */
const LONG_AGO = `${addDays(today, -60)}T00:00:00Z`;

/** The last date before `date` whose ISO weekday is one of `weekdays`. */
function lastWorkingDayBefore(date: string, weekdays: number[]) {
  let day = addDays(date, -1);
  while (!weekdays.includes(isoWeekday(day))) day = addDays(day, -1);
  return day;
}

type Person = { employee_id: number; team_id: number | null; token: string };
type Status = 'Present' | 'Late' | 'Remote' | 'Half Day' | 'On Leave' | 'Absent';

/** An employee who joined long ago (an employee is expected only from the day they were created on). */
async function member(teamId: number | null, fields: Parameters<TestHub['makeEmployee']>[0] = {}, since: string = LONG_AGO) {
  const person = await hub.makeEmployee({ team_id: teamId, ...fields });
  await hub.rows('update employees set created_at = ? where employee_id = ?', [since, person.employee_id]);
  return person;
}

async function record(person: Person, date: string, status: Status) {
  await hub.rows(
    `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at)
     values (?, ?, ?, ?, 'api', now(), now())`,
    [person.employee_id, person.team_id, date, status],
  );
}

const scopeOf = (teamId: number) => `team:${teamId}`;

async function storedSummary(teamId: number) {
  const [row] = await hub.rows<{ body: any; digest: string; computed_at: string | Date }>(
    'select body, digest, computed_at from summaries where scope = ?',
    [scopeOf(teamId)],
  );
  return row ?? null;
}

/**
 * GET /summarize_attendance/?team_id= computed from the finished fixture. Fixtures are written straight to the
 * database, which queues no recompute; a scheduled recompute of every team started by another file's server may
 * have stored this team's summary mid-fixture, so the stored row is dropped first.
 */
async function summaryOf(teamId: number, token = admin.token) {
  await hub.rows('delete from summaries where scope = ?', [scopeOf(teamId)]);
  const res = await hub.request('GET', `/summarize_attendance/?team_id=${teamId}`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * Last week of a Mon–Fri team of four (w0…w3): each member's status per day, null = no record.
 * Saturday and Sunday records exist but are not working days of the team, so they never count.
 */
const WEEK: [number, (Status | null)[]][] = [
  [0, ['Present', 'Late', 'Remote', null]], //         Mon: expected 4, present 3 (late, remote count)  → 3/4 = 75%
  [1, ['Present', 'Present', 'Half Day', 'Present']], // Tue: expected 4, present 4 (half day counts)  → 4/4 = 100%
  [2, ['On Leave', 'Present', 'Absent', null]], //     Wed: expected 4 − 1 leave = 3, present 1        → 1/3 = 33.3%
  [3, ['Present', 'Present', null, null]], //          Thu: expected 4, present 2                      → 2/4 = 50%
  [4, ['On Leave', 'Remote', 'Late', 'Present']], //   Fri: expected 4 − 1 leave = 3, present 3        → 3/3 = 100%
  [5, ['Present', null, null, null]], //               Sat: not a working day of the team
  [6, [null, 'Late', null, null]], //                  Sun: not a working day of the team
];
// Average of the five working days: (75 + 100 + 33.3 + 50 + 100) / 5 = 358.3 / 5 = 71.66 → 71.7 (sentence: 72%).
// Best: Tuesday and Friday tie at 100% → the earlier, Tuesday. Worst: Wednesday (33.3%).
const WEEK_EXPECTED = {
  from: lastWeek(0),
  to: lastWeek(6),
  average_rate: 71.7,
  best_day: 'Tuesday',
  best_date: lastWeek(1),
  worst_day: 'Wednesday',
  worst_date: lastWeek(2),
  by_day: [
    { date: lastWeek(0), weekday: 'Monday', rate: 75, present: 3, expected: 4 },
    { date: lastWeek(1), weekday: 'Tuesday', rate: 100, present: 4, expected: 4 },
    { date: lastWeek(2), weekday: 'Wednesday', rate: 33.3, present: 1, expected: 3 },
    { date: lastWeek(3), weekday: 'Thursday', rate: 50, present: 2, expected: 4 },
    { date: lastWeek(4), weekday: 'Friday', rate: 100, present: 3, expected: 3 },
  ],
  // The fixture's records have no times: nothing worked.
  worked_hours: 0,
  overtime_hours: 0,
  weekly_overtime_hours: 0,
  worked_minutes: 0,
  overtime_minutes: 0,
  weekly_overtime_minutes: 0,
};

describe('hours', () => {
  it('when a member worked 10-hour days last week and 9 hours yesterday, then the summary has the hours, the overtime beyond the 8-hour shifts and beyond the 40-hour week', async () => {
    const team = await hub.makeTeam({ working_weekdays: ALL_WEEK, workday_start: '09:00' });
    const person = await member(team.team_id);
    const worked = new Map<string, number>();
    const day = async (date: string, until: string, minutes: number) => {
      const res = await hub.request('POST', '/attendance/', {
        token: admin.token,
        json: { employee_id: person.employee_id, attendance_date: date, status: 'Present', check_in_time: '09:00', check_out_time: until },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ worked_minutes: minutes, overtime_minutes: minutes - 480 });
      worked.set(date, minutes);
    };
    for (let i = 0; i < 5; i++) await day(lastWeek(i), '19:00', 600);
    await day(yesterday, '18:00', 540); // a Sunday of last week when today is Monday
    const week = [...worked].filter(([d]) => d >= lastWeek(0) && d <= lastWeek(6)).map(([, m]) => m);
    const weekMinutes = week.reduce((a, b) => a + b, 0);
    const body = await summaryOf(team.team_id);
    expect(body.yesterday).toMatchObject({ date: yesterday, worked_minutes: 540, overtime_minutes: 60, worked_hours: 9, overtime_hours: 1 });
    expect(body.last_week).toMatchObject({
      worked_minutes: weekMinutes,
      overtime_minutes: weekMinutes - 480 * week.length,
      weekly_overtime_minutes: weekMinutes - 2400,
      worked_hours: Math.round(weekMinutes / 6) / 10,
      weekly_overtime_hours: Math.round((weekMinutes - 2400) / 6) / 10,
    });
  });
});

describe('yesterday', () => {
  it('when a team has present, late, remote, half-day, on-leave, absent and no-record members yesterday, then leave is not expected, late/remote/half day are present, and the sentence gives the rounded rate', async () => {
    const team = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const manager = await member(team.team_id, { access: 'manager' });
    const present = await member(team.team_id);
    const late = await member(team.team_id);
    const remote = await member(team.team_id);
    const halfDay = await member(team.team_id);
    const onLeave = await member(team.team_id);
    const absent = await member(team.team_id);
    await member(team.team_id); // no record at all
    const inactive = await member(team.team_id, { active: false });
    await member(team.team_id, {}, `${today}T00:00:00Z`); // joined today: not expected yesterday
    const otherTeam = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const stranger = await member(otherTeam.team_id);
    const teamless = await member(null);

    await record(manager, yesterday, 'Present');
    await record(present, yesterday, 'Present');
    await record(late, yesterday, 'Late');
    await record(remote, yesterday, 'Remote');
    await record(halfDay, yesterday, 'Half Day');
    await record(onLeave, yesterday, 'On Leave');
    await record(absent, yesterday, 'Absent');
    await record(inactive, yesterday, 'Present'); // inactive: not counted
    await record(stranger, yesterday, 'Present'); // another team
    await record(teamless, yesterday, 'Present'); // no team: never expected
    await record(present, addDays(yesterday, -1), 'Absent'); // the day before: not yesterday's

    const body = await summaryOf(team.team_id);
    // Active members who existed yesterday: manager, present, late, remote, half day, on leave, absent, no record = 8.
    // expected = 8 − 1 on leave = 7; present = manager + present + late + remote + half day = 5;
    // absent = 7 − 5 = 2 (the Absent record and the member without a record); rate = 5 / 7 = 71.428…% → 71.4 → "71%".
    expect(body.yesterday).toEqual({ date: yesterday, rate: 71.4, present: 5, late: 1, remote: 1, absent: 2, on_leave: 1, expected: 7, worked_hours: 0, overtime_hours: 0, worked_minutes: 0, overtime_minutes: 0 });
    expect(body.yesterday_summary).toBe('71% attendance rate with 5 employees present');
    expect(body.team_id).toBe(team.team_id);
    expect(body.team_name).toBe(team.team_name);
  });

  it('when exactly one employee was present yesterday, then the sentence says "1 employee"', async () => {
    const team = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const one = await member(team.team_id);
    await member(team.team_id); // no record
    const away = await member(team.team_id);
    await record(one, yesterday, 'Present');
    await record(away, yesterday, 'On Leave');

    const body = await summaryOf(team.team_id);
    // expected = 3 − 1 on leave = 2; present = 1; rate = 1 / 2 = 50%.
    expect(body.yesterday).toEqual({ date: yesterday, rate: 50, present: 1, late: 0, remote: 0, absent: 1, on_leave: 1, expected: 2, worked_hours: 0, overtime_hours: 0, worked_minutes: 0, overtime_minutes: 0 });
    expect(body.yesterday_summary).toBe('50% attendance rate with 1 employee present');
  });

  it('when everybody was on leave on the previous day, then that day is not a working day and yesterday is the day before it', async () => {
    const team = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const only = await member(team.team_id);
    await record(only, yesterday, 'On Leave'); // expected 1 − 1 = 0: not a working day
    await record(only, addDays(yesterday, -1), 'Late');

    const body = await summaryOf(team.team_id);
    // The day before yesterday: expected 1, present 1 (late) → 100%.
    expect(body.yesterday).toEqual({ date: addDays(yesterday, -1), rate: 100, present: 1, late: 1, remote: 0, absent: 0, on_leave: 0, expected: 1, worked_hours: 0, overtime_hours: 0, worked_minutes: 0, overtime_minutes: 0 });
    expect(body.yesterday_summary).toBe('100% attendance rate with 1 employee present');
  });

  it('when a team has nobody to expect, then there is no yesterday and no working day last week', async () => {
    const team = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    await member(team.team_id, { active: false });
    const body = await summaryOf(team.team_id);
    expect(body.yesterday).toBeNull();
    expect(body.yesterday_summary).toBe('No working day with expected employees in the last two weeks');
    expect(body.last_week_summary).toBe('No working days last week');
    expect(body.last_week).toEqual({
      from: lastWeek(0), to: lastWeek(6), average_rate: 0, best_day: null, best_date: null, worst_day: null, worst_date: null, by_day: [],
      worked_hours: 0, overtime_hours: 0, weekly_overtime_hours: 0, worked_minutes: 0, overtime_minutes: 0, weekly_overtime_minutes: 0,
    });
  });
});

describe('last week', () => {
  it('when a Mon–Fri team has a week of records, then by_day lists Monday–Friday only, with the average, best and worst day, and Saturday/Sunday are never yesterday', async () => {
    const team = await hub.makeTeam({ working_weekdays: MON_FRI });
    const w = [await member(team.team_id), await member(team.team_id), await member(team.team_id), await member(team.team_id)];
    for (const [day, statuses] of WEEK) {
      for (const [i, status] of statuses.entries()) if (status) await record(w[i], lastWeek(day), status);
    }

    const body = await summaryOf(team.team_id);
    expect(body.last_week).toEqual(WEEK_EXPECTED);
    expect(body.last_week_summary).toBe('Average attendance rate of 72% with highest attendance on Tuesday');
    expect(body.last_week.by_day.map((d: { date: string }) => isoWeekday(d.date))).toEqual([1, 2, 3, 4, 5]);

    // Yesterday is the last Monday–Friday date before today: on a Monday that is last week's Friday (3/3 above);
    // on a Saturday or Sunday it is this week's Friday; otherwise the day before. Without records there, all 4 absent.
    const expectedYesterday = lastWorkingDayBefore(today, MON_FRI);
    expect(isoWeekday(body.yesterday.date)).toBeLessThanOrEqual(5);
    if (expectedYesterday === lastWeek(4)) {
      expect(body.yesterday).toEqual({ date: lastWeek(4), rate: 100, present: 3, late: 1, remote: 1, absent: 0, on_leave: 1, expected: 3, worked_hours: 0, overtime_hours: 0, worked_minutes: 0, overtime_minutes: 0 });
      expect(body.yesterday_summary).toBe('100% attendance rate with 3 employees present');
    } else {
      expect(body.yesterday).toEqual({ date: expectedYesterday, rate: 0, present: 0, late: 0, remote: 0, absent: 4, on_leave: 0, expected: 4, worked_hours: 0, overtime_hours: 0, worked_minutes: 0, overtime_minutes: 0 });
      expect(body.yesterday_summary).toBe('0% attendance rate with 0 employees present');
    }
  });

  it('when two teams share the same dates, then each team’s summary counts only its own members', async () => {
    const busy = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const quiet = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const b = [await member(busy.team_id), await member(busy.team_id)];
    const q = [await member(quiet.team_id), await member(quiet.team_id), await member(quiet.team_id)];
    for (let i = 0; i < 7; i++) {
      await record(b[0], lastWeek(i), 'Present');
      await record(b[1], lastWeek(i), 'Remote');
      await record(q[0], lastWeek(i), i === 2 ? 'Present' : 'Absent');
    }
    // Yesterday is last week's Sunday when today is a Monday (already recorded above); otherwise add it.
    const yesterdayInLastWeek = yesterday === lastWeek(6);
    if (!yesterdayInLastWeek) await record(b[0], yesterday, 'Present');
    await record(q[1], yesterday, 'Absent');

    const busyBody = await summaryOf(busy.team_id);
    // busy: 2 of 2 present on all seven days → 100% every day, average 100, best and worst Monday (the earliest).
    expect(busyBody.last_week).toMatchObject({ average_rate: 100, best_day: 'Monday', worst_day: 'Monday' });
    expect(busyBody.last_week.by_day).toHaveLength(7);
    expect(busyBody.last_week.by_day.every((d: { present: number; expected: number }) => d.present === 2 && d.expected === 2)).toBe(true);
    expect(busyBody.last_week_summary).toBe('Average attendance rate of 100% with highest attendance on Monday');

    const quietBody = await summaryOf(quiet.team_id);
    // quiet: 3 expected each day; only Wednesday has 1 present → Wednesday 1/3 = 33.3%, other days 0%.
    // Average = 33.3 / 7 = 4.757… → 4.8 ("5%"); best Wednesday; worst Monday (the earliest 0%).
    expect(quietBody.last_week).toMatchObject({ average_rate: 4.8, best_day: 'Wednesday', worst_day: 'Monday' });
    expect(quietBody.last_week.by_day.map((d: { present: number; expected: number }) => [d.present, d.expected])).toEqual([
      [0, 3], [0, 3], [1, 3], [0, 3], [0, 3], [0, 3], [0, 3],
    ]);
    expect(quietBody.last_week_summary).toBe('Average attendance rate of 5% with highest attendance on Wednesday');
    expect(quietBody.yesterday).toMatchObject({ date: yesterday, expected: 3 });
    expect(busyBody.yesterday).toMatchObject({ date: yesterday, expected: 2, present: yesterdayInLastWeek ? 2 : 1 });
    expect(quietBody.yesterday.present).toBe(0);
  });
});

describe('who may read which summary', () => {
  it('when admins, managers and employees ask, then admins get the organisation or any team, managers only their own team, employees 403', async () => {
    const team = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const other = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const manager = await member(team.team_id, { access: 'manager' });
    const employee = await member(team.team_id);
    const teamlessManager = await hub.makeEmployee({ access: 'manager' });
    const get = (query: string, token?: string) => hub.request('GET', `/summarize_attendance/${query}`, { token });

    const org = await get('', admin.token);
    expect(org.status).toBe(200);
    expect(org.body).toMatchObject({ team_id: null, team_name: null });
    expect(typeof org.body.yesterday_summary).toBe('string');

    const adminTeam = await get(`?team_id=${other.team_id}`, admin.token);
    expect(adminTeam.status).toBe(200);
    expect(adminTeam.body).toMatchObject({ team_id: other.team_id, team_name: other.team_name });

    for (const query of ['', `?team_id=${team.team_id}`]) {
      const own = await get(query, manager.token);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ team_id: team.team_id, team_name: team.team_name });
    }

    const foreign = await get(`?team_id=${other.team_id}`, manager.token);
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('forbidden');

    for (const query of ['', `?team_id=${team.team_id}`]) {
      const res = await get(query, employee.token);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect((await get('', teamlessManager.token)).status).toBe(403);
    expect((await get('')).status).toBe(401);

    const missing = await get('?team_id=2000000000', admin.token);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    const bad = await get('?team_id=abc', admin.token);
    expect(bad.status).toBe(422);
  });
});

describe('stored summaries', () => {
  it('when nothing is stored, then the GET computes and stores the summary once, and later GETs read the stored row', async () => {
    const team = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const a = await member(team.team_id);
    await member(team.team_id);
    await record(a, yesterday, 'Present');
    await hub.rows('delete from summaries where scope = ?', [scopeOf(team.team_id)]);

    const first = await hub.request('GET', `/summarize_attendance/?team_id=${team.team_id}`, { token: admin.token });
    expect(first.status).toBe(200);
    expect(first.body.yesterday_summary).toBe('50% attendance rate with 1 employee present');
    const stored = await storedSummary(team.team_id);
    expect(stored.body).toEqual(first.body);
    expect(new Date(stored.computed_at).toISOString()).toBe(first.body.computed_at);

    // Served again from the row: the same computed_at.
    const second = await hub.request('GET', `/summarize_attendance/?team_id=${team.team_id}`, { token: admin.token });
    expect(second.body).toEqual(first.body);

    // Proof that the row is what is served: edit its body (not its digest, so no recompute overwrites it).
    await hub.rows(`update summaries set body = jsonb_set(body, '{yesterday_summary}', '"read from the stored row"') where scope = ?`, [scopeOf(team.team_id)]);
    const third = await hub.request('GET', `/summarize_attendance/?team_id=${team.team_id}`, { token: admin.token });
    expect(third.body.yesterday_summary).toBe('read from the stored row');

    // A stored summary from an earlier day is recomputed on read.
    await hub.rows(`update summaries set body = jsonb_set(body, '{today,date}', to_jsonb(?::text)), digest = 'from-an-earlier-day' where scope = ?`, [
      yesterday,
      scopeOf(team.team_id),
    ]);
    const fourth = await hub.request('GET', `/summarize_attendance/?team_id=${team.team_id}`, { token: admin.token });
    expect(fourth.status).toBe(200);
    expect(fourth.body.today.date).toBe(today);
    expect(fourth.body.yesterday_summary).toBe('50% attendance rate with 1 employee present');
    expect(new Date(fourth.body.computed_at).getTime()).toBeGreaterThanOrEqual(new Date(first.body.computed_at).getTime());
    expect((await storedSummary(team.team_id)).body).toEqual(fourth.body);
  });

  it('when the recompute job runs, then it reports the changed scope with summary:updated to the team room and admins, and a second run without data changes reports nothing for the team', async () => {
    const team = await hub.makeTeam({ working_weekdays: ALL_WEEK });
    const m = [await member(team.team_id), await member(team.team_id), await member(team.team_id)];
    await record(m[0], yesterday, 'Present');
    await record(m[1], yesterday, 'Late');
    const heard: Delivery[] = [];
    const off = hub.jobs.onDeliveries((deliveries) => heard.push(...deliveries));
    await hub.rows('delete from summaries where scope = ?', [scopeOf(team.team_id)]);

    try {
      const teamRoom = `team:${team.team_id}`;
      const first = await hub.runJob('summaries:recompute', { team_id: team.team_id });
      expect(first.scopes).toBe(2); // the team and the organisation
      expect(first.changed).toContain(scopeOf(team.team_id));
      const mine = (first.deliveries as Delivery[]).filter((d) => d.rooms.includes(teamRoom));
      // expected 3, present 2 (one late) → 66.666…% → 66.7 → "67%".
      expect(mine).toEqual([
        {
          rooms: [teamRoom, 'admins'],
          event: 'summary:updated',
          payload: expect.objectContaining({ team_id: team.team_id, yesterday_summary: '67% attendance rate with 2 employees present' }),
        },
      ]);
      expect((mine[0].payload as any).yesterday).toEqual({ date: yesterday, rate: 66.7, present: 2, late: 1, remote: 0, absent: 1, on_leave: 0, expected: 3, worked_hours: 0, overtime_hours: 0, worked_minutes: 0, overtime_minutes: 0 });
      // The organisation's summary (if it changed) goes to admins only.
      for (const d of first.deliveries as Delivery[]) if (!d.rooms.includes(teamRoom)) expect(d).toMatchObject({ rooms: ['admins'], event: 'summary:updated' });
      expect(heard).toContainEqual(mine[0]);
      const stored = await storedSummary(team.team_id);
      expect(stored.body).toEqual(mine[0].payload);

      const second = await hub.runJob('summaries:recompute', { team_id: team.team_id });
      expect(second.changed).not.toContain(scopeOf(team.team_id));
      expect((second.deliveries as Delivery[]).filter((d) => d.rooms.includes(teamRoom))).toEqual([]);
      expect(await storedSummary(team.team_id)).toEqual(stored);

      // A data change makes the next run report the team again.
      await record(m[2], yesterday, 'Remote');
      const third = await hub.runJob('summaries:recompute', { team_id: team.team_id });
      expect(third.changed).toContain(scopeOf(team.team_id));
      const update = (third.deliveries as Delivery[]).find((d) => d.rooms.includes(teamRoom));
      // expected 3, present 3 → 100%.
      expect((update?.payload as any).yesterday_summary).toBe('100% attendance rate with 3 employees present');
    } finally {
      off();
    }
  });
});

describe('embedded mode (PGlite, no Redis)', () => {
  const ADMIN_PASSWORD = 'Summaries-Embedded-2026';
  let dataDir = '';
  let embedded: HubProcess | null = null;

  afterAll(async () => {
    if (embedded && embedded.child.exitCode === null) await embedded.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  type Rest = (method: string, path: string, json?: unknown) => Promise<{ status: number; body: any }>;

  /** The same fixture, created through the REST API: a Mon–Fri team of four, last week, yesterday and today. */
  async function seedOverRest(rest: Rest, teamName: string) {
    const team = await rest('POST', '/teams/', { team_name: teamName, working_weekdays: MON_FRI });
    expect(team.status).toBe(201);
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await rest('POST', '/employees/', {
        name: `Member ${i}`, email: `parity.${uid()}@example.com`, password: TEST_PASSWORD, team_id: team.body.team_id,
      });
      expect(res.status).toBe(201);
      ids.push(res.body.employee_id);
    }
    const add = async (i: number, date: string, status: Status, extra: Record<string, string> = {}) => {
      const res = await rest('POST', '/attendance/', { employee_id: ids[i], attendance_date: date, status, ...extra });
      expect(res.status).toBe(201);
    };
    for (const [day, statuses] of WEEK) for (const [i, status] of statuses.entries()) if (status) await add(i, lastWeek(day), status);
    const workday = lastWorkingDayBefore(today, MON_FRI);
    if (workday > lastWeek(6)) {
      await add(0, workday, 'Present');
      await add(1, workday, 'Remote');
      await add(2, workday, 'On Leave');
    }
    await add(0, today, 'Present', { check_in_time: `${today}T00:00:00Z`, check_out_time: `${today}T00:00:30Z` });
    return { team_id: team.body.team_id as number, ids };
  }

  const withoutVolatile = (body: Record<string, unknown>) => {
    const { computed_at, team_id, ...rest } = body;
    expect(typeof computed_at).toBe('string');
    expect(typeof team_id).toBe('number');
    return rest;
  };

  it('when the same fixture is entered over REST into an embedded server, then its summary equals the PostgreSQL one', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'checkin-summaries-'));
    const start = () => spawnHub({ DATA_DIR: dataDir, ADMIN_PASSWORD, SEED_DEMO: 'false' });
    embedded = await start();
    const login = await fetch(`${embedded.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin@example.com', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { access_token: string }).access_token;
    const overHttp = (base: string): Rest => async (method, path, json) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const inProcess: Rest = (method, path, json) => hub.request(method, path, { token: admin.token, json });

    const teamName = `Parity ${uid()}`;
    const onPglite = await seedOverRest(overHttp(embedded.url), teamName);
    const onPostgres = await seedOverRest(inProcess, teamName);

    // REST cannot backdate an employee: move created_at back in both databases (and drop summaries computed before).
    await hub.rows('update employees set created_at = ? where team_id = ?', [LONG_AGO, onPostgres.team_id]);
    expect(await embedded.stop()).toBe(0);
    const pglite = await openDatabase({ database: null, dataDir, dbPoolMax: 1 });
    try {
      await pglite.em.fork().execute('update employees set created_at = ? where team_id = ?', [LONG_AGO, onPglite.team_id]);
      await pglite.em.fork().execute('delete from summaries');
    } finally {
      await pglite.close();
    }
    embedded = await start();

    const fromPglite = await overHttp(embedded.url)('GET', `/summarize_attendance/?team_id=${onPglite.team_id}`);
    expect(fromPglite.status).toBe(200);
    const fromPostgres = await summaryOf(onPostgres.team_id);
    expect(fromPglite.body.team_id).toBe(onPglite.team_id);
    expect(withoutVolatile(fromPglite.body)).toEqual(withoutVolatile(fromPostgres));
    // And both are the hand-computed week.
    expect(fromPostgres.last_week).toEqual(WEEK_EXPECTED);
    expect(fromPostgres.team_name).toBe(teamName);
  }, 120_000);
});
