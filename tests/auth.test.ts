import { decode, sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from '../src/app.ts';
import { createTestHub, TEST_PASSWORD, TEST_SECRET, uid, type Reply, type TestHub } from './utils.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub?.close());

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Claims exactly like the ones the hub issues, for `sub`; override any of them. */
function claimsFor(employeeId: number, overrides: Record<string, unknown> = {}) {
  const t = now();
  return { sub: String(employeeId), access: 'employee', iat: t, nbf: t, exp: t + 600, iss: hub.config.jwtIssuer, aud: hub.config.jwtAudience, ...overrides };
}

const login = (h: TestHub, username: string, password: string) => h.request('POST', '/token', { form: { username, password } });

function expectInvalidCredentials(res: Reply) {
  expect(res.status).toBe(401);
  expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
  expect(res.body).toEqual({ detail: 'Incorrect email or password', code: 'invalid_credentials' });
}

function expectTooManyAttempts(res: Reply, windowSeconds: number) {
  expect(res.status).toBe(429);
  expect(res.body.code).toBe('too_many_attempts');
  const retryAfter = Number(res.headers.get('Retry-After'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

describe('POST /token', () => {
  it('when a form-encoded username and password are right, then 200 with a bearer token that opens the user’s own record', async () => {
    const me = await hub.makeEmployee();
    const res = await hub.request('POST', '/token', { form: { username: me.email, password: TEST_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access_token: expect.any(String), token_type: 'bearer', expires_in: hub.config.accessTokenMinutes * 60,
      refresh_token: expect.stringMatching(/^rt_/), refresh_expires_in: hub.config.refreshTokenDays * 86_400,
    });
    expect(res.body.expires_in).toBe(30 * 60);
    expect(res.headers.get('Cache-Control')).toBe('no-store');

    const own = await hub.request('GET', `/employees/${me.employee_id}`, { token: res.body.access_token });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ employee_id: me.employee_id, email: me.email, active: true });
  });

  it('when the OAuth2 form also carries grant_type=password and a scope, then it is accepted', async () => {
    const me = await hub.makeEmployee();
    const res = await hub.request('POST', '/token', { form: { grant_type: 'password', username: me.email, password: TEST_PASSWORD, scope: '' } });
    expect(res.status).toBe(200);
  });

  it('when the credentials come as a JSON body, then 200 with the same kind of token', async () => {
    const me = await hub.makeEmployee();
    const res = await hub.request('POST', '/token', { json: { username: me.email, password: TEST_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 1800, refresh_token: expect.stringMatching(/^rt_/), refresh_expires_in: 30 * 86_400 });
    const own = await hub.request('GET', `/employees/${me.employee_id}`, { token: res.body.access_token });
    expect(own.status).toBe(200);
  });

  it('when the issued JWT is decoded, then it is HS256 with sub, exp, iat, access, iss and aud', async () => {
    const me = await hub.makeEmployee({ access: 'manager' });
    const before = now();
    const res = await login(hub, me.email, TEST_PASSWORD);
    const { header, payload } = decode(res.body.access_token);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    expect(payload.sub).toBe(String(me.employee_id));
    expect(payload.access).toBe('manager');
    expect(payload.iss).toBe('check-in-hub');
    expect(payload.aud).toBe('check-in-hub');
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(now());
    expect(payload.exp).toBe((payload.iat as number) + res.body.expires_in);
  });

  it('when the email is typed in upper case, then the user still signs in', async () => {
    const me = await hub.makeEmployee();
    const res = await login(hub, `  ${me.email.toUpperCase()} `, TEST_PASSWORD);
    expect(res.status).toBe(200);
    expect(decode(res.body.access_token).payload.sub).toBe(String(me.employee_id));
  });

  it('when the password is wrong or the email unknown, then both get the same 401 with WWW-Authenticate: Bearer', async () => {
    const me = await hub.makeEmployee();
    const wrongPassword = await login(hub, me.email, 'Not-The-Password-1');
    const unknownEmail = await login(hub, `nobody.${uid()}@example.com`, TEST_PASSWORD);
    expectInvalidCredentials(wrongPassword);
    expectInvalidCredentials(unknownEmail);
    expect(wrongPassword.text).toBe(unknownEmail.text);
    expect(wrongPassword.headers.get('WWW-Authenticate')).toBe(unknownEmail.headers.get('WWW-Authenticate'));
  });

  it('when the password differs only in case, then it is refused', async () => {
    const me = await hub.makeEmployee();
    expectInvalidCredentials(await login(hub, me.email, TEST_PASSWORD.toUpperCase()));
  });

  it('when someone signs in or fails to, then the password never appears in the logs', async () => {
    const me = await hub.makeEmployee();
    await login(hub, me.email, TEST_PASSWORD);
    await login(hub, me.email, 'Leaky-Wrong-Password-9');
    const logs = hub.log.join('');
    expect(logs).not.toContain(TEST_PASSWORD);
    expect(logs).not.toContain('Leaky-Wrong-Password-9');
  });

  it.each([
    ['an empty JSON object', { json: {} }, [['body', 'username'], ['body', 'password']]],
    ['a form without password', { form: { username: 'someone@example.com' } }, [['body', 'password']]],
    ['a form without username', { form: { password: 'whatever-123' } }, [['body', 'username']]],
    ['an empty username', { json: { username: '', password: 'whatever-123' } }, [['body', 'username']]],
    ['a non-string password', { json: { username: 'someone@example.com', password: 12345678 } }, [['body', 'password']]],
  ])('when the body is %s, then 422 with a detail list of {loc, msg, type}', async (_what, opts, locs) => {
    const res = await hub.request('POST', '/token', opts);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(Array.isArray(res.body.detail)).toBe(true);
    for (const item of res.body.detail) {
      expect(item).toEqual({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) });
    }
    expect(res.body.detail.map((d: { loc: string[] }) => d.loc)).toEqual(locs);
  });

  it('when there is no body at all, then 422', async () => {
    const res = await hub.request('POST', '/token');
    expect(res.status).toBe(422);
    expect(res.body.detail[0]).toMatchObject({ loc: ['body'] });
  });

  it('when the user is deactivated, then the right password gets the same 401 as a wrong one', async () => {
    const me = await hub.makeEmployee({ active: false });
    const [stored] = await hub.rows<{ active: boolean }>('select active from employees where employee_id = ?', [me.employee_id]);
    expect(stored.active).toBe(false);
    expectInvalidCredentials(await login(hub, me.email, TEST_PASSWORD));
  });

  it('when a signed-in user is deactivated, then their existing token is refused from the next request on', async () => {
    const me = await hub.makeEmployee();
    expect((await hub.request('GET', `/employees/${me.employee_id}`, { token: me.token })).status).toBe(200);

    await hub.rows('update employees set active = false where employee_id = ?', [me.employee_id]);
    const [stored] = await hub.rows<{ active: boolean }>('select active from employees where employee_id = ?', [me.employee_id]);
    expect(stored.active).toBe(false);

    const res = await hub.request('GET', `/employees/${me.employee_id}`, { token: me.token });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });

  it('when a request carries a stale token, then signing in at /token still works', async () => {
    const me = await hub.makeEmployee();
    const res = await hub.request('POST', '/token', { form: { username: me.email, password: TEST_PASSWORD }, headers: { Authorization: 'Bearer garbage' } });
    expect(res.status).toBe(200);
  });
});

describe('login throttling per account', () => {
  let throttled: TestHub;
  beforeAll(async () => {
    throttled = await createTestHub({ LOGIN_MAX_FAILURES: '3', LOGIN_WINDOW_SECONDS: '2' });
  });
  afterAll(() => throttled?.close());

  it('when an account fails 3 times, then even the right password gets 429 with Retry-After until the window has passed', async () => {
    const me = await throttled.makeEmployee();
    const other = await throttled.makeEmployee();
    expectInvalidCredentials(await login(throttled, me.email, 'Wrong-Password-1'));
    expectInvalidCredentials(await login(throttled, me.email.toUpperCase(), 'Wrong-Password-2')); // same account, other case
    expectInvalidCredentials(await login(throttled, me.email, 'Wrong-Password-3'));

    expectTooManyAttempts(await login(throttled, me.email, TEST_PASSWORD), 2);
    expectTooManyAttempts(await throttled.request('POST', '/token', { json: { username: me.email, password: TEST_PASSWORD } }), 2);
    // Another account from the same address is not affected.
    expect((await login(throttled, other.email, TEST_PASSWORD)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const after = await login(throttled, me.email, TEST_PASSWORD);
    expect(after.status).toBe(200);
    expect(decode(after.body.access_token).payload.sub).toBe(String(me.employee_id));
  });

  it('when an account signs in successfully, then its earlier failures are forgotten', async () => {
    const me = await throttled.makeEmployee();
    expectInvalidCredentials(await login(throttled, me.email, 'Wrong-Password-1'));
    expectInvalidCredentials(await login(throttled, me.email, 'Wrong-Password-2'));
    expect((await login(throttled, me.email, TEST_PASSWORD)).status).toBe(200);
    expectInvalidCredentials(await login(throttled, me.email, 'Wrong-Password-3'));
    expectInvalidCredentials(await login(throttled, me.email, 'Wrong-Password-4'));
    expect((await login(throttled, me.email, TEST_PASSWORD)).status).toBe(200);
  });

  it('when an unknown email fails 3 times, then it is throttled like a real one (no hint that it does not exist)', async () => {
    const ghost = `ghost.${uid()}@example.com`;
    for (let i = 0; i < 3; i++) expectInvalidCredentials(await login(throttled, ghost, TEST_PASSWORD));
    expectTooManyAttempts(await login(throttled, ghost, TEST_PASSWORD), 2);
  });
});

describe('login throttling per address', () => {
  let throttled: TestHub;
  beforeAll(async () => {
    throttled = await createTestHub({ LOGIN_MAX_FAILURES_PER_ADDRESS: '3', LOGIN_WINDOW_SECONDS: '60', ACCESS_TOKEN_EXPIRE_MINUTES: '7' });
  });
  afterAll(() => throttled?.close());

  /** POST /token as if from a given client address (what @hono/node-server passes as the socket). */
  async function loginFrom(address: string, username: string, password: string) {
    const res = await throttled.app.request(
      '/token',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) },
      { incoming: { socket: { remoteAddress: address, remotePort: 40000, remoteFamily: 'IPv4' } } },
    );
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), headers: res.headers, text } as Reply;
  }

  it('when ACCESS_TOKEN_EXPIRE_MINUTES is 7, then expires_in is 420 and the token lives 420 seconds', async () => {
    const me = await throttled.makeEmployee();
    const res = await loginFrom('198.51.100.1', me.email, TEST_PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBe(420);
    const { payload } = decode(res.body.access_token);
    expect((payload.exp as number) - (payload.iat as number)).toBe(420);
  });

  it('when one address fails for 3 different usernames, then its next attempt is 429 while other addresses still sign in', async () => {
    const me = await throttled.makeEmployee();
    const address = '203.0.113.7';
    for (let i = 0; i < 3; i++) expectInvalidCredentials(await loginFrom(address, `guess.${uid()}@example.com`, 'Guess-Password-1'));

    expectTooManyAttempts(await loginFrom(address, me.email, TEST_PASSWORD), 60);
    expect((await loginFrom('203.0.113.8', me.email, TEST_PASSWORD)).status).toBe(200);
  });
});

describe('token attacks on a protected endpoint', () => {
  function expectInvalidToken(res: Reply) {
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  }

  it('when there is no Authorization header, then 401 not_authenticated with WWW-Authenticate: Bearer', async () => {
    const me = await hub.makeEmployee();
    const res = await hub.request('GET', `/employees/${me.employee_id}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('not_authenticated');
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
  });

  it('when a token is built by hand with the hub’s secret and claims, then it works (the attacks below differ only in the flaw)', async () => {
    const me = await hub.makeEmployee();
    const token = await sign(claimsFor(me.employee_id), TEST_SECRET, 'HS256');
    expect((await hub.request('GET', `/employees/${me.employee_id}`, { token })).status).toBe(200);
  });

  it.each(['garbage', 'a.b.c', 'e30.e30.', '...', 'Bearer'])('when the token is garbage (%s), then 401', async (token) => {
    const me = await hub.makeEmployee();
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
  });

  it('when the token says alg "none" with an empty signature, then 401', async () => {
    const me = await hub.makeEmployee();
    for (const alg of ['none', 'None', 'NONE']) {
      const token = `${b64url({ alg, typ: 'JWT' })}.${b64url(claimsFor(me.employee_id, { access: 'admin' }))}.`;
      expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
    }
  });

  it('when the token is signed with another secret, then 401', async () => {
    const me = await hub.makeEmployee();
    const token = await sign(claimsFor(me.employee_id), 'another-secret-key-that-is-long-enough-0987654321', 'HS256');
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
  });

  it('when the payload is tampered to access=admin and the signature kept, then 401 (and the admin list stays closed)', async () => {
    const me = await hub.makeEmployee();
    const [header, payload, signature] = me.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims.access).toBe('employee');
    const token = `${header}.${b64url({ ...claims, access: 'admin' })}.${signature}`;
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
    expectInvalidToken(await hub.request('GET', '/employees/', { token }));
  });

  it('when the payload is tampered to another employee’s sub, then 401', async () => {
    const me = await hub.makeEmployee();
    const victim = await hub.makeEmployee();
    const [header, payload, signature] = me.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const token = `${header}.${b64url({ ...claims, sub: String(victim.employee_id) })}.${signature}`;
    expectInvalidToken(await hub.request('GET', `/employees/${victim.employee_id}`, { token }));
  });

  it('when the token has expired, then 401', async () => {
    const me = await hub.makeEmployee();
    const t = now();
    const token = await sign(claimsFor(me.employee_id, { iat: t - 3600, nbf: t - 3600, exp: t - 60 }), TEST_SECRET, 'HS256');
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
  });

  it('when the token has no exp, then 401', async () => {
    const me = await hub.makeEmployee();
    const { exp: _exp, ...claims } = claimsFor(me.employee_id);
    const token = await sign(claims, TEST_SECRET, 'HS256');
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
  });

  it('when the token is not valid before a future time (nbf), then 401', async () => {
    const me = await hub.makeEmployee();
    const token = await sign(claimsFor(me.employee_id, { nbf: now() + 600 }), TEST_SECRET, 'HS256');
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
  });

  it('when the token was issued in the future (iat), then 401', async () => {
    const me = await hub.makeEmployee();
    const token = await sign(claimsFor(me.employee_id, { iat: now() + 600 }), TEST_SECRET, 'HS256');
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
  });

  it.each([
    ['a wrong issuer', { iss: 'someone-else' }],
    ['no issuer', { iss: undefined }],
    ['a wrong audience', { aud: 'another-service' }],
    ['no audience', { aud: undefined }],
    ['a non-numeric sub', { sub: 'admin' }],
    ['a numeric (not string) sub', { sub: 1 }],
  ])('when the token has %s, then 401', async (_what, overrides) => {
    const me = await hub.makeEmployee();
    const claims = claimsFor(me.employee_id, overrides);
    for (const key of Object.keys(claims) as (keyof typeof claims)[]) if (claims[key] === undefined) delete claims[key];
    const token = await sign(claims, TEST_SECRET, 'HS256');
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
  });

  it('when the token is signed HS512 with the right secret, then 401 (only HS256 is accepted)', async () => {
    const me = await hub.makeEmployee();
    for (const alg of ['HS384', 'HS512'] as const) {
      const token = await sign(claimsFor(me.employee_id), TEST_SECRET, alg);
      expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token }));
    }
  });

  it('when the employee behind a valid token has been deleted, then the token is refused', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const me = await hub.makeEmployee();
    const deleted = await hub.request('DELETE', `/employees/${me.employee_id}`, { token: admin.token });
    expect(deleted.status).toBe(204);
    expect(await hub.rows('select employee_id from employees where employee_id = ?', [me.employee_id])).toEqual([]);
    expectInvalidToken(await hub.request('GET', `/employees/${me.employee_id}`, { token: me.token }));
  });

  it('when the scheme is written bearer, BEARER or Bearer, then the token is accepted', async () => {
    const me = await hub.makeEmployee();
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      const res = await hub.request('GET', `/employees/${me.employee_id}`, { headers: { Authorization: `${scheme} ${me.token}` } });
      expect(res.status, scheme).toBe(200);
    }
  });

  it('when the scheme is not Bearer (Basic, Token, none), then 401', async () => {
    const me = await hub.makeEmployee();
    for (const header of [`Basic ${me.token}`, `Token ${me.token}`, me.token, 'Bearer ']) {
      const res = await hub.request('GET', `/employees/${me.employee_id}`, { headers: { Authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });
});

describe('which endpoints need a token', () => {
  it.each([
    ['GET', '/healthz'],
    ['GET', '/readyz'],
    ['GET', '/docs'],
    ['GET', '/openapi.json'],
  ])('when %s %s is called without a token, then it answers 200', async (method, path) => {
    const res = await hub.request(method, path);
    expect(res.status).toBe(200);
  });

  it('when /token is called without a token, then it signs the user in', async () => {
    const me = await hub.makeEmployee();
    expect((await login(hub, me.email, TEST_PASSWORD)).status).toBe(200);
  });

  it.each([
    ['GET', '/employees/'],
    ['GET', '/teams/'],
    ['GET', '/attendance/'],
  ])('when %s %s is called without a token, then 401', async (method, path) => {
    const res = await hub.request(method, path);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('not_authenticated');
  });

  it('when any non-public endpoint is called without a token, then 401 (before any validation)', async () => {
    const closed = endpoints.filter((ep) => ep.access !== 'public');
    expect(closed.length).toBeGreaterThan(10);
    for (const ep of closed) {
      const path = ep.path.replace(/\{\w+\}/g, '1');
      const res = await hub.request(ep.method.toUpperCase(), path, ep.method === 'get' || ep.method === 'delete' ? {} : { json: {} });
      expect(res.status, `${ep.method} ${ep.path}`).toBe(401);
    }
  });

  it('when the OpenAPI document is read, then only the public endpoints opt out of security', async () => {
    const res = await hub.request('GET', '/openapi.json');
    const open: string[] = [];
    for (const [path, ops] of Object.entries(res.body.paths as Record<string, Record<string, { security?: unknown[] }>>)) {
      for (const [method, op] of Object.entries(ops)) if (Array.isArray(op.security) && op.security.length === 0) open.push(`${method} ${path}`);
    }
    expect(open.sort()).toEqual(['get /healthz', 'get /readyz', 'post /token', 'post /token/refresh']);
  });
});
