// Closing a day: Absent for expected members without a record, missing check-out flags, idempotence, the cut-off,
// roles and validation, clearing a flag with a later check-out, and the socket events of a closed day.
//
// Closing a day writes to every team at once (it is a property of the whole database), so this file runs against a
// private, freshly migrated database. Each test also takes its own "era": its employees join on 1 January of a year
// and the day it closes is in March of that year, the years going down test after test. So employees of earlier
// tests (who joined in later years) are never expected on a later test's day, and the counts a close reports are
// exactly the current test's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/infra/jobs/types.ts';
import { addDays, isoWeekday, localParts } from '../src/infra/time.ts';
import { collect, http, openSocket, sleep, startServer, waitFor, type Client } from './socket-utils.ts';
import { createSoloDatabase, createTestHub, stayOf, uid, type TestHub } from './utils.ts';

let hub: TestHub;
let admin: Awaited<ReturnType<TestHub['makeEmployee']>>;
let db: Awaited<ReturnType<typeof createSoloDatabase>>;
let soloUrl: string;

// The cut-off is one minute before midnight (UTC), so "today" is not over yet for the whole test run.
const ENV = { TIMEZONE: 'UTC', END_OF_DAY_TIME: '23:59' };

beforeAll(async () => {
  db = await createSoloDatabase('eod');
  soloUrl = db.url;
  hub = await createTestHub({ DATABASE_URL: soloUrl, ...ENV });
  admin = await hub.makeEmployee({ access: 'admin' });
});

afterAll(async () => {
  await hub?.close();
  await db?.drop();
});

let year = 2016;
/** A fresh era: employees join on 1 January; the day to close is the first March day with that ISO weekday (Wednesday by default). */
function era(weekday = 3) {
  const y = year--;
  let day = `${y}-03-01`;
  while (isoWeekday(day) !== weekday) day = addDays(day, 1);
  return { since: `${y}-01-01T00:00:00Z`, day };
}

type Person = Awaited<ReturnType<TestHub['makeEmployee']>>;

/** An employee created at `since`. */
async function member(teamId: number | null, since: string, fields: Parameters<TestHub['makeEmployee']>[0] = {}): Promise<Person> {
  const person = await hub.makeEmployee({ team_id: teamId, ...fields });
  await hub.rows('update employees set created_at = ? where employee_id = ?', [since, person.employee_id]);
  return person;
}

async function record(
  person: Person,
  date: string,
  status: string,
  extra: { check_in?: string; check_out?: string; notes?: string } = {},
): Promise<number> {
  const [row] = await hub.rows<{ record_id: number }>(
    `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, intervals, notes, source, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'api', now(), now()) returning record_id`,
    [person.employee_id, person.team_id, date, status, extra.check_in ?? null, extra.check_out ?? null, stayOf(extra.check_in, extra.check_out), extra.notes ?? null],
  );
  return Number(row.record_id);
}

type Row = {
  record_id: number;
  employee_id: number;
  team_id: number | null;
  attendance_date: string;
  status: string;
  check_in_time: unknown;
  check_out_time: unknown;
  notes: string | null;
  source: string;
  missing_check_out: boolean;
  created_at: unknown;
  updated_at: unknown;
};
const COLUMNS = `record_id, employee_id, team_id, to_char(attendance_date, 'YYYY-MM-DD') as attendance_date, status, check_in_time,
  check_out_time, notes, source, missing_check_out, created_at, updated_at`;

/** Every stored record of these employees, all columns, in a stable order. */
const recordsOf = (people: Person[]) =>
  hub.rows<Row>(`select ${COLUMNS} from attendance where employee_id in (${people.map(() => '?').join(', ')}) order by record_id`, people.map((p) => p.employee_id));

async function rowOf(person: Person, date: string): Promise<Row | null> {
  const [row] = await hub.rows<Row>(`select ${COLUMNS} from attendance where employee_id = ? and attendance_date = ?`, [person.employee_id, date]);
  return row ?? null;
}

const iso = (value: unknown) => (value == null ? null : new Date(value as string).toISOString());
const closeDay = (date: unknown, token = admin.token) => hub.request('POST', '/attendance/end-of-day', { token, json: { date } });

const ABSENT_BY_SYSTEM = {
  status: 'Absent',
  source: 'system',
  notes: 'No check-in by the end of the day',
  check_in_time: null,
  check_out_time: null,
  missing_check_out: false,
};

describe('closing a day', () => {
  it('when an admin closes a past working day, then expected members without a record get Absent (system), open check-ins are flagged, and nobody else is touched', async () => {
    const { since, day } = era(); // a Wednesday
    const team = await hub.makeTeam(); // Monday–Friday
    const manager = await member(team.team_id, since, { access: 'manager' }); // no record → Absent
    const absentee = await member(team.team_id, since); // no record → Absent
    const joinedThatDay = await member(team.team_id, `${day}T18:00:00Z`); // created that very day → expected → Absent
    const onLeave = await member(team.team_id, since);
    const done = await member(team.team_id, since);
    const open = await member(team.team_id, since);
    const openNoted = await member(team.team_id, since);
    const remote = await member(team.team_id, since);
    const sick = await member(team.team_id, since);
    const inactive = await member(team.team_id, since, { active: false });
    const newcomer = await member(team.team_id, `${addDays(day, 1)}T00:00:00Z`); // joined the day after
    const teamless = await member(null, since);
    const otherAdmin = await member(null, since, { access: 'admin' });
    const offDuty = await hub.makeTeam({ working_weekdays: [1, 2, 4, 5] }); // not on Wednesdays
    const offDutyMember = await member(offDuty.team_id, since);

    await record(onLeave, day, 'On Leave');
    await record(done, day, 'Present', { check_in: `${day}T08:58:00Z`, check_out: `${day}T17:05:00Z` });
    const openId = await record(open, day, 'Late', { check_in: `${day}T09:40:00Z` });
    const openNotedId = await record(openNoted, day, 'Present', { check_in: `${day}T08:55:00Z`, notes: 'Badge reader down' });
    await record(remote, day, 'Remote'); // no check-in at all: nothing to flag
    await record(sick, day, 'Absent', { notes: 'Called in sick' });
    const everyone = [manager, absentee, joinedThatDay, onLeave, done, open, openNoted, remote, sick, inactive, newcomer, teamless, otherAdmin, offDutyMember];
    const before = await recordsOf(everyone);

    const res = await closeDay(day);
    // Absent: manager, absentee, joinedThatDay = 3. Flagged: open, openNoted = 2.
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ days: [{ date: day, absent: 3, missing_check_out: 2, auto_closed: 0 }] });

    for (const person of [manager, absentee, joinedThatDay]) {
      expect(await rowOf(person, day)).toMatchObject({ ...ABSENT_BY_SYSTEM, team_id: team.team_id, attendance_date: day });
    }
    for (const person of [inactive, newcomer, teamless, otherAdmin, offDutyMember]) expect(await rowOf(person, day)).toBeNull();

    const after = await recordsOf(everyone);
    const byId = new Map(after.map((r) => [Number(r.record_id), r]));
    for (const old of before) {
      const now = byId.get(Number(old.record_id))!;
      if (Number(old.record_id) === openId || Number(old.record_id) === openNotedId) continue;
      expect(now).toEqual(old); // leave, done, remote and the manual Absent: unchanged, updated_at included
    }
    const flagged = before.find((r) => Number(r.record_id) === openId)!;
    expect(byId.get(openId)).toEqual({ ...flagged, missing_check_out: true, notes: 'Missing check-out', updated_at: expect.anything() });
    const flaggedNoted = before.find((r) => Number(r.record_id) === openNotedId)!;
    expect(byId.get(openNotedId)).toEqual({ ...flaggedNoted, missing_check_out: true, notes: 'Badge reader down · Missing check-out', updated_at: expect.anything() });
    expect(after).toHaveLength(before.length + 3);
  });

  it('when the day is closed through the job, then it reports the counts and delivers attendance:changed numbered per team and attendance:missing_check_out to the team room', async () => {
    const { since, day } = era();
    const team = await hub.makeTeam();
    const first = await member(team.team_id, since);
    const second = await member(team.team_id, since);
    const open = await member(team.team_id, since);
    const done = await member(team.team_id, since);
    const openId = await record(open, day, 'Late', { check_in: `${day}T10:00:00Z` });
    await record(done, day, 'Present', { check_in: `${day}T09:00:00Z`, check_out: `${day}T17:00:00Z` });
    const seqBefore = await hub.sequencer.current(String(team.team_id));

    const result = await hub.runJob('attendance:end-of-day', { date: day });
    expect(result.days).toEqual([{ date: day, absent: 2, missing_check_out: 1, auto_closed: 0 }]);
    const deliveries = result.deliveries as Delivery[];
    const changed = deliveries.filter((d) => d.event === 'attendance:changed');
    // Two created (the absences) then one updated (the flag), numbered seq+1, seq+2, seq+3 for the team.
    expect(changed.map((d) => (d.payload as any).seq)).toEqual([seqBefore + 1, seqBefore + 2, seqBefore + 3]);
    expect(await hub.sequencer.current(String(team.team_id))).toBe(seqBefore + 3);
    expect(changed.map((d) => (d.payload as any).action)).toEqual(['created', 'created', 'updated']);
    expect(changed.slice(0, 2).map((d) => (d.payload as any).employee.employee_id).sort()).toEqual([first.employee_id, second.employee_id].sort());
    expect((changed[2].payload as any).record.record_id).toBe(openId);

    const names = new Map([first, second, open].map((p) => [p.employee_id, p.name]));
    for (const d of changed) {
      const payload = d.payload as any;
      expect(d.rooms).toEqual([`user:${payload.record.employee_id}`, `team:${team.team_id}`]);
      expect(payload.team_id).toBe(team.team_id);
      expect(payload.employee).toEqual({ employee_id: payload.record.employee_id, name: names.get(payload.record.employee_id) });
      // The record in the event is the record the API serves.
      const served = await hub.request('GET', `/attendance/${payload.record.record_id}`, { token: admin.token });
      expect(payload.record).toEqual(served.body);
    }
    expect((changed[0].payload as any).record).toMatchObject({ ...ABSENT_BY_SYSTEM, attendance_date: day });
    expect((changed[2].payload as any).record).toMatchObject({ status: 'Late', missing_check_out: true, notes: 'Missing check-out' });

    expect(deliveries.filter((d) => d.event !== 'attendance:changed')).toEqual([
      {
        rooms: [`team:${team.team_id}`],
        event: 'attendance:missing_check_out',
        payload: {
          team_id: team.team_id,
          date: day,
          records: [{ record_id: openId, employee_id: open.employee_id, name: open.name, check_in_time: `${day}T10:00:00.000Z` }],
        },
      },
    ]);
    expect(await rowOf(done, day)).toMatchObject({ missing_check_out: false, notes: null });
  });

  it('when the same day is closed twice, then the second run reports 0/0 and every row is exactly as after the first', async () => {
    const { since, day } = era();
    const team = await hub.makeTeam();
    const people = [await member(team.team_id, since), await member(team.team_id, since), await member(team.team_id, since)];
    await record(people[1], day, 'Present', { check_in: `${day}T09:00:00Z` });
    await record(people[2], day, 'On Leave');

    const first = await closeDay(day);
    expect(first.body).toEqual({ days: [{ date: day, absent: 1, missing_check_out: 1, auto_closed: 0 }] });
    const afterFirst = await recordsOf(people);
    expect(afterFirst).toHaveLength(3);

    await sleep(20); // a rewrite would show as a later updated_at
    const second = await closeDay(day);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ days: [{ date: day, absent: 0, missing_check_out: 0, auto_closed: 0 }] });
    expect(await recordsOf(people)).toEqual(afterFirst);

    const third = await hub.runJob('attendance:end-of-day', { date: day });
    expect(third).toEqual({ days: [{ date: day, absent: 0, missing_check_out: 0, auto_closed: 0 }], deliveries: [] });
    expect(await recordsOf(people)).toEqual(afterFirst);
  });

  it('when the day is not one of a team’s working weekdays, then none of its members is marked absent (open check-ins are still flagged)', async () => {
    const { since, day } = era(6); // a Saturday
    const weekdays = await hub.makeTeam(); // Monday–Friday
    const idle = await member(weekdays.team_id, since);
    const cameIn = await member(weekdays.team_id, since);
    const never = await hub.makeTeam({ working_weekdays: [] });
    const neverMember = await member(never.team_id, since);
    const weekend = await hub.makeTeam({ working_weekdays: [6, 7] });
    const weekendMember = await member(weekend.team_id, since);
    await record(cameIn, day, 'Present', { check_in: `${day}T10:00:00Z` });

    const res = await closeDay(day);
    // Only the weekend team works on Saturdays: 1 absent; the Saturday check-in without check-out: 1 flagged.
    expect(res.body).toEqual({ days: [{ date: day, absent: 1, missing_check_out: 1, auto_closed: 0 }] });
    expect(await rowOf(idle, day)).toBeNull();
    expect(await rowOf(neverMember, day)).toBeNull();
    expect(await rowOf(weekendMember, day)).toMatchObject({ ...ABSENT_BY_SYSTEM, team_id: weekend.team_id });
    expect(await rowOf(cameIn, day)).toMatchObject({ status: 'Present', missing_check_out: true, notes: 'Missing check-out' });
  });
});

describe('when a day may be closed, and by whom', () => {
  it('when the day is today before END_OF_DAY_TIME or later, then 409 day_not_over and nothing is written', async () => {
    const team = await hub.makeTeam({ working_weekdays: [1, 2, 3, 4, 5, 6, 7] });
    const local = localParts(new Date(), 'UTC');
    // Joined today: expected today and tomorrow, never on another test's (past) day.
    const person = await member(team.team_id, `${local.date}T00:00:00Z`);
    const tomorrow = addDays(local.date, 1);
    const notOver = [tomorrow, '2999-12-31'];
    if (local.hhmm < '23:59') notOver.push(local.date);
    for (const date of notOver) {
      const res = await closeDay(date);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ code: 'day_not_over', detail: expect.stringContaining(date) });
    }
    // The job refuses too (the route checks first; the job checks again for direct runs).
    await expect(hub.jobs.run('attendance:end-of-day', { date: tomorrow })).rejects.toMatchObject({ status: 409, code: 'day_not_over' });
    expect(await recordsOf([person])).toEqual([]);
  });

  it('when a manager, an employee or nobody asks to close a day, then 403 (401 without a token) and nothing is written', async () => {
    const { since, day } = era();
    const team = await hub.makeTeam();
    const manager = await member(team.team_id, since, { access: 'manager' });
    const employee = await member(team.team_id, since);
    for (const who of [manager, employee]) {
      const res = await closeDay(day, who.token);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect((await hub.request('POST', '/attendance/end-of-day', { json: { date: day } })).status).toBe(401);
    expect(await recordsOf([manager, employee])).toEqual([]);
  });

  it('when the date is not a valid YYYY-MM-DD, then 422 and nothing is written', async () => {
    const { since } = era();
    const team = await hub.makeTeam({ working_weekdays: [1, 2, 3, 4, 5, 6, 7] });
    const person = await member(team.team_id, since);
    for (const date of ['2010-02-30', '2010-2-3', 'yesterday', '', 20100303, null, '1899-12-31']) {
      const res = await closeDay(date);
      expect(res.status, String(date)).toBe(422);
      expect(res.body.code).toBe('validation_error');
    }
    expect((await hub.request('POST', '/attendance/end-of-day', { token: admin.token, json: {} })).status).toBe(422);
    expect((await hub.request('POST', '/attendance/end-of-day', { token: admin.token })).status).toBe(422);
    expect(await recordsOf([person])).toEqual([]);
  });
});

describe('a later check-out clears the flag', () => {
  it('when a flagged record is corrected with a check_out_time, then missing_check_out is cleared (other corrections keep it)', async () => {
    const { since, day } = era();
    const team = await hub.makeTeam();
    const manager = await member(team.team_id, since, { access: 'manager' });
    const person = await member(team.team_id, since);
    await record(manager, day, 'Present', { check_in: `${day}T09:00:00Z`, check_out: `${day}T17:00:00Z` });
    const id = await record(person, day, 'Present', { check_in: `${day}T09:00:00Z` });
    await closeDay(day);
    expect(await rowOf(person, day)).toMatchObject({ missing_check_out: true });

    const noteOnly = await hub.request('PUT', `/attendance/${id}`, { token: manager.token, json: { notes: 'Forgot to badge out' } });
    expect(noteOnly.status).toBe(200);
    expect(noteOnly.body.missing_check_out).toBe(true);

    const fixed = await hub.request('PUT', `/attendance/${id}`, { token: manager.token, json: { check_out_time: `${day}T17:30:00Z` } });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ missing_check_out: false, check_out_time: `${day}T17:30:00.000Z` });
    const row = await rowOf(person, day);
    expect(row).toMatchObject({ missing_check_out: false, notes: 'Forgot to badge out', status: 'Present' });
    expect(iso(row!.check_out_time)).toBe(`${day}T17:30:00.000Z`);
  });

  it('when a flagged check-in of yesterday gets a check-out punch, then missing_check_out is cleared', async () => {
    // Punches are accepted up to PUNCH_MAX_AGE_HOURS back, so this one closes yesterday (on this private database).
    const yesterday = addDays(localParts(new Date(), 'UTC').date, -1);
    const team = await hub.makeTeam();
    const person = await member(team.team_id, `${yesterday}T00:00:00Z`);
    const checkIn = await hub.request('POST', '/attendance/check-in', {
      token: admin.token,
      json: { employee_id: person.employee_id, occurred_at: `${yesterday}T09:00:00Z`, client_event_id: `in-${uid()}` },
    });
    expect(checkIn.status).toBe(200);
    const closed = await closeDay(yesterday);
    expect(closed.status).toBe(200);
    expect(closed.body.days[0].missing_check_out).toBe(1);
    expect(await rowOf(person, yesterday)).toMatchObject({ missing_check_out: true, notes: 'Missing check-out' });

    const checkOut = await hub.request('POST', '/attendance/check-out', {
      token: admin.token,
      json: { employee_id: person.employee_id, occurred_at: `${yesterday}T17:30:00Z`, client_event_id: `out-${uid()}` },
    });
    expect(checkOut.status).toBe(200);
    expect(checkOut.body).toMatchObject({ action: 'check_out', record: { record_id: checkIn.body.record.record_id, missing_check_out: false } });
    const row = await rowOf(person, yesterday);
    expect(row).toMatchObject({ missing_check_out: false });
    expect(iso(row!.check_out_time)).toBe(`${yesterday}T17:30:00.000Z`);
  });
});

describe('live boards (real server)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  const sockets: Client[] = [];

  beforeAll(async () => {
    server = await startServer({ DATABASE_URL: soloUrl, ...ENV });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.stop('test');
  });

  
  it('when an admin closes a day over HTTP, then the manager’s board receives the attendance:changed events in order and attendance:missing_check_out', async () => {
    const { since, day } = era();
    const team = await hub.makeTeam();
    const manager = await member(team.team_id, since, { access: 'manager' });
    const alice = await member(team.team_id, since);
    const bob = await member(team.team_id, since);
    const aliceId = await record(alice, day, 'Present', { check_in: `${day}T08:45:00Z` });

    const board = await openSocket(server.url, manager.token);
    const bobSocket = await openSocket(server.url, bob.token);
    sockets.push(board, bobSocket);
    const snapshot = await board.emitWithAck('board:join', { team_id: team.team_id });
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    const changed = collect(board, 'attendance:changed');
    const missing = collect(board, 'attendance:missing_check_out');
    const bobChanged = collect(bobSocket, 'attendance:changed');
    const bobMissing = collect(bobSocket, 'attendance:missing_check_out');

    const res = await http(server.url, 'POST', '/attendance/end-of-day', { token: admin.token, json: { date: day } });
    expect(res).toEqual({ status: 200, body: { days: [{ date: day, absent: 2, missing_check_out: 1, auto_closed: 0 }] } });

    await waitFor('the events', () => changed.length >= 3 && missing.length >= 1 && bobChanged.length >= 1);
    await sleep(200); // nothing more arrives
    expect(changed.map((e) => e.seq)).toEqual([snapshot.seq + 1, snapshot.seq + 2, snapshot.seq + 3]);
    expect(changed.map((e) => e.action)).toEqual(['created', 'created', 'updated']);
    expect(changed.slice(0, 2).map((e) => e.employee.employee_id).sort()).toEqual([manager.employee_id, bob.employee_id].sort());
    expect(changed[2]).toMatchObject({ team_id: team.team_id, record: { record_id: aliceId, missing_check_out: true }, employee: { employee_id: alice.employee_id } });
    expect(missing).toEqual([
      { team_id: team.team_id, date: day, records: [{ record_id: aliceId, employee_id: alice.employee_id, name: alice.name, check_in_time: `${day}T08:45:00.000Z` }] },
    ]);
    // Bob does not watch the board: he hears about his own record only.
    expect(bobChanged).toHaveLength(1);
    expect(bobChanged[0]).toMatchObject({ action: 'created', record: { employee_id: bob.employee_id, status: 'Absent', source: 'system' } });
    expect(bobMissing).toEqual([]);
  });
});
