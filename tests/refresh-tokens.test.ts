// Refresh tokens through the real server: a sign-in gives one; each use gives a new access token and a new refresh
// token (the old one is used up); a copied token coming back revokes the sign-in; revocation, a new password and
// deactivation refuse them; expired ones are refused.
import { describe, expect, it } from 'vitest';
import { http, withHubAndServer, type TestServer } from './socket-utils.ts';
import { TEST_PASSWORD, type TestHub } from './utils.ts';

let hub: TestHub;
let server: TestServer;

withHubAndServer({}, (h, s) => ((hub = h), (server = s)));

type Tokens = { access_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number };

async function signIn(email: string): Promise<Tokens> {
  const res = await http(server.url, 'POST', '/token', { json: { username: email, password: TEST_PASSWORD } });
  expect(res.status).toBe(200);
  return res.body;
}
const refresh = (token: string) => http(server.url, 'POST', '/token/refresh', { json: { refresh_token: token } });
const me = (token: string) => http(server.url, 'GET', '/attendance/', { token }).then((r) => r.status);

describe('POST /token/refresh', () => {
  it('when a refresh token is exchanged, then a working access token and a new refresh token come back, and the old one is used up', async () => {
    const { alice } = await hub.makeOrg();
    const first = await signIn(alice.email);
    expect(first.refresh_token).toMatch(/^rt_/);
    const next = await refresh(first.refresh_token);
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ token_type: 'bearer', expires_in: first.expires_in, refresh_expires_in: first.refresh_expires_in });
    expect(next.body.refresh_token).not.toBe(first.refresh_token);
    expect(await me(next.body.access_token)).toBe(200);
    const rows = await hub.rows<{ token_hash: string }>('select token_hash from refresh_tokens where employee_id = ?', [alice.employee_id]);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash) && !r.token_hash.includes(first.refresh_token))).toBe(true);
    // Form-encoded, as OAuth2 clients send it.
    const form = await fetch(`${server.url}/token/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: next.body.refresh_token }),
   });
    expect(form.status).toBe(200);
 });

  it('when a used refresh token comes back, then it is refused and every token of that sign-in is revoked; other sign-ins keep theirs', async () => {
    const { alice } = await hub.makeOrg();
    const stolen = await signIn(alice.email);
    const other = await signIn(alice.email);
    const legit = await refresh(stolen.refresh_token);
    expect(legit.status).toBe(200);
    const replay = await refresh(stolen.refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_refresh_token');
    expect((await refresh(legit.body.refresh_token)).status).toBe(401);
    expect((await refresh(other.refresh_token)).status).toBe(200);
 });

  it('when tokens are revoked, the password changes or the person is deactivated, then their refresh tokens are refused', async () => {
    const { admin, alice, bob, manager } = await hub.makeOrg();
    const a = await signIn(alice.email);
    expect((await http(server.url, 'POST', '/token/revoke', { token: a.access_token })).status).toBe(200);
    expect((await refresh(a.refresh_token)).status).toBe(401);

    const b = await signIn(bob.email);
    const changed = await http(server.url, 'PUT', `/employees/${bob.employee_id}`, { token: admin.token, json: { password: 'Another-Long-Pass-77' } });
    expect(changed.status).toBe(200);
    expect((await refresh(b.refresh_token)).status).toBe(401);

    const m = await signIn(manager.email);
    const off = await http(server.url, 'PUT', `/employees/${manager.employee_id}`, { token: admin.token, json: { active: false } });
    expect(off.status).toBe(200);
    expect((await refresh(m.refresh_token)).status).toBe(401);
 });

  it('when a refresh token has expired, is unknown or is not a refresh token, then 401; without one, 422', async () => {
    const { alice } = await hub.makeOrg();
    const t = await signIn(alice.email);
    await hub.rows("update refresh_tokens set expires_at = now() - interval '1 second' where employee_id = ?", [alice.employee_id]);
    expect((await refresh(t.refresh_token)).status).toBe(401);
    expect((await refresh('rt_unknown')).status).toBe(401);
    expect((await refresh(t.access_token)).status).toBe(401);
    const missing = await http(server.url, 'POST', '/token/refresh', { json: {} });
    expect(missing.status).toBe(422);
 });

  it('when the prune job runs, then refresh tokens expired or used over a day ago are gone and live ones stay', async () => {
    const { alice } = await hub.makeOrg();
    const old = await signIn(alice.email);
    const live = await signIn(alice.email);
    expect((await refresh(old.refresh_token)).status).toBe(200);
    await hub.rows("update refresh_tokens set used_at = now() - interval '2 days' where employee_id = ? and used_at is not null", [alice.employee_id]);
    const before = await hub.rows<{ n: string }>('select count(*) as n from refresh_tokens where employee_id = ?', [alice.employee_id]);
    const result = await hub.runJob('sessions:prune', {});
    expect(Number(result.pruned)).toBeGreaterThanOrEqual(1);
    const after = await hub.rows<{ n: string }>('select count(*) as n from refresh_tokens where employee_id = ?', [alice.employee_id]);
    expect(Number(after[0].n)).toBe(Number(before[0].n) - 1);
    expect((await refresh(live.refresh_token)).status).toBe(200);
 });
});
