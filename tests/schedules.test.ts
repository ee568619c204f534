// Schedules, assignments, holidays and teams' working-time settings through the real server; a change recomputes only
// the days it affects; both missing-check-out policies; the seed's time-only input; timesheets and exports.
import { describe, expect, it } from 'vitest';
import { http, waitFor, withHubAndServer, type TestServer } from './socket-utils.ts';
import { createSoloDatabase, createTestHub, uid, type TestHub } from './utils.ts';

let hub: TestHub;
let server: TestServer;

withHubAndServer({}, (h, s) => ((hub = h), (server = s)));

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
const weekdays = (start: string, end: string, days = [1, 2, 3, 4, 5, 6, 7]) => days.map((weekday) => ({ weekday, start, end }));

describe('schedules', () => {
  it('when an admin creates a schedule in the documented shape, then it comes back with its id, version 1 and the cycle counted from the Monday of its week', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const body = { name: `Nights ${uid()}`, cycle_weeks: 1, shifts: [{ week: 1, weekday: 1, start: '22:00', end: '06:00', break_minutes: 30 }] };
    const res = await hub.request('POST', '/schedules/', { token: admin.token, json: body });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: body.name, cycle_weeks: 1, grace_minutes: 5, version: 1, shifts: body.shifts, owner_team_id: null });
    expect(new Date(`${res.body.starts_on}T00:00:00Z`).getUTCDay()).toBe(1);
    expect((await hub.request('GET', `/schedules/${res.body.schedule_id}`, { token: admin.token })).body.name).toBe(body.name);
    expect((await hub.request('POST', '/schedules/', { token: admin.token, json: body })).status).toBe(409);
 });

  it.each([
    ['a weekday out of 1–7', { shifts: [{ weekday: 8, start: '09:00', end: '17:00' }] }, 'weekday'],
    ['a shift in week 2 of a one-week cycle', { shifts: [{ week: 2, weekday: 1, start: '09:00', end: '17:00' }] }, 'shifts'],
    ['two shifts overlapping on a day', { shifts: [{ weekday: 1, start: '09:00', end: '13:00' }, { weekday: 1, start: '12:00', end: '17:00' }] }, 'shifts'],
    ['a time that is not HH:MM', { shifts: [{ weekday: 1, start: '9am', end: '17:00' }] }, 'start'],
    ['a break as long as the shift', { shifts: [{ weekday: 1, start: '09:00', end: '10:00', break_minutes: 60 }] }, 'break_minutes'],
  ])('when a schedule has %s, then 422 names the field and nothing is created', async (_name, body, field) => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const name = `Bad ${uid()}`;
    const res = await hub.request('POST', '/schedules/', { token: admin.token, json: { name, ...body } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain(field);
    expect(await hub.rows('select 1 from schedules where name = ?', [name])).toEqual([]);
 });

  it('when a manager or an employee writes schedules, then 403; everyone may read them', async () => {
    const { manager, alice } = await hub.makeOrg();
    for (const who of [manager, alice]) {
      expect((await hub.request('POST', '/schedules/', { token: who.token, json: { name: `X ${uid()}`, shifts: [] } })).status).toBe(403);
      expect((await hub.request('GET', '/schedules/', { token: who.token })).status).toBe(200);
   }
 });

  it('when a schedule is used by a team, then it cannot be deleted (409 schedule_in_use)', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const made = await hub.request('POST', '/schedules/', { token: admin.token, json: { name: `Used ${uid()}`, shifts: weekdays('09:00', '17:00') } });
    await hub.makeTeam({ schedule_id: made.body.schedule_id });
    const res = await hub.request('DELETE', `/schedules/${made.body.schedule_id}`, { token: admin.token });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('schedule_in_use');
 });

  it('when a team is created with a start time, grace and weekdays, then they become a schedule the team owns, and a change of them is a new version', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const created = await hub.request('POST', '/teams/', { token: admin.token, json: { team_name: `Hours ${uid()}`, workday_start: '08:30', grace_minutes: 10, working_weekdays: [1, 2, 3] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ workday_start: '08:30', grace_minutes: 10, working_weekdays: [1, 2, 3], weekly_hours: 40, missing_check_out: 'flag', timezone: 'UTC' });
    const schedule = await hub.request('GET', `/schedules/${created.body.schedule_id}`, { token: admin.token });
    expect(schedule.body).toMatchObject({ owner_team_id: created.body.team_id, version: 1, grace_minutes: 10 });
    expect(schedule.body.shifts).toEqual([1, 2, 3].map((weekday) => ({ week: 1, weekday, start: '08:30', end: '16:30', break_minutes: 0 })));
    const changed = await hub.request('PUT', `/teams/${created.body.team_id}`, { token: admin.token, json: { workday_start: '07:00', timezone: 'Europe/Paris', weekly_hours: 35, missing_check_out: 'close_at_shift_end' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ workday_start: '07:00', schedule_id: created.body.schedule_id, timezone: 'Europe/Paris', weekly_hours: 35, missing_check_out: 'close_at_shift_end' });
    expect((await hub.request('GET', `/schedules/${created.body.schedule_id}`, { token: admin.token })).body.version).toBe(2);
    expect((await hub.request('PUT', `/teams/${created.body.team_id}`, { token: admin.token, json: { timezone: 'Mars/Olympus' } })).status).toBe(422);
 });

  it('when an employee is put on a schedule for a period, then GET lists it, an open-ended earlier one ends the day before, and an overlap is 409', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const { alice, manager } = await hub.makeOrg();
    const a = await hub.request('POST', '/schedules/', { token: admin.token, json: { name: `A ${uid()}`, shifts: weekdays('06:00', '14:00') } });
    const b = await hub.request('POST', '/schedules/', { token: admin.token, json: { name: `B ${uid()}`, shifts: weekdays('14:00', '22:00') } });
    const first = await hub.request('POST', `/employees/${alice.employee_id}/schedules`, { token: admin.token, json: { schedule_id: a.body.schedule_id, valid_from: '2026-01-01' } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ employee_id: alice.employee_id, schedule_id: a.body.schedule_id, valid_from: '2026-01-01', valid_to: null });
    const second = await hub.request('POST', `/employees/${alice.employee_id}/schedules`, { token: admin.token, json: { schedule_id: b.body.schedule_id, valid_from: '2026-06-01', valid_to: '2026-06-30' } });
    expect(second.status).toBe(201);
    const overlap = await hub.request('POST', `/employees/${alice.employee_id}/schedules`, { token: admin.token, json: { schedule_id: a.body.schedule_id, valid_from: '2026-06-15' } });
    expect(overlap.status).toBe(409);
    const list = await hub.request('GET', `/employees/${alice.employee_id}/schedules`, { token: manager.token });
    expect(list.status).toBe(200);
    expect(list.body.map((x: { valid_from: string; valid_to: string | null }) => [x.valid_from, x.valid_to])).toEqual([['2026-01-01', '2026-05-31'], ['2026-06-01', '2026-06-30']]);
    expect((await hub.request('GET', `/employees/${alice.employee_id}/schedules`, { token: (await hub.makeOrg()).manager.token })).status).toBe(403);
    expect((await hub.request('POST', `/employees/2000000000/schedules`, { token: admin.token, json: { schedule_id: a.body.schedule_id, valid_from: '2026-01-01' } })).status).toBe(404);
 });
});

describe('recomputing only the days a change affects', () => {
  it('when a schedule gets a new version from a past day, then records from that day to today follow it and earlier records keep the version that decided them', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const made = await http(server.url, 'POST', '/schedules/', { token: admin.token, json: { name: `Moving ${uid()}`, shifts: weekdays('09:00', '17:00') } });
    const t = await hub.makeTeam({ schedule_id: made.body.schedule_id });
    const person = await hub.makeEmployee({ team_id: t.team_id });
    const days = [5, 4, 3, 2].map(daysAgo);
    for (const d of days) {
      for (const [at, path] of [[`${d}T09:00:00Z`, 'check-in'], [`${d}T17:00:00Z`, 'check-out']] as const) {
        expect((await http(server.url, 'POST', `/attendance/${path}`, { token: admin.token, json: { employee_id: person.employee_id, occurred_at: at } })).status).toBe(200);
     }
   }
    const before = await hub.rows<{ attendance_date: string; updated_at: string }>('select attendance_date::text, updated_at::text from attendance where employee_id = ? order by attendance_date', [person.employee_id]);
    // From three days ago, the shift is 08:30–16:00: arriving at 09:00 is Late, and staying to 17:00 is 30 minutes of overtime.
    const put = await http(server.url, 'PUT', `/schedules/${made.body.schedule_id}`, { token: admin.token, json: { shifts: weekdays('08:30', '16:00'), valid_from: days[2] } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: 2, valid_from: days[2] });
    type Row = { attendance_date: string; status: string; schedule_version: number; overtime_minutes: number; updated_at: string };
    const after = await waitFor('the recompute', async () => {
      const rows = await hub.rows<Row>('select attendance_date::text, status, schedule_version, overtime_minutes, updated_at::text from attendance where employee_id = ? order by attendance_date', [person.employee_id]);
      return rows.filter((r) => r.attendance_date >= days[2]).every((r) => r.schedule_version === 2) ? rows : null;
   }, 15_000);
    expect(after.map((r) => [r.attendance_date, r.status, r.schedule_version, r.overtime_minutes])).toEqual([
      [days[0], 'Present', 1, 0],
      [days[1], 'Present', 1, 0],
      [days[2], 'Late', 2, 30],
      [days[3], 'Late', 2, 30],
    ]);
    // The earlier days were not rewritten at all.
    expect(after.slice(0, 2).map((r) => r.updated_at)).toEqual(before.slice(0, 2).map((r) => r.updated_at));
 });
});

describe('missing check-outs', () => {
  it('when a stay is still open after its shift, then a "flag" team flags it and a "close_at_shift_end" team closes it at the shift’s end, marked auto_closed', async () => {
    const solo = await createSoloDatabase('missing');
    const h = await createTestHub({ DATABASE_URL: solo.url });
    try {
      const admin = await h.makeEmployee({ access: 'admin' });
      const flagTeam = await h.makeTeam({ workday_start: '09:00', working_weekdays: [1, 2, 3, 4, 5, 6, 7], missing_check_out: 'flag' });
      const closeTeam = await h.makeTeam({ workday_start: '09:00', working_weekdays: [1, 2, 3, 4, 5, 6, 7], missing_check_out: 'close_at_shift_end' });
      const flagged = await h.makeEmployee({ team_id: flagTeam.team_id });
      const closed = await h.makeEmployee({ team_id: closeTeam.team_id });
      const d = daysAgo(2);
      for (const p of [flagged, closed]) {
        expect((await h.request('POST', '/attendance/check-in', { token: admin.token, json: { employee_id: p.employee_id, occurred_at: `${d}T09:00:00Z` } })).status).toBe(200);
     }
      const result = await h.runJob('attendance:end-of-day', { date: d });
      expect(result.days).toEqual([{ date: d, absent: expect.any(Number), missing_check_out: 1, auto_closed: 1 }]);
      const [f] = await h.rows<{ missing_check_out: boolean; intervals: unknown }>('select missing_check_out, intervals from attendance where employee_id = ?', [flagged.employee_id]);
      expect(f.missing_check_out).toBe(true);
      expect(f.intervals).toEqual([{ check_in_time: `${d}T09:00:00.000Z`, check_out_time: null }]);
      const record = (await h.request('GET', `/attendance/employee/${closed.employee_id}`, { token: admin.token })).body[0];
      expect(record).toMatchObject({ auto_closed: true, missing_check_out: false, check_out_time: `${d}T17:00:00.000Z`, worked_minutes: 480 });
      expect(record.intervals).toEqual([{ check_in_time: `${d}T09:00:00.000Z`, check_out_time: `${d}T17:00:00.000Z`, auto_closed: true }]);
      // Running the day again changes nothing.
      expect((await h.runJob('attendance:end-of-day', { date: d })).days).toEqual([{ date: d, absent: 0, missing_check_out: 0, auto_closed: 0 }]);
   } finally {
      await h.close();
      await solo.drop();
   }
 });
});

describe('records from the seed’s model, timesheets and exports', () => {
  it('when a record is created with local times "09:00:00" and "17:30:00", then they are read in the team’s zone and answered as ISO 8601 with the zone named', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const t = await hub.makeTeam({ timezone: 'America/New_York' });
    const person = await hub.makeEmployee({ team_id: t.team_id });
    const d = '2026-11-10';
    const res = await hub.request('POST', '/attendance/', {
      token: admin.token,
      json: { employee_id: person.employee_id, attendance_date: d, status: 'Present', check_in_time: '09:00:00', check_out_time: '17:30:00' },
   });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ timezone: 'America/New_York', check_in_time: `${d}T14:00:00.000Z`, check_out_time: `${d}T22:30:00.000Z`, worked_minutes: 510 });
    const put = await hub.request('PUT', `/attendance/${res.body.record_id}`, { token: admin.token, json: { intervals: [{ check_in_time: '09:00', check_out_time: '12:00' }, { check_in_time: '12:30', check_out_time: '17:30' }] } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ worked_minutes: 480, break_minutes: 30 });
    expect(put.body.intervals).toHaveLength(2);
    const bad = await hub.request('PUT', `/attendance/${res.body.record_id}`, { token: admin.token, json: { intervals: [{ check_in_time: '09:00', check_out_time: '12:00' }, { check_in_time: '11:00', check_out_time: '17:30' }] } });
    expect(bad.status).toBe(422);
 });

  it('when a timesheet is asked for as CSV, and attendance is exported, then both carry worked, break and overtime minutes and name the zone', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const team = await hub.makeTeam({ working_weekdays: [1, 2, 3, 4, 5, 6, 7] });
    const alice = await hub.makeEmployee({ team_id: team.team_id });
    const d = daysAgo(3);
    await hub.request('POST', '/attendance/', { token: admin.token, json: { employee_id: alice.employee_id, attendance_date: d, status: 'Present', check_in_time: '08:00:00', check_out_time: '18:00:00' } });
    const csv = await hub.request('GET', `/reports/timesheet?date_from=${d}&date_to=${d}&team_id=${team.team_id}&format=csv`, { token: admin.token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toContain('worked_minutes,break_minutes,overtime_minutes,weekly_overtime_minutes');
    expect(lines.some((l) => l.startsWith(`${alice.employee_id},`) && l.includes(',600,0,'))).toBe(true);
    const exported = await hub.request('GET', `/attendance/export.csv?date_from=${d}&date_to=${d}&employee_id=${alice.employee_id}`, { token: admin.token });
    const [header, row] = exported.text.trim().split('\r\n');
    const cells = Object.fromEntries(header.split(',').map((h, i) => [h, row.split(',')[i]]));
    expect(cells).toMatchObject({ timezone: 'UTC', worked_minutes: '600', break_minutes: '0', overtime_minutes: '120' });
 });
});
