// What a flood can and cannot do: sign-in storms, proxies, heavy reads, and sockets held by one token or address.
import http from 'node:http';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, nextEvent, openSocket, sleep, startServer, type Client } from './socket-utils.ts';
import { createSoloDatabase, createTestHub, TEST_PASSWORD, type Reply, type TestHub } from './utils.ts';

let hub: TestHub;
const sockets: Client[] = [];
const servers: Awaited<ReturnType<typeof startServer>>[] = [];

beforeAll(async () => {
  hub = await createTestHub();
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('test')));
  await hub?.close();
});

async function server(env: Record<string, string>) {
  const s = await startServer(env);
  servers.push(s);
  return s;
}

/**
 * POST /token over real HTTP from a given loopback address (the whole 127/8 is this machine), optionally with an
 * X-Forwarded-For header.
 */
function signInFrom(url: string, from: string, username: string, password: string, forwardedFor?: string): Promise<Reply> {
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/token`,
      {
        method: 'POST',
        localAddress: from,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, headers: new Headers(res.headers as Record<string, string>), text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('sign-in storms', () => {
  it('when one address sends a storm of wrong passwords for the admin, then only that address is refused: the admin signs in from their own address at once', async () => {
    const s = await server({ HOST: '0.0.0.0' });
    const admin = await hub.makeEmployee({ access: 'admin' });
    const attacker = '127.0.0.2';
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await signInFrom(s.url, attacker, admin.email, `Wrong-Guess-${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    // The attacker is out, even with the right password…
    expect((await signInFrom(s.url, attacker, admin.email, TEST_PASSWORD)).status).toBe(429);
    // …and the admin, from elsewhere, is not.
    const own = await signInFrom(s.url, '127.0.0.1', admin.email, TEST_PASSWORD);
    expect(own.status).toBe(200);
  });

  it('when failures for one account come from many addresses, then each further failure costs a growing wait of seconds, never a lock of the window, and a success clears it', async () => {
    const s = await server({ HOST: '0.0.0.0', LOGIN_MAX_FAILURES_PER_ACCOUNT: '6', LOGIN_MAX_DELAY_SECONDS: '4' });
    const victim = await hub.makeEmployee();
    // Three addresses, two failures each: the pair limit (5) is never reached, the account's (6) is.
    for (const from of ['127.0.0.3', '127.0.0.4', '127.0.0.5']) {
      for (let i = 0; i < 2; i++) expect((await signInFrom(s.url, from, victim.email, `Wrong-${from}-${i}`)).status).toBe(401);
    }
    expect((await signInFrom(s.url, '127.0.0.6', victim.email, 'Wrong-7')).status).toBe(401); // the 7th: a 1 s wait follows
    const waiting = await signInFrom(s.url, '127.0.0.1', victim.email, TEST_PASSWORD);
    expect(waiting.status).toBe(429);
    expect(Number(waiting.headers.get('retry-after'))).toBeLessThanOrEqual(1);
    await sleep(1100);
    expect((await signInFrom(s.url, '127.0.0.7', victim.email, 'Wrong-8')).status).toBe(401); // now 2 s
    const longer = await signInFrom(s.url, '127.0.0.1', victim.email, TEST_PASSWORD);
    expect(longer.status).toBe(429);
    expect(Number(longer.headers.get('retry-after'))).toBe(2);
    await sleep(2100);
    expect((await signInFrom(s.url, '127.0.0.1', victim.email, TEST_PASSWORD)).status).toBe(200);
    // Cleared: the next wrong password is an ordinary 401, not a wait.
    expect((await signInFrom(s.url, '127.0.0.8', victim.email, 'Wrong-9')).status).toBe(401);
    expect((await signInFrom(s.url, '127.0.0.1', victim.email, TEST_PASSWORD)).status).toBe(200);
  });
});

describe('TRUST_PROXY', () => {
  it('when requests come through a trusted proxy, then X-Forwarded-For names the client: one client’s storm does not lock out another behind the same proxy', async () => {
    const s = await server({ HOST: '0.0.0.0', TRUST_PROXY: '127.0.0.9/32' });
    const me = await hub.makeEmployee();
    const proxy = '127.0.0.9';
    for (let i = 0; i < 5; i++) expect((await signInFrom(s.url, proxy, me.email, `Wrong-${i}`, '198.51.100.10')).status).toBe(401);
    expect((await signInFrom(s.url, proxy, me.email, TEST_PASSWORD, '198.51.100.10')).status).toBe(429);
    expect((await signInFrom(s.url, proxy, me.email, TEST_PASSWORD, '198.51.100.11')).status).toBe(200);
    // A client cannot prepend an address of its choosing: the rightmost untrusted hop counts.
    expect((await signInFrom(s.url, proxy, me.email, TEST_PASSWORD, '198.51.100.11, 198.51.100.10')).status).toBe(429);
  });

  it('when X-Forwarded-For comes from an address that is not a trusted proxy, then it is ignored', async () => {
    const s = await server({ HOST: '0.0.0.0' });
    const me = await hub.makeEmployee();
    for (let i = 0; i < 5; i++) expect((await signInFrom(s.url, '127.0.0.10', me.email, `Wrong-${i}`, `203.0.113.${i}`)).status).toBe(401);
    expect((await signInFrom(s.url, '127.0.0.10', me.email, TEST_PASSWORD, '203.0.113.99')).status).toBe(429);
  });

  it('when TRUST_PROXY is not a list of addresses or CIDRs, then the hub refuses to start and names it', async () => {
    const { loadConfig } = await import('../src/config.ts');
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33', SECRET_KEY: 'x'.repeat(40) })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: 'nginx', SECRET_KEY: 'x'.repeat(40) })).toThrow(/TRUST_PROXY/);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, ::1', SECRET_KEY: 'x'.repeat(40) }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
  });
});

describe('heavy reads', () => {
  it('when one manager sends 30 exports at once, then HEAVY_REQUESTS_PER_USER run and the rest get 429 with Retry-After at once, while another user’s ordinary requests all succeed', async () => {
    // A private database: this test locks a whole table for a few seconds.
    const db = await createSoloDatabase('heavy');
    const solo = await createTestHub({ DATABASE_URL: db.url });
    const s = await server({ DATABASE_URL: db.url, DB_POOL_MAX: '4', HEAVY_REQUESTS_PER_USER: '2' });
    const { manager, admin, team } = await solo.makeOrg();
    await solo.rows(
      `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at)
       select e.employee_id, e.team_id, d::date, 'Present', 'api', now(), now()
         from employees e, generate_series(date '2024-01-01', date '2024-12-31', interval '1 day') d where e.team_id = ?`,
      [team.team_id],
    );
    const get = async (path: string, token: string) => {
      const res = await fetch(`${s.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
    };
    // Another session holds the attendance table: the exports that get a slot wait on it with their slot held.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table attendance in access exclusive mode');
      const flood = Array.from({ length: 30 }, () => get('/attendance/export.csv?date_from=2024-01-01&date_to=2024-12-31', manager.token));
      const refused = (await Promise.all(flood.map((f) => Promise.race([f, sleep(3000).then(() => null)])))).filter((r) => r !== null);
      expect(refused.length).toBe(28);
      for (const r of refused) {
        expect(r.status).toBe(429);
        expect(JSON.parse(r.text).code).toBe('too_many_heavy_requests');
        expect(Number(r.retryAfter)).toBeGreaterThan(0);
      }
      // Meanwhile the rest of the pool serves everyone else.
      const others = await Promise.all(Array.from({ length: 30 }, (_, i) => get(`/employees/?limit=5&skip=${i}`, admin.token)));
      expect(others.map((r) => r.status)).toEqual(others.map(() => 200));
      await locker.query('commit');
      const done = (await Promise.all(flood)).filter((r) => r.status === 200);
      expect(done.length).toBe(2);
      for (const r of done) expect(r.text.split('\r\n').length).toBe(3 * 366 + 2);
      // Once they are done, the slots are free again.
      expect((await get('/attendance/export.csv?date_from=2024-01-01&date_to=2024-01-31', manager.token)).status).toBe(200);
    } finally {
      await locker.end();
      await s.stop('test');
      servers.splice(servers.indexOf(s), 1);
      await solo.close();
      await db.drop();
    }
  });

  it('when an export would pass the row cap, then 422 too_many_rows before any row is read, and the slot is given back', async () => {
    const s = await server({});
    const { admin } = await hub.makeOrg();
    const { EXPORT_MAX_ROWS } = await import('../src/modules/attendance/attendance.export.ts');
    const [{ n }] = await hub.rows<{ n: string }>('select count(*) as n from attendance');
    if (Number(n) <= EXPORT_MAX_ROWS) {
      const team = await hub.makeTeam();
      const people = await Promise.all(Array.from({ length: 3 }, () => hub.makeEmployee({ team_id: team.team_id })));
      await hub.rows(
        `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at)
         select e.employee_id, e.team_id, d::date, 'Present', 'api', now(), now()
           from employees e, generate_series(date '1950-01-01', date '1950-01-01' + ?::int, interval '1 day') d where e.employee_id in (?)`,
        [Math.ceil(EXPORT_MAX_ROWS / 3) + 10, people.map((p) => p.employee_id)],
      );
    }
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${s.url}/attendance/export.csv`, { headers: { Authorization: `Bearer ${admin.token}` } });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { code: string }).code).toBe('too_many_rows');
    }
    await hub.rows(`delete from attendance where attendance_date < '1960-01-01'`);
  });
});

describe('sockets held by one token or one address', () => {
  it('when one token opens more than SOCKET_MAX_PER_USER sockets, then the oldest is told and closed, and the newest work', async () => {
    const s = await server({ SOCKET_MAX_PER_USER: '3' });
    const { manager, team } = await hub.makeOrg();
    const opened: Client[] = [];
    for (let i = 0; i < 3; i++) opened.push(await openSocket(s.url, manager.token));
    sockets.push(...opened);
    const ended = nextEvent(opened[0], 'session:ended', 5000);
    const fourth = await openSocket(s.url, manager.token);
    sockets.push(fourth);
    expect(await ended).toEqual({ reason: 'too_many_connections' });
    await sleep(100);
    expect(opened.map((x) => x.connected)).toEqual([false, true, true]);
    expect((await fourth.emitWithAck('board:join', { team_id: team.team_id })).ok).toBe(true);
    // Another person is not affected.
    const other = await openSocket(s.url, (await hub.makeEmployee({ access: 'admin' })).token);
    sockets.push(other);
    expect(collect(other, 'session:ended')).toEqual([]);
    expect(opened[1].connected && opened[2].connected).toBe(true);
  });

  it('when one address opens more handshakes than SOCKET_HANDSHAKES_PER_MINUTE, then the excess is refused and an open socket is not affected', async () => {
    const s = await server({ SOCKET_HANDSHAKES_PER_MINUTE: '5', SOCKET_MAX_PER_USER: '1000' });
    const { admin } = await hub.makeOrg();
    const results: string[] = [];
    for (let i = 0; i < 8; i++) {
      try {
        sockets.push(await openSocket(s.url, admin.token));
        results.push('connected');
      } catch (error) {
        results.push((error as Error).message);
      }
    }
    expect(results.slice(0, 5)).toEqual(Array(5).fill('connected'));
    expect(results.slice(5).every((r) => r !== 'connected')).toBe(true);
    expect(sockets[0].connected).toBe(true);
    expect((await sockets[0].emitWithAck('board:leave', { team_id: 1 })).ok).toBe(true);
  });
});

