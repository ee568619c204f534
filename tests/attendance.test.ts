// Attendance records: creation, listing and scope, reading, correction, deletion, audit trail and events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvents } from '../src/infra/bus.ts';
import { createTestHub, type TestHub } from './utils.ts';

type Event = DomainEvents['attendance.changed'];
type Org = Awaited<ReturnType<TestHub['makeOrg']>>;

let hub: TestHub;
const events: Event[] = [];

beforeAll(async () => {
  hub = await createTestHub();
  hub.bus.subscribe('attendance.changed', (event) => events.push(event));
});
afterAll(() => hub.close());

/** ISO string of whatever the database returned for a timestamp (or null). */
const iso = (value: unknown) => (value == null ? null : new Date(value as string).toISOString());
const MISSING_ID = 2_000_000_000;

type StoredRecord = {
  record_id: number;
  employee_id: number;
  team_id: number | null;
  attendance_date: string;
  status: string;
  check_in_time: string | null;
  check_out_time: string | null;
  notes: string | null;
  source: string;
  created_at: string;
  updated_at: string;
};

const recordsOf = (employeeId: number) =>
  hub.rows<StoredRecord>(
    `select record_id, employee_id, team_id, to_char(attendance_date, 'YYYY-MM-DD') as attendance_date, status, check_in_time,
            check_out_time, notes, source, created_at, updated_at
       from attendance where employee_id = ? order by attendance_date`,
    [employeeId],
  );

const recordRow = async (recordId: number) => {
  const [row] = await hub.rows<StoredRecord>(
    `select record_id, employee_id, team_id, to_char(attendance_date, 'YYYY-MM-DD') as attendance_date, status, check_in_time,
            check_out_time, notes, source, created_at, updated_at
       from attendance where record_id = ?`,
    [recordId],
  );
  return row ?? null;
};

type AuditRow = { action: string; actor_id: number | null; actor_kind: string; before: any; after: any };
const auditOf = (recordId: number) =>
  hub.rows<AuditRow>(
    `select action, actor_id, actor_kind, before, after from audit_log
      where entity_type = 'attendance' and entity_id = ? order by audit_id`,
    [recordId],
  );

/** Creates a record through the API as `token` and expects it to succeed. */
async function create(token: string, body: Record<string, unknown>) {
  const res = await hub.request('POST', '/attendance/', { token, json: body });
  expect(res.status, res.text).toBe(201);
  return res.body as StoredRecord & { check_in_time: string | null };
}

const idsOf = (body: { record_id: number }[]) => body.map((r) => r.record_id);

describe('creating a record (POST /attendance/)', () => {
  it('when an admin creates a record, then it is answered with 201 and stored with the employee’s team', async () => {
    const { admin, alice, team } = await hub.makeOrg();
    const res = await hub.request('POST', '/attendance/', {
      token: admin.token,
      json: {
        employee_id: alice.employee_id,
        attendance_date: '2025-06-02',
        status: 'Late',
        check_in_time: '2025-06-02T09:20:00+02:00',
        check_out_time: '2025-06-02T17:00:00Z',
        notes: 'Train delayed',
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      record_id: expect.any(Number),
      employee_id: alice.employee_id,
      team_id: team.team_id,
      attendance_date: '2025-06-02',
      timezone: 'UTC',
      status: 'Late',
      check_in_time: '2025-06-02T07:20:00.000Z',
      check_out_time: '2025-06-02T17:00:00.000Z',
      intervals: [{ check_in_time: '2025-06-02T07:20:00.000Z', check_out_time: '2025-06-02T17:00:00.000Z' }],
      presence: 'out',
      // 2 June 2025 is a Monday: the team's 09:00–17:00 shift; in from 07:20, so 100 minutes beyond the plan.
      worked_minutes: 580,
      break_minutes: 0,
      overtime_minutes: 100,
      weekly_overtime_minutes: 0,
      planned_minutes: 480,
      left_early: false,
      shift_start: '2025-06-02T09:00:00.000Z',
      shift_end: '2025-06-02T17:00:00.000Z',
      schedule_id: expect.any(Number),
      schedule_version: 1,
      auto_closed: false,
      notes: 'Train delayed',
      source: 'api',
      missing_check_out: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    const [row] = await recordsOf(alice.employee_id);
    expect(row.record_id).toBe(res.body.record_id);
    expect(row.team_id).toBe(team.team_id);
    expect(row.attendance_date).toBe('2025-06-02');
    expect(row.status).toBe('Late');
    expect(iso(row.check_in_time)).toBe('2025-06-02T07:20:00.000Z');
    expect(iso(row.check_out_time)).toBe('2025-06-02T17:00:00.000Z');
    expect(row.notes).toBe('Train delayed');
    expect(row.source).toBe('api');
  });

  it('when optional fields are left out, then check-in, check-out and notes are null and the given source is kept', async () => {
    const { admin, alice } = await hub.makeOrg();
    const body = await create(admin.token, { employee_id: alice.employee_id, attendance_date: '2025-06-03', status: 'On Leave', source: 'system' });
    expect(body).toMatchObject({ check_in_time: null, check_out_time: null, notes: null, source: 'system', status: 'On Leave' });
    const [row] = await recordsOf(alice.employee_id);
    expect(row).toMatchObject({ check_in_time: null, check_out_time: null, notes: null, source: 'system', status: 'On Leave' });
  });

  it('when a manager creates a record for an employee of their team, then it is created', async () => {
    const { manager, alice } = await hub.makeOrg();
    const body = await create(manager.token, { employee_id: alice.employee_id, attendance_date: '2025-06-04', status: 'Remote' });
    expect(body.employee_id).toBe(alice.employee_id);
    expect(await recordsOf(alice.employee_id)).toHaveLength(1);
  });

  it('when a manager creates a record for an employee of another team, then it is 403 and nothing is stored', async () => {
    const { manager } = await hub.makeOrg();
    const other = await hub.makeOrg();
    const res = await hub.request('POST', '/attendance/', {
      token: manager.token,
      json: { employee_id: other.alice.employee_id, attendance_date: '2025-06-04', status: 'Present' },
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    expect(await recordsOf(other.alice.employee_id)).toHaveLength(0);
  });

  it('when an employee creates a record, even their own, then it is 403 and nothing is stored', async () => {
    const { alice } = await hub.makeOrg();
    const res = await hub.request('POST', '/attendance/', {
      token: alice.token,
      json: { employee_id: alice.employee_id, attendance_date: '2025-06-04', status: 'Present' },
    });
    expect(res.status).toBe(403);
    expect(await recordsOf(alice.employee_id)).toHaveLength(0);
  });

  it('when a second record is created for the same employee and date, then it is 409 duplicate_record and the first stays alone', async () => {
    const { admin, alice } = await hub.makeOrg();
    const first = await create(admin.token, { employee_id: alice.employee_id, attendance_date: '2025-06-05', status: 'Present' });
    const res = await hub.request('POST', '/attendance/', {
      token: admin.token,
      json: { employee_id: alice.employee_id, attendance_date: '2025-06-05', status: 'Absent' },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('duplicate_record');
    const rows = await recordsOf(alice.employee_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ record_id: first.record_id, status: 'Present' });
  });

  it('when the employee does not exist, then it is 422 naming employee_id', async () => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('POST', '/attendance/', {
      token: admin.token,
      json: { employee_id: MISSING_ID, attendance_date: '2025-06-05', status: 'Present' },
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.detail[0].loc).toEqual(['body', 'employee_id']);
    expect(await hub.rows('select 1 from attendance where employee_id = ?', [MISSING_ID])).toHaveLength(0);
  });

  it('when check_out_time is before check_in_time, then it is 422 and nothing is stored', async () => {
    const { admin, alice } = await hub.makeOrg();
    const res = await hub.request('POST', '/attendance/', {
      token: admin.token,
      json: {
        employee_id: alice.employee_id,
        attendance_date: '2025-06-06',
        status: 'Present',
        check_in_time: '2025-06-06T09:00:00Z',
        check_out_time: '2025-06-06T08:59:00Z',
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.detail[0].loc).toEqual(['body', 'check_out_time']);
    expect(await recordsOf(alice.employee_id)).toHaveLength(0);
  });

  it('when the status or date is invalid, then it is 422 and nothing is stored', async () => {
    const { admin, alice } = await hub.makeOrg();
    for (const json of [
      { employee_id: alice.employee_id, attendance_date: '2025-06-06', status: 'Sleeping' },
      { employee_id: alice.employee_id, attendance_date: '2025-02-30', status: 'Present' },
      { employee_id: alice.employee_id, attendance_date: '2025-06-06', status: 'Present', check_in_time: '2025-06-06T09:00:00' },
    ]) {
      const res = await hub.request('POST', '/attendance/', { token: admin.token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
    }
    expect(await recordsOf(alice.employee_id)).toHaveLength(0);
  });
});

describe('listing records (GET /attendance/)', () => {
  /** alice: 4 days; bob: 1 day; all in one team. */
  async function seed(org: Org) {
    const { admin, alice, bob } = org;
    const made = {
      a1: await create(admin.token, { employee_id: alice.employee_id, attendance_date: '2025-07-01', status: 'Present' }),
      a2: await create(admin.token, { employee_id: alice.employee_id, attendance_date: '2025-07-02', status: 'Late' }),
      a3: await create(admin.token, { employee_id: alice.employee_id, attendance_date: '2025-07-03', status: 'Present' }),
      a4: await create(admin.token, { employee_id: alice.employee_id, attendance_date: '2025-07-04', status: 'Absent' }),
      b2: await create(admin.token, { employee_id: bob.employee_id, attendance_date: '2025-07-02', status: 'Present' }),
    };
    return made;
  }

  it('when an admin lists by employee, then the records come newest first with the total in X-Total-Count', async () => {
    const org = await hub.makeOrg();
    const m = await seed(org);
    const res = await hub.request('GET', `/attendance/?employee_id=${org.alice.employee_id}`, { token: org.admin.token });
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual([m.a4.record_id, m.a3.record_id, m.a2.record_id, m.a1.record_id]);
    expect(res.headers.get('X-Total-Count')).toBe('4');
  });

  it('when date_from and date_to are given, then both bounds are inclusive', async () => {
    const org = await hub.makeOrg();
    const m = await seed(org);
    const res = await hub.request('GET', `/attendance/?employee_id=${org.alice.employee_id}&date_from=2025-07-02&date_to=2025-07-03`, {
      token: org.admin.token,
    });
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual([m.a3.record_id, m.a2.record_id]);
    expect(res.headers.get('X-Total-Count')).toBe('2');
  });

  it('when filtering by status and team, then only matching records of that team come back, same date ordered by id desc', async () => {
    const org = await hub.makeOrg();
    const m = await seed(org);
    const present = await hub.request('GET', `/attendance/?team_id=${org.team.team_id}&status=Present`, { token: org.admin.token });
    expect(present.status).toBe(200);
    expect(idsOf(present.body)).toEqual([m.a3.record_id, m.b2.record_id, m.a1.record_id]);
    expect(present.body.every((r: StoredRecord) => r.status === 'Present' && r.team_id === org.team.team_id)).toBe(true);

    const day = await hub.request('GET', `/attendance/?team_id=${org.team.team_id}&date_from=2025-07-02&date_to=2025-07-02`, { token: org.admin.token });
    expect(idsOf(day.body)).toEqual([m.b2.record_id, m.a2.record_id]);
  });

  it('when skip and limit are given, then a page comes back and X-Total-Count still counts every match', async () => {
    const org = await hub.makeOrg();
    const m = await seed(org);
    const res = await hub.request('GET', `/attendance/?employee_id=${org.alice.employee_id}&skip=1&limit=2`, { token: org.admin.token });
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual([m.a3.record_id, m.a2.record_id]);
    expect(res.headers.get('X-Total-Count')).toBe('4');
  });

  it('when filters are malformed, then it is 422', async () => {
    const { admin } = await hub.makeOrg();
    for (const q of ['date_from=2025-13-01', 'status=Asleep', 'limit=0', 'limit=1001', 'employee_id=abc']) {
      const res = await hub.request('GET', `/attendance/?${q}`, { token: admin.token });
      expect(res.status, q).toBe(422);
    }
  });

  it('when a manager lists, then they see their team’s records and their own but not another team’s', async () => {
    const org = await hub.makeOrg();
    const m = await seed(org);
    const own = await create(org.admin.token, { employee_id: org.manager.employee_id, attendance_date: '2025-07-05', status: 'Remote' });
    const other = await hub.makeOrg();
    const foreign = await create(other.admin.token, { employee_id: other.alice.employee_id, attendance_date: '2025-07-03', status: 'Present' });

    const res = await hub.request('GET', '/attendance/?date_from=2025-07-01&date_to=2025-07-05', { token: org.manager.token });
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual([own.record_id, m.a4.record_id, m.a3.record_id, m.b2.record_id, m.a2.record_id, m.a1.record_id]);
    expect(res.headers.get('X-Total-Count')).toBe('6');

    const asked = await hub.request('GET', `/attendance/?employee_id=${other.alice.employee_id}`, { token: org.manager.token });
    expect(asked.body).toEqual([]);
    expect(asked.headers.get('X-Total-Count')).toBe('0');
    const askedTeam = await hub.request('GET', `/attendance/?team_id=${other.team.team_id}`, { token: org.manager.token });
    expect(askedTeam.body).toEqual([]);
    expect(idsOf(askedTeam.body)).not.toContain(foreign.record_id);
  });

  it('when a manager’s own record belongs to another team, then they still see it in their list', async () => {
    const org = await hub.makeOrg();
    const other = await hub.makeTeam();
    const own = await create(org.admin.token, { employee_id: org.manager.employee_id, attendance_date: '2025-07-06', status: 'Present' });
    // The record was made while the manager was in another team: it stays with that team.
    await hub.rows('update attendance set team_id = ? where record_id = ?', [other.team_id, own.record_id]);
    const res = await hub.request('GET', `/attendance/?employee_id=${org.manager.employee_id}`, { token: org.manager.token });
    expect(idsOf(res.body)).toEqual([own.record_id]);
  });

  it('when an employee lists, then they see only their own records, even when asking for a colleague’s', async () => {
    const org = await hub.makeOrg();
    const m = await seed(org);
    const res = await hub.request('GET', '/attendance/', { token: org.bob.token });
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual([m.b2.record_id]);
    expect(res.headers.get('X-Total-Count')).toBe('1');

    const asked = await hub.request('GET', `/attendance/?employee_id=${org.alice.employee_id}`, { token: org.bob.token });
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual([]);
    expect(asked.headers.get('X-Total-Count')).toBe('0');

    const team = await hub.request('GET', `/attendance/?team_id=${org.team.team_id}`, { token: org.bob.token });
    expect(idsOf(team.body)).toEqual([m.b2.record_id]);
  });

  it('when nobody is signed in, then it is 401', async () => {
    const res = await hub.request('GET', '/attendance/');
    expect(res.status).toBe(401);
  });
});

describe('reading one record (GET /attendance/{record_id})', () => {
  it('when the owner, their manager or an admin reads it, then they get it', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-08-01', status: 'Present' });
    for (const who of [org.alice, org.manager, org.admin]) {
      const res = await hub.request('GET', `/attendance/${made.record_id}`, { token: who.token });
      expect(res.status, who.access).toBe(200);
      expect(res.body).toEqual(made);
    }
  });

  it('when a colleague or another team’s manager reads it, then it is 403', async () => {
    const org = await hub.makeOrg();
    const other = await hub.makeOrg();
    const made = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-08-01', status: 'Present' });
    for (const who of [org.bob, other.manager]) {
      const res = await hub.request('GET', `/attendance/${made.record_id}`, { token: who.token });
      expect(res.status, who.access).toBe(403);
    }
  });

  it('when the record does not exist, then it is 404', async () => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('GET', `/attendance/${MISSING_ID}`, { token: admin.token });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});

describe('correcting a record (PUT /attendance/{record_id})', () => {
  it('when an admin changes some fields, then only those change and updated_at moves on', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.admin.token, {
      employee_id: org.alice.employee_id,
      attendance_date: '2025-08-04',
      status: 'Late',
      check_in_time: '2025-08-04T09:30:00Z',
      notes: 'original',
    });
    const res = await hub.request('PUT', `/attendance/${made.record_id}`, {
      token: org.admin.token,
      json: { status: 'Present', check_out_time: '2025-08-04T17:30:00Z' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      record_id: made.record_id,
      attendance_date: '2025-08-04',
      status: 'Present',
      check_in_time: '2025-08-04T09:30:00.000Z',
      check_out_time: '2025-08-04T17:30:00.000Z',
      notes: 'original',
      created_at: made.created_at,
    });
    expect(new Date(res.body.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(made.updated_at).getTime());

    const row = (await recordRow(made.record_id))!;
    expect(row.status).toBe('Present');
    expect(row.notes).toBe('original');
    expect(row.attendance_date).toBe('2025-08-04');
    expect(iso(row.check_in_time)).toBe('2025-08-04T09:30:00.000Z');
    expect(iso(row.check_out_time)).toBe('2025-08-04T17:30:00.000Z');
  });

  it('when fields are set to null, then they are cleared', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.admin.token, {
      employee_id: org.alice.employee_id,
      attendance_date: '2025-08-05',
      status: 'Present',
      check_in_time: '2025-08-05T09:00:00Z',
      notes: 'to clear',
    });
    const res = await hub.request('PUT', `/attendance/${made.record_id}`, { token: org.admin.token, json: { notes: null, check_in_time: null } });
    expect(res.status).toBe(200);
    const row = (await recordRow(made.record_id))!;
    expect(row.notes).toBeNull();
    expect(row.check_in_time).toBeNull();
  });

  it('when the team’s manager corrects a record, then it changes; another team’s manager or an employee gets 403 and nothing changes', async () => {
    const org = await hub.makeOrg();
    const other = await hub.makeOrg();
    const made = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-08-06', status: 'Absent' });

    const denied = await hub.request('PUT', `/attendance/${made.record_id}`, { token: other.manager.token, json: { status: 'Present' } });
    expect(denied.status).toBe(403);
    const self = await hub.request('PUT', `/attendance/${made.record_id}`, { token: org.alice.token, json: { status: 'Present' } });
    expect(self.status).toBe(403);
    expect((await recordRow(made.record_id))!.status).toBe('Absent');

    const ok = await hub.request('PUT', `/attendance/${made.record_id}`, { token: org.manager.token, json: { status: 'On Leave', notes: 'approved' } });
    expect(ok.status).toBe(200);
    expect(await recordRow(made.record_id)).toMatchObject({ status: 'On Leave', notes: 'approved' });
  });

  it('when the record is moved to a date that already has a record, then it is 409 duplicate_record and nothing changes', async () => {
    const org = await hub.makeOrg();
    const first = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-08-07', status: 'Present' });
    const second = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-08-08', status: 'Late' });
    const res = await hub.request('PUT', `/attendance/${second.record_id}`, {
      token: org.admin.token,
      json: { attendance_date: '2025-08-07', status: 'Present' },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('duplicate_record');
    expect(await recordRow(second.record_id)).toMatchObject({ attendance_date: '2025-08-08', status: 'Late' });
    expect(await recordRow(first.record_id)).toMatchObject({ attendance_date: '2025-08-07', status: 'Present' });
    expect(await auditOf(second.record_id)).toHaveLength(1); // only the creation
  });

  it('when the record is moved to a free date, then the date changes', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-08-09', status: 'Present' });
    const res = await hub.request('PUT', `/attendance/${made.record_id}`, { token: org.admin.token, json: { attendance_date: '2025-08-11' } });
    expect(res.status).toBe(200);
    expect(res.body.attendance_date).toBe('2025-08-11');
    expect((await recordRow(made.record_id))!.attendance_date).toBe('2025-08-11');
  });

  it('when only check_out_time is given and it is before the stored check-in, then it is 422 and nothing changes', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.admin.token, {
      employee_id: org.alice.employee_id,
      attendance_date: '2025-08-12',
      status: 'Present',
      check_in_time: '2025-08-12T09:00:00Z',
    });
    const res = await hub.request('PUT', `/attendance/${made.record_id}`, { token: org.admin.token, json: { check_out_time: '2025-08-12T08:00:00Z' } });
    expect(res.status).toBe(422);
    expect((await recordRow(made.record_id))!.check_out_time).toBeNull();
  });

  it('when the record does not exist, then it is 404', async () => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('PUT', `/attendance/${MISSING_ID}`, { token: admin.token, json: { status: 'Present' } });
    expect(res.status).toBe(404);
  });
});

describe('separation of duties and plausible times', () => {
  it('when a manager creates or corrects their own record, then it is 403 self_correction and nothing changes; an admin may', async () => {
    const org = await hub.makeOrg();
    const created = await hub.request('POST', '/attendance/', {
      token: org.manager.token,
      json: { employee_id: org.manager.employee_id, attendance_date: '2025-10-06', status: 'Present', check_in_time: '2025-10-06T08:00:00Z' },
    });
    expect(created.status).toBe(403);
    expect(created.body.code).toBe('self_correction');
    expect(await recordsOf(org.manager.employee_id)).toEqual([]);
    const byAdmin = await create(org.admin.token, { employee_id: org.manager.employee_id, attendance_date: '2025-10-06', status: 'Late', check_in_time: '2025-10-06T09:30:00Z' });
    const before = await recordRow(byAdmin.record_id);
    const edit = await hub.request('PUT', `/attendance/${byAdmin.record_id}`, { token: org.manager.token, json: { status: 'Present' } });
    expect(edit.status).toBe(403);
    expect(edit.body.code).toBe('self_correction');
    expect(await recordRow(byAdmin.record_id)).toEqual(before);
    // The manager still corrects their team's records, and an admin corrects their own.
    const alice = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-10-06', status: 'Late' });
    expect((await hub.request('PUT', `/attendance/${alice.record_id}`, { token: org.manager.token, json: { status: 'Present' } })).status).toBe(200);
    const own = await hub.request('POST', '/attendance/', { token: org.admin.token, json: { employee_id: org.admin.employee_id, attendance_date: '2025-10-06', status: 'Present' } });
    expect(own.status).toBe(201);
  });

  it('when a record’s times fall outside its local day (beyond MAX_SHIFT_HOURS for a check-out), then 422 naming the field, on create and on correction', async () => {
    const org = await hub.makeOrg();
    const cases: [Record<string, unknown>, string][] = [
      [{ attendance_date: '2020-01-08', check_in_time: '2031-01-08T09:00:00Z' }, 'check_in_time'],
      [{ attendance_date: '2020-01-08', check_in_time: '2020-01-07T23:59:00Z' }, 'check_in_time'],
      [{ attendance_date: '2020-01-08', check_in_time: '2020-01-09T00:00:00Z' }, 'check_in_time'],
      [{ attendance_date: '2020-01-08', check_in_time: '2020-01-08T22:00:00Z', check_out_time: '2020-01-09T16:01:00Z' }, 'check_out_time'],
      [{ attendance_date: '2020-01-08', check_out_time: '2020-01-07T20:00:00Z' }, 'check_out_time'],
    ];
    for (const [times, field] of cases) {
      const res = await hub.request('POST', '/attendance/', { token: org.admin.token, json: { employee_id: org.alice.employee_id, status: 'Present', ...times } });
      expect(res.status, JSON.stringify(times)).toBe(422);
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc.join('.'))).toContain(`body.${field}`);
    }
    expect(await recordsOf(org.alice.employee_id)).toEqual([]);
    // A night shift: in at 22:00, out at 06:00 the next morning, is one record of the day it started.
    const night = await create(org.admin.token, {
      employee_id: org.alice.employee_id, attendance_date: '2020-01-08', status: 'Present', check_in_time: '2020-01-08T22:00:00Z', check_out_time: '2020-01-09T06:00:00Z',
    });
    const moved = await hub.request('PUT', `/attendance/${night.record_id}`, { token: org.admin.token, json: { attendance_date: '2020-02-08' } });
    expect(moved.status).toBe(422);
    const far = await hub.request('PUT', `/attendance/${night.record_id}`, { token: org.admin.token, json: { check_in_time: '2031-01-08T09:00:00Z' } });
    expect(far.status).toBe(422);
    expect(far.body.detail[0].loc).toEqual(['body', 'check_in_time']);
    expect((await recordRow(night.record_id))!.attendance_date).toBe('2020-01-08');
  });

  it('when an employee asks for a record, a person or a history that is not theirs, then the answer is the same 403 whether the id exists or not', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.admin.token, { employee_id: org.bob.employee_id, attendance_date: '2025-08-01', status: 'Present' });
    for (const [existing, missing] of [
      [`/attendance/${made.record_id}`, `/attendance/${MISSING_ID}`],
      [`/employees/${org.bob.employee_id}`, `/employees/${MISSING_ID}`],
      [`/attendance/employee/${org.bob.employee_id}`, `/attendance/employee/${MISSING_ID}`],
    ]) {
      const a = await hub.request('GET', existing, { token: org.alice.token });
      const b = await hub.request('GET', missing, { token: org.alice.token });
      expect([a.status, b.status], existing).toEqual([403, 403]);
      expect(a.body, existing).toEqual(b.body);
      expect(a.text).not.toContain(org.bob.name);
    }
  });
});

describe('deleting a record (DELETE /attendance/{record_id})', () => {
  it('when an admin deletes a record, then it is 204, the row is gone and reading it is 404', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-08-13', status: 'Present' });
    const res = await hub.request('DELETE', `/attendance/${made.record_id}`, { token: org.admin.token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await recordRow(made.record_id)).toBeNull();
    expect((await hub.request('GET', `/attendance/${made.record_id}`, { token: org.admin.token })).status).toBe(404);
    expect((await hub.request('DELETE', `/attendance/${made.record_id}`, { token: org.admin.token })).status).toBe(404);
  });

  it('when the team’s manager or the owner deletes a record, then it is 403 and the row stays', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-08-14', status: 'Present' });
    for (const who of [org.manager, org.alice]) {
      const res = await hub.request('DELETE', `/attendance/${made.record_id}`, { token: who.token });
      expect(res.status, who.access).toBe(403);
    }
    expect(await recordRow(made.record_id)).not.toBeNull();
  });
});

describe('one employee’s records (GET /attendance/employee/{employee_id})', () => {
  it('when read with a date range, then only that employee’s records in range come back, newest first', async () => {
    const org = await hub.makeOrg();
    const a1 = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-09-01', status: 'Present' });
    const a2 = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-09-02', status: 'Late' });
    await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-09-03', status: 'Present' });
    await create(org.admin.token, { employee_id: org.bob.employee_id, attendance_date: '2025-09-02', status: 'Present' });

    const url = `/attendance/employee/${org.alice.employee_id}?date_from=2025-09-01&date_to=2025-09-02`;
    for (const who of [org.admin, org.manager, org.alice]) {
      const res = await hub.request('GET', url, { token: who.token });
      expect(res.status, who.access).toBe(200);
      expect(idsOf(res.body)).toEqual([a2.record_id, a1.record_id]);
      expect(res.headers.get('X-Total-Count')).toBe('2');
    }
    const late = await hub.request('GET', `/attendance/employee/${org.alice.employee_id}?status=Late`, { token: org.admin.token });
    expect(idsOf(late.body)).toEqual([a2.record_id]);
  });

  it('when a colleague or another team’s manager asks, then it is 403; an unknown employee is 404', async () => {
    const org = await hub.makeOrg();
    const other = await hub.makeOrg();
    await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-09-04', status: 'Present' });
    for (const who of [org.bob, other.manager]) {
      const res = await hub.request('GET', `/attendance/employee/${org.alice.employee_id}`, { token: who.token });
      expect(res.status, who.access).toBe(403);
    }
    const missing = await hub.request('GET', `/attendance/employee/${MISSING_ID}`, { token: org.admin.token });
    expect(missing.status).toBe(404);
  });
});

describe('one team’s records (GET /attendance/team/{team_id})', () => {
  it('when an admin or the team’s manager reads it with a date range, then the team’s records in range come back', async () => {
    const org = await hub.makeOrg();
    const other = await hub.makeOrg();
    const a = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-10-01', status: 'Present' });
    const b = await create(org.admin.token, { employee_id: org.bob.employee_id, attendance_date: '2025-10-02', status: 'Late' });
    await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-10-05', status: 'Present' });
    await create(org.admin.token, { employee_id: other.alice.employee_id, attendance_date: '2025-10-01', status: 'Present' });

    const url = `/attendance/team/${org.team.team_id}?date_from=2025-10-01&date_to=2025-10-02`;
    for (const who of [org.admin, org.manager]) {
      const res = await hub.request('GET', url, { token: who.token });
      expect(res.status, who.access).toBe(200);
      expect(idsOf(res.body)).toEqual([b.record_id, a.record_id]);
      expect(res.headers.get('X-Total-Count')).toBe('2');
    }
  });

  it('when an employee or another team’s manager asks, then it is 403; an unknown team is 404', async () => {
    const org = await hub.makeOrg();
    const other = await hub.makeOrg();
    const employee = await hub.request('GET', `/attendance/team/${org.team.team_id}`, { token: org.alice.token });
    expect(employee.status).toBe(403);
    const manager = await hub.request('GET', `/attendance/team/${org.team.team_id}`, { token: other.manager.token });
    expect(manager.status).toBe(403);
    const missing = await hub.request('GET', `/attendance/team/${MISSING_ID}`, { token: org.admin.token });
    expect(missing.status).toBe(404);
  });
});

describe('audit trail and events', () => {
  it('when a record is created, updated and deleted, then each step writes an audit row with actor and before/after', async () => {
    const org = await hub.makeOrg();
    const made = await create(org.manager.token, { employee_id: org.alice.employee_id, attendance_date: '2025-11-03', status: 'Absent' });
    const updated = await hub.request('PUT', `/attendance/${made.record_id}`, { token: org.admin.token, json: { status: 'On Leave' } });
    expect(updated.status).toBe(200);
    expect((await hub.request('DELETE', `/attendance/${made.record_id}`, { token: org.admin.token })).status).toBe(204);

    const audit = await auditOf(made.record_id);
    expect(audit.map((a) => a.action)).toEqual(['create', 'update', 'delete']);

    expect(audit[0]).toMatchObject({ actor_id: org.manager.employee_id, actor_kind: 'manager', before: null });
    expect(audit[0].after).toEqual(made);

    expect(audit[1]).toMatchObject({ actor_id: org.admin.employee_id, actor_kind: 'admin' });
    expect(audit[1].before).toMatchObject({ record_id: made.record_id, status: 'Absent' });
    expect(audit[1].after).toEqual(updated.body);

    expect(audit[2]).toMatchObject({ actor_id: org.admin.employee_id, actor_kind: 'admin', after: null });
    expect(audit[2].before).toEqual(updated.body);
  });

  it('when a change is refused, then no audit row is written', async () => {
    const org = await hub.makeOrg();
    const other = await hub.makeOrg();
    const made = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-11-04', status: 'Present' });
    await hub.request('POST', '/attendance/', { token: org.admin.token, json: { employee_id: org.alice.employee_id, attendance_date: '2025-11-04', status: 'Late' } });
    await hub.request('PUT', `/attendance/${made.record_id}`, { token: other.manager.token, json: { status: 'Late' } });
    await hub.request('DELETE', `/attendance/${made.record_id}`, { token: org.manager.token });
    expect((await auditOf(made.record_id)).map((a) => a.action)).toEqual(['create']);
  });

  it('when a record is created, updated and deleted, then attendance.changed is published each time with the team and employee', async () => {
    const org = await hub.makeOrg();
    const mine = () => events.filter((e) => e.employee.employee_id === org.alice.employee_id);
    const made = await create(org.admin.token, { employee_id: org.alice.employee_id, attendance_date: '2025-11-05', status: 'Present' });
    // A refused change publishes nothing.
    await hub.request('POST', '/attendance/', { token: org.admin.token, json: { employee_id: org.alice.employee_id, attendance_date: '2025-11-05', status: 'Late' } });
    const updated = await hub.request('PUT', `/attendance/${made.record_id}`, { token: org.admin.token, json: { notes: 'checked' } });
    await hub.request('DELETE', `/attendance/${made.record_id}`, { token: org.admin.token });

    const seen = mine();
    expect(seen.map((e) => e.action)).toEqual(['created', 'updated', 'deleted']);
    for (const e of seen) {
      expect(e.team_id).toBe(org.team.team_id);
      expect(e.employee).toEqual({ employee_id: org.alice.employee_id, name: org.alice.name });
    }
    expect(seen[0].record).toEqual(made);
    expect(seen[1].record).toEqual(updated.body);
    expect(seen[2].record).toEqual(updated.body);
  });
});
