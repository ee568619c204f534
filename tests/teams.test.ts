import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, uid, type TestHub } from './utils.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const TEAM_KEYS = [
  'created_at', 'grace_minutes', 'missing_check_out', 'schedule_id', 'team_id', 'team_name', 'timezone', 'updated_at', 'web_punch', 'weekly_hours', 'workday_start', 'working_weekdays',
];

/**
 * A team as stored: its row, and its hours as its schedule holds them (a team without one follows the standard week:
 * 09:00, 5 minutes' grace, Monday to Friday).
 */
const storedTeam = async (id: number): Promise<Record<string, any>> => {
  const [t] = await hub.rows<Record<string, any>>('select t.*, s.grace_minutes, s.shifts from teams t left join schedules s on s.schedule_id = t.schedule_id where t.team_id = ?', [id]);
  if (!t) return t;
  const shifts = (t.shifts ?? null) as { week: number; weekday: number; start: string }[] | null;
  if (!shifts) return { ...t, workday_start: '09:00', grace_minutes: 5, working_weekdays: [1, 2, 3, 4, 5] };
  const week1 = shifts.filter((x) => x.week === 1).sort((a, b) => a.weekday - b.weekday);
  return { ...t, workday_start: week1[0]?.start, working_weekdays: week1.map((x) => x.weekday) };
};
const countNamed = async (name: string) =>
  Number((await hub.rows<{ n: string }>('select count(*) as n from teams where team_name = ?', [name]))[0].n);
const teamAudits = async (id: number, action: string) =>
  hub.rows<Record<string, any>>(`select * from audit_log where entity_type = 'team' and entity_id = ? and action = ?`, [id, action]);

describe('listing teams', () => {
  it('when an admin lists teams, then every team is there, ordered by team_id, with the total in X-Total-Count', async () => {
    const { admin, team } = await hub.makeOrg();
    const other = await hub.makeTeam();
    const first = await hub.request('GET', '/teams/?limit=1000', { token: admin.token });
    expect(first.status).toBe(200);
    expect(Array.isArray(first.body)).toBe(true);
    for (const t of first.body) expect(Object.keys(t).sort()).toEqual(TEAM_KEYS);
    // Walk every page (other files add teams meanwhile, so the total only bounds the walk).
    const ids: number[] = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await hub.request('GET', `/teams/?skip=${skip}&limit=1000`, { token: admin.token });
      expect(Number(page.headers.get('x-total-count'))).toBeGreaterThanOrEqual(2);
      ids.push(...page.body.map((t: any) => t.team_id));
      if (page.body.length < 1000) break;
    }
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids).toEqual(expect.arrayContaining([team.team_id, other.team_id]));
  });

  it('when a manager or an employee lists teams, then only their own team comes back', async () => {
    const { manager, alice, team } = await hub.makeOrg();
    await hub.makeTeam();
    for (const who of [manager, alice]) {
      const res = await hub.request('GET', '/teams/', { token: who.token });
      expect(res.status).toBe(200);
      expect(res.body.map((t: any) => t.team_id)).toEqual([team.team_id]);
      expect(res.headers.get('x-total-count')).toBe('1');
    }
  });

  it('when an employee without a team lists teams, then the list is empty', async () => {
    const loner = await hub.makeEmployee({ team_id: null });
    const res = await hub.request('GET', '/teams/', { token: loner.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.get('x-total-count')).toBe('0');
  });

  it('when paging with skip and limit, then the page is the matching slice of the ordered list', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    await hub.makeTeam();
    await hub.makeTeam();
    // Other files create and delete teams in parallel; retry until two reads agree.
    let matched = false;
    for (let attempt = 0; attempt < 5 && !matched; attempt++) {
      const head = await hub.request('GET', '/teams/?limit=3', { token: admin.token });
      const page = await hub.request('GET', '/teams/?skip=1&limit=2', { token: admin.token });
      expect(page.status).toBe(200);
      expect(page.body).toHaveLength(2);
      matched = JSON.stringify(page.body.map((t: any) => t.team_id)) === JSON.stringify(head.body.slice(1).map((t: any) => t.team_id));
    }
    expect(matched).toBe(true);
  });

  it.each(['0', '1001'])('when limit is %s, then 422', async (limit) => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const res = await hub.request('GET', `/teams/?limit=${limit}`, { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(['query', 'limit']);
  });
});

describe('creating teams', () => {
  it('when an admin creates a team with every field, then 201 returns it and the row holds the values', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const name = `Night Shift ${uid()}`;
    const res = await hub.request('POST', '/teams/', {
      token: admin.token,
      json: { team_name: name, workday_start: '22:30', grace_minutes: 15, working_weekdays: [5, 6, 7] },
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(TEAM_KEYS);
    expect(res.body).toMatchObject({ team_name: name, workday_start: '22:30', grace_minutes: 15, working_weekdays: [5, 6, 7] });
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
    expect(new Date(res.body.updated_at).toISOString()).toBe(res.body.updated_at);
    expect(await storedTeam(res.body.team_id)).toMatchObject({
      team_name: name,
      workday_start: '22:30',
      grace_minutes: 15,
      working_weekdays: [5, 6, 7],
    });
    const audits = await teamAudits(res.body.team_id, 'create');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: admin.employee_id });
  });

  it('when only team_name is given, then the defaults are 09:00, 5 minutes grace and Monday to Friday', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const name = `Defaults ${uid()}`;
    const res = await hub.request('POST', '/teams/', { token: admin.token, json: { team_name: name } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ team_name: name, workday_start: '09:00', grace_minutes: 5, working_weekdays: [1, 2, 3, 4, 5] });
    expect(await storedTeam(res.body.team_id)).toMatchObject({ workday_start: '09:00', grace_minutes: 5, working_weekdays: [1, 2, 3, 4, 5] });
  });

  it('when the team name is taken, then 409 duplicate_team_name and no second row exists', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const team = await hub.makeTeam();
    const res = await hub.request('POST', '/teams/', { token: admin.token, json: { team_name: team.team_name } });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: expect.any(String), code: 'duplicate_team_name' });
    expect(await countNamed(team.team_name)).toBe(1);
  });

  it.each([
    ['workday_start 25:00', { workday_start: '25:00' }, 'workday_start'],
    ['workday_start 9:00', { workday_start: '9:00' }, 'workday_start'],
    ['workday_start 09:60', { workday_start: '09:60' }, 'workday_start'],
    ['grace_minutes -1', { grace_minutes: -1 }, 'grace_minutes'],
    ['grace_minutes 241', { grace_minutes: 241 }, 'grace_minutes'],
    ['grace_minutes 2.5', { grace_minutes: 2.5 }, 'grace_minutes'],
    ['working_weekdays [0]', { working_weekdays: [0] }, 'working_weekdays'],
    ['working_weekdays [8]', { working_weekdays: [8] }, 'working_weekdays'],
    ['working_weekdays repeated', { working_weekdays: [1, 1] }, 'working_weekdays'],
    ['working_weekdays not a list', { working_weekdays: 'weekdays' }, 'working_weekdays'],
    ['team_name blank', { team_name: '   ' }, 'team_name'],
    ['team_name 101 characters', { team_name: 'x'.repeat(101) }, 'team_name'],
  ])('when %s, then 422 on that field and no team is created', async (_what, fields, field) => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const name = `Invalid ${uid()}`;
    const res = await hub.request('POST', '/teams/', { token: admin.token, json: { team_name: name, ...fields } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    // An item of a list is reported under its index: ['body', 'working_weekdays', 0].
    expect(res.body.detail[0].loc.slice(0, 2)).toEqual(['body', field]);
    expect(typeof res.body.detail[0].msg).toBe('string');
    expect(await countNamed(name)).toBe(0);
  });

  it('when a manager or an employee creates a team, then 403 and no team is created', async () => {
    const { manager, alice } = await hub.makeOrg();
    for (const who of [manager, alice]) {
      const name = `Rogue ${uid()}`;
      const res = await hub.request('POST', '/teams/', { token: who.token, json: { team_name: name } });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect(await countNamed(name)).toBe(0);
    }
  });
});

describe('reading one team', () => {
  it('when an admin reads a team, then 200 with its fields', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const team = await hub.makeTeam({ workday_start: '08:15', grace_minutes: 0, working_weekdays: [1, 3] });
    const res = await hub.request('GET', `/teams/${team.team_id}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ team_id: team.team_id, team_name: team.team_name, workday_start: '08:15', grace_minutes: 0, working_weekdays: [1, 3] });
  });

  it("when a member reads their own team, then 200; another team, then 403; an unknown team, then 404", async () => {
    const { manager, alice, team } = await hub.makeOrg();
    const other = await hub.makeTeam();
    for (const who of [manager, alice]) {
      expect((await hub.request('GET', `/teams/${team.team_id}`, { token: who.token })).status).toBe(200);
      const foreign = await hub.request('GET', `/teams/${other.team_id}`, { token: who.token });
      expect(foreign.status).toBe(403);
      expect(foreign.body.code).toBe('forbidden');
      const missing = await hub.request('GET', '/teams/2000000000', { token: who.token });
      expect(missing.status).toBe(404);
    }
  });

  it('when the team does not exist, then 404; when the id is not a number, then 422', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const missing = await hub.request('GET', '/teams/2000000000', { token: admin.token });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: expect.any(String), code: 'not_found' });
    const bad = await hub.request('GET', '/teams/abc', { token: admin.token });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['path', 'team_id']);
  });
});

describe('updating teams', () => {
  it('when an admin changes some fields, then only those change in the database', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const team = await hub.makeTeam({ workday_start: '09:00', grace_minutes: 5, working_weekdays: [1, 2, 3, 4, 5] });
    const before = await storedTeam(team.team_id);
    const res = await hub.request('PUT', `/teams/${team.team_id}`, { token: admin.token, json: { workday_start: '07:45', working_weekdays: [1, 2, 3, 4] } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ team_id: team.team_id, team_name: team.team_name, workday_start: '07:45', grace_minutes: 5, working_weekdays: [1, 2, 3, 4] });
    const after = await storedTeam(team.team_id);
    expect(after).toMatchObject({ team_name: before.team_name, workday_start: '07:45', grace_minutes: 5, working_weekdays: [1, 2, 3, 4] });
    expect(after.created_at).toEqual(before.created_at);

    const audits = await teamAudits(team.team_id, 'update');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: admin.employee_id });
    expect(audits[0].before).toMatchObject({ workday_start: '09:00' });
    expect(audits[0].after).toMatchObject({ workday_start: '07:45' });
  });

  it('when renamed to another team’s name, then 409 duplicate_team_name and the name is unchanged', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const a = await hub.makeTeam();
    const b = await hub.makeTeam();
    const res = await hub.request('PUT', `/teams/${a.team_id}`, { token: admin.token, json: { team_name: b.team_name } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('duplicate_team_name');
    expect((await storedTeam(a.team_id)).team_name).toBe(a.team_name);
  });

  it('when renamed to its own name, then it is not a conflict', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const a = await hub.makeTeam();
    const res = await hub.request('PUT', `/teams/${a.team_id}`, { token: admin.token, json: { team_name: a.team_name, grace_minutes: 10 } });
    expect(res.status).toBe(200);
    expect((await storedTeam(a.team_id)).grace_minutes).toBe(10);
  });

  it('when the new workday_start is 25:00, then 422 and the row is unchanged', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const team = await hub.makeTeam();
    const before = await storedTeam(team.team_id);
    const res = await hub.request('PUT', `/teams/${team.team_id}`, { token: admin.token, json: { workday_start: '25:00' } });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(['body', 'workday_start']);
    expect(await storedTeam(team.team_id)).toEqual(before);
  });

  it('when a manager updates their own team, then 403 and the row is unchanged', async () => {
    const { manager, team } = await hub.makeOrg();
    const before = await storedTeam(team.team_id);
    const res = await hub.request('PUT', `/teams/${team.team_id}`, { token: manager.token, json: { grace_minutes: 60 } });
    expect(res.status).toBe(403);
    expect(await storedTeam(team.team_id)).toEqual(before);
  });

  it('when the team to update does not exist, then 404', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const res = await hub.request('PUT', '/teams/2000000000', { token: admin.token, json: { grace_minutes: 1 } });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});

describe('deleting teams', () => {
  it('when an admin deletes a team, then 204, its employees remain without a team and their attendance remains', async () => {
    const { admin, team, manager, alice, bob } = await hub.makeOrg();
    const members = [manager, alice, bob].map((e) => e.employee_id);
    for (const id of members) {
      await hub.rows(
        `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at)
         values (?, ?, '2026-03-02', 'Present', 'api', now(), now())`,
        [id, team.team_id],
      );
    }
    const res = await hub.request('DELETE', `/teams/${team.team_id}`, { token: admin.token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    expect(await hub.rows('select 1 from teams where team_id = ?', [team.team_id])).toEqual([]);
    expect((await hub.request('GET', `/teams/${team.team_id}`, { token: admin.token })).status).toBe(404);

    const employees = await hub.rows<{ employee_id: number; team_id: number | null }>(
      'select employee_id, team_id from employees where employee_id in (?) order by employee_id',
      [members],
    );
    expect(employees).toEqual([...members].sort((a, b) => a - b).map((employee_id) => ({ employee_id, team_id: null })));

    const attendance = await hub.rows<{ employee_id: number; team_id: number | null }>(
      'select employee_id, team_id from attendance where employee_id in (?) order by employee_id',
      [members],
    );
    expect(attendance).toEqual([...members].sort((a, b) => a - b).map((employee_id) => ({ employee_id, team_id: null })));

    const alicesView = await hub.request('GET', `/employees/${alice.employee_id}`, { token: admin.token });
    expect(alicesView.status).toBe(200);
    expect(alicesView.body.team_id).toBeNull();

    const audits = await teamAudits(team.team_id, 'delete');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: admin.employee_id });
    expect(audits[0].before).toMatchObject({ team_id: team.team_id, team_name: team.team_name });
  });

  it('when the team to delete does not exist, then 404', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const res = await hub.request('DELETE', '/teams/2000000000', { token: admin.token });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('when a manager deletes their team, then 403 and the team stays', async () => {
    const { manager, team } = await hub.makeOrg();
    const res = await hub.request('DELETE', `/teams/${team.team_id}`, { token: manager.token });
    expect(res.status).toBe(403);
    expect(await storedTeam(team.team_id)).toBeDefined();
  });
});
