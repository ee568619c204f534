// Kiosk PINs (employee number + PIN instead of a badge), the kiosk's offline roster, the team setting web_punch and
// the signed-in person's own profile (GET /me/profile, PUT /me/pin).
import { afterEach, describe, expect, it } from 'vitest';
import { http, openSocket, type Client, withHubAndServer, type TestServer } from './socket-utils.ts';
import { TEST_PASSWORD, uid, type TestHub } from './utils.ts';

/** Small limits, so the throttles are reached in a few attempts. */
const PER_EMPLOYEE = 3;
const PER_KIOSK = 6;

let server: TestServer;
let hub: TestHub;
const sockets: Client[] = [];
const track = (s: Client) => (sockets.push(s), s);

withHubAndServer({ PIN_ATTEMPTS_PER_EMPLOYEE: String(PER_EMPLOYEE), PIN_ATTEMPTS_PER_KIOSK: String(PER_KIOSK), PIN_WINDOW_SECONDS: '900' }, (h, s) => ((hub = h), (server = s)));
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

type Ack = { ok: boolean; error?: { code: string; message: string; retry_after?: number }; action?: string; duplicate?: boolean; record?: any; employee?: any };

/** A unique employee number (what people type at the kiosk), in the case the API stores it. */
const newNumber = () => `E${uid()}`.toUpperCase();

/** An org, a kiosk (bound to the org's team or not) and its open socket. */
async function orgWithKiosk(bound: 'team' | 'none' = 'none') {
  const org = await hub.makeOrg();
  const res = await http(server.url, 'POST', '/kiosks/', { token: org.admin.token, json: { name: `Door ${uid()}`, team_id: bound === 'team' ? org.team.team_id : null } });
  expect(res.status).toBe(201);
  const socket = track(await openSocket(server.url, res.body.token));
  const check = (payload: Record<string, unknown>) => socket.emitWithAck('attendance:check', { client_event_id: `pin-${uid()}`, ...payload } as never) as unknown as Promise<Ack>;
  return { ...org, kiosk: res.body as { kiosk_id: number; token: string; name: string }, socket, check };
}

/** Gives a person an employee number and a PIN, as an admin does. */
async function givePin(adminToken: string, employeeId: number, pin: string) {
  const employee_number = newNumber();
  const res = await hub.request('PUT', `/employees/${employeeId}`, { token: adminToken, json: { employee_number, pin } });
  expect(res.status).toBe(200);
  return employee_number;
}

const punchesOf = async (employeeId: number) => Number((await hub.rows<{ n: string }>('select count(*) as n from punches where employee_id = ?', [employeeId]))[0].n);

describe('PINs set by an admin', () => {
  it('when an admin creates and updates an employee with an employee number and a PIN, then the output says has_pin (never the PIN or its hash), and null removes it', async () => {
    const { admin } = await hub.makeOrg();
    const number = `  e${uid()} `;
    const created = await hub.request('POST', '/employees/', {
      token: admin.token,
      json: { name: 'Pin Person', email: `pin.${uid()}@example.com`, password: 'Unusual-Pass-93', employee_number: number, pin: '0042' },
   });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ employee_number: number.trim().toUpperCase(), has_pin: true });
    expect(created.text).not.toMatch(/pin_hash|"pin"|\$2[aby]\$/);
    const [stored] = await hub.rows<{ pin_hash: string }>('select pin_hash from employees where employee_id = ?', [created.body.employee_id]);
    // bcrypt at a moderate cost, not the PIN itself.
    expect(stored.pin_hash).toMatch(/^\$2[aby]\$08\$/);

    const id = created.body.employee_id;
    const read = await hub.request('GET', `/employees/${id}`, { token: admin.token });
    expect(read.body).toMatchObject({ has_pin: true });
    expect(read.body).not.toHaveProperty('pin_hash');

    const cleared = await hub.request('PUT', `/employees/${id}`, { token: admin.token, json: { pin: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.has_pin).toBe(false);
    const kept = await hub.request('PUT', `/employees/${id}`, { token: admin.token, json: { role: 'Lead' } });
    expect(kept.body).toMatchObject({ has_pin: false, employee_number: number.trim().toUpperCase() });
    const again = await hub.request('PUT', `/employees/${id}`, { token: admin.token, json: { pin: '98765432' } });
    expect(again.body.has_pin).toBe(true);
    // A change of something else leaves the PIN as it is.
    expect((await hub.request('PUT', `/employees/${id}`, { token: admin.token, json: { role: 'Lead 2' } })).body.has_pin).toBe(true);
 });

  it('when the PIN is not 4 to 8 digits in a string, then 422; when the employee number is taken, then 409 duplicate_employee_number', async () => {
    const { admin, alice, bob } = await hub.makeOrg();
    for (const pin of ['123', '123456789', '12a4', ' 1234', 1234, '']) {
      const res = await hub.request('PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { pin } });
      expect(res.status, JSON.stringify(pin)).toBe(422);
   }
    const number = await givePin(admin.token, alice.employee_id, '2468');
    const taken = await hub.request('PUT', `/employees/${bob.employee_id}`, { token: admin.token, json: { employee_number: number.toLowerCase() } });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('duplicate_employee_number');
    expect((await hub.request('PUT', `/employees/${bob.employee_id}`, { token: admin.token, json: { employee_number: 'has space' } })).status).toBe(422);
 });

  it('when a manager or the employee tries to set a PIN through PUT /employees/{id}, then 403', async () => {
    const { manager, alice } = await hub.makeOrg();
    expect((await hub.request('PUT', `/employees/${alice.employee_id}`, { token: manager.token, json: { pin: '1357' } })).status).toBe(403);
    expect((await hub.request('PUT', `/employees/${alice.employee_id}`, { token: alice.token, json: { pin: '1357' } })).status).toBe(403);
 });
});

describe('GET /me/profile and PUT /me/pin', () => {
  it('when a person reads their profile, then it has their team, its zone, web_punch (false by default), has_pin and has_badge', async () => {
    const team = await hub.makeTeam({ timezone: 'Europe/Paris' });
    const alice = await hub.makeEmployee({ team_id: team.team_id });
    const loner = await hub.makeEmployee({ badge_id: null });
    const res = await hub.request('GET', '/me/profile', { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      employee_id: alice.employee_id, name: alice.name, email: alice.email, access: 'employee', role: 'Developer', team_id: team.team_id, team_name: team.team_name,
      timezone: 'Europe/Paris', web_punch: false, employee_number: null, has_pin: false, has_badge: true,
   });
    const none = await hub.request('GET', '/me/profile', { token: loner.token });
    expect(none.body).toMatchObject({ team_id: null, team_name: null, timezone: hub.config.timezone, web_punch: false, has_badge: false });
    expect((await hub.request('GET', '/me/profile')).status).toBe(401);
 });

  it('when a person sets their own PIN, then the right password is needed (403 wrong_password otherwise), a bad PIN is 422, and null removes it', async () => {
    const alice = await hub.makeEmployee();
    const wrong = await hub.request('PUT', '/me/pin', { token: alice.token, json: { pin: '4321', current_password: 'not-my-password' } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('wrong_password');
    expect((await hub.request('GET', '/me/profile', { token: alice.token })).body.has_pin).toBe(false);
    for (const pin of ['12', 'abcd', 12345]) {
      expect((await hub.request('PUT', '/me/pin', { token: alice.token, json: { pin, current_password: TEST_PASSWORD } })).status).toBe(422);
   }
    expect((await hub.request('PUT', '/me/pin', { token: alice.token, json: { pin: '4321' } })).status).toBe(422);
    const ok = await hub.request('PUT', '/me/pin', { token: alice.token, json: { pin: '4321', current_password: TEST_PASSWORD } });
    expect(ok.status).toBe(204);
    expect((await hub.request('GET', '/me/profile', { token: alice.token })).body.has_pin).toBe(true);
    const [audit] = await hub.rows<{ actor_id: number; action: string }>(
      "select actor_id, action from audit_log where entity_type = 'employee' and entity_id = ? order by 1 desc limit 1",
      [alice.employee_id],
    );
    expect(audit).toMatchObject({ actor_id: alice.employee_id, action: 'update' });
    expect((await hub.request('PUT', '/me/pin', { token: alice.token, json: { pin: null, current_password: TEST_PASSWORD } })).status).toBe(204);
    expect((await hub.request('GET', '/me/profile', { token: alice.token })).body.has_pin).toBe(false);
 });

  it('when wrong passwords keep coming to PUT /me/pin, then they count as failed sign-ins and 429 follows', async () => {
    const alice = await hub.makeEmployee();
    const statuses: number[] = [];
    for (let i = 0; i < hub.config.login.maxFailures + 1; i++) {
      statuses.push((await hub.request('PUT', '/me/pin', { token: alice.token, json: { pin: '4321', current_password: `guess-${i}` } })).status);
   }
    expect(statuses.slice(0, hub.config.login.maxFailures).every((s) => s === 403)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
 });
});

describe('the team setting web_punch', () => {
  it('when a team is made without it, then it is false; an admin may turn it on and off; it must be a boolean', async () => {
    const { admin, alice, team } = await hub.makeOrg();
    const made = await hub.request('POST', '/teams/', { token: admin.token, json: { team_name: `Team ${uid()}` } });
    expect(made.status).toBe(201);
    expect(made.body.web_punch).toBe(false);
    const withIt = await hub.request('POST', '/teams/', { token: admin.token, json: { team_name: `Team ${uid()}`, web_punch: true } });
    expect(withIt.body.web_punch).toBe(true);

    expect((await hub.request('GET', `/teams/${team.team_id}`, { token: admin.token })).body.web_punch).toBe(false);
    const on = await hub.request('PUT', `/teams/${team.team_id}`, { token: admin.token, json: { web_punch: true } });
    expect(on.status).toBe(200);
    expect(on.body.web_punch).toBe(true);
    expect((await hub.request('GET', '/me/profile', { token: alice.token })).body.web_punch).toBe(true);
    expect((await hub.request('PUT', `/teams/${team.team_id}`, { token: admin.token, json: { grace_minutes: 3 } })).body.web_punch).toBe(true);
    expect((await hub.request('PUT', `/teams/${team.team_id}`, { token: admin.token, json: { web_punch: 'yes' } })).status).toBe(422);
    expect((await hub.request('PUT', `/teams/${team.team_id}`, { token: admin.token, json: { web_punch: false } })).body.web_punch).toBe(false);
 });

  it('when the OpenAPI document is read, then the team and employee schemas document web_punch, employee_number, pin and has_pin', async () => {
    const { paths } = (await hub.request('GET', '/openapi.json')).body;
    const teamOut = paths['/teams/'].post.responses['201'].content['application/json'].schema;
    expect(Object.keys(teamOut.properties)).toContain('web_punch');
    expect(Object.keys(paths['/teams/{team_id}'].put.requestBody.content['application/json'].schema.properties)).toContain('web_punch');
    const employeeIn = paths['/employees/'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(employeeIn.properties)).toEqual(expect.arrayContaining(['employee_number', 'pin']));
    const employeeOut = paths['/employees/'].post.responses['201'].content['application/json'].schema;
    expect(Object.keys(employeeOut.properties)).toEqual(expect.arrayContaining(['employee_number', 'has_pin']));
    expect(Object.keys(employeeOut.properties)).not.toContain('pin');
    expect(paths['/me/profile'].get).toBeDefined();
    expect(paths['/me/pin'].put).toBeDefined();
 });
});

describe('PIN punches at a kiosk', () => {
  it('when a kiosk sends an employee number and the right PIN, then the person is checked in as with a badge, and a repeat of the event is a duplicate', async () => {
    const { admin, alice, check, kiosk } = await orgWithKiosk();
    const number = await givePin(admin.token, alice.employee_id, '2580');
    const eventId = `pin-${uid()}`;
    // Typed in lower case with spaces: normalised as stored.
    const ack = await check({ employee_number: ` ${number.toLowerCase()} `, pin: '2580', client_event_id: eventId });
    expect(ack).toMatchObject({ ok: true, action: 'check_in', duplicate: false, employee: { employee_id: alice.employee_id, name: alice.name } });
    const punches = await hub.rows<{ source: string; device: string; employee_id: number }>('select source, device, employee_id from punches where client_event_id = ?', [eventId]);
    expect(punches).toEqual([{ source: 'kiosk', device: kiosk.name, employee_id: alice.employee_id }]);
    const again = await check({ employee_number: number, pin: '2580', client_event_id: eventId });
    expect(again).toMatchObject({ ok: true, duplicate: true, action: 'check_in' });
    expect(await punchesOf(alice.employee_id)).toBe(1);
    const out = await check({ employee_number: number, pin: '2580' });
    expect(out).toMatchObject({ ok: true, action: 'check_out' });
 });

  it('when the PIN is wrong, the number unknown, or the person has no PIN, then the same invalid_pin answer and nothing is written', async () => {
    const { admin, alice, bob, check } = await orgWithKiosk();
    const number = await givePin(admin.token, alice.employee_id, '1111');
    const bobNumber = newNumber();
    await hub.request('PUT', `/employees/${bob.employee_id}`, { token: admin.token, json: { employee_number: bobNumber } });
    const answers = [
      await check({ employee_number: number, pin: '1112' }),
      await check({ employee_number: newNumber(), pin: '1111' }),
      await check({ employee_number: bobNumber, pin: '0000' }),
    ];
    for (const ack of answers) expect(ack).toEqual({ ok: false, error: { code: 'invalid_pin', message: answers[0].error!.message } });
    expect(await punchesOf(alice.employee_id)).toBe(0);
    expect(await punchesOf(bob.employee_id)).toBe(0);
 });

  it('when a payload mixes a badge with a number, or has a number without a PIN, then validation_error', async () => {
    const { alice, check } = await orgWithKiosk();
    expect((await check({ badge_id: alice.badge_id, employee_number: 'X1', pin: '1234' })).error?.code).toBe('validation_error');
    expect((await check({ employee_number: 'X1' })).error?.code).toBe('validation_error');
    expect((await check({ badge_id: alice.badge_id, pin: '1234' })).error?.code).toBe('validation_error');
    expect((await check({ employee_number: 'X1', pin: '12' })).error?.code).toBe('validation_error');
 });

  it(`when ${PER_EMPLOYEE} wrong PINs were given for a number, then even the right PIN gets pin_locked with retry_after, while other numbers still work`, async () => {
    const { admin, alice, bob, check } = await orgWithKiosk();
    const number = await givePin(admin.token, alice.employee_id, '8642');
    const bobNumber = await givePin(admin.token, bob.employee_id, '9753');
    for (let i = 0; i < PER_EMPLOYEE; i++) expect((await check({ employee_number: number, pin: '0000' })).error?.code).toBe('invalid_pin');
    const locked = await check({ employee_number: number, pin: '8642' });
    expect(locked.ok).toBe(false);
    expect(locked.error!.code).toBe('pin_locked');
    expect(locked.error!.retry_after).toBeGreaterThan(0);
    expect(locked.error!.retry_after).toBeLessThanOrEqual(900);
    expect(await punchesOf(alice.employee_id)).toBe(0);
    // The lock is the number's: bob, at the same kiosk, punches.
    expect(await check({ employee_number: bobNumber, pin: '9753' })).toMatchObject({ ok: true, action: 'check_in' });
    // A badge is not a PIN: alice still gets in with hers.
    expect(await check({ badge_id: alice.badge_id })).toMatchObject({ ok: true, action: 'check_in' });
 });

  it('when a right PIN follows a few wrong ones (below the limit), then it punches and the count starts again', async () => {
    const { admin, alice, check } = await orgWithKiosk();
    const number = await givePin(admin.token, alice.employee_id, '3141');
    for (let i = 0; i < PER_EMPLOYEE - 1; i++) expect((await check({ employee_number: number, pin: '0000' })).error?.code).toBe('invalid_pin');
    expect(await check({ employee_number: number, pin: '3141' })).toMatchObject({ ok: true });
    for (let i = 0; i < PER_EMPLOYEE - 1; i++) expect((await check({ employee_number: number, pin: '0000' })).error?.code).toBe('invalid_pin');
    expect(await check({ employee_number: number, pin: '3141' })).toMatchObject({ ok: true });
 });

  it(`when ${PER_KIOSK} wrong PINs were given at one kiosk (any numbers), then that kiosk's PIN punches get pin_locked; another kiosk and badges still work`, async () => {
    const { admin, alice, check } = await orgWithKiosk();
    const number = await givePin(admin.token, alice.employee_id, '2718');
    // Guessing different numbers, each below its own limit.
    for (let i = 0; i < PER_KIOSK; i++) expect((await check({ employee_number: newNumber(), pin: '0000' })).error?.code).toBe('invalid_pin');
    const locked = await check({ employee_number: number, pin: '2718' });
    expect(locked.error?.code).toBe('pin_locked');
    expect(locked.error!.retry_after).toBeGreaterThan(0);
    expect(await punchesOf(alice.employee_id)).toBe(0);
    expect(await check({ badge_id: alice.badge_id })).toMatchObject({ ok: true, action: 'check_in' });
    const other = await orgWithKiosk();
    expect(await other.check({ employee_number: number, pin: '2718' })).toMatchObject({ ok: true, action: 'check_out' });
 });

  it('when concurrent wrong PINs arrive for one number, then no more than the limit are compared before the lock', async () => {
    const { admin, alice, check } = await orgWithKiosk();
    const number = await givePin(admin.token, alice.employee_id, '5555');
    const acks = await Promise.all(Array.from({ length: PER_EMPLOYEE * 3 }, () => check({ employee_number: number, pin: '0001' })));
    expect(acks.filter((a) => a.error?.code === 'invalid_pin')).toHaveLength(PER_EMPLOYEE);
    expect(acks.filter((a) => a.error?.code === 'pin_locked')).toHaveLength(PER_EMPLOYEE * 2);
 });

  it('when a kiosk of one team gets the right PIN of another team’s member, then it is refused and nothing is written', async () => {
    const { admin, check } = await orgWithKiosk('team');
    const stranger = await hub.makeEmployee();
    const number = await givePin(admin.token, stranger.employee_id, '7410');
    expect((await check({ employee_number: number, pin: '7410' })).error?.code).toBe('forbidden');
    expect(await punchesOf(stranger.employee_id)).toBe(0);
 });

  it('when a person sends an employee number and PIN on their own socket, then forbidden: PINs are for kiosks', async () => {
    const { admin, alice } = await hub.makeOrg();
    const number = await givePin(admin.token, alice.employee_id, '9999');
    const socket = track(await openSocket(server.url, alice.token));
    const ack = (await socket.emitWithAck('attendance:check', { employee_number: number, pin: '9999' } as never)) as unknown as Ack;
    expect(ack.error?.code).toBe('forbidden');
    expect(await punchesOf(alice.employee_id)).toBe(0);
 });
});

describe('the kiosk roster (kiosk:roster)', () => {
  it('when a kiosk of one team asks, then it gets that team’s active members with a badge, normalised, with short names', async () => {
    const { team, socket, alice, admin } = await orgWithKiosk('team');
    const named = await hub.makeEmployee({ team_id: team.team_id, name: 'Ana Maria Pereira', badge_id: ` b-${uid()} ` });
    const gone = await hub.makeEmployee({ team_id: team.team_id, active: false });
    const noBadge = await hub.makeEmployee({ team_id: team.team_id, badge_id: null });
    const stranger = await hub.makeEmployee();
    const ack = (await socket.emitWithAck('kiosk:roster', {} as never)) as unknown as { ok: boolean; items: { badge: string; name: string }[]; generated_at: string };
    expect(ack.ok).toBe(true);
    expect(Date.parse(ack.generated_at)).toBeGreaterThan(Date.now() - 60_000);
    const members = await hub.rows<{ badge_id: string }>('select badge_id from employees where team_id = ? and active and badge_id is not null order by badge_id', [team.team_id]);
    expect(ack.items.map((i) => i.badge)).toEqual(members.map((m) => m.badge_id));
    const badges = ack.items.map((i) => i.badge);
    expect(badges).not.toContain(gone.badge_id);
    expect(badges).not.toContain(stranger.badge_id);
    expect(badges).not.toContain(admin.badge_id);
    expect(ack.items.every((i) => i.badge === i.badge.trim().toUpperCase())).toBe(true);
    expect(ack.items.find((i) => i.badge === named.badge_id)).toEqual({ badge: named.badge_id, name: 'Ana P.' });
    // makeEmployee names people "Person <id>": first name and the last's initial.
    expect(ack.items.find((i) => i.badge === alice.badge_id)?.name).toBe(`Person ${alice.name.split(' ')[1][0]}.`);
    expect(noBadge.badge_id).toBeNull();
    // Without a payload too.
    expect(((await socket.emitWithAck('kiosk:roster', undefined as never)) as unknown as { ok: boolean }).ok).toBe(true);
 });

  it('when a kiosk without a team asks, then every active person with a badge is in it', async () => {
    const { socket, alice } = await orgWithKiosk();
    const other = await hub.makeOrg();
    const ack = (await socket.emitWithAck('kiosk:roster', {} as never)) as unknown as { ok: boolean; items: { badge: string; name: string }[] };
    const badges = new Set(ack.items.map((i) => i.badge));
    for (const b of [alice.badge_id, other.alice.badge_id, other.admin.badge_id]) expect(badges.has(b!)).toBe(true);
 });

  it('when a person’s socket asks, then forbidden', async () => {
    const { admin } = await hub.makeOrg();
    const socket = track(await openSocket(server.url, admin.token));
    const ack = (await socket.emitWithAck('kiosk:roster', {} as never)) as unknown as Ack;
    expect(ack).toMatchObject({ ok: false, error: { code: 'forbidden' } });
 });
});
