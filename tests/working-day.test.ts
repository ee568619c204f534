// The working day through the real server: in and out all day, the order punches arrive in, double scans, badge case,
// night shifts across midnight and a DST change, rotations, holidays, weekly overtime, a team in another zone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, openSocket, startServer, type Client } from './socket-utils.ts';
import { createSoloDatabase, createTestHub, uid, type TestHub } from './utils.ts';

let hub: TestHub;
let server: Awaited<ReturnType<typeof startServer>>;
/** The default double-scan window (60 s), and punches accepted back to 90 days (the DST night was in October). */
let strict: TestHub;
let strictServer: Awaited<ReturnType<typeof startServer>>;
const sockets: Client[] = [];

beforeAll(async () => {
  hub = await createTestHub({ PUNCH_MAX_AGE_HOURS: '2160' });
  strict = await createTestHub({ PUNCH_DEBOUNCE_SECONDS: '60' });
  strictServer = await startServer({ PUNCH_DEBOUNCE_SECONDS: '60' });
  server = await startServer({ PUNCH_MAX_AGE_HOURS: '2160' });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await server?.stop('test');
  await hub?.close();
  await strictServer?.stop('test');
  await strict?.close();
});

const DAY = 86_400_000;
/** The UTC date `n` days ago. */
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
/** The most recent date before today that falls on an ISO weekday (1 = Monday). */
function lastWeekday(weekday: number, before = 1) {
  for (let n = before; ; n++) {
    const d = daysAgo(n);
    const w = new Date(`${d}T00:00:00Z`).getUTCDay() || 7;
    if (w === weekday) return d;
  }
}
const eventId = () => `evt-${uid()}`;

/** An organisation whose admin punches for people at chosen times (corrections, audited). */
async function org(h: TestHub, team: Parameters<TestHub['makeTeam']>[0] = {}) {
  const t = await h.makeTeam(team);
  const admin = await h.makeEmployee({ access: 'admin' });
  const person = await h.makeEmployee({ team_id: t.team_id });
  return { team: t, admin, person };
}

async function punchAt(h: TestHub, admin: { token: string }, employeeId: number, at: string, path: 'check-in' | 'check-out') {
  return h.request('POST', `/attendance/${path}`, { token: admin.token, json: { employee_id: employeeId, occurred_at: at, client_event_id: eventId() } });
}

async function recordOf(h: TestHub, token: string, employeeId: number, date: string) {
  const res = await h.request('GET', `/attendance/employee/${employeeId}?date_from=${date}&date_to=${date}`, { token });
  expect(res.status).toBe(200);
  return res.body[0];
}

describe('in and out all day', () => {
  it('when someone checks in, out for a break and back in over REST, then they are in again with two stays, and worked time is the closed stays', async () => {
    const { admin, person } = await org(hub);
    const d = lastWeekday(2);
    expect((await punchAt(hub, admin, person.employee_id, `${d}T06:00:00Z`, 'check-in')).status).toBe(200);
    expect((await punchAt(hub, admin, person.employee_id, `${d}T06:30:00Z`, 'check-out')).status).toBe(200);
    const back = await punchAt(hub, admin, person.employee_id, `${d}T07:00:00Z`, 'check-in');
    expect(back.status).toBe(200);
    expect(back.body.action).toBe('check_in');
    expect(back.body.record.presence).toBe('in');
    expect(back.body.record.intervals).toEqual([
      { check_in_time: `${d}T06:00:00.000Z`, check_out_time: `${d}T06:30:00.000Z` },
      { check_in_time: `${d}T07:00:00.000Z`, check_out_time: null },
    ]);
    expect(back.body.record.check_in_time).toBe(`${d}T06:00:00.000Z`);
    expect(back.body.record.check_out_time).toBeNull();
    expect(back.body.record.worked_minutes).toBe(30);
    // Checking in again while in is still refused; checking out closes the second stay.
    expect((await punchAt(hub, admin, person.employee_id, `${d}T08:00:00Z`, 'check-in')).body.code).toBe('already_checked_in');
    const out = await punchAt(hub, admin, person.employee_id, `${d}T15:00:00Z`, 'check-out');
    expect(out.body.record).toMatchObject({ worked_minutes: 30 + 480, break_minutes: 30, presence: 'out', check_out_time: `${d}T15:00:00.000Z` });
    expect((await punchAt(hub, admin, person.employee_id, `${d}T16:00:00Z`, 'check-out')).body.code).toBe('not_checked_in');
  });

  it('when a socket punch names its intent, then a check-in while in and a check-out while out are refused, and auto toggles', async () => {
    const t = await hub.makeTeam();
    const person = await hub.makeEmployee({ team_id: t.team_id });
    const socket = await openSocket(server.url, person.token);
    sockets.push(socket);
    const check = (intent?: string) => socket.emitWithAck('attendance:check', { employee_id: person.employee_id, client_event_id: eventId(), ...(intent ? { intent: intent as 'auto' } : {}) });
    const out = await check('check_out');
    expect(out).toMatchObject({ ok: false, error: { code: 'not_checked_in' } });
    expect(await check('sideways')).toMatchObject({ ok: false, error: { code: 'validation_error' } });
    expect(await check('check_in')).toMatchObject({ ok: true, action: 'check_in' });
    expect(await check('check_in')).toMatchObject({ ok: false, error: { code: 'already_checked_in' } });
    expect(await check()).toMatchObject({ ok: true, action: 'check_out' });
    expect(await check('auto')).toMatchObject({ ok: true, action: 'check_in', record: { presence: 'in' } });
    const rows = await hub.rows<{ action: string }>('select action from punches where employee_id = ? order by punch_id', [person.employee_id]);
    expect(rows.map((r) => r.action)).toEqual(['check_in', 'check_out', 'check_in']);
  });

  it('when a check-out is earlier than the open stay began, then it is refused with 409 and nothing changes', async () => {
    const { admin, person } = await org(hub);
    const d = lastWeekday(3);
    await punchAt(hub, admin, person.employee_id, `${d}T09:00:00Z`, 'check-in');
    const early = await punchAt(hub, admin, person.employee_id, `${d}T08:00:00Z`, 'check-out');
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('not_checked_in');
    const record = await recordOf(hub, admin.token, person.employee_id, d);
    expect(record.intervals).toEqual([{ check_in_time: `${d}T09:00:00.000Z`, check_out_time: null }]);
    expect(await hub.rows('select 1 from punches where employee_id = ?', [person.employee_id])).toHaveLength(1);
  });

  it('when a kiosk sends the same four punches in every order, then every order gives the same record', async () => {
    const { team } = await org(hub);
    const kioskAdmin = await hub.makeEmployee({ access: 'admin' });
    const kiosk = await http(server.url, 'POST', '/kiosks/', { token: kioskAdmin.token, json: { name: `Door ${uid()}` } });
    expect(kiosk.status).toBe(201);
    const socket = await openSocket(server.url, kiosk.body.token);
    sockets.push(socket);
    const d = lastWeekday(4);
    const times = ['06:00', '06:30', '07:00', '15:00'].map((t) => `${d}T${t}:00Z`);
    const orders: string[][] = [];
    const permute = (rest: string[], done: string[]) => (rest.length ? rest.forEach((x, i) => permute(rest.filter((_, k) => k !== i), [...done, x])) : orders.push(done));
    permute(times, []);
    const results = new Set<string>();
    for (const order of orders) {
      const person = await hub.makeEmployee({ team_id: team.team_id });
      for (const at of order) {
        const ack = await socket.emitWithAck('attendance:check', { badge_id: person.badge_id!, occurred_at: at, client_event_id: eventId() });
        expect(ack.ok).toBe(true);
      }
      const [row] = await hub.rows<{ intervals: unknown; worked_minutes: number; break_minutes: number; status: string }>(
        'select intervals, worked_minutes, break_minutes, status from attendance where employee_id = ?',
        [person.employee_id],
      );
      const actions = await hub.rows<{ action: string }>('select action from punches where employee_id = ? order by occurred_at', [person.employee_id]);
      results.add(JSON.stringify({ ...row, actions: actions.map((a) => a.action) }));
    }
    expect(orders).toHaveLength(24);
    expect([...results]).toHaveLength(1);
    expect(JSON.parse([...results][0])).toMatchObject({ worked_minutes: 510, break_minutes: 30, actions: ['check_in', 'check_out', 'check_in', 'check_out'] });
  });

  it('when a badge is scanned twice 200 ms apart, then the second is kept as a raw punch with action "ignored" and changes nothing', async () => {
    const t = await strict.makeTeam();
    const person = await strict.makeEmployee({ team_id: t.team_id });
    const admin = await strict.makeEmployee({ access: 'admin' });
    const kiosk = await strict.request('POST', '/kiosks/', { token: admin.token, json: { name: `Door ${uid()}` } });
    expect(kiosk.status).toBe(201);
    const door = await openSocket(strictServer.url, kiosk.body.token);
    sockets.push(door);
    const scan = () => door.emitWithAck('attendance:check', { badge_id: person.badge_id!, client_event_id: eventId() });
    const first = await scan();
    if (!first.ok) throw new Error(JSON.stringify(first));
    expect(first.action).toBe('check_in');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await scan();
    if (!again.ok) throw new Error(JSON.stringify(again));
    expect(again.action).toBe('ignored');
    expect(again.record.intervals).toEqual(first.record.intervals);
    expect(again.record.presence).toBe('in');
    const punches = await strict.rows<{ action: string }>('select action from punches where employee_id = ? order by punch_id', [person.employee_id]);
    expect(punches.map((p) => p.action)).toEqual(['check_in', 'ignored']);
  });

  it('when explicit punches come seconds apart over REST, then they are never taken for double scans: a second check-in is 409, a check-out right after counts', async () => {
    const t = await strict.makeTeam();
    const person = await strict.makeEmployee({ team_id: t.team_id });
    const admin = await strict.makeEmployee({ access: 'admin' });
    const punch = (path: 'check-in' | 'check-out') => strict.request('POST', `/attendance/${path}`, { token: admin.token, json: { badge_id: person.badge_id, client_event_id: eventId() } });
    expect((await punch('check-in')).body.action).toBe('check_in');
    const twice = await punch('check-in');
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('already_checked_in');
    const out = await punch('check-out');
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject({ action: 'check_out', record: { presence: 'out' } });
    const back = await punch('check-in');
    expect(back.body).toMatchObject({ action: 'check_in', record: { presence: 'in' } });
    expect(back.body.record.intervals).toHaveLength(2);
    const punches = await strict.rows<{ action: string }>('select action from punches where employee_id = ? order by punch_id', [person.employee_id]);
    expect(punches.map((p) => p.action)).toEqual(['check_in', 'check_out', 'check_in']);
  });

  it('when a badge is read in lower case with spaces, then it matches the employee, and badges are stored upper-cased', async () => {
    const { admin, team } = await org(hub);
    const badge = `b${uid()}`;
    const created = await hub.request('POST', '/employees/', {
      token: admin.token,
      json: { name: 'Case Test', email: `case.${uid()}@example.com`, password: 'Correct-Horse-42', team_id: team.team_id, badge_id: badge },
    });
    expect(created.status).toBe(201);
    expect(created.body.badge_id).toBe(badge.toUpperCase());
    const res = await hub.request('POST', '/attendance/check-in', { token: admin.token, json: { badge_id: `  ${badge} `, client_event_id: eventId() } });
    expect(res.status).toBe(200);
    expect(res.body.employee.employee_id).toBe(created.body.employee_id);
  });
});

describe('the live board follows presence', () => {
  it('when a member goes out for a break and comes back, then the board shows presence in, out, in, and in_now follows', async () => {
    const t = await hub.makeTeam();
    const manager = await hub.makeEmployee({ team_id: t.team_id, access: 'manager' });
    const person = await hub.makeEmployee({ team_id: t.team_id });
    const board = await openSocket(server.url, manager.token);
    sockets.push(board);
    const join = await board.emitWithAck('board:join', { team_id: t.team_id });
    expect(join.ok).toBe(true);
    const seen: { presence: string; intervals: number }[] = [];
    board.on('attendance:changed', (change) => seen.push({ presence: change.record.presence, intervals: change.record.intervals.length }));
    for (const path of ['check-in', 'check-out', 'check-in'] as const) {
      const res = await http(server.url, 'POST', `/attendance/${path}`, { token: manager.token, json: { employee_id: person.employee_id, client_event_id: eventId() } });
      expect(res.status, server.errors.join('\n')).toBe(200);
    }
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual([
      { presence: 'in', intervals: 1 },
      { presence: 'out', intervals: 1 },
      { presence: 'in', intervals: 2 },
    ]);
    const snapshot = await board.emitWithAck('board:join', { team_id: t.team_id });
    if (!snapshot.ok) throw new Error('join failed');
    const member = snapshot.members.find((m) => m.employee_id === person.employee_id)!;
    expect(member).toMatchObject({ presence: 'in', state: 'in' });
    expect(member.intervals).toHaveLength(2);
    expect(snapshot.counts.in_now).toBe(1);
    expect(snapshot.counts.in).toBe(1);
    const onSite = await http(server.url, 'GET', `/attendance/on-site?team_id=${t.team_id}`, { token: manager.token });
    expect(onSite.status, server.errors.join('\n')).toBe(200);
    expect(onSite.body.map((p: { employee_id: number }) => p.employee_id)).toEqual([person.employee_id]);
    expect(onSite.body[0].check_in_time).toBe(member.intervals[1].check_in_time);
    expect(onSite.body[0].first_check_in_time).toBe(member.intervals[0].check_in_time);
  });
  it('when a night worker is still in after midnight, then today’s board and the roll call show them in with last night’s record, and a check-out forgotten yesterday does not', async () => {
    // A zone where it is about 03:00 now: the night shift began at 22:00 on the local day before.
    const offset = (((3 - new Date().getUTCHours()) % 24) + 36) % 24 - 12;
    const zone = offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    const admin = await hub.makeEmployee({ access: 'admin' });
    const nights = await hub.request('POST', '/schedules/', { token: admin.token, json: { name: `Nights ${uid()}`, shifts: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '22:00', end: '06:00' })) } });
    expect(nights.status).toBe(201);
    const t = await hub.makeTeam({ schedule_id: nights.body.schedule_id, timezone: zone });
    const manager = await hub.makeEmployee({ team_id: t.team_id, access: 'manager' });
    const night = await hub.makeEmployee({ team_id: t.team_id });
    const forgot = await hub.makeEmployee({ team_id: t.team_id });
    const hour = 3_600_000;
    const localNow = new Date(Date.now() + offset * hour);
    const midnight = Date.parse(`${localNow.toISOString().slice(0, 10)}T00:00:00Z`) - offset * hour;
    const yesterday = new Date(midnight - DAY + offset * hour).toISOString().slice(0, 10);
    const cameAt = new Date(midnight - 2 * hour).toISOString();
    const came = await punchAt(hub, admin, night.employee_id, cameAt, 'check-in');
    expect(came.status, JSON.stringify(came.body)).toBe(200);
    expect(came.body.record.attendance_date).toBe(yesterday);
    // Came yesterday morning, never checked out: more than MAX_SHIFT_HOURS ago, not on site.
    const forgotten = await punchAt(hub, admin, forgot.employee_id, new Date(midnight - 15 * hour).toISOString(), 'check-in');
    expect(forgotten.status, JSON.stringify(forgotten.body)).toBe(200);

    const board = await openSocket(server.url, manager.token);
    sockets.push(board);
    const snapshot = await board.emitWithAck('board:join', { team_id: t.team_id });
    if (!snapshot.ok) throw new Error(JSON.stringify(snapshot));
    expect(snapshot.date).not.toBe(yesterday);
    const byId = new Map(snapshot.members.map((m) => [m.employee_id, m]));
    expect(byId.get(night.employee_id)).toMatchObject({ presence: 'in', state: 'in', attendance_date: yesterday, check_in_time: new Date(cameAt).toISOString() });
    expect(byId.get(forgot.employee_id)).toMatchObject({ presence: 'out', attendance_date: null });
    expect(snapshot.counts.in_now).toBe(1);
    const onSite = await http(server.url, 'GET', `/attendance/on-site?team_id=${t.team_id}`, { token: manager.token });
    expect(onSite.status, server.errors.join('\n')).toBe(200);
    expect(onSite.body.map((p: { employee_id: number }) => p.employee_id)).toEqual([night.employee_id]);
    expect(onSite.body[0]).toMatchObject({ attendance_date: yesterday, timezone: zone });

    // The check-out at the end of the night goes to last night's record, and the board goes back to today.
    const left = await http(server.url, 'POST', '/attendance/check-out', { token: manager.token, json: { employee_id: night.employee_id, client_event_id: eventId() } });
    expect(left.status, JSON.stringify(left.body)).toBe(200);
    expect(left.body.record.attendance_date).toBe(yesterday);
    const after = await board.emitWithAck('board:join', { team_id: t.team_id });
    if (!after.ok) throw new Error(JSON.stringify(after));
    expect(after.members.find((m) => m.employee_id === night.employee_id)).toMatchObject({ presence: 'out', attendance_date: null });
  });
});

describe('schedules: night shifts, DST, rotations, holidays, weekly overtime, other zones', () => {
  async function schedule(admin: { token: string }, body: Record<string, unknown>) {
    const res = await hub.request('POST', '/schedules/', { token: admin.token, json: { name: `Schedule ${uid()}`, ...body } });
    expect(res.status).toBe(201);
    return res.body as { schedule_id: number; version: number };
  }

  it('when a night worker comes at 22:00, takes a break after midnight and leaves at 06:00, then it is one record dated the evening it started', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const nights = await schedule(admin, { shifts: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '22:00', end: '06:00', break_minutes: 30 })) });
    const t = await hub.makeTeam({ schedule_id: nights.schedule_id });
    const person = await hub.makeEmployee({ team_id: t.team_id });
    const d = daysAgo(3);
    const next = daysAgo(2);
    for (const [at, path] of [[`${d}T22:02:00Z`, 'check-in'], [`${next}T01:00:00Z`, 'check-out'], [`${next}T01:30:00Z`, 'check-in'], [`${next}T06:05:00Z`, 'check-out']] as const) {
      const res = await punchAt(hub, admin, person.employee_id, at, path);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.record.attendance_date).toBe(d);
    }
    const rows = await hub.rows<{ attendance_date: string }>('select attendance_date::text from attendance where employee_id = ?', [person.employee_id]);
    expect(rows).toEqual([{ attendance_date: d }]);
    const record = await recordOf(hub, admin.token, person.employee_id, d);
    expect(record).toMatchObject({ status: 'Present', worked_minutes: 178 + 275, break_minutes: 30, planned_minutes: 450, overtime_minutes: 3, left_early: false });
    expect(record.shift_start).toBe(`${d}T22:00:00.000Z`);
    expect(record.shift_end).toBe(`${next}T06:00:00.000Z`);
  });

  it('when a night shift spans the night the clocks go back, then it is one record and 9 hours were worked and planned', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const nights = await schedule(admin, { shifts: [{ weekday: 6, start: '22:00', end: '06:00', break_minutes: 0 }] });
    const t = await hub.makeTeam({ schedule_id: nights.schedule_id, timezone: 'Europe/Paris' });
    const person = await hub.makeEmployee({ team_id: t.team_id });
    // Saturday 24 October 2026, 22:00 in Paris (UTC+2), to Sunday 06:00 (UTC+1 since 03:00 became 02:00).
    expect((await punchAt(hub, admin, person.employee_id, '2026-10-24T22:00:00+02:00', 'check-in')).status).toBe(200);
    const out = await punchAt(hub, admin, person.employee_id, '2026-10-25T06:00:00+01:00', 'check-out');
    expect(out.status).toBe(200);
    expect(out.body.record).toMatchObject({ attendance_date: '2026-10-24', timezone: 'Europe/Paris', worked_minutes: 540, planned_minutes: 540, overtime_minutes: 0, status: 'Present' });
  });

  it('when a two-week rotation is in its second week, then lateness is judged against that week’s shift', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const w2 = lastWeekday(2, 1);
    const mondayOfW2 = new Date(Date.parse(`${w2}T00:00:00Z`) - DAY).toISOString().slice(0, 10);
    const startsOn = new Date(Date.parse(`${mondayOfW2}T00:00:00Z`) - 7 * DAY).toISOString().slice(0, 10);
    const rotation = await schedule(admin, {
      cycle_weeks: 2,
      starts_on: startsOn,
      grace_minutes: 5,
      shifts: [
        ...[1, 2, 3, 4, 5].map((weekday) => ({ week: 1, weekday, start: '06:00', end: '14:00' })),
        ...[1, 2, 3, 4, 5].map((weekday) => ({ week: 2, weekday, start: '14:00', end: '22:00' })),
      ],
    });
    const t = await hub.makeTeam({ schedule_id: rotation.schedule_id });
    const onTime = await hub.makeEmployee({ team_id: t.team_id });
    const late = await hub.makeEmployee({ team_id: t.team_id });
    // At 13:55 on a week-2 Tuesday: early for the 14:00 shift, so Present (in week 1 it would be far past 06:05).
    expect((await punchAt(hub, admin, onTime.employee_id, `${w2}T13:55:00Z`, 'check-in')).body.record).toMatchObject({ status: 'Present', shift_start: `${w2}T14:00:00.000Z` });
    expect((await punchAt(hub, admin, late.employee_id, `${w2}T14:20:00Z`, 'check-in')).body.record.status).toBe('Late');
  });

  it('when a day is a holiday, then nobody is marked absent, and time worked that day is overtime', async () => {
    // Closing a day marks everyone in the database: a database of its own.
    const solo = await createSoloDatabase('holiday');
    const h = await createTestHub({ DATABASE_URL: solo.url, PUNCH_MAX_AGE_HOURS: '2160' });
    try {
      const admin = await h.makeEmployee({ access: 'admin' });
      const t = await h.makeTeam({ workday_start: '09:00', working_weekdays: [1, 2, 3, 4, 5, 6, 7] });
      const worker = await h.makeEmployee({ team_id: t.team_id });
      const resting = await h.makeEmployee({ team_id: t.team_id });
      await h.em().execute("update employees set created_at = now() - interval '30 days'");
      const d = daysAgo(4);
      const holiday = await h.request('POST', '/holidays/', { token: admin.token, json: { date: d, name: 'Team day off', team_id: t.team_id } });
      expect(holiday.status).toBe(201);
      expect(holiday.body).toMatchObject({ date: d, name: 'Team day off', team_id: t.team_id });
      expect((await h.request('POST', '/holidays/', { token: admin.token, json: { date: d, name: 'Again', team_id: t.team_id } })).status).toBe(409);
      await punchAt(h, admin, worker.employee_id, `${d}T10:00:00Z`, 'check-in');
      const out = await punchAt(h, admin, worker.employee_id, `${d}T12:00:00Z`, 'check-out');
      expect(out.body.record).toMatchObject({ status: 'Present', worked_minutes: 120, overtime_minutes: 120, planned_minutes: null });
      await h.runJob('attendance:end-of-day', { date: d });
      expect(await h.rows('select 1 from attendance where employee_id = ?', [resting.employee_id])).toEqual([]);
      // The day before was a working day: closing it marks them absent.
      await h.runJob('attendance:end-of-day', { date: daysAgo(5) });
      expect(await h.rows<{ status: string }>('select status from attendance where employee_id = ?', [resting.employee_id])).toEqual([{ status: 'Absent' }]);
    } finally {
      await h.close();
      await solo.drop();
    }
  });

  it('when a week goes past the team’s weekly hours, then the minutes beyond are weekly overtime on the day they happen', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const fours = await schedule(admin, { shifts: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '12:00' })) });
    const t = await hub.makeTeam({ schedule_id: fours.schedule_id, weekly_hours: 10 });
    const person = await hub.makeEmployee({ team_id: t.team_id });
    // Three days of one ISO week, four hours each, against a ten-hour week.
    const monday = lastWeekday(1, 7);
    const days = [0, 1, 2].map((n) => new Date(Date.parse(`${monday}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10));
    const shares: number[] = [];
    for (const d of days) {
      await punchAt(hub, admin, person.employee_id, `${d}T08:00:00Z`, 'check-in');
      shares.push((await punchAt(hub, admin, person.employee_id, `${d}T12:00:00Z`, 'check-out')).body.record.weekly_overtime_minutes);
    }
    expect(shares).toEqual([0, 0, 120]);
    const sheet = await hub.request('GET', `/reports/timesheet?date_from=${days[0]}&date_to=${days[2]}&employee_id=${person.employee_id}`, { token: admin.token });
    expect(sheet.status).toBe(200);
    expect(sheet.body.employees[0].totals).toMatchObject({ worked_minutes: 720, overtime_minutes: 0, weekly_overtime_minutes: 120, days_worked: 3 });
  });

  it('when a team is in another time zone, then its members’ dates and lateness are local to it and answers name the zone', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const t = await hub.makeTeam({ workday_start: '09:00', working_weekdays: [1, 2, 3, 4, 5, 6, 7], timezone: 'Asia/Tokyo' });
    const person = await hub.makeEmployee({ team_id: t.team_id });
    const d = daysAgo(3);
    // 23:50 UTC is 08:50 the next day in Tokyo: that day's record, on time for 09:00.
    const res = await punchAt(hub, admin, person.employee_id, `${d}T23:50:00Z`, 'check-in');
    expect(res.body.record).toMatchObject({ attendance_date: daysAgo(2), timezone: 'Asia/Tokyo', status: 'Present' });
    const team = await hub.request('GET', `/teams/${t.team_id}`, { token: admin.token });
    expect(team.body).toMatchObject({ timezone: 'Asia/Tokyo', workday_start: '09:00' });
  });
});
