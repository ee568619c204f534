import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './utils.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const EXPECTED_PATHS = [
  '/token',
  '/employees/',
  '/employees/{employee_id}',
  '/teams/',
  '/teams/{team_id}',
  '/attendance/',
  '/attendance/{record_id}',
  '/attendance/check-in',
  '/attendance/check-out',
  '/attendance/employee/{employee_id}',
  '/attendance/team/{team_id}',
  '/healthz',
  '/readyz',
];

describe('the OpenAPI document', () => {
  it('when /openapi.json is fetched without a token, then it is an OpenAPI 3.1.0 JSON document listing every path', async () => {
    const res = await hub.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(EXPECTED_PATHS));
  });

  it('when the employee paths are read, then they declare the methods the API serves', async () => {
    const { paths } = (await hub.request('GET', '/openapi.json')).body;
    expect(Object.keys(paths['/employees/']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/employees/{employee_id}']).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(paths['/teams/']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/teams/{team_id}']).sort()).toEqual(['delete', 'get', 'put']);
    expect(paths['/token'].post).toBeDefined();
    expect(paths['/healthz'].get).toBeDefined();
    expect(paths['/readyz'].get).toBeDefined();
  });

  it('when POST /employees/ is read, then its request schema has name, email, password and the other fields, with name, email and password required', async () => {
    const { paths } = (await hub.request('GET', '/openapi.json')).body;
    const op = paths['/employees/'].post;
    const schema = op.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'email', 'password', 'team_id', 'role', 'access', 'badge_id', 'active']));
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'email', 'password']));
    expect(op.responses['201']).toBeDefined();
    expect(op.responses['422']).toBeDefined();
    const out = op.responses['201'].content['application/json'].schema;
    expect(Object.keys(out.properties)).not.toContain('password');
    expect(Object.keys(out.properties)).not.toContain('password_hash');
  });

  it('when GET /employees/ is read, then it documents skip, limit and the filters, and the X-Total-Count header', async () => {
    const { paths } = (await hub.request('GET', '/openapi.json')).body;
    const op = paths['/employees/'].get;
    const names = op.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['skip', 'limit', 'team_id', 'access', 'active', 'q']));
    expect(op.responses['200'].headers['X-Total-Count']).toBeDefined();
    const param = paths['/employees/{employee_id}'].get.parameters.find((p: { name: string }) => p.name === 'employee_id');
    expect(param).toMatchObject({ in: 'path', required: true });
  });

  it('when the security parts are read, then there is an OAuth2 password scheme using /token, and the public endpoints need no token', async () => {
    const doc = (await hub.request('GET', '/openapi.json')).body;
    const schemes = doc.components.securitySchemes;
    expect(Object.keys(schemes).length).toBeGreaterThan(0);
    const [name, scheme] = Object.entries(schemes)[0] as [string, any];
    expect(scheme).toMatchObject({ type: 'oauth2', flows: { password: { tokenUrl: '/token' } } });
    expect(doc.security).toEqual([{ [name]: [] }]);
    expect(doc.paths['/token'].post.security).toEqual([]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    // A token, or an API key with the operation's scope (tests/api-keys.test.ts checks every operation).
    expect(doc.paths['/employees/'].get.security).toEqual([{ [name]: [] }, { ApiKey: ['employees:read'] }]);
    expect(doc.paths['/kiosks/'].get.security).toEqual([{ [name]: [] }]);
  });

  it('when every operation is read, then each has a unique operationId', async () => {
    const { paths } = (await hub.request('GET', '/openapi.json')).body;
    const ids = Object.values(paths).flatMap((ops: any) => Object.values(ops).map((op: any) => op.operationId));
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('the interactive docs', () => {
  it('when /docs is fetched, then it is HTML that loads Swagger UI from /docs/assets on this origin', async () => {
    const res = await hub.request('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(res.text).toContain('/docs/assets/swagger-ui.css');
    // Nothing is loaded from another origin.
    expect(res.text).not.toMatch(/(src|href)="https?:\/\//);
  });

  it('when the Swagger UI bundle is fetched, then the app serves it as JavaScript', async () => {
    const res = await hub.request('GET', '/docs/assets/swagger-ui-bundle.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.text.length).toBeGreaterThan(100_000);
    expect(res.text).toContain('SwaggerUIBundle');
  });

  it('when the other assets the page names are fetched, then each is served with its type', async () => {
    const css = await hub.request('GET', '/docs/assets/swagger-ui.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const init = await hub.request('GET', '/docs/assets/docs-init.js');
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toMatch(/javascript/);
    expect(init.text).toContain('/openapi.json');
  });

  it('when an unknown or path-escaping asset is asked for, then 404 {detail, code}', async () => {
    for (const path of ['/docs/assets/nope.js', '/docs/assets/..%2Fpackage.json', '/docs/assets/index.html']) {
      const res = await hub.request('GET', path);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: expect.any(String), code: 'not_found' });
    }
  });
});

describe('health', () => {
  it('when /healthz is fetched, then 200 {status: "ok"}', async () => {
    const res = await hub.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('when /readyz is fetched with the database up, then 200 with checks.database "ok"', async () => {
    const res = await hub.request('GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
  });

  it('when a health probe sends an invalid token, then it still answers (health is public)', async () => {
    const res = await hub.request('GET', '/healthz', { token: 'garbage' });
    expect(res.status).toBe(200);
  });
});

describe('security headers', () => {
  it.each(['/healthz', '/docs', '/openapi.json', '/nowhere', '/employees/'])('when %s is fetched, then nosniff and frame protection headers are set', async (path) => {
    const res = await hub.request('GET', path);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toMatch(/^(DENY|SAMEORIGIN)$/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('when any response is sent, then it carries an X-Request-Id', async () => {
    const res = await hub.request('GET', '/healthz');
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });
});
