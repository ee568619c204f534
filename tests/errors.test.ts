import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, uid, type TestHub } from './utils.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const newEmployee = (extra: Record<string, unknown> = {}) => {
  const id = uid();
  return { name: `Err ${id}`, email: `err.${id}@example.com`, password: 'Sturdy-Lamp-981', ...extra };
};

const countInTeam = async (teamId: number) =>
  Number((await hub.rows<{ n: string }>('select count(*) as n from employees where team_id = ?', [teamId]))[0].n);
const countByEmail = async (email: string) =>
  Number((await hub.rows<{ n: string }>('select count(*) as n from employees where email = ?', [email.toLowerCase()]))[0].n);
const countAttendance = async (employeeId: number) =>
  Number((await hub.rows<{ n: string }>('select count(*) as n from attendance where employee_id = ?', [employeeId]))[0].n);

/** An error body is exactly `{detail, code}`. */
const expectErrorShape = (body: any, code: string) => {
  expect(Object.keys(body).sort()).toEqual(['code', 'detail']);
  expect(body.code).toBe(code);
  expect(body.detail).toBeTruthy();
};

/** A validation error: 422, code validation_error, detail a list of exactly {loc, msg, type}. */
const expectValidation = (res: { status: number; body: any }, loc: (string | number)[]) => {
  expect(res.status).toBe(422);
  expectErrorShape(res.body, 'validation_error');
  expect(Array.isArray(res.body.detail)).toBe(true);
  for (const item of res.body.detail) {
    expect(Object.keys(item).sort()).toEqual(['loc', 'msg', 'type']);
    expect(typeof item.msg).toBe('string');
    expect(typeof item.type).toBe('string');
  }
  expect(res.body.detail.map((d: any) => d.loc)).toContainEqual(loc);
};

describe('error bodies', () => {
  it('when a path does not exist, then 404 {detail, code} with or without a token', async () => {
    const { admin } = await hub.makeOrg();
    for (const token of [undefined, admin.token]) {
      for (const path of ['/nowhere', '/employees/1/extra', '/teams/1/2/3']) {
        const res = await hub.request('GET', path, { token });
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ detail: 'Not found', code: 'not_found' });
      }
    }
  });

  it('when a method is not declared for a path, then the answer is a 404 {detail, code}', async () => {
    const { admin, alice } = await hub.makeOrg();
    const res = await hub.request('PATCH', `/employees/${alice.employee_id}`, { token: admin.token, json: { name: 'Patched' } });
    expect(res.status).toBe(404);
    expectErrorShape(res.body, 'not_found');
    expect((await hub.rows('select name from employees where employee_id = ?', [alice.employee_id]))[0].name).toBe(alice.name);
  });

  it('when no token is sent, then 401 not_authenticated; when the token is garbage, then 401 invalid_token', async () => {
    const none = await hub.request('GET', '/teams/');
    expect(none.status).toBe(401);
    expectErrorShape(none.body, 'not_authenticated');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');

    const bad = await hub.request('GET', '/teams/', { token: 'not.a.jwt' });
    expect(bad.status).toBe(401);
    expectErrorShape(bad.body, 'invalid_token');
  });

  it('when a role may not use an endpoint, then 403 {detail, code}', async () => {
    const { alice } = await hub.makeOrg();
    const res = await hub.request('GET', '/employees/', { token: alice.token });
    expect(res.status).toBe(403);
    expectErrorShape(res.body, 'forbidden');
  });

  it('when a record is missing or a value conflicts, then 404 / 409 bodies are {detail, code} with a string detail', async () => {
    const { admin, alice } = await hub.makeOrg();
    const missing = await hub.request('GET', '/teams/2000000000', { token: admin.token });
    expect(missing.status).toBe(404);
    expectErrorShape(missing.body, 'not_found');
    expect(typeof missing.body.detail).toBe('string');
    const dup = await hub.request('POST', '/employees/', { token: admin.token, json: newEmployee({ email: alice.email }) });
    expect(dup.status).toBe(409);
    expectErrorShape(dup.body, 'duplicate_email');
    expect(typeof dup.body.detail).toBe('string');
  });
});

describe('bad request bodies', () => {
  it('when the JSON is malformed, then 400 invalid_json and nothing is written', async () => {
    const { admin, team } = await hub.makeOrg();
    const res = await hub.request('POST', '/employees/', {
      token: admin.token,
      body: `{"name": "Broken", "email": "broken.${uid()}@example.com", "team_id": ${team.team_id},`,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expectErrorShape(res.body, 'invalid_json');
    expect(await countInTeam(team.team_id)).toBe(3);

    const teamName = `Broken ${uid()}`;
    const teams = await hub.request('POST', '/teams/', { token: admin.token, body: `{"team_name": "${teamName}"`, headers: { 'Content-Type': 'application/json' } });
    expect(teams.status).toBe(400);
    expectErrorShape(teams.body, 'invalid_json');
    expect(await hub.rows('select 1 from teams where team_name = ?', [teamName])).toEqual([]);
  });

  it('when the content type is not JSON, then 415 and nothing is written', async () => {
    const { admin, team } = await hub.makeOrg();
    const body = newEmployee({ team_id: team.team_id });
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const res = await hub.request('POST', '/employees/', { token: admin.token, body: JSON.stringify(body), headers: { 'Content-Type': type } });
      expect(res.status).toBe(415);
      expectErrorShape(res.body, 'unsupported_media_type');
    }
    expect(await countByEmail(body.email)).toBe(0);
    expect(await countInTeam(team.team_id)).toBe(3);
  });

  it('when the body is empty, then 422 on body and nothing is written', async () => {
    const { admin, team } = await hub.makeOrg();
    const res = await hub.request('POST', '/employees/', { token: admin.token, body: '', headers: { 'Content-Type': 'application/json' } });
    expectValidation(res, ['body']);
    expect(await countInTeam(team.team_id)).toBe(3);
  });

  it('when the JSON is not an object (an array, null, a number), then 422 and nothing is written', async () => {
    const { admin, team } = await hub.makeOrg();
    for (const json of [[], null, 42, 'text']) {
      const res = await hub.request('POST', '/employees/', { token: admin.token, body: JSON.stringify(json), headers: { 'Content-Type': 'application/json' } });
      expect(res.status).toBe(422);
      expectErrorShape(res.body, 'validation_error');
    }
    expect(await countInTeam(team.team_id)).toBe(3);
  });

  it.each([
    ['name is a number', { name: 123 }, ['body', 'name'], 'type_error.string'],
    ['email is not an email', { email: 'not-an-email' }, ['body', 'email'], undefined],
    ['access is not a known level', { access: 'god' }, ['body', 'access'], undefined],
    ['team_id is a string', { team_id: 'one' }, ['body', 'team_id'], undefined],
    ['team_id is a fraction', { team_id: 1.5 }, ['body', 'team_id'], undefined],
    ['active is a string', { active: 'yes' }, ['body', 'active'], undefined],
    ['badge_id has spaces', { badge_id: 'A B' }, ['body', 'badge_id'], undefined],
    ['name is blank', { name: '   ' }, ['body', 'name'], undefined],
    ['name is 201 characters', { name: 'n'.repeat(201) }, ['body', 'name'], undefined],
    ['password is missing', { password: undefined }, ['body', 'password'], undefined],
  ])('when %s, then 422 naming the field and no employee is written', async (_what, fields, loc, type) => {
    const { admin, team } = await hub.makeOrg();
    const body = newEmployee({ team_id: team.team_id, ...fields });
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: body });
    expectValidation(res, loc as string[]);
    if (type) expect(res.body.detail.find((d: any) => d.loc.join('.') === (loc as string[]).join('.')).type).toBe(type);
    expect(await countInTeam(team.team_id)).toBe(3);
    if (typeof body.email === 'string' && body.email.includes('@')) expect(await countByEmail(body.email)).toBe(0);
  });

  it('when several fields are wrong, then every one is listed', async () => {
    const { admin, team } = await hub.makeOrg();
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: { name: 123, email: 'nope', password: 'x', access: 'god', team_id: team.team_id } });
    expect(res.status).toBe(422);
    const locs = res.body.detail.map((d: any) => d.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.name', 'body.email', 'body.password', 'body.access']));
    expect(await countInTeam(team.team_id)).toBe(3);
  });

  it('when an update has the wrong types, then 422 and the row is unchanged', async () => {
    const { admin, alice } = await hub.makeOrg();
    const before = (await hub.rows('select * from employees where employee_id = ?', [alice.employee_id]))[0];
    for (const json of [{ name: 123 }, { access: 'god' }, { active: 'no' }, { email: 42 }]) {
      const res = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json });
      expect(res.status).toBe(422);
      expectErrorShape(res.body, 'validation_error');
      expect(res.body.detail[0].loc).toEqual(['body', Object.keys(json)[0]]);
    }
    expect((await hub.rows('select * from employees where employee_id = ?', [alice.employee_id]))[0]).toEqual(before);
  });

  it.each([
    ['attendance_date in year 3000', { attendance_date: '3000-01-01' }, 'attendance_date'],
    ['attendance_date before 1900', { attendance_date: '1899-12-31' }, 'attendance_date'],
    ['attendance_date 30 February', { attendance_date: '2026-02-30' }, 'attendance_date'],
    ['attendance_date not a date', { attendance_date: 'yesterday' }, 'attendance_date'],
    ['check_in_time in year 3000', { check_in_time: '3000-01-01T09:00:00Z' }, 'check_in_time'],
    ['check_in_time without an offset', { check_in_time: '2026-01-05T09:00:00' }, 'check_in_time'],
    ['status unknown', { status: 'Sleeping' }, 'status'],
  ])('when an attendance record has %s, then 422 and no record is written', async (_what, fields, field) => {
    const { admin, alice } = await hub.makeOrg();
    const res = await hub.request('POST', '/attendance/', {
      token: admin.token,
      json: { employee_id: alice.employee_id, attendance_date: '2026-01-05', status: 'Present', ...fields },
    });
    expectValidation(res, ['body', field]);
    expect(await countAttendance(alice.employee_id)).toBe(0);
  });

  it('when a date filter is out of range, then 422 on the query parameter', async () => {
    const { admin } = await hub.makeOrg();
    for (const [param, value] of [['date_from', '1800-01-01'], ['date_to', '3000-12-31'], ['date_from', '2026-13-01']]) {
      const res = await hub.request('GET', `/attendance/?${param}=${value}`, { token: admin.token });
      expectValidation(res, ['query', param]);
    }
  });

  it('when the body is larger than 64 KB, then 413 payload_too_large and nothing is written', async () => {
    const { admin, team } = await hub.makeOrg();
    const body = newEmployee({ team_id: team.team_id, role: 'r'.repeat(70 * 1024) });
    const text = JSON.stringify(body);
    expect(text.length).toBeGreaterThan(65_536);

    const streamed = await hub.request('POST', '/employees/', { token: admin.token, body: text, headers: { 'Content-Type': 'application/json' } });
    expect(streamed.status).toBe(413);
    expectErrorShape(streamed.body, 'payload_too_large');

    const declared = await hub.request('POST', '/employees/', {
      token: admin.token,
      body: text,
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) },
    });
    expect(declared.status).toBe(413);
    expectErrorShape(declared.body, 'payload_too_large');

    expect(await countByEmail(body.email)).toBe(0);
    expect(await countInTeam(team.team_id)).toBe(3);
  });

  it('when the body is just under 64 KB, then it is read and validated normally', async () => {
    const { admin, team } = await hub.makeOrg();
    const body = newEmployee({ team_id: team.team_id, role: 'r'.repeat(60 * 1024) });
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: body });
    expectValidation(res, ['body', 'role']);
    expect(await countInTeam(team.team_id)).toBe(3);
  });
});

describe('trailing slashes', () => {
  it('when a list path is written with or without its trailing slash, then both give the same answer', async () => {
    const { manager, team } = await hub.makeOrg();
    for (const base of ['/employees', '/teams']) {
      const without = await hub.request('GET', base, { token: manager.token });
      const withSlash = await hub.request('GET', `${base}/`, { token: manager.token });
      expect(without.status).toBe(200);
      expect(withSlash.status).toBe(200);
      expect(without.body).toEqual(withSlash.body);
      expect(without.headers.get('x-total-count')).toBe(withSlash.headers.get('x-total-count'));
    }
    const teams = await hub.request('GET', '/teams', { token: manager.token });
    expect(teams.body.map((t: any) => t.team_id)).toEqual([team.team_id]);
  });

  it('when creating without the trailing slash, then the employee and the team are created', async () => {
    const { admin, team } = await hub.makeOrg();
    const body = newEmployee({ team_id: team.team_id });
    const emp = await hub.request('POST', '/employees', { token: admin.token, json: body });
    expect(emp.status).toBe(201);
    expect(await countByEmail(body.email)).toBe(1);
    const name = `Slashless ${uid()}`;
    const t = await hub.request('POST', '/teams', { token: admin.token, json: { team_name: name } });
    expect(t.status).toBe(201);
    expect(await hub.rows('select team_id from teams where team_name = ?', [name])).toEqual([{ team_id: t.body.team_id }]);
  });

  it('when an item path has a trailing slash, then GET, PUT and DELETE work on it', async () => {
    const { admin, team, alice } = await hub.makeOrg();
    const get = await hub.request('GET', `/teams/${team.team_id}/`, { token: admin.token });
    expect(get.status).toBe(200);
    expect(get.body.team_id).toBe(team.team_id);
    const put = await hub.request('PUT', `/teams/${team.team_id}/`, { token: admin.token, json: { grace_minutes: 12 } });
    expect(put.status).toBe(200);
    expect((await hub.rows('select s.grace_minutes from teams t join schedules s on s.schedule_id = t.schedule_id where t.team_id = ?', [team.team_id]))[0].grace_minutes).toBe(12);
    const emp = await hub.request('GET', `/employees/${alice.employee_id}/`, { token: admin.token });
    expect(emp.status).toBe(200);
    const del = await hub.request('DELETE', `/employees/${alice.employee_id}/`, { token: admin.token });
    expect(del.status).toBe(204);
    expect(await hub.rows('select 1 from employees where employee_id = ?', [alice.employee_id])).toEqual([]);
  });

  it('when public paths have a trailing slash, then they work too', async () => {
    const { alice } = await hub.makeOrg();
    expect((await hub.request('GET', '/healthz/')).status).toBe(200);
    expect((await hub.request('GET', '/readyz/')).status).toBe(200);
    const token = await hub.request('POST', '/token/', { form: { username: alice.email, password: 'Correct-Horse-42' } });
    expect(token.status).toBe(200);
    expect(token.body.access_token).toEqual(expect.any(String));
  });
});
