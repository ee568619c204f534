// Corrections with approval: an employee asks for a change to their day (a forgotten check-out), a manager of their
// team or an admin approves it (the day is corrected and recomputed in one transaction, with the audit trail) or
// rejects it; who may ask, see and decide; the live events to the team's board and the requester.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { http, nextEvent, openSocket, startServer, type Client } from './socket-utils.ts';
import { createTestHub, stayOf, type TestHub } from './utils.ts';

let hub: TestHub;

beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub?.close();
});

type Person = { employee_id: number; team_id: number | null; token: string };

// Tuesday 4 March 2025 and the days after: past working days of the teams' 09:00–17:00 week (UTC).
const DAY = '2025-03-04';

/** A record written as the punches and the end of the day would leave it: checked in, never out, flagged. */
async function forgottenCheckOut(person: Person, date = DAY, checkIn = `${date}T09:00:00Z`): Promise<number> {
  const [row] = await hub.rows<{ record_id: number }>(
    `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, intervals, missing_check_out, notes, source, created_at, updated_at)
     values (?, ?, ?, 'Present', ?, ?::jsonb, true, 'Missing check-out', 'kiosk', now(), now()) returning record_id`,
    [person.employee_id, person.team_id, date, checkIn, stayOf(checkIn)],
  );
  return Number(row.record_id);
}

const ask = (who: Person, json: Record<string, unknown>) => hub.request('POST', '/attendance/corrections/', { token: who.token, json });
const decide = (who: Person, id: number, verb: 'approve' | 'reject' | 'cancel', json?: unknown) =>
  hub.request('POST', `/attendance/corrections/${id}/${verb}`, { token: who.token, json });

async function recordOf(recordId: number) {
  const [row] = await hub.rows<Record<string, unknown>>('select * from attendance where record_id = ?', [recordId]);
  return row;
}

async function correctionsOf(employeeId: number) {
  return hub.rows<{ correction_id: number; status: string }>('select correction_id, status from attendance_corrections where employee_id = ? order by correction_id', [employeeId]);
}

describe('asking for and approving a correction', () => {
  it('when an employee asks for a forgotten check-out and their manager approves, then the day gets it, is recomputed, and the trail names the approver', async () => {
    const { admin, manager, alice } = await hub.makeOrg();
    const recordId = await forgottenCheckOut(alice);

    const asked = await ask(alice, { attendance_date: DAY, check_out_time: '17:30', reason: 'Forgot to badge out' });
    expect(asked.status, asked.text).toBe(201);
    expect(asked.body).toMatchObject({
      employee_id: alice.employee_id, employee_name: expect.any(String), team_id: alice.team_id, attendance_date: DAY, record_id: recordId,
      check_in_time: null, check_out_time: '17:30:00', intervals: null, status: 'pending', requested_status: null, reason: 'Forgot to badge out',
      requested_by: alice.employee_id, comment: null, resolved_by: null, resolved_at: null,
      current: { record_id: recordId, check_out_time: null, missing_check_out: true },
    });
    // Asking changes nothing on the day.
    expect(await recordOf(recordId)).toMatchObject({ check_out_time: null, missing_check_out: true, worked_minutes: 0 });

    const approved = await decide(manager, asked.body.correction_id, 'approve', { comment: 'Seen on the camera' });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body).toMatchObject({
      correction_id: asked.body.correction_id, status: 'approved', comment: 'Seen on the camera', resolved_by: manager.employee_id,
      resolved_by_name: expect.any(String), record_id: recordId,
      current: {
        record_id: recordId, status: 'Present', check_in_time: `${DAY}T09:00:00.000Z`, check_out_time: `${DAY}T17:30:00.000Z`, presence: 'out',
        worked_minutes: 510, planned_minutes: 480, overtime_minutes: 30, missing_check_out: false, notes: null,
      },
    });
    expect(approved.body.resolved_at).toEqual(expect.any(String));
    const record = await hub.request('GET', `/attendance/${recordId}`, { token: alice.token });
    expect(record.body).toMatchObject({ check_out_time: `${DAY}T17:30:00.000Z`, worked_minutes: 510, overtime_minutes: 30, missing_check_out: false });

    const trail = await hub.request('GET', `/audit/?entity_type=attendance&entity_id=${recordId}`, { token: admin.token });
    expect(trail.body[0]).toMatchObject({ action: 'update', actor_id: manager.employee_id, actor_kind: 'manager' });
    expect(trail.body[0].before).toMatchObject({ check_out_time: null, missing_check_out: true });
    expect(trail.body[0].after).toMatchObject({ check_out_time: `${DAY}T17:30:00.000Z`, worked_minutes: 510 });
    const steps = await hub.request('GET', `/audit/?entity_type=attendance_correction&entity_id=${asked.body.correction_id}`, { token: admin.token });
    expect(steps.body.map((e: { action: string; actor_id: number }) => [e.action, e.actor_id])).toEqual([
      ['approve', manager.employee_id],
      ['request', alice.employee_id],
    ]);
    expect(steps.body[0].before.status).toBe('pending');
    expect(steps.body[0].after.status).toBe('approved');
  });

  it('when the day has no record, then approving creates it with its figures (Late after the grace), and a status-only request makes a leave day', async () => {
    const { admin, alice } = await hub.makeOrg();
    const date = '2025-03-05';
    const asked = await ask(alice, { attendance_date: date, check_in_time: '09:10', check_out_time: '17:00', reason: 'The kiosk was down' });
    expect(asked.status, asked.text).toBe(201);
    expect(asked.body).toMatchObject({ record_id: null, current: null, check_in_time: '09:10:00', check_out_time: '17:00:00' });

    const approved = await decide(admin, asked.body.correction_id, 'approve');
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.current).toMatchObject({ employee_id: alice.employee_id, attendance_date: date, status: 'Late', worked_minutes: 470, overtime_minutes: 0, source: 'api' });
    expect(approved.body.record_id).toBe(approved.body.current.record_id);
    expect(await recordOf(approved.body.record_id)).toMatchObject({ status: 'Late', worked_minutes: 470 });

    const leave = await ask(alice, { attendance_date: '2025-03-06', status: 'On Leave', reason: 'Was on leave, booked late' });
    expect(leave.status, leave.text).toBe(201);
    expect(leave.body.requested_status).toBe('On Leave');
    const made = await decide(admin, leave.body.correction_id, 'approve');
    expect(made.body.current).toMatchObject({ status: 'On Leave', attendance_date: '2025-03-06', worked_minutes: 0 });
  });

  it('when the day no longer fits the request at approval, then it is 422, nothing is written and the request stays pending', async () => {
    const { admin, manager, alice } = await hub.makeOrg();
    const recordId = await forgottenCheckOut(alice);
    const asked = await ask(alice, { attendance_date: DAY, check_out_time: '17:00', reason: 'Forgot' });
    expect(asked.status).toBe(201);
    // The record goes (an admin deleted it): a check-out alone cannot make a day.
    expect((await hub.request('DELETE', `/attendance/${recordId}`, { token: admin.token })).status).toBe(204);
    const res = await decide(manager, asked.body.correction_id, 'approve');
    expect(res.status, res.text).toBe(422);
    expect(await correctionsOf(alice.employee_id)).toEqual([{ correction_id: asked.body.correction_id, status: 'pending' }]);
    expect(await hub.rows('select 1 from attendance where employee_id = ?', [alice.employee_id])).toEqual([]);
  });
});

describe('who may decide', () => {
  it('when a manager decides their own day or their own request, then 403 self_approval; an admin or another manager of the team may', async () => {
    const { admin, manager, alice, team } = await hub.makeOrg();
    const second = await hub.makeEmployee({ team_id: team.team_id, access: 'manager' });
    await forgottenCheckOut(manager);
    await forgottenCheckOut(alice);

    const own = await ask(manager, { attendance_date: DAY, check_out_time: '17:00', reason: 'Forgot, too' });
    expect(own.status, own.text).toBe(201);
    for (const verb of ['approve', 'reject'] as const) {
      const res = await decide(manager, own.body.correction_id, verb);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('self_approval');
    }
    expect((await decide(admin, own.body.correction_id, 'approve')).status).toBe(200);

    const forAlice = await ask(manager, { attendance_date: DAY, employee_id: alice.employee_id, check_out_time: '17:00', reason: 'She told me' });
    expect(forAlice.status, forAlice.text).toBe(201);
    expect(forAlice.body).toMatchObject({ employee_id: alice.employee_id, requested_by: manager.employee_id });
    const mine = await decide(manager, forAlice.body.correction_id, 'approve');
    expect(mine.status).toBe(403);
    expect(mine.body.code).toBe('self_approval');
    const byColleague = await decide(second, forAlice.body.correction_id, 'approve');
    expect(byColleague.status, byColleague.text).toBe(200);
    expect(byColleague.body.resolved_by).toBe(second.employee_id);
  });

  it('when another team’s manager or an employee decides, then 403 and the request stays pending; an unknown request is 404', async () => {
    const { admin, alice, bob } = await hub.makeOrg();
    const other = await hub.makeOrg();
    await forgottenCheckOut(alice);
    const asked = await ask(alice, { attendance_date: DAY, check_out_time: '17:00', reason: 'Forgot' });
    expect(asked.status).toBe(201);
    for (const who of [other.manager, bob, alice]) {
      for (const verb of ['approve', 'reject'] as const) expect((await decide(who, asked.body.correction_id, verb)).status).toBe(403);
    }
    expect(await correctionsOf(alice.employee_id)).toEqual([{ correction_id: asked.body.correction_id, status: 'pending' }]);
    expect((await decide(admin, 2_000_000_000, 'approve')).status).toBe(404);
  });

  it('when a manager asks for someone outside their team, or an employee for a colleague, then 403 and nothing is written', async () => {
    const { manager, alice, bob } = await hub.makeOrg();
    const other = await hub.makeOrg();
    const res = await ask(other.manager, { attendance_date: DAY, employee_id: alice.employee_id, check_out_time: '17:00', reason: 'x' });
    expect(res.status).toBe(403);
    const colleague = await ask(bob, { attendance_date: DAY, employee_id: alice.employee_id, check_out_time: '17:00', reason: 'x' });
    expect(colleague.status).toBe(403);
    const unknown = await ask(bob, { attendance_date: DAY, employee_id: 2_000_000_000, check_out_time: '17:00', reason: 'x' });
    expect(unknown.status).toBe(403);
    expect(await correctionsOf(alice.employee_id)).toEqual([]);
    expect((await ask(manager, { attendance_date: DAY, employee_id: 2_000_000_000, status: 'Present', reason: 'x' })).status).toBe(422);
  });
});

describe('rejecting, withdrawing and one pending request per day', () => {
  it('when a manager rejects with a comment, then the day is untouched; deciding again is 409 correction_resolved', async () => {
    const { admin, manager, alice } = await hub.makeOrg();
    const recordId = await forgottenCheckOut(alice);
    const asked = await ask(alice, { attendance_date: DAY, check_out_time: '19:00', reason: 'Stayed late' });
    const rejected = await decide(manager, asked.body.correction_id, 'reject', { comment: 'You left at 17:00' });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', comment: 'You left at 17:00', resolved_by: manager.employee_id });
    expect(await recordOf(recordId)).toMatchObject({ check_out_time: null, missing_check_out: true });
    for (const verb of ['approve', 'reject'] as const) {
      const again = await decide(admin, asked.body.correction_id, verb);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('correction_resolved');
    }
    const steps = await hub.request('GET', `/audit/?entity_type=attendance_correction&entity_id=${asked.body.correction_id}`, { token: admin.token });
    expect(steps.body[0]).toMatchObject({ action: 'reject', actor_id: manager.employee_id });
  });

  it('when a request is approved twice, then the second is 409 and the day changed once', async () => {
    const { admin, manager, alice } = await hub.makeOrg();
    const recordId = await forgottenCheckOut(alice);
    const asked = await ask(alice, { attendance_date: DAY, check_out_time: '17:00', reason: 'Forgot' });
    const [first, second] = await Promise.all([decide(manager, asked.body.correction_id, 'approve'), decide(admin, asked.body.correction_id, 'approve')]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    expect((first.status === 409 ? first : second).body.code).toBe('correction_resolved');
    const trail = await hub.request('GET', `/audit/?entity_type=attendance&entity_id=${recordId}`, { token: admin.token });
    expect(trail.body.filter((e: { action: string }) => e.action === 'update')).toHaveLength(1);
  });

  it('when a second request for a pending day comes, then 409 correction_pending; once the first is withdrawn a new one may be made', async () => {
    const { manager, alice, bob } = await hub.makeOrg();
    await forgottenCheckOut(alice);
    const first = await ask(alice, { attendance_date: DAY, check_out_time: '17:00', reason: 'Forgot' });
    expect(first.status).toBe(201);
    const second = await ask(alice, { attendance_date: DAY, check_out_time: '17:15', reason: 'Forgot, precisely' });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('correction_pending');
    const byManager = await ask(manager, { attendance_date: DAY, employee_id: alice.employee_id, check_out_time: '17:15', reason: 'Same day' });
    expect(byManager.status).toBe(409);

    // Only who asked may withdraw it.
    expect((await decide(bob, first.body.correction_id, 'cancel')).status).toBe(403);
    expect((await decide(manager, first.body.correction_id, 'cancel')).status).toBe(403);
    const cancelled = await decide(alice, first.body.correction_id, 'cancel');
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await decide(alice, first.body.correction_id, 'cancel')).status).toBe(409);
    expect((await decide(manager, first.body.correction_id, 'approve')).status).toBe(409);

    const again = await ask(alice, { attendance_date: DAY, check_out_time: '17:15', reason: 'Forgot, precisely' });
    expect(again.status, again.text).toBe(201);
  });
});

describe('invalid requests', () => {
  it('when a request is malformed or its times do not fit the day, then 422 with the same errors as PUT /attendance/{id}, and nothing is written', async () => {
    const { admin, alice } = await hub.makeOrg();
    const recordId = await forgottenCheckOut(alice);
    const bad: Record<string, unknown>[] = [
      { attendance_date: DAY, check_out_time: '17:00' }, // no reason
      { attendance_date: DAY, check_out_time: '17:00', reason: '   ' },
      { attendance_date: DAY, check_out_time: '17:00', reason: 'x'.repeat(501) },
      { attendance_date: DAY, reason: 'Nothing asked' },
      { attendance_date: DAY, check_out_time: '25:00', reason: 'x' },
      { attendance_date: DAY, status: 'Sick', reason: 'x' },
      { attendance_date: 'yesterday', check_out_time: '17:00', reason: 'x' },
      { attendance_date: DAY, check_in_time: `${DAY}T17:00:00Z`, check_out_time: `${DAY}T09:00:00Z`, reason: 'x' },
      { attendance_date: DAY, intervals: [{ check_in_time: '09:00', check_out_time: '12:00' }, { check_in_time: '11:00', check_out_time: '17:00' }], reason: 'x' },
      { attendance_date: DAY, check_out_time: '17:00', intervals: [{ check_in_time: '09:00', check_out_time: '17:00' }], reason: 'x' },
      { attendance_date: '2999-01-04', status: 'Present', reason: 'x' },
    ];
    for (const json of bad) {
      const res = await ask(alice, json);
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(res.body.code).toBe('validation_error');
    }

    // A time off the day: the field errors PUT /attendance/{record_id} gives.
    const offDay = { check_out_time: '2025-03-09T10:00:00Z' };
    const asked = await ask(alice, { attendance_date: DAY, ...offDay, reason: 'x' });
    const put = await hub.request('PUT', `/attendance/${recordId}`, { token: admin.token, json: offDay });
    expect(asked.status).toBe(422);
    expect(put.status).toBe(422);
    expect(asked.body.detail).toEqual(put.body.detail);
    expect(asked.body.detail[0]).toMatchObject({ loc: ['body', 'check_out_time'], type: 'value_error.out_of_day' });

    expect(await correctionsOf(alice.employee_id)).toEqual([]);
    const steps = await hub.request('GET', `/audit/?entity_type=attendance_correction&actor_id=${alice.employee_id}`, { token: admin.token });
    expect(steps.body).toEqual([]);
    expect(await recordOf(recordId)).toMatchObject({ check_out_time: null, missing_check_out: true });
  });
});

describe('reading corrections', () => {
  it('when each role lists, then employees see their own, managers their team’s and their own, admins all; filters and X-Total-Count apply', async () => {
    const { admin, manager, alice, bob, team } = await hub.makeOrg();
    const other = await hub.makeOrg();
    const a = await ask(alice, { attendance_date: DAY, status: 'Remote', reason: 'Worked from home' });
    const b = await ask(bob, { attendance_date: DAY, status: 'Remote', reason: 'Worked from home' });
    const m = await ask(manager, { attendance_date: DAY, status: 'Remote', reason: 'Worked from home' });
    const o = await ask(other.alice, { attendance_date: DAY, status: 'Remote', reason: 'Worked from home' });
    for (const res of [a, b, m, o]) expect(res.status, res.text).toBe(201);
    await decide(manager, b.body.correction_id, 'reject');
    const ids = (res: { body: { correction_id: number }[] }) => res.body.map((c) => c.correction_id);
    const list = (who: Person, q = '') => hub.request('GET', `/attendance/corrections/${q}`, { token: who.token });

    const own = await list(alice);
    expect(own.status).toBe(200);
    expect(ids(own)).toEqual([a.body.correction_id]);
    expect(own.headers.get('x-total-count')).toBe('1');
    expect(ids(await list(alice, `?employee_id=${bob.employee_id}`))).toEqual([]);

    const mine = await list(manager);
    expect(ids(mine)).toEqual([m.body.correction_id, b.body.correction_id, a.body.correction_id]); // newest first
    expect(ids(await list(manager, '?status=pending'))).toEqual([m.body.correction_id, a.body.correction_id]);
    expect(ids(await list(manager, `?team_id=${other.team.team_id}`))).toEqual([]);
    expect(ids(await list(other.manager))).toEqual([o.body.correction_id]);

    const byTeam = await list(admin, `?team_id=${team.team_id}&limit=2`);
    expect(ids(byTeam)).toEqual([m.body.correction_id, b.body.correction_id]);
    expect(byTeam.headers.get('x-total-count')).toBe('3');
    expect(ids(await list(admin, `?employee_id=${bob.employee_id}&status=rejected`))).toEqual([b.body.correction_id]);
    expect(ids(await list(admin, `?team_id=${team.team_id}&date_from=2025-03-05`))).toEqual([]);
    expect((await list(admin, '?status=done')).status).toBe(422);

    const get = (who: Person, id: number) => hub.request('GET', `/attendance/corrections/${id}`, { token: who.token });
    expect((await get(alice, a.body.correction_id)).body).toMatchObject({ correction_id: a.body.correction_id, requested_status: 'Remote' });
    expect((await get(manager, a.body.correction_id)).status).toBe(200);
    expect((await get(bob, a.body.correction_id)).status).toBe(403);
    expect((await get(other.manager, a.body.correction_id)).status).toBe(403);
    expect((await get(alice, 2_000_000_000)).status).toBe(403);
    expect((await get(admin, 2_000_000_000)).status).toBe(404);
  });
});

describe('live events', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  const sockets: Client[] = [];
  const track = (s: Client) => (sockets.push(s), s);
  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    await server?.stop('test');
  });

  it('when an employee asks, then the team’s board hears correction:requested; when the manager decides, then the employee hears correction:resolved', async () => {
    const { team, manager, alice } = await hub.makeOrg();
    const other = await hub.makeOrg();
    await forgottenCheckOut(alice);
    const board = track(await openSocket(server.url, manager.token));
    expect((await board.emitWithAck('board:join', { team_id: team.team_id })).ok).toBe(true);
    const otherBoard = track(await openSocket(server.url, other.manager.token));
    expect((await otherBoard.emitWithAck('board:join', { team_id: other.team.team_id })).ok).toBe(true);
    const otherSeen: unknown[] = [];
    otherBoard.on('correction:requested' as never, ((c: unknown) => otherSeen.push(c)) as never);
    const aliceSocket = track(await openSocket(server.url, alice.token));

    const requested = nextEvent(board, 'correction:requested');
    const asked = await http(server.url, 'POST', '/attendance/corrections/', {
      token: alice.token, json: { attendance_date: DAY, check_out_time: '17:30', reason: 'Forgot to badge out' },
    });
    expect(asked.status).toBe(201);
    expect(await requested).toMatchObject({ correction_id: asked.body.correction_id, employee_id: alice.employee_id, team_id: team.team_id, status: 'pending' });

    const resolved = nextEvent(aliceSocket, 'correction:resolved');
    const changed = nextEvent(board, 'attendance:changed');
    const approved = await http(server.url, 'POST', `/attendance/corrections/${asked.body.correction_id}/approve`, { token: manager.token, json: { comment: 'OK' } });
    expect(approved.status).toBe(200);
    expect(await resolved).toMatchObject({ correction_id: asked.body.correction_id, status: 'approved', comment: 'OK', current: { check_out_time: `${DAY}T17:30:00.000Z` } });
    expect(await changed).toMatchObject({ action: 'updated', employee: { employee_id: alice.employee_id }, record: { check_out_time: `${DAY}T17:30:00.000Z` } });
    expect(otherSeen).toEqual([]);
  });
});
