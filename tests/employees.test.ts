import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoloDatabase, createTestHub, TEST_PASSWORD, uid, type TestHub } from './utils.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const EMPLOYEE_KEYS = ['access', 'active', 'badge_id', 'created_at', 'email', 'employee_id', 'employee_number', 'has_pin', 'name', 'role', 'team_id', 'updated_at'];

/** A valid create body with unique email and badge. */
const newEmployee = (extra: Record<string, unknown> = {}) => {
  const id = uid();
  return { name: `New ${id}`, email: `new.${id}@example.com`, password: 'Sturdy-Lamp-981', badge_id: `NB-${id}`, role: 'Engineer', ...extra };
};

const countByEmail = async (email: string) =>
  Number((await hub.rows<{ n: string }>('select count(*) as n from employees where lower(email) = lower(?)', [email]))[0].n);
const countInTeam = async (teamId: number) =>
  Number((await hub.rows<{ n: string }>('select count(*) as n from employees where team_id = ?', [teamId]))[0].n);
const storedEmployee = async (id: number) =>
  (await hub.rows<Record<string, any>>('select * from employees where employee_id = ?', [id]))[0];
const auditRows = async (id: number, action: string) =>
  hub.rows<Record<string, any>>(`select * from audit_log where entity_type = 'employee' and entity_id = ? and action = ? order by audit_id`, [id, action]);

/** Recursively collects every key of a JSON value. */
function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...allKeys(v)]);
  return [];
}

const expectNoPasswordLeak = (res: { body: unknown; text: string }, hash: string) => {
  expect(allKeys(res.body).filter((k) => k.toLowerCase().includes('password'))).toEqual([]);
  expect(res.text).not.toContain(hash);
  expect(res.text).not.toMatch(/\$2[aby]\$\d\d\$/);
};

describe('listing employees', () => {
  it('when an admin lists one team, then all its members come back ordered by employee_id with the total in X-Total-Count', async () => {
    const { admin, team, manager, alice, bob } = await hub.makeOrg();
    const res = await hub.request('GET', `/employees/?team_id=${team.team_id}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.headers.get('x-total-count')).toBe('3');
    expect(res.body.map((e: any) => e.employee_id)).toEqual([manager.employee_id, alice.employee_id, bob.employee_id].sort((a, b) => a - b));
    for (const e of res.body) expect(Object.keys(e).sort()).toEqual(EMPLOYEE_KEYS);
  });

  it('when an admin lists without a team filter, then employees of every team (and without a team) are visible', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const tag = uid();
    const t1 = await hub.makeTeam();
    const t2 = await hub.makeTeam();
    const a = await hub.makeEmployee({ team_id: t1.team_id, name: `Spread ${tag} A` });
    const b = await hub.makeEmployee({ team_id: t2.team_id, name: `Spread ${tag} B` });
    const c = await hub.makeEmployee({ team_id: null, name: `Spread ${tag} C` });
    const res = await hub.request('GET', `/employees/?q=${tag}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.map((e: any) => [e.employee_id, e.team_id])).toEqual([
      [a.employee_id, t1.team_id],
      [b.employee_id, t2.team_id],
      [c.employee_id, null],
    ]);
    expect(res.headers.get('x-total-count')).toBe('3');
  });

  it('when a manager lists employees, then only their own team comes back', async () => {
    const { manager, team, alice, bob } = await hub.makeOrg();
    const other = await hub.makeOrg();
    const res = await hub.request('GET', '/employees/', { token: manager.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-total-count')).toBe('3');
    const ids = res.body.map((e: any) => e.employee_id);
    expect(ids).toEqual([manager.employee_id, alice.employee_id, bob.employee_id].sort((x, y) => x - y));
    expect(ids).not.toContain(other.alice.employee_id);
    expect(res.body.every((e: any) => e.team_id === team.team_id)).toBe(true);

    const own = await hub.request('GET', `/employees/?team_id=${team.team_id}`, { token: manager.token });
    expect(own.status).toBe(200);
    expect(own.body).toHaveLength(3);
  });

  it('when a manager asks for another team with team_id, then the answer is 403', async () => {
    const { manager } = await hub.makeOrg();
    const other = await hub.makeOrg();
    const res = await hub.request('GET', `/employees/?team_id=${other.team.team_id}`, { token: manager.token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: expect.any(String), code: 'forbidden' });
  });

  it('when an employee lists employees, then the answer is 403', async () => {
    const { alice } = await hub.makeOrg();
    const res = await hub.request('GET', '/employees/', { token: alice.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
  });

  it('when nobody is signed in, then listing employees is 401', async () => {
    const res = await hub.request('GET', '/employees/');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: expect.any(String), code: 'not_authenticated' });
  });

  it('when skip and limit are given, then that page of the team comes back and the total stays the whole count', async () => {
    const team = await hub.makeTeam();
    const admin = await hub.makeEmployee({ access: 'admin' });
    const members = [];
    for (let i = 0; i < 5; i++) members.push(await hub.makeEmployee({ team_id: team.team_id }));
    const ids = members.map((m) => m.employee_id).sort((a, b) => a - b);
    const res = await hub.request('GET', `/employees/?team_id=${team.team_id}&skip=1&limit=2`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-total-count')).toBe('5');
    expect(res.body.map((e: any) => e.employee_id)).toEqual(ids.slice(1, 3));

    const past = await hub.request('GET', `/employees/?team_id=${team.team_id}&skip=10`, { token: admin.token });
    expect(past.status).toBe(200);
    expect(past.body).toEqual([]);
    expect(past.headers.get('x-total-count')).toBe('5');
  });

  it('when no limit is given, then at most 100 employees come back', async () => {
    const team = await hub.makeTeam();
    const admin = await hub.makeEmployee({ access: 'admin' });
    for (let i = 0; i < 101; i++) await hub.makeEmployee({ team_id: team.team_id });
    const res = await hub.request('GET', `/employees/?team_id=${team.team_id}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(100);
    expect(res.headers.get('x-total-count')).toBe('101');
    const all = await hub.request('GET', `/employees/?team_id=${team.team_id}&limit=1000`, { token: admin.token });
    expect(all.body).toHaveLength(101);
  });

  it.each(['0', '1001', '-1', 'ten'])('when limit is %s, then the answer is 422 naming query.limit', async (limit) => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('GET', `/employees/?limit=${limit}`, { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.detail[0].loc).toEqual(['query', 'limit']);
  });

  it('when filtering by access and active, then only matching members of the team come back', async () => {
    const { admin, team, manager, alice, bob } = await hub.makeOrg();
    await hub.rows('update employees set active = false where employee_id = ?', [bob.employee_id]);

    const managers = await hub.request('GET', `/employees/?team_id=${team.team_id}&access=manager`, { token: admin.token });
    expect(managers.body.map((e: any) => e.employee_id)).toEqual([manager.employee_id]);

    const inactive = await hub.request('GET', `/employees/?team_id=${team.team_id}&active=false`, { token: admin.token });
    expect(inactive.body.map((e: any) => e.employee_id)).toEqual([bob.employee_id]);
    expect(inactive.body[0].active).toBe(false);

    const activeStaff = await hub.request('GET', `/employees/?team_id=${team.team_id}&active=true&access=employee`, { token: admin.token });
    expect(activeStaff.body.map((e: any) => e.employee_id)).toEqual([alice.employee_id]);
    expect(activeStaff.headers.get('x-total-count')).toBe('1');
  });

  it('when filtering with q, then part of a name or email matches case-insensitively and wildcards are literal', async () => {
    const team = await hub.makeTeam();
    const admin = await hub.makeEmployee({ access: 'admin' });
    const tag = uid();
    const zed = await hub.makeEmployee({ team_id: team.team_id, name: `Zed Quill ${tag}` });
    const mail = await hub.makeEmployee({ team_id: team.team_id, email: `quill.${tag}@example.com` });
    await hub.makeEmployee({ team_id: team.team_id, name: `Other ${tag}` });

    const res = await hub.request('GET', `/employees/?team_id=${team.team_id}&q=QUILL`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.map((e: any) => e.employee_id)).toEqual([zed.employee_id, mail.employee_id]);

    const wildcard = await hub.request('GET', `/employees/?team_id=${team.team_id}&q=${encodeURIComponent('%')}`, { token: admin.token });
    expect(wildcard.status).toBe(200);
    expect(wildcard.body).toEqual([]);
  });

  it('when the access filter is not a known level, then the answer is 422', async () => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('GET', '/employees/?access=god', { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(['query', 'access']);
  });
});

describe('creating employees', () => {
  it('when an admin creates an employee, then 201 returns the public fields with the email lower-cased and the row is stored', async () => {
    const { admin, team } = await hub.makeOrg();
    const body = newEmployee({ email: `Mixed.${uid()}@Example.COM`, team_id: team.team_id, access: 'manager' });
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: body });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(EMPLOYEE_KEYS);
    expect(res.body).toMatchObject({
      name: body.name,
      email: body.email.toLowerCase(),
      team_id: team.team_id,
      role: 'Engineer',
      access: 'manager',
      // Badges are stored normalised: trimmed, upper-cased (a reader's `nb-…` is the same badge).
      badge_id: body.badge_id.toUpperCase(),
      active: true,
    });
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
    expect(new Date(res.body.updated_at).toISOString()).toBe(res.body.updated_at);

    const row = await storedEmployee(res.body.employee_id);
    expect(row).toMatchObject({
      name: body.name,
      email: body.email.toLowerCase(),
      team_id: team.team_id,
      role: 'Engineer',
      access: 'manager',
      // Badges are stored normalised: trimmed, upper-cased (a reader's `nb-…` is the same badge).
      badge_id: body.badge_id.toUpperCase(),
      active: true,
    });
  });

  it('when only name, email and password are given, then the defaults apply (employee, active, no team, no badge)', async () => {
    const { admin } = await hub.makeOrg();
    const id = uid();
    const res = await hub.request('POST', '/employees/', {
      token: admin.token,
      json: { name: `Minimal ${id}`, email: `minimal.${id}@example.com`, password: 'Sturdy-Lamp-981' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ team_id: null, role: null, access: 'employee', badge_id: null, active: true });
    const row = await storedEmployee(res.body.employee_id);
    expect(row).toMatchObject({ team_id: null, role: null, access: 'employee', badge_id: null, active: true });
  });

  it('when an employee is created, then the password is stored as a bcrypt hash of cost ≥ 10 and never appears in any response', async () => {
    const { admin, team } = await hub.makeOrg();
    const body = newEmployee({ team_id: team.team_id });
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: body });
    expect(res.status).toBe(201);
    const row = await storedEmployee(res.body.employee_id);
    const hash = row.password_hash as string;
    expect(hash.startsWith('$2')).toBe(true);
    expect(Number(/^\$2[aby]\$(\d\d)\$/.exec(hash)?.[1])).toBeGreaterThanOrEqual(10);
    expect(hash).not.toContain(body.password);
    expectNoPasswordLeak(res, hash);

    const id = res.body.employee_id;
    const one = await hub.request('GET', `/employees/${id}`, { token: admin.token });
    expectNoPasswordLeak(one, hash);
    const list = await hub.request('GET', `/employees/?team_id=${team.team_id}`, { token: admin.token });
    expect(list.body.map((e: any) => e.employee_id)).toContain(id);
    expectNoPasswordLeak(list, hash);
    const updated = await hub.request('PUT', `/employees/${id}`, { token: admin.token, json: { name: 'Renamed' } });
    expect(updated.status).toBe(200);
    expectNoPasswordLeak(updated, hash);
    const audits = await hub.rows('select * from audit_log where entity_type = ? and entity_id = ?', ['employee', id]);
    expect(JSON.stringify(audits)).not.toContain(hash);
    expect(allKeys(audits.map((a) => [a.before, a.after])).filter((k) => k.includes('password_hash'))).toEqual([]);
  });

  it('when the email is already taken (in another letter case), then 409 duplicate_email and nothing is stored', async () => {
    const { admin, alice } = await hub.makeOrg();
    for (const email of [alice.email, alice.email.toUpperCase()]) {
      const res = await hub.request('POST', '/employees/', { token: admin.token, json: newEmployee({ email }) });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ detail: expect.any(String), code: 'duplicate_email' });
    }
    expect(await countByEmail(alice.email)).toBe(1);
  });

  it('when the badge is already assigned, then 409 duplicate_badge and nothing is stored', async () => {
    const { admin, alice } = await hub.makeOrg();
    const body = newEmployee({ badge_id: alice.badge_id });
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: body });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: expect.any(String), code: 'duplicate_badge' });
    expect(await countByEmail(body.email)).toBe(0);
    const holders = await hub.rows('select employee_id from employees where badge_id = ?', [alice.badge_id]);
    expect(holders).toEqual([{ employee_id: alice.employee_id }]);
  });

  it('when team_id names no team, then 422 on body.team_id and nothing is stored', async () => {
    const { admin } = await hub.makeOrg();
    const body = newEmployee({ team_id: 2_000_000_000 });
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: body });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'team_id'], msg: expect.any(String), type: expect.any(String) })]);
    expect(await countByEmail(body.email)).toBe(0);
  });

  it.each([
    ['shorter than 8 characters', 'Ab1-xyz'],
    ['longer than 64 characters', 'Lx9-'.repeat(17)],
    ['over 72 bytes in UTF-8 (30 emoji)', '😀'.repeat(30)],
    ['a common password', 'password123'],
    ['a common password in capitals', 'PASSWORD123'],
  ])('when the password is %s, then 422 on body.password with a message and nothing is stored', async (_what, password) => {
    const { admin } = await hub.makeOrg();
    const body = newEmployee({ password });
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: body });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.detail).toHaveLength(1);
    expect(res.body.detail[0].loc).toEqual(['body', 'password']);
    expect(res.body.detail[0].msg).toMatch(/password/);
    expect(await countByEmail(body.email)).toBe(0);
  });

  it('when the password is exactly 64 ASCII characters, then it is accepted and works at /token', async () => {
    const { admin } = await hub.makeOrg();
    const password = 'Qz7-'.repeat(16);
    const body = newEmployee({ password });
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: body });
    expect(res.status).toBe(201);
    const login = await hub.request('POST', '/token', { form: { username: body.email, password } });
    expect(login.status).toBe(200);
  });

  it('when a manager or an employee tries to create an employee, then 403 and nothing is stored', async () => {
    const { manager, alice, team } = await hub.makeOrg();
    for (const who of [manager, alice]) {
      const body = newEmployee({ team_id: team.team_id });
      const res = await hub.request('POST', '/employees/', { token: who.token, json: body });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect(await countByEmail(body.email)).toBe(0);
    }
    expect(await countInTeam(team.team_id)).toBe(3);
  });

  it('when an admin creates an employee, then an audit row records it with the admin as actor', async () => {
    const { admin, team } = await hub.makeOrg();
    const res = await hub.request('POST', '/employees/', { token: admin.token, json: newEmployee({ team_id: team.team_id }) });
    expect(res.status).toBe(201);
    const audits = await auditRows(res.body.employee_id, 'create');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: admin.employee_id, actor_kind: 'admin', before: null });
    expect(audits[0].after).toMatchObject({ employee_id: res.body.employee_id, email: res.body.email, team_id: team.team_id });
  });
});

describe('reading one employee', () => {
  it('when an employee reads themselves, then 200; when they read a colleague, then 403', async () => {
    const { alice, bob } = await hub.makeOrg();
    const self = await hub.request('GET', `/employees/${alice.employee_id}`, { token: alice.token });
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ employee_id: alice.employee_id, email: alice.email, access: 'employee' });
    expect(Object.keys(self.body).sort()).toEqual(EMPLOYEE_KEYS);

    const other = await hub.request('GET', `/employees/${bob.employee_id}`, { token: alice.token });
    expect(other.status).toBe(403);
    expect(other.body).toEqual({ detail: expect.any(String), code: 'forbidden' });
  });

  it("when a manager reads a member of their team, then 200; another team's member, then 403", async () => {
    const { manager, bob } = await hub.makeOrg();
    const other = await hub.makeOrg();
    const own = await hub.request('GET', `/employees/${bob.employee_id}`, { token: manager.token });
    expect(own.status).toBe(200);
    expect(own.body.employee_id).toBe(bob.employee_id);
    const foreign = await hub.request('GET', `/employees/${other.alice.employee_id}`, { token: manager.token });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('forbidden');
    // Admins have no team; a manager cannot read them either.
    const admin = await hub.request('GET', `/employees/${other.admin.employee_id}`, { token: manager.token });
    expect(admin.status).toBe(403);
  });

  it('when the employee does not exist, then 404', async () => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('GET', '/employees/2000000000', { token: admin.token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: expect.any(String), code: 'not_found' });
  });

  it.each(['abc', '1.5', '0', '-3', '99999999999'])('when the id is %s, then 422 on path.employee_id', async (id) => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('GET', `/employees/${id}`, { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.detail[0].loc).toEqual(['path', 'employee_id']);
  });
});

describe('updating employees', () => {
  it('when an admin changes only the name, then only the name (and updated_at) change in the database', async () => {
    const { admin, alice, team } = await hub.makeOrg();
    const before = await storedEmployee(alice.employee_id);
    const res = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { name: '  Alice Renamed  ' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ employee_id: alice.employee_id, name: 'Alice Renamed', email: alice.email, team_id: team.team_id, badge_id: alice.badge_id });
    const after = await storedEmployee(alice.employee_id);
    expect(after.name).toBe('Alice Renamed');
    const { name: _n1, updated_at: u1, ...restBefore } = before;
    const { name: _n2, updated_at: u2, ...restAfter } = after;
    expect(restAfter).toEqual(restBefore);
    expect(new Date(u2).getTime()).toBeGreaterThanOrEqual(new Date(u1).getTime());
  });

  it('when an admin changes team, access, badge, role and active, then the row holds the new values', async () => {
    const { admin, alice } = await hub.makeOrg();
    const newTeam = await hub.makeTeam();
    const badge = `MOVED-${uid()}`.toUpperCase();
    const res = await hub.request('PUT', `/employees/${alice.employee_id}`, {
      token: admin.token,
      json: { team_id: newTeam.team_id, access: 'manager', badge_id: badge, role: 'Lead', active: false },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ team_id: newTeam.team_id, access: 'manager', badge_id: badge, role: 'Lead', active: false });
    expect(await storedEmployee(alice.employee_id)).toMatchObject({ team_id: newTeam.team_id, access: 'manager', badge_id: badge, role: 'Lead', active: false });

    const cleared = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { team_id: null, badge_id: null } });
    expect(cleared.status).toBe(200);
    expect(await storedEmployee(alice.employee_id)).toMatchObject({ team_id: null, badge_id: null, access: 'manager' });
  });

  it('when an admin sets a new password, then the new one signs in at /token and the old one does not', async () => {
    const { admin, alice } = await hub.makeOrg();
    const oldHash = (await storedEmployee(alice.employee_id)).password_hash;
    const res = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { password: 'Brand-New-Pass-77' } });
    expect(res.status).toBe(200);
    const newHash = (await storedEmployee(alice.employee_id)).password_hash as string;
    expect(newHash).not.toBe(oldHash);
    expect(newHash.startsWith('$2')).toBe(true);
    expectNoPasswordLeak(res, newHash);

    const good = await hub.request('POST', '/token', { form: { username: alice.email, password: 'Brand-New-Pass-77' } });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ access_token: expect.any(String), token_type: 'bearer' });
    const me = await hub.request('GET', `/employees/${alice.employee_id}`, { token: good.body.access_token });
    expect(me.status).toBe(200);

    const old = await hub.request('POST', '/token', { form: { username: alice.email, password: TEST_PASSWORD } });
    expect(old.status).toBe(401);
  });

  it('when the new password breaks a rule, then 422 and the stored hash is unchanged', async () => {
    const { admin, alice } = await hub.makeOrg();
    const oldHash = (await storedEmployee(alice.employee_id)).password_hash;
    for (const password of ['short', 'password123', '😀'.repeat(30)]) {
      const res = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { password } });
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['body', 'password']);
    }
    expect((await storedEmployee(alice.employee_id)).password_hash).toBe(oldHash);
  });

  it("when the email or badge is changed to someone else's, then 409 and the row is unchanged", async () => {
    const { admin, alice, bob } = await hub.makeOrg();
    const before = await storedEmployee(alice.employee_id);
    const email = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { email: bob.email.toUpperCase() } });
    expect(email.status).toBe(409);
    expect(email.body.code).toBe('duplicate_email');
    const badge = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { badge_id: bob.badge_id } });
    expect(badge.status).toBe(409);
    expect(badge.body.code).toBe('duplicate_badge');
    expect(await storedEmployee(alice.employee_id)).toEqual(before);
  });

  it('when an employee keeps their own email and badge in an update, then it is not a conflict', async () => {
    const { admin, alice } = await hub.makeOrg();
    const res = await hub.request('PUT', `/employees/${alice.employee_id}`, {
      token: admin.token,
      json: { email: alice.email.toUpperCase(), badge_id: alice.badge_id, name: 'Same Alice' },
    });
    expect(res.status).toBe(200);
    expect(await storedEmployee(alice.employee_id)).toMatchObject({ email: alice.email, badge_id: alice.badge_id, name: 'Same Alice' });
  });

  it('when the update names an unknown team, then 422 and the row keeps its team', async () => {
    const { admin, alice, team } = await hub.makeOrg();
    const res = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { team_id: 2_000_000_000 } });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(['body', 'team_id']);
    expect((await storedEmployee(alice.employee_id)).team_id).toBe(team.team_id);
  });

  it('when the employee to update does not exist, then 404', async () => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('PUT', '/employees/2000000000', { token: admin.token, json: { name: 'Ghost' } });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('when a manager tries to update a team member, then 403 and the row is unchanged', async () => {
    const { manager, alice } = await hub.makeOrg();
    const before = await storedEmployee(alice.employee_id);
    const res = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: manager.token, json: { name: 'Hacked' } });
    expect(res.status).toBe(403);
    expect(await storedEmployee(alice.employee_id)).toEqual(before);
  });

  it('when an admin updates an employee, then an audit row holds before and after with the admin as actor', async () => {
    const { admin, alice } = await hub.makeOrg();
    const res = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { role: 'Auditor', password: 'Another-Good-One-5' } });
    expect(res.status).toBe(200);
    const audits = await auditRows(alice.employee_id, 'update');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: admin.employee_id, actor_kind: 'admin' });
    expect(audits[0].before).toMatchObject({ employee_id: alice.employee_id, role: 'Developer' });
    expect(audits[0].after).toMatchObject({ employee_id: alice.employee_id, role: 'Auditor', password_changed: true });
  });

  it('when another active admin exists, then an admin may be demoted', async () => {
    const { admin } = await hub.makeOrg();
    const second = await hub.makeEmployee({ access: 'admin' });
    const res = await hub.request('PUT', `/employees/${second.employee_id}`, { token: admin.token, json: { access: 'employee' } });
    expect(res.status).toBe(200);
    expect((await storedEmployee(second.employee_id)).access).toBe('employee');
  });
});

describe('deleting employees', () => {
  it('when an admin deletes an employee, then 204, a later GET is 404, the row and their attendance are gone and the audit keeps a copy', async () => {
    const { admin, alice, team } = await hub.makeOrg();
    await hub.rows(
      `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at)
       values (?, ?, '2026-01-05', 'Present', 'api', now(), now())`,
      [alice.employee_id, team.team_id],
    );
    const res = await hub.request('DELETE', `/employees/${alice.employee_id}`, { token: admin.token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    const again = await hub.request('GET', `/employees/${alice.employee_id}`, { token: admin.token });
    expect(again.status).toBe(404);
    expect(await hub.rows('select 1 from employees where employee_id = ?', [alice.employee_id])).toEqual([]);
    expect(await hub.rows('select 1 from attendance where employee_id = ?', [alice.employee_id])).toEqual([]);

    const audits = await auditRows(alice.employee_id, 'delete');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: admin.employee_id, actor_kind: 'admin', after: null });
    expect(audits[0].before).toMatchObject({ employee_id: alice.employee_id, email: alice.email, name: alice.name, team_id: team.team_id });
  });

  it('when the employee to delete does not exist, then 404', async () => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('DELETE', '/employees/2000000000', { token: admin.token });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('when a manager or employee tries to delete, then 403 and the row stays', async () => {
    const { manager, alice, bob } = await hub.makeOrg();
    for (const who of [manager, alice]) {
      const res = await hub.request('DELETE', `/employees/${bob.employee_id}`, { token: who.token });
      expect(res.status).toBe(403);
    }
    expect(await hub.rows('select employee_id from employees where employee_id = ?', [bob.employee_id])).toHaveLength(1);
  });
});

/**
 * "The last active admin" is a property of the whole database, and the shared test database always
 * has admins from other files; so these tests run against a private, freshly migrated database.
 */
describe('the last active admin', () => {
  let solo: TestHub;
  let db: Awaited<ReturnType<typeof createSoloDatabase>>;

  beforeAll(async () => {
    db = await createSoloDatabase();
    solo = await createTestHub({ DATABASE_URL: db.url });
  });

  afterAll(async () => {
    await solo?.close();
    await db?.drop();
  });

  it('when the only active admin is demoted, deactivated or deleted, then 409 last_admin and the row is unchanged', async () => {
    const admin = await solo.makeEmployee({ access: 'admin' });
    // An inactive admin does not count.
    await solo.makeEmployee({ access: 'admin', active: false });
    const before = (await solo.rows('select * from employees where employee_id = ?', [admin.employee_id]))[0];

    for (const json of [{ access: 'manager' }, { access: 'employee' }, { active: false }]) {
      const res = await solo.request('PUT', `/employees/${admin.employee_id}`, { token: admin.token, json });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ detail: expect.any(String), code: 'last_admin' });
    }
    const del = await solo.request('DELETE', `/employees/${admin.employee_id}`, { token: admin.token });
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('last_admin');

    expect((await solo.rows('select * from employees where employee_id = ?', [admin.employee_id]))[0]).toEqual(before);
    expect(await solo.rows(`select 1 from audit_log where entity_type = 'employee' and entity_id = ?`, [admin.employee_id])).toEqual([]);

    // Other changes to the last admin are fine.
    const rename = await solo.request('PUT', `/employees/${admin.employee_id}`, { token: admin.token, json: { name: 'Still Admin', access: 'admin', active: true } });
    expect(rename.status).toBe(200);

    // Once a second active admin exists, the first may step down.
    const second = await solo.makeEmployee({ access: 'admin' });
    const demote = await solo.request('PUT', `/employees/${admin.employee_id}`, { token: second.token, json: { access: 'employee' } });
    expect(demote.status).toBe(200);
    const lastDelete = await solo.request('DELETE', `/employees/${second.employee_id}`, { token: second.token });
    expect(lastDelete.status).toBe(409);
    expect(lastDelete.body.code).toBe('last_admin');
  });
});
