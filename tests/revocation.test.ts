// Tokens die with what they were issued for: a new password, another access level, a deactivation, or POST
// /token/revoke refuses every token issued before (REST 401) and closes the person's open sockets.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { http, nextEvent, openSocket, startServer, type Client } from './socket-utils.ts';
import { createTestHub, TEST_PASSWORD, type TestHub } from './utils.ts';

let hub: TestHub;
let server: Awaited<ReturnType<typeof startServer>>;
const sockets: Client[] = [];

beforeAll(async () => {
  hub = await createTestHub();
  // A sweep slower than the tests wait: a socket closing in time was closed by the revocation itself.
  server = await startServer({ SOCKET_REVALIDATE_SECONDS: '600' });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  await server?.stop('test');
  await hub?.close();
});

async function signIn(email: string, password = TEST_PASSWORD) {
  const res = await fetch(`${server.url}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: email, password }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const me = (token: string) => http(server.url, 'GET', '/attendance/', { token }).then((r) => r.status);

describe('tokens issued before a change are refused', () => {
  it('when an admin sets a new password, then every earlier token is 401 on REST, the open socket is closed, and the new password signs in', async () => {
    const { admin, alice } = await hub.makeOrg();
    const first = await signIn(alice.email);
    const second = await signIn(alice.email);
    const socket = await openSocket(server.url, first);
    sockets.push(socket);
    const ended = nextEvent(socket, 'session:ended', 5000);
    const changed = await http(server.url, 'PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { password: 'Another-Lamp-552' } });
    expect(changed.status).toBe(200);
    expect(await ended).toEqual({ reason: 'revoked' });
    expect([await me(first), await me(second), await me(alice.token)]).toEqual([401, 401, 401]);
    expect(await me(await signIn(alice.email, 'Another-Lamp-552'))).toBe(200);
  });

  it('when the access level changes, then earlier tokens are refused and the socket is told access_changed', async () => {
    const { admin, alice } = await hub.makeOrg();
    const token = await signIn(alice.email);
    const socket = await openSocket(server.url, token);
    sockets.push(socket);
    const ended = nextEvent(socket, 'session:ended', 5000);
    expect((await http(server.url, 'PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { access: 'manager' } })).status).toBe(200);
    expect(await ended).toEqual({ reason: 'access_changed' });
    expect(await me(token)).toBe(401);
    const fresh = await signIn(alice.email);
    expect(await me(fresh)).toBe(200);
  });

  it('when someone is deactivated and reactivated, then a token from before stays refused', async () => {
    const { admin, alice } = await hub.makeOrg();
    const token = await signIn(alice.email);
    expect((await http(server.url, 'PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { active: false } })).status).toBe(200);
    expect((await http(server.url, 'PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { active: true } })).status).toBe(200);
    expect(await me(token)).toBe(401);
    expect(await me(await signIn(alice.email))).toBe(200);
  });

  it('when other fields change (a role, a badge, the team), then tokens keep working', async () => {
    const { admin, alice, team } = await hub.makeOrg();
    const token = await signIn(alice.email);
    expect((await http(server.url, 'PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { role: 'Lead', team_id: team.team_id } })).status).toBe(200);
    expect(await me(token)).toBe(200);
  });
});

describe('POST /token/revoke', () => {
  it('when a person revokes their tokens, then all of them are refused and their sockets close; a new sign-in works', async () => {
    const { alice, bob } = await hub.makeOrg();
    const a = await signIn(alice.email);
    const b = await signIn(alice.email);
    const bobToken = await signIn(bob.email);
    const socket = await openSocket(server.url, b);
    sockets.push(socket);
    const ended = nextEvent(socket, 'session:ended', 5000);
    const res = await http(server.url, 'POST', '/token/revoke', { token: a });
    expect(res).toEqual({ status: 200, body: { employee_id: alice.employee_id, revoked: true } });
    expect(await ended).toEqual({ reason: 'revoked' });
    expect([await me(a), await me(b)]).toEqual([401, 401]);
    expect(await me(bobToken)).toBe(200);
    expect(await me(await signIn(alice.email))).toBe(200);
  });

  it('when an admin names an employee, then that employee’s tokens are revoked; an employee or manager naming someone else gets 403', async () => {
    const { admin, manager, alice, bob } = await hub.makeOrg();
    const aliceToken = await signIn(alice.email);
    for (const caller of [bob, manager]) {
      const refused = await http(server.url, 'POST', '/token/revoke', { token: caller.token, json: { employee_id: alice.employee_id } });
      expect(refused.status).toBe(403);
    }
    expect(await me(aliceToken)).toBe(200);
    expect((await http(server.url, 'POST', '/token/revoke', { token: admin.token, json: { employee_id: alice.employee_id } })).status).toBe(200);
    expect(await me(aliceToken)).toBe(401);
    expect(await me(admin.token)).toBe(200);
    const audit = await hub.rows<{ actor_id: number; after: unknown }>(
      `select actor_id, after from audit_log where entity_type = 'employee' and entity_id = ? order by audit_id desc limit 1`,
      [alice.employee_id],
    );
    expect(audit).toEqual([{ actor_id: admin.employee_id, after: { tokens_revoked: true } }]);
    expect((await http(server.url, 'POST', '/token/revoke', { token: admin.token, json: { employee_id: 2_000_000_000 } })).status).toBe(404);
  });

  it('when nobody is signed in, then 401', async () => {
    expect((await http(server.url, 'POST', '/token/revoke', {})).status).toBe(401);
  });
});
