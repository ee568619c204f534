// Punches: check-in and check-out, lateness, local dates, plausibility, idempotency, concurrency, permissions and events.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvents } from '../src/infra/bus.ts';
import { createTestHub, type TestHub } from './utils.ts';

type Event = DomainEvents['attendance.changed'];

let hub: TestHub;
let nyHub: TestHub;
const events: Event[] = [];

beforeAll(async () => {
  hub = await createTestHub();
  nyHub = await createTestHub({ TIMEZONE: 'America/New_York' });
  hub.bus.subscribe('attendance.changed', (event) => events.push(event));
});
afterAll(async () => {
  await hub?.close();
  await nyHub?.close();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MISSING_ID = 2_000_000_000;

/** The UTC calendar date `n` days before now. */
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
/** An ISO instant on a date at a wall-clock time with an offset. */
const at = (date: string, hhmm: string, offset = 'Z') => `${date}T${hhmm}:00${offset}`;
/** ISO string of whatever the database returned for a timestamp (or null). */
const iso = (value: unknown) => (value == null ? null : new Date(value as string).toISOString());
const eventId = () => `evt-${randomUUID()}`;

type PunchRow = {
  punch_id: number;
  employee_id: number;
  occurred_at: string;
  received_at: string;
  source: string;
  client_event_id: string | null;
  action: string;
  record_id: number | null;
};
type RecordRow = {
  record_id: number;
  employee_id: number;
  team_id: number | null;
  attendance_date: string;
  status: string;
  check_in_time: string | null;
  check_out_time: string | null;
  source: string;
};

const punchesOf = (h: TestHub, employeeId: number) =>
  h.rows<PunchRow>(
    `select punch_id, employee_id, occurred_at, received_at, source, client_event_id, action, record_id
       from punches where employee_id = ? order by punch_id`,
    [employeeId],
  );
const recordsOf = (h: TestHub, employeeId: number) =>
  h.rows<RecordRow>(
    `select record_id, employee_id, team_id, to_char(attendance_date, 'YYYY-MM-DD') as attendance_date, status,
            check_in_time, check_out_time, source
       from attendance where employee_id = ? order by attendance_date`,
    [employeeId],
  );

type PunchBody = { employee_id?: number; badge_id?: string; occurred_at?: string; client_event_id?: string };
const checkIn = (token: string, json: PunchBody, h: TestHub = hub) => h.request('POST', '/attendance/check-in', { token, json });
const checkOut = (token: string, json: PunchBody, h: TestHub = hub) => h.request('POST', '/attendance/check-out', { token, json });

/** A team with the given schedule, one employee in it and an admin. */
async function setup(schedule: { workday_start?: string; grace_minutes?: number; working_weekdays?: number[] } = {}, h: TestHub = hub) {
  const team = await h.makeTeam({ workday_start: schedule.workday_start ?? '09:00', grace_minutes: schedule.grace_minutes ?? 5, working_weekdays: schedule.working_weekdays });
  const employee = await h.makeEmployee({ team_id: team.team_id });
  const admin = await h.makeEmployee({ access: 'admin' });
  return { team, employee, admin };
}

/** Expects nothing at all to be stored for an employee. */
async function expectNothingStored(employeeId: number, h: TestHub = hub) {
  expect(await punchesOf(h, employeeId)).toEqual([]);
  expect(await recordsOf(h, employeeId)).toEqual([]);
}

describe('the first punch of the day', () => {
  it('when an employee checks in, then the day’s record is opened at the server’s time and the raw punch is stored with its key', async () => {
    const { team, employee } = await setup();
    const key = eventId();
    const before = Date.now();
    const res = await checkIn(employee.token, { employee_id: employee.employee_id, client_event_id: key });
    expect(res.status, res.text).toBe(200);
    const checkInTime: string = res.body.record.check_in_time;
    const day = checkInTime.slice(0, 10); // TIMEZONE is UTC here
    const minutes = new Date(checkInTime).getUTCHours() * 60 + new Date(checkInTime).getUTCMinutes();
    // The team works 09:00–17:00, Monday to Friday: on a weekend there is no shift to be late for.
    const workday = new Date(`${day}T00:00:00Z`).getUTCDay() % 6 !== 0;
    expect(res.body).toEqual({
      action: 'check_in',
      duplicate: false,
      employee: { employee_id: employee.employee_id, name: employee.name },
      record: {
        record_id: expect.any(Number),
        employee_id: employee.employee_id,
        team_id: team.team_id,
        attendance_date: day,
        timezone: 'UTC',
        status: workday && minutes > 9 * 60 + 5 ? 'Late' : 'Present',
        check_in_time: checkInTime,
        check_out_time: null,
        intervals: [{ check_in_time: checkInTime, check_out_time: null }],
        presence: 'in',
        worked_minutes: 0,
        break_minutes: 0,
        overtime_minutes: 0,
        weekly_overtime_minutes: 0,
        planned_minutes: workday ? 480 : null,
        left_early: false,
        shift_start: workday ? `${day}T09:00:00.000Z` : null,
        shift_end: workday ? `${day}T17:00:00.000Z` : null,
        schedule_id: expect.any(Number),
        schedule_version: 1,
        auto_closed: false,
        notes: null,
        source: 'web',
        missing_check_out: false,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    });
    expect(new Date(checkInTime).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(checkInTime).getTime()).toBeLessThanOrEqual(Date.now() + 1000);

    const [record] = await recordsOf(hub, employee.employee_id);
    expect(record).toMatchObject({ record_id: res.body.record.record_id, team_id: team.team_id, attendance_date: day, source: 'web' });
    expect(iso(record.check_in_time)).toBe(checkInTime);
    expect(record.check_out_time).toBeNull();

    const punches = await punchesOf(hub, employee.employee_id);
    expect(punches).toHaveLength(1);
    expect(punches[0]).toMatchObject({ source: 'web', client_event_id: key, action: 'check_in', record_id: record.record_id });
    expect(iso(punches[0].occurred_at)).toBe(checkInTime);
    const received = new Date(punches[0].received_at).getTime();
    expect(received).toBeGreaterThanOrEqual(before - 1000);
    expect(received).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('when the first punch is exactly at start + grace, then the record is Present', async () => {
    const { employee, admin } = await setup({ workday_start: '08:30', grace_minutes: 10 });
    const day = daysAgo(1);
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:40') });
    expect(res.status, res.text).toBe(200);
    expect(res.body.record.status).toBe('Present');
    expect((await recordsOf(hub, employee.employee_id))[0].status).toBe('Present');
  });

  it('when the first punch is one minute after start + grace, then the record is Late', async () => {
    const { employee, admin } = await setup({ workday_start: '08:30', grace_minutes: 10 });
    const day = daysAgo(1);
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:41') });
    expect(res.status, res.text).toBe(200);
    expect(res.body.record.status).toBe('Late');
    expect((await recordsOf(hub, employee.employee_id))[0].status).toBe('Late');
  });

  it('when occurred_at carries an offset, then the instant is stored exactly and lateness uses the org’s local time', async () => {
    const { employee, admin } = await setup({ workday_start: '09:00', grace_minutes: 0 });
    const day = daysAgo(2);
    // 10:30 in UTC+02:00 is 08:30 UTC: before 09:00 in the org's zone (UTC).
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '10:30', '+02:00') });
    expect(res.status, res.text).toBe(200);
    expect(res.body.record).toMatchObject({ status: 'Present', check_in_time: `${day}T08:30:00.000Z`, attendance_date: day });
    const [record] = await recordsOf(hub, employee.employee_id);
    expect(iso(record.check_in_time)).toBe(`${day}T08:30:00.000Z`);
    expect(iso((await punchesOf(hub, employee.employee_id))[0].occurred_at)).toBe(`${day}T08:30:00.000Z`);
  });

  it('when occurred_at is left out, then the punch happens now', async () => {
    // A team with no shift on any day: never late, and every punch is of its own local day.
    const { employee, admin } = await setup({ working_weekdays: [] });
    const before = Date.now();
    const res = await checkIn(admin.token, { employee_id: employee.employee_id });
    expect(res.status, res.text).toBe(200);
    const checkedIn = new Date(res.body.record.check_in_time).getTime();
    expect(checkedIn).toBeGreaterThanOrEqual(before - 1000);
    expect(checkedIn).toBeLessThanOrEqual(Date.now() + 1000);
    expect(res.body.record.attendance_date).toBe(res.body.record.check_in_time.slice(0, 10));
    expect(res.body.record.status).toBe('Present');
    const [punch] = await punchesOf(hub, employee.employee_id);
    expect(iso(punch.occurred_at)).toBe(res.body.record.check_in_time);
    expect(punch.client_event_id).toBeNull();
    expect(punch.source).toBe('api');
  });

  it('when the employee has no team, then the default schedule (09:00 + 5 minutes) applies', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const onTime = await hub.makeEmployee({ team_id: null });
    const late = await hub.makeEmployee({ team_id: null });
    const day = daysAgo(1);
    const a = await checkIn(admin.token, { employee_id: onTime.employee_id, occurred_at: at(day, '09:05') });
    const b = await checkIn(admin.token, { employee_id: late.employee_id, occurred_at: at(day, '09:06') });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.record).toMatchObject({ status: 'Present', team_id: null });
    expect(b.body.record).toMatchObject({ status: 'Late', team_id: null });
  });

  it('when a manually entered Absent record exists without a check-in, then the punch fills in the arrival and its status', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    const made = await hub.request('POST', '/attendance/', {
      token: admin.token,
      json: { employee_id: employee.employee_id, attendance_date: day, status: 'Absent' },
    });
    expect(made.status).toBe(201);
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:30') });
    expect(res.status, res.text).toBe(200);
    expect(res.body.record).toMatchObject({ record_id: made.body.record_id, status: 'Late', check_in_time: `${day}T09:30:00.000Z` });
    const records = await recordsOf(hub, employee.employee_id);
    expect(records).toHaveLength(1);
    expect(records[0].status).toBe('Late');
  });
});

describe('the local date in the org time zone (TIMEZONE=America/New_York)', () => {
  /** The UTC offset of New York on a date, e.g. '-05:00'. */
  const nyOffset = (date: string) => {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'longOffset' }).formatToParts(
      new Date(`${date}T12:00:00Z`),
    );
    return parts.find((p) => p.type === 'timeZoneName')!.value.replace('GMT', '');
  };

  it('when a punch comes one minute before local midnight, then it belongs to that local day, not the UTC day', async () => {
    const { employee, admin } = await setup({}, nyHub);
    const day = daysAgo(3);
    const punchAt = at(day, '23:59', nyOffset(day));
    expect(new Date(punchAt).toISOString().slice(0, 10)).not.toBe(day); // in UTC it is already the next day
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: punchAt }, nyHub);
    expect(res.status, res.text).toBe(200);
    expect(res.body.record.attendance_date).toBe(day);
    expect((await recordsOf(nyHub, employee.employee_id))[0].attendance_date).toBe(day);
  });

  it('when a punch comes one minute after local midnight, then it belongs to the new local day', async () => {
    const { employee, admin } = await setup({}, nyHub);
    const day = daysAgo(3);
    const next = daysAgo(2);
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(next, '00:01', nyOffset(day)) }, nyHub);
    expect(res.status, res.text).toBe(200);
    expect(res.body.record.attendance_date).toBe(next);
    expect((await recordsOf(nyHub, employee.employee_id))[0].attendance_date).toBe(next);
  });

  it('when an employee punches in before and after local midnight, then they get one record per local day', async () => {
    const { employee, admin } = await setup({}, nyHub);
    const day = daysAgo(4);
    const next = daysAgo(3);
    const first = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '23:58', nyOffset(day)) }, nyHub);
    const second = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(next, '00:02', nyOffset(day)) }, nyHub);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await recordsOf(nyHub, employee.employee_id)).map((r) => r.attendance_date)).toEqual([day, next]);
  });

  it('when lateness is decided, then the team’s start is read in local time', async () => {
    const { employee, admin } = await setup({ workday_start: '09:00', grace_minutes: 5 }, nyHub);
    const late = await nyHub.makeEmployee({ team_id: employee.team_id });
    const day = daysAgo(2);
    // 08:30 in New York is 13:30 or 12:30 UTC: Late if read as UTC, Present locally.
    const a = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:30', nyOffset(day)) }, nyHub);
    const b = await checkIn(admin.token, { employee_id: late.employee_id, occurred_at: at(day, '09:06', nyOffset(day)) }, nyHub);
    expect(a.body.record.status).toBe('Present');
    expect(b.body.record.status).toBe('Late');
  });
});

describe('plausibility of occurred_at', () => {
  it('when occurred_at is older than PUNCH_MAX_AGE_HOURS (168), then it is 422 occurred_too_old and nothing is written', async () => {
    const { employee, admin } = await setup();
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: new Date(Date.now() - 169 * HOUR).toISOString() });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('occurred_too_old');
    await expectNothingStored(employee.employee_id);
  });

  it('when occurred_at is just inside PUNCH_MAX_AGE_HOURS, then it is accepted', async () => {
    const { employee, admin } = await setup();
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: new Date(Date.now() - 167 * HOUR).toISOString() });
    expect(res.status, res.text).toBe(200);
  });

  it('when occurred_at is more than 120 s in the future, then it is 422 occurred_in_future and nothing is written', async () => {
    const { employee, admin } = await setup();
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: new Date(Date.now() + 5 * 60_000).toISOString() });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('occurred_in_future');
    await expectNothingStored(employee.employee_id);
  });

  it('when occurred_at is slightly ahead (a device clock within 120 s), then it is accepted', async () => {
    const { employee, admin } = await setup();
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: new Date(Date.now() + 60_000).toISOString() });
    expect(res.status, res.text).toBe(200);
  });

  it('when occurred_at has no offset, then it is 422 and nothing is written', async () => {
    const { employee, admin } = await setup();
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: `${daysAgo(1)}T09:00:00` });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    await expectNothingStored(employee.employee_id);
  });
});

describe('checking in and out during the day', () => {
  it('when someone already checked in checks in again, then it is 409 already_checked_in and nothing more is written', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    const first = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:50') });
    expect(first.status).toBe(200);
    const again = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:10'), client_event_id: eventId() });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_checked_in');
    expect(await punchesOf(hub, employee.employee_id)).toHaveLength(1);
    const [record] = await recordsOf(hub, employee.employee_id);
    expect(iso(record.check_in_time)).toBe(`${day}T08:50:00.000Z`);
    expect(record.status).toBe('Present');
  });

  it('when someone checks out without a check-in that day, then it is 409 not_checked_in and nothing is written', async () => {
    const { employee, admin } = await setup();
    const res = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(daysAgo(1), '17:00') });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('not_checked_in');
    await expectNothingStored(employee.employee_id);
  });

  it('when a check-in exists only on another day, then checking out is still 409 not_checked_in', async () => {
    const { employee, admin } = await setup();
    expect((await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(daysAgo(2), '09:00') })).status).toBe(200);
    const res = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(daysAgo(1), '17:00') });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('not_checked_in');
    expect(await punchesOf(hub, employee.employee_id)).toHaveLength(1);
    expect(await recordsOf(hub, employee.employee_id)).toHaveLength(1);
  });

  it('when someone checks out, then the record gets its check-out time and keeps its status', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    const inRes = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:20') });
    const out = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '17:05') });
    expect(out.status, out.text).toBe(200);
    expect(out.body).toMatchObject({
      action: 'check_out',
      duplicate: false,
      record: { record_id: inRes.body.record.record_id, status: 'Late', check_in_time: `${day}T09:20:00.000Z`, check_out_time: `${day}T17:05:00.000Z` },
    });
    const [record] = await recordsOf(hub, employee.employee_id);
    expect(iso(record.check_in_time)).toBe(`${day}T09:20:00.000Z`);
    expect(iso(record.check_out_time)).toBe(`${day}T17:05:00.000Z`);
    expect(record.status).toBe('Late');
    const punches = await punchesOf(hub, employee.employee_id);
    expect(punches.map((p) => p.action)).toEqual(['check_in', 'check_out']);
    expect(punches[1].record_id).toBe(record.record_id);
    expect(iso(punches[1].occurred_at)).toBe(`${day}T17:05:00.000Z`);
  });

  it('when a second check-out follows a check-out, then it is refused (409 not_checked_in) and nothing moves; a check-in after it opens a new stay', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:00') });
    await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '17:00') });
    const again = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '18:30') });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('not_checked_in');
    expect(iso((await recordsOf(hub, employee.employee_id))[0].check_out_time)).toBe(`${day}T17:00:00.000Z`);
    expect(await punchesOf(hub, employee.employee_id)).toHaveLength(2);

    const back = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '19:00') });
    expect(back.status).toBe(200);
    expect(back.body.record).toMatchObject({ check_in_time: `${day}T09:00:00.000Z`, check_out_time: null, presence: 'in', worked_minutes: 480, break_minutes: 120 });
    const [record] = await recordsOf(hub, employee.employee_id);
    expect(iso(record.check_in_time)).toBe(`${day}T09:00:00.000Z`);
    expect(record.check_out_time).toBeNull();
  });

  it('when an explicit check-out from before the known check-in arrives late, then it is refused (409), never turned into a check-in', async () => {
    const { employee, admin } = await setup({ workday_start: '09:00', grace_minutes: 5 });
    const day = daysAgo(1);
    const first = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:30') });
    expect(first.body.record.status).toBe('Late');
    const offline = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:50'), client_event_id: eventId() });
    expect(offline.status, offline.text).toBe(409);
    expect(offline.body.code).toBe('not_checked_in');
    const [record] = await recordsOf(hub, employee.employee_id);
    expect(record.status).toBe('Late');
    expect(iso(record.check_in_time)).toBe(`${day}T09:30:00.000Z`);
    expect((await punchesOf(hub, employee.employee_id)).map((p) => p.action)).toEqual(['check_in']);
  });

  it('when an offline check-in from before the known check-in arrives late, then it becomes the first arrival, the status is recomputed and the later one closes nothing', async () => {
    const { employee, admin } = await setup({ workday_start: '09:00', grace_minutes: 5 });
    const day = daysAgo(1);
    const first = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:30') });
    expect(first.body.record.status).toBe('Late');
    const offline = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:50'), client_event_id: eventId() });
    expect(offline.status, offline.text).toBe(200);
    expect(offline.body.action).toBe('check_in');
    expect(offline.body.record).toMatchObject({ record_id: first.body.record.record_id, status: 'Present', check_in_time: `${day}T08:50:00.000Z`, check_out_time: null });
    const [record] = await recordsOf(hub, employee.employee_id);
    expect(record.status).toBe('Present');
    // In time order: in at 08:50, then a check-in at 09:30 while in: it did nothing, and says so.
    expect((await punchesOf(hub, employee.employee_id)).map((p) => [iso(p.occurred_at), p.action])).toEqual([
      [`${day}T09:30:00.000Z`, 'ignored'],
      [`${day}T08:50:00.000Z`, 'check_in'],
    ]);
  });
});

describe('idempotency with client_event_id', () => {
  it('when the same client_event_id is sent again, then the first result comes back with duplicate: true and no second punch is stored', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    const key = eventId();
    const first = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:45'), client_event_id: key });
    expect(first.status).toBe(200);
    expect(first.body.duplicate).toBe(false);
    const retry = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:45'), client_event_id: key });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ...first.body, duplicate: true });
    expect(await punchesOf(hub, employee.employee_id)).toHaveLength(1);
    expect(await recordsOf(hub, employee.employee_id)).toHaveLength(1);
  });

  it('when a client_event_id already used for another employee is sent, then it is 409 and reveals nothing of the other punch', async () => {
    const { employee, admin } = await setup();
    const other = await setup();
    const key = eventId();
    const first = await checkIn(admin.token, { employee_id: employee.employee_id, client_event_id: key });
    expect(first.status).toBe(200);
    const clash = await checkIn(other.admin.token, { employee_id: other.employee.employee_id, client_event_id: key });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('client_event_id_conflict');
    expect(JSON.stringify(clash.body)).not.toContain(String(first.body.record.record_id));
    expect(await punchesOf(hub, other.employee.employee_id)).toHaveLength(0);
  });

  it('when a retry arrives after its time has left the accepted window, then it is still answered from the first result', async () => {
    const { employee, admin } = await setup();
    const key = eventId();
    const occurred = new Date(Date.now() - 167 * HOUR).toISOString();
    const first = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: occurred, client_event_id: key });
    expect(first.status).toBe(200);
    await hub.rows('update punches set occurred_at = occurred_at - interval \'2 days\' where client_event_id = ?', [key]);
    const older = new Date(Date.now() - 300 * HOUR).toISOString();
    const retry = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: older, client_event_id: key });
    expect(retry.status).toBe(200);
    expect(retry.body.duplicate).toBe(true);
    expect(retry.body.record.record_id).toBe(first.body.record.record_id);
  });

  it('when a check-out is retried with its client_event_id, then it is answered as the check-out, not as already done', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:00') });
    const key = eventId();
    const out = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '17:00'), client_event_id: key });
    const retry = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '17:00'), client_event_id: key });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ action: 'check_out', duplicate: true, record: { record_id: out.body.record.record_id } });
    expect(await punchesOf(hub, employee.employee_id)).toHaveLength(2);
  });

  it('when 10 identical punches arrive at once, then exactly one is stored and all answers agree on the record', async () => {
    const { employee, admin } = await setup();
    const key = eventId();
    const body = { employee_id: employee.employee_id, occurred_at: at(daysAgo(1), '08:58'), client_event_id: key };
    const replies = await Promise.all(Array.from({ length: 10 }, () => checkIn(admin.token, body)));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    const recordIds = new Set(replies.map((r) => r.body.record.record_id));
    expect(recordIds.size).toBe(1);
    expect(replies.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(replies.filter((r) => r.body.duplicate === true)).toHaveLength(9);
    expect(replies.every((r) => r.body.action === 'check_in')).toBe(true);

    const punches = await punchesOf(hub, employee.employee_id);
    expect(punches).toHaveLength(1);
    expect(punches[0].client_event_id).toBe(key);
    const records = await recordsOf(hub, employee.employee_id);
    expect(records).toHaveLength(1);
    expect(records[0].record_id).toBe([...recordIds][0]);
  });

  it('when a batch waits on a record locked by another session, then punches of other people that arrive meanwhile are committed and answered', async () => {
    const { team, employee, admin } = await setup();
    const other = await hub.makeEmployee({ team_id: team.team_id });
    const day = daysAgo(1);
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:00') });
    const [record] = await recordsOf(hub, employee.employee_id);
    // Another session (an edit in progress, say) holds the row lock of the record the next punch must change.
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const held = hub.orm.em.fork().transactional(async (tx) => {
      await tx.execute('select 1 from attendance where record_id = ? for update', [record.record_id]);
      locked();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    let blockedDone = false;
    const blocked = checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '17:00') }).finally(() => (blockedDone = true));
    // Until its batch is waiting on the lock (a punch sent at the same moment would share that batch, and its wait).
    for (let i = 0; i < 200; i++) {
      const [{ n }] = await hub.rows<{ n: string }>("select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%who as materialized%'");
      if (Number(n) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const free = await checkIn(admin.token, { employee_id: other.employee_id, occurred_at: at(day, '09:05') });
    expect(free.status).toBe(200);
    expect(blockedDone).toBe(false);
    release();
    await held;
    expect((await blocked).body).toMatchObject({ action: 'check_out', record: { record_id: record.record_id } });
  });

  it('when several first punches of one employee with different client_event_ids arrive at once, then one record is opened with one stay from the earliest accepted', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, `08:0${i}`), client_event_id: eventId() }),
      ),
    );
    // In arrival order, a check-in while in is refused; one stamped earlier than the open stay (arriving later) is
    // placed before it in time order, and the later one becomes a double check-in, kept as ignored.
    const ok = replies.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of replies.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('already_checked_in');
    }
    const records = await recordsOf(hub, employee.employee_id);
    expect(records).toHaveLength(1);
    for (const r of ok) expect(r.body.record.record_id).toBe(records[0].record_id);
    const punches = await punchesOf(hub, employee.employee_id);
    expect(punches).toHaveLength(ok.length);
    expect(punches.every((p) => p.record_id === records[0].record_id)).toBe(true);
    const kept = await hub.rows<{ action: string; occurred_at: string }>('select action, occurred_at from punches where employee_id = ? order by occurred_at', [employee.employee_id]);
    expect(kept.map((p) => p.action)).toEqual(['check_in', ...kept.slice(1).map(() => 'ignored')]);
    const [record] = await hub.rows<{ intervals: { check_in_time: string; check_out_time: string | null }[] }>('select intervals from attendance where employee_id = ?', [employee.employee_id]);
    expect(record.intervals).toEqual([{ check_in_time: new Date(kept[0].occurred_at).toISOString(), check_out_time: null }]);
  });

  it('when check-outs with different times race, then whatever their order the earliest closes the stay and the others are refused or marked ignored', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:00') });
    const times = ['16:00', '17:30', '16:45', '17:10', '16:20'];
    const replies = await Promise.all(
      times.map((t) => checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, t), client_event_id: eventId() })),
    );
    for (const r of replies) expect([200, 409]).toContain(r.status);
    const [record] = await recordsOf(hub, employee.employee_id);
    expect(iso(record.check_out_time)).toBe(`${day}T16:00:00.000Z`);
    // Every accepted one is stored once; in time order, only the earliest is a check-out.
    const punches = await punchesOf(hub, employee.employee_id);
    expect(punches).toHaveLength(1 + replies.filter((r) => r.status === 200).length);
    const outs = punches.filter((p) => p.action === 'check_out');
    expect(outs.map((p) => iso(p.occurred_at))).toEqual([`${day}T16:00:00.000Z`]);
  });

  it('when a punch is rejected, then its client_event_id is not used up and a corrected retry succeeds', async () => {
    const { employee, admin } = await setup();
    const key = eventId();
    const early = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(daysAgo(1), '17:00'), client_event_id: key });
    expect(early.status).toBe(409);
    const res = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(daysAgo(1), '09:00'), client_event_id: key });
    expect(res.status).toBe(200);
    expect(res.body.duplicate).toBe(false);
    expect(await punchesOf(hub, employee.employee_id)).toHaveLength(1);
  });
});

describe('who may punch', () => {
  it('when an employee punches for a colleague, then it is 403 and nothing is written', async () => {
    const { alice, bob } = await hub.makeOrg();
    const res = await checkIn(alice.token, { employee_id: bob.employee_id, occurred_at: at(daysAgo(1), '09:00') });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    await expectNothingStored(bob.employee_id);
    await expectNothingStored(alice.employee_id);
  });

  it('when an employee uses a colleague’s badge, then it is 403 and nothing is written', async () => {
    const { alice, bob } = await hub.makeOrg();
    const res = await checkIn(alice.token, { badge_id: bob.badge_id!, occurred_at: at(daysAgo(1), '09:00') });
    expect(res.status).toBe(403);
    await expectNothingStored(bob.employee_id);
  });

  it('when an employee replays a colleague’s client_event_id for that colleague, then it is still 403', async () => {
    const { alice, bob, admin } = await hub.makeOrg();
    const key = eventId();
    const day = daysAgo(1);
    const original = await checkIn(admin.token, { employee_id: bob.employee_id, occurred_at: at(day, '09:00'), client_event_id: key });
    expect(original.status).toBe(200);
    const replay = await checkIn(alice.token, { employee_id: bob.employee_id, occurred_at: at(day, '09:00'), client_event_id: key });
    expect(replay.status).toBe(403);
    expect(replay.body.record).toBeUndefined();
    expect(await punchesOf(hub, bob.employee_id)).toHaveLength(1);
  });

  it('when a manager punches for their team, then it works; for another team, then it is 403 and nothing is written', async () => {
    const { manager, alice } = await hub.makeOrg();
    const other = await hub.makeOrg();
    const day = daysAgo(1);
    const own = await checkIn(manager.token, { employee_id: alice.employee_id, occurred_at: at(day, '09:00') });
    expect(own.status, own.text).toBe(200);
    expect((await punchesOf(hub, alice.employee_id))[0].source).toBe('api');
    const foreign = await checkIn(manager.token, { employee_id: other.alice.employee_id, occurred_at: at(day, '09:00') });
    expect(foreign.status).toBe(403);
    await expectNothingStored(other.alice.employee_id);
  });

  it('when an admin punches for anyone, then it works and the punch source is api; an employee’s own punch is web', async () => {
    const { admin, alice, bob } = await hub.makeOrg();
    const day = daysAgo(1);
    const byAdmin = await checkIn(admin.token, { employee_id: alice.employee_id, occurred_at: at(day, '09:00') });
    const bySelf = await checkIn(bob.token, { badge_id: bob.badge_id! });
    expect([byAdmin.status, bySelf.status]).toEqual([200, 200]);
    expect((await punchesOf(hub, alice.employee_id))[0].source).toBe('api');
    expect((await recordsOf(hub, alice.employee_id))[0].source).toBe('api');
    expect((await punchesOf(hub, bob.employee_id))[0].source).toBe('web');
    expect((await recordsOf(hub, bob.employee_id))[0].source).toBe('web');
  });

  it('when punching by badge, then the badge’s owner is checked in', async () => {
    const { admin, alice } = await hub.makeOrg();
    const res = await checkIn(admin.token, { badge_id: alice.badge_id!, occurred_at: at(daysAgo(1), '09:00') });
    expect(res.status, res.text).toBe(200);
    expect(res.body.record.employee_id).toBe(alice.employee_id);
    expect(await punchesOf(hub, alice.employee_id)).toHaveLength(1);
  });

  it('when the badge is unknown, then it is 404 unknown_badge', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const res = await checkIn(admin.token, { badge_id: `NOPE-${randomUUID()}`, occurred_at: at(daysAgo(1), '09:00') });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('unknown_badge');
  });

  it('when the employee id is unknown, then it is 404', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const res = await checkIn(admin.token, { employee_id: MISSING_ID, occurred_at: at(daysAgo(1), '09:00') });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('when the employee is inactive, then it is 403 by id and by badge and nothing is written', async () => {
    const team = await hub.makeTeam();
    const admin = await hub.makeEmployee({ access: 'admin' });
    const gone = await hub.makeEmployee({ team_id: team.team_id, active: false });
    for (const body of [{ employee_id: gone.employee_id }, { badge_id: gone.badge_id! }]) {
      const res = await checkIn(admin.token, { ...body, occurred_at: at(daysAgo(1), '09:00') });
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.code).toBe('employee_inactive');
    }
    await expectNothingStored(gone.employee_id);
  });

  it('when both employee_id and badge_id, or neither, are given, then it is 422 and nothing is written', async () => {
    const { admin, alice } = await hub.makeOrg();
    const both = await checkIn(admin.token, { employee_id: alice.employee_id, badge_id: alice.badge_id!, occurred_at: at(daysAgo(1), '09:00') });
    expect(both.status).toBe(422);
    expect(both.body.code).toBe('validation_error');
    const neither = await checkIn(admin.token, { occurred_at: at(daysAgo(1), '09:00') });
    expect(neither.status).toBe(422);
    await expectNothingStored(alice.employee_id);
  });

  it('when nobody is signed in, then it is 401', async () => {
    const { alice } = await hub.makeOrg();
    const res = await hub.request('POST', '/attendance/check-in', { json: { employee_id: alice.employee_id } });
    expect(res.status).toBe(401);
    await expectNothingStored(alice.employee_id);
  });
});

describe('who chooses the time of a punch', () => {
  const auditOf = (recordId: number) =>
    hub.rows<{ action: string; actor_id: number; actor_kind: string; before: any; after: any }>(
      `select action, actor_id, actor_kind, before, after from audit_log where entity_type = 'attendance' and entity_id = ? order by audit_id`,
      [recordId],
    );

  it('when an employee sends occurred_at for their own punch, then it is 403 occurred_at_not_allowed on check-in and check-out and nothing is written', async () => {
    const { employee } = await setup();
    const day = daysAgo(1);
    for (const [send, occurred] of [[checkIn, at(day, '08:00')], [checkOut, at(day, '17:00')], [checkIn, new Date().toISOString()]] as const) {
      for (const who of [{ employee_id: employee.employee_id }, { badge_id: employee.badge_id! }]) {
        const res = await send(employee.token, { ...who, occurred_at: occurred, client_event_id: eventId() });
        expect(res.status, res.text).toBe(403);
        expect(res.body.code).toBe('occurred_at_not_allowed');
      }
    }
    await expectNothingStored(employee.employee_id);
  });

  it('when an employee marked Absent by the end-of-day rule tries to backdate a check-in, then the Absent record stays as it was', async () => {
    const { employee } = await setup();
    const day = daysAgo(1);
    await hub.rows(
      `insert into attendance (employee_id, team_id, attendance_date, status, notes, source, created_at, updated_at)
       values (?, ?, ?, 'Absent', 'No check-in by the end of the day', 'system', now(), now())`,
      [employee.employee_id, employee.team_id, day],
    );
    const res = await checkIn(employee.token, { employee_id: employee.employee_id, occurred_at: at(day, '08:55') });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('occurred_at_not_allowed');
    const [record] = await recordsOf(hub, employee.employee_id);
    expect(record).toMatchObject({ status: 'Absent', source: 'system', check_in_time: null });
  });

  it('when a manager sets the time of a punch for a member of their team, then it is applied and audited with the manager as actor', async () => {
    const { manager, alice } = await hub.makeOrg();
    const day = daysAgo(1);
    const res = await checkIn(manager.token, { employee_id: alice.employee_id, occurred_at: at(day, '08:30') });
    expect(res.status, res.text).toBe(200);
    const out = await checkOut(manager.token, { employee_id: alice.employee_id, occurred_at: at(day, '16:45') });
    expect(out.status, out.text).toBe(200);
    const trail = await auditOf(res.body.record.record_id);
    expect(trail.map((t) => [t.action, t.actor_id, t.actor_kind])).toEqual([
      ['create', manager.employee_id, 'manager'],
      ['update', manager.employee_id, 'manager'],
    ]);
    expect(trail[0].before).toBeNull();
    expect(trail[0].after).toMatchObject({ record_id: res.body.record.record_id, check_in_time: `${day}T08:30:00.000Z`, punch: { occurred_at: `${day}T08:30:00.000Z`, action: 'check_in', source: 'api' } });
    expect(trail[1].before).toMatchObject({ check_in_time: `${day}T08:30:00.000Z`, check_out_time: null });
    expect(trail[1].after).toMatchObject({ check_out_time: `${day}T16:45:00.000Z`, punch: { action: 'check_out' } });
  });

  it('when a manager sends occurred_at for their own punch, then it is 403 occurred_at_not_allowed; for another team, 403 forbidden; without it, their own punch works', async () => {
    const { manager } = await hub.makeOrg();
    const other = await hub.makeOrg();
    const own = await checkIn(manager.token, { employee_id: manager.employee_id, occurred_at: at(daysAgo(1), '08:00') });
    expect(own.status).toBe(403);
    expect(own.body.code).toBe('occurred_at_not_allowed');
    const foreign = await checkIn(manager.token, { employee_id: other.alice.employee_id, occurred_at: at(daysAgo(1), '08:00') });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('forbidden');
    await expectNothingStored(manager.employee_id);
    await expectNothingStored(other.alice.employee_id);
    expect((await checkIn(manager.token, { employee_id: manager.employee_id })).status).toBe(200);
  });

  it('when an admin sets the time of anyone’s punch, then it is applied and audited; a punch at the server’s time is not audited', async () => {
    const { admin, alice, bob } = await hub.makeOrg();
    const res = await checkIn(admin.token, { employee_id: alice.employee_id, occurred_at: at(daysAgo(1), '09:10') });
    expect(res.status).toBe(200);
    expect((await auditOf(res.body.record.record_id)).map((t) => [t.action, t.actor_id, t.actor_kind])).toEqual([['create', admin.employee_id, 'admin']]);
    const plain = await checkIn(bob.token, { employee_id: bob.employee_id });
    expect(plain.status).toBe(200);
    expect(await auditOf(plain.body.record.record_id)).toEqual([]);
  });
});

describe('what an employee learns from a refused punch', () => {
  it('when an employee punches for any id or badge that is not theirs (unknown, a colleague’s, an inactive colleague’s), then every answer is the same 403 naming nobody', async () => {
    const { alice, bob } = await hub.makeOrg();
    const gone = await hub.makeEmployee({ team_id: alice.team_id, active: false, name: `Gone ${randomUUID().slice(0, 6)}` });
    const attempts: PunchBody[] = [
      { employee_id: MISSING_ID },
      { employee_id: bob.employee_id },
      { employee_id: gone.employee_id },
      { badge_id: `NOPE-${randomUUID()}` },
      { badge_id: bob.badge_id! },
      { badge_id: gone.badge_id! },
    ];
    const answers = new Set<string>();
    for (const body of attempts) {
      for (const send of [checkIn, checkOut]) {
        const res = await send(alice.token, body);
        expect(res.status, JSON.stringify(body)).toBe(403);
        expect(res.text).not.toContain(gone.name);
        expect(res.text).not.toContain(bob.name);
        answers.add(res.text);
      }
    }
    expect([...answers]).toEqual([JSON.stringify({ detail: 'You may only punch for yourself', code: 'forbidden' })]);
    await expectNothingStored(bob.employee_id);
    await expectNothingStored(gone.employee_id);
  });
});

describe('attendance.changed events from punches', () => {
  it('when someone checks in and out, then an event is published for each with the team, employee and record', async () => {
    const { team, employee, admin } = await setup();
    const mine = () => events.filter((e) => e.employee.employee_id === employee.employee_id);
    const inRes = await checkIn(employee.token, { employee_id: employee.employee_id });
    const outRes = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: new Date(Date.now() + 60_000).toISOString() });
    const seen = mine();
    expect(seen.map((e) => e.action)).toEqual(['check_in', 'check_out']);
    for (const e of seen) {
      expect(e.team_id).toBe(team.team_id);
      expect(e.employee).toEqual({ employee_id: employee.employee_id, name: employee.name });
    }
    expect(seen[0].record).toEqual(inRes.body.record);
    expect(seen[1].record).toEqual(outRes.body.record);
  });

  it('when a punch is rejected or is a duplicate, then no event is published', async () => {
    const { employee, admin } = await setup();
    const day = daysAgo(1);
    const mine = () => events.filter((e) => e.employee.employee_id === employee.employee_id);
    await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '17:00') }); // not checked in
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: new Date(Date.now() + 10 * 60_000).toISOString() }); // future
    expect(mine()).toHaveLength(0);
    const key = eventId();
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:00'), client_event_id: key });
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:00'), client_event_id: key }); // duplicate
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(day, '09:10') }); // already checked in
    expect(mine().map((e) => e.action)).toEqual(['check_in']);
  });
});

describe('a shift across midnight', () => {
  it('when someone checks in late in the evening and punches again after midnight, then the punch closes last night’s record', async () => {
    const { employee, admin } = await setup({ workday_start: '21:00', grace_minutes: 30 });
    const evening = daysAgo(2);
    const morning = daysAgo(1);
    const start = await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(evening, '22:00'), client_event_id: eventId() });
    expect(start.status, start.text).toBe(200);
    const end = await checkOut(admin.token, { employee_id: employee.employee_id, occurred_at: at(morning, '02:00'), client_event_id: eventId() });
    expect(end.status, end.text).toBe(200);
    expect(end.body.action).toBe('check_out');
    expect(end.body.record.record_id).toBe(start.body.record.record_id);
    expect(end.body.record.attendance_date).toBe(evening);
    const records = await recordsOf(hub, employee.employee_id);
    expect(records).toHaveLength(1);
    expect(iso(records[0].check_out_time)).toBe(`${morning}T02:00:00.000Z`);
    const punches = await punchesOf(hub, employee.employee_id);
    expect(punches.map((p) => [p.action, p.record_id])).toEqual([
      ['check_in', start.body.record.record_id],
      ['check_out', start.body.record.record_id],
    ]);
  });

  it('when the next punch comes more than MAX_SHIFT_HOURS after an open check-in, then it opens the new day instead', async () => {
    const { employee, admin } = await setup();
    const first = daysAgo(2);
    const next = daysAgo(1);
    await checkIn(admin.token, { employee_id: employee.employee_id, occurred_at: at(first, '09:00'), client_event_id: eventId() });
    // 24 hours later: yesterday's record stays open (the end-of-day rule flags it); today gets its own record.
    const res = await hub.request('POST', '/attendance/check-in', {
      token: admin.token,
      json: { employee_id: employee.employee_id, occurred_at: at(next, '09:00'), client_event_id: eventId() },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.record.attendance_date).toBe(next);
    const records = await recordsOf(hub, employee.employee_id);
    expect(records.map((r) => [r.attendance_date, r.check_out_time])).toEqual([
      [first, null],
      [next, null],
    ]);
  });
});
