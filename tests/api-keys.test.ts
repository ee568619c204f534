// API keys through the real app and two real server instances: made by admins and shown once, stored hashed; a key
// reaches exactly the endpoints its scopes name (every endpoint is tried with the right scope and with all the
// others), is refused at once everywhere when revoked, notes its last use, and is named by the audit trail.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../src/app.ts';
import { API_SCOPES, type ApiScope } from '../src/infra/context.ts';
import { http, startServer, withHubAndServer, type TestServer } from './socket-utils.ts';
import { uid, type TestHub } from './utils.ts';

let hub: TestHub;
let server: TestServer;
withHubAndServer({}, (h, s) => ((hub = h), (server = s)));

type Made = { api_key_id: number; key: string; scopes: ApiScope[]; key_prefix: string };

async function makeKey(adminToken: string, scopes: readonly ApiScope[], name = `Key ${uid()}`): Promise<Made> {
  const res = await hub.request('POST', '/api-keys/', { token: adminToken, json: { name, scopes } });
  expect(res.status).toBe(201);
  return res.body as Made;
}

describe('making and listing keys', () => {
  it('when an admin makes a key, then it is shown once as ck_…, listed without it, and only its SHA-256 is stored', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const made = await makeKey(admin.token, ['reports:read', 'attendance:read'], 'Payroll sync');
    expect(made.key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
    expect(made.scopes).toEqual(['attendance:read', 'reports:read']);
    expect(made.key_prefix).toBe(made.key.slice(0, 10));

    const list = await hub.request('GET', '/api-keys/?limit=1000', { token: admin.token });
    expect(list.status).toBe(200);
    const listed = (list.body as Record<string, unknown>[]).find((k) => k.api_key_id === made.api_key_id)!;
    expect(listed).toMatchObject({ name: 'Payroll sync', scopes: ['attendance:read', 'reports:read'], last_used_at: null, revoked_at: null, created_by: admin.employee_id });
    expect(JSON.stringify(list.body)).not.toContain(made.key);
    const [stored] = await hub.rows<{ key_hash: string }>('select key_hash from api_keys where api_key_id = ?', [made.api_key_id]);
    expect(stored.key_hash).toBe(createHash('sha256').update(made.key).digest('hex'));
    expect(JSON.stringify(await hub.rows('select * from api_keys where api_key_id = ?', [made.api_key_id]))).not.toContain(made.key);
  });

  it('when the body is wrong, then 422 names the field and no key is made; managers and keys themselves may not make keys', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const manager = await hub.makeEmployee({ access: 'manager' });
    const x = `Refused ${uid()}`;
    for (const body of [{ name: x, scopes: [] }, { name: x, scopes: ['everything'] }, { name: '', scopes: ['punch'] }, { scopes: ['punch'] }, { name: x, scopes: 'punch' }, { name: x, scopes: ['punch'], extra: 1 }]) {
      const res = await hub.request('POST', '/api-keys/', { token: admin.token, json: body });
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect((await hub.request('POST', '/api-keys/', { token: manager.token, json: { name: x, scopes: ['punch'] } })).status).toBe(403);
    const key = await makeKey(admin.token, [...API_SCOPES]);
    const byKey = await hub.request('POST', '/api-keys/', { token: key.key, json: { name: x, scopes: ['punch'] } });
    expect(byKey).toMatchObject({ status: 403, body: { code: 'insufficient_scope' } });
    expect(await hub.rows('select api_key_id from api_keys where name = ?', [x])).toEqual([]);
  });
});

/** A request that passes validation's first glance: ids that do not exist, an empty body. */
function probe(path: string) {
  return path.replace(/\{[a-z_]+\}/g, '987654321');
}

describe('scopes', () => {
  it('when a key calls each endpoint, then it gets past the gate with the endpoint’s scope and 403 insufficient_scope with every other; endpoints without a scope refuse keys', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const keys = new Map<ApiScope, Made>();
    for (const scope of API_SCOPES) keys.set(scope, await makeKey(admin.token, [scope]));
    const gated = endpoints.filter((ep) => ep.access !== 'public' && !ep.hidden);
    expect(gated.filter((ep) => ep.apiScope).length).toBeGreaterThan(30);
    for (const ep of gated) {
      const method = ep.method.toUpperCase();
      const path = probe(ep.path);
      const json = ep.body ? {} : undefined;
      if (ep.apiScope) {
        const right = await hub.request(method, path, { token: keys.get(ep.apiScope)!.key, json });
        expect([401, 403], `${method} ${ep.path} with ${ep.apiScope}: ${right.status} ${JSON.stringify(right.body)}`).not.toContain(right.status);
      }
      for (const scope of API_SCOPES.filter((s) => s !== ep.apiScope)) {
        const wrong = await hub.request(method, path, { token: keys.get(scope)!.key, json });
        expect(wrong, `${method} ${ep.path} with ${scope}`).toMatchObject({ status: 403, body: { code: 'insufficient_scope' } });
      }
    }
  }, 60_000);

  it('when a key reads and writes within its scopes, then it sees the whole organisation, a punch may carry occurred_at, and the audit trail names the key', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const { alice, bob } = await hub.makeOrg();
    const key = await makeKey(admin.token, ['punch', 'attendance:write', 'attendance:read']);
    const at = new Date(Date.now() - 10 * 60_000).toISOString();
    const punch = await http(server.url, 'POST', '/attendance/check-in', { token: key.key, json: { badge_id: alice.badge_id, occurred_at: at } });
    expect(punch.status).toBe(200);
    expect(punch.body.record.check_in_time).toBe(at);
    const [raw] = await hub.rows<{ source: string }>('select source from punches where employee_id = ?', [alice.employee_id]);
    expect(raw.source).toBe('api');

    const created = await http(server.url, 'POST', '/attendance/', { token: key.key, json: { employee_id: bob.employee_id, attendance_date: '2025-02-03', status: 'Remote' } });
    expect(created.status).toBe(201);
    const audit = await http(server.url, 'GET', `/audit/?entity_type=attendance&entity_id=${created.body.record_id}`, { token: admin.token });
    expect(audit.body[0]).toMatchObject({ action: 'create', actor_kind: 'api_key', actor_id: key.api_key_id });
    const punchAudit = await http(server.url, 'GET', `/audit/?entity_type=attendance&entity_id=${punch.body.record.record_id}`, { token: admin.token });
    expect(punchAudit.body[0]).toMatchObject({ actor_kind: 'api_key', actor_id: key.api_key_id });

    const read = await http(server.url, 'GET', `/attendance/?employee_id=${bob.employee_id}`, { token: key.key });
    expect(read.status).toBe(200);
    expect(read.body.map((r: { record_id: number }) => r.record_id)).toContain(created.body.record_id);
    // A key is no person: a correction it asks for must name whose day.
    const noOne = await http(server.url, 'POST', '/attendance/corrections/', { token: key.key, json: { attendance_date: '2025-02-03', status: 'Present', reason: 'sync' } });
    expect(noOne.status).toBe(422);
    const asked = await http(server.url, 'POST', '/attendance/corrections/', { token: key.key, json: { employee_id: bob.employee_id, attendance_date: '2025-02-03', status: 'Present', reason: 'sync' } });
    expect(asked.status).toBe(201);
    expect(asked.body.requested_by).toBeNull();
  });
});

describe('revocation and use', () => {
  it('when a key is revoked on one instance, then both instances refuse it at once; its last use (time and address) was kept', async () => {
    const other = await startServer();
    try {
      const admin = await hub.makeEmployee({ access: 'admin' });
      const key = await makeKey(admin.token, ['employees:read']);
      const before = Date.now();
      expect((await http(server.url, 'GET', '/employees/?limit=1', { token: key.key })).status).toBe(200);
      expect((await http(other.url, 'GET', '/employees/?limit=1', { token: key.key })).status).toBe(200);
      const [used] = await hub.rows<{ last_used_at: Date; last_used_ip: string }>('select last_used_at, last_used_ip from api_keys where api_key_id = ?', [key.api_key_id]);
      expect(new Date(used.last_used_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(used.last_used_ip).toMatch(/127\.0\.0\.1/);

      expect((await http(server.url, 'DELETE', `/api-keys/${key.api_key_id}`, { token: admin.token })).status).toBe(204);
      for (const url of [server.url, other.url]) {
        expect(await http(url, 'GET', '/employees/?limit=1', { token: key.key })).toMatchObject({ status: 401, body: { code: 'invalid_token' } });
      }
      expect((await http(server.url, 'DELETE', `/api-keys/${key.api_key_id}`, { token: admin.token })).status).toBe(404);
      const listed = await http(server.url, 'GET', '/api-keys/?include_revoked=true&limit=1000', { token: admin.token });
      expect(listed.body.find((k: { api_key_id: number }) => k.api_key_id === key.api_key_id).revoked_at).not.toBeNull();
      const audit = await http(server.url, 'GET', `/audit/?entity_type=api_key&entity_id=${key.api_key_id}`, { token: admin.token });
      expect(audit.body.map((a: { action: string }) => a.action)).toEqual(['delete', 'create']);
    } finally {
      await other.stop('test');
    }
  });

  it('when a key is malformed or unknown, then 401, like a bad token', async () => {
    for (const token of ['ck_short', `ck_${'A'.repeat(43)}`, `ck_${'A'.repeat(43)}x`]) {
      expect(await hub.request('GET', '/employees/', { token })).toMatchObject({ status: 401, body: { code: 'invalid_token' } });
    }
  });
});

describe('the documentation', () => {
  it('when /openapi.json is read, then it declares the key scheme and every operation’s scope, as the endpoints enforce them', async () => {
    const doc = (await hub.request('GET', '/openapi.json')).body as {
      components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; 'x-api-key-scope'?: string }>>;
    };
    expect(doc.components.securitySchemes.ApiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const ep of endpoints.filter((e) => !e.hidden && e.access !== 'public')) {
      const op = doc.paths[ep.path][ep.method];
      expect(op['x-api-key-scope'], `${ep.method} ${ep.path}`).toBe(ep.apiScope);
      expect(op.security, `${ep.method} ${ep.path}`).toEqual([{ OAuth2PasswordBearer: [] }, ...(ep.apiScope ? [{ ApiKey: [ep.apiScope] }] : [])]);
    }
  });
});
