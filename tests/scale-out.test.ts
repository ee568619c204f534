// Two API processes sharing the test PostgreSQL and the local Redis, as in a scale-out deployment.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './env.ts';
import { spawnHub, type HubChild as HubProcess } from '../harness/index.ts';
import { collect, http, nextEvent, openSocket, sleep, type Client } from './socket-utils.ts';
import { createTestHub, TEST_SECRET, uid, type TestHub } from './utils.ts';

let a: HubProcess;
let b: HubProcess;
let hub: TestHub;
const sockets: Client[] = [];
const track = (s: Client) => (sockets.push(s), s);

beforeAll(async () => {
  hub = await createTestHub();
  const env = {
    DATABASE_URL: testDatabaseUrl,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `test:${uid()}:`,
    SECRET_KEY: TEST_SECRET,
    MIGRATE_ON_START: 'false',
    DATA_DIR: '/tmp/checkin-hub-test',
    SOCKET_REVALIDATE_SECONDS: '1',
    JOB_SCHEDULES: 'false',
  };
  [a, b] = await Promise.all([spawnHub(env), spawnHub(env)]);
}, 90_000);
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await hub?.close();
});

async function orgWithKiosk(on: HubProcess) {
  const org = await hub.makeOrg();
  const res = await http(on.url, 'POST', '/kiosks/', { token: org.admin.token, json: { name: `Door ${uid()}` } });
  expect(res.status).toBe(201);
  return { ...org, kiosk: res.body as { kiosk_id: number; token: string } };
}

describe('two API processes sharing PostgreSQL and Redis', () => {
  it('when a kiosk punches on instance A, then a board on instance B receives the change, and the other way round', async () => {
    const { team, manager, alice, bob, kiosk } = await orgWithKiosk(a);
    const kioskOnA = track(await openSocket(a.url, kiosk.token));
    const boardOnB = track(await openSocket(b.url, manager.token));
    const snapshot = await boardOnB.emitWithAck('board:join', { team_id: team.team_id });
    if (!snapshot.ok) throw new Error('join failed');
    const seen = collect(boardOnB, 'attendance:changed');
    const first = nextEvent(boardOnB, 'attendance:changed');
    expect((await kioskOnA.emitWithAck('attendance:check', { badge_id: alice.badge_id!, client_event_id: `a-${uid()}` })).ok).toBe(true);
    expect((await first).employee.employee_id).toBe(alice.employee_id);

    const kioskOnB = track(await openSocket(b.url, kiosk.token));
    const boardOnA = track(await openSocket(a.url, manager.token));
    await boardOnA.emitWithAck('board:join', { team_id: team.team_id });
    const onA = nextEvent(boardOnA, 'attendance:changed');
    expect((await kioskOnB.emitWithAck('attendance:check', { badge_id: bob.badge_id!, client_event_id: `b-${uid()}` })).ok).toBe(true);
    expect((await onA).employee.employee_id).toBe(bob.employee_id);

    await sleep(300);
    // Exactly once each, numbered one after the other whichever instance made the change.
    expect(seen.map((e) => e.employee.employee_id)).toEqual([alice.employee_id, bob.employee_id]);
    expect(seen.map((e) => e.seq)).toEqual([snapshot.seq + 1, snapshot.seq + 2]);
  });

  it('when two teams are punched in a burst on both instances, then each board on either instance gets every change of its team once, numbered without a gap', async () => {
    const { admin, kiosk } = await orgWithKiosk(a);
    const teams = await Promise.all([hub.makeTeam(), hub.makeTeam()]);
    const people = await Promise.all(Array.from({ length: 24 }, (_, i) => hub.makeEmployee({ team_id: teams[i % 2].team_id })));
    const boards = [track(await openSocket(a.url, admin.token)), track(await openSocket(b.url, admin.token))];
    const seen = new Map<string, { employee_id: number; seq: number }[]>();
    const start = new Map<string, number>();
    for (const [i, board] of boards.entries()) {
      for (const team of teams) {
        const snapshot = await board.emitWithAck('board:join', { team_id: team.team_id });
        if (!snapshot.ok) throw new Error('join failed');
        start.set(`${i}:${team.team_id}`, snapshot.seq);
        seen.set(`${i}:${team.team_id}`, []);
      }
      board.on('attendance:changed', (e) => seen.get(`${i}:${e.team_id}`)?.push({ employee_id: e.employee.employee_id, seq: e.seq }));
    }
    const kiosks = [track(await openSocket(a.url, kiosk.token)), track(await openSocket(b.url, kiosk.token))];
    const acks = await Promise.all(people.map((p, i) => kiosks[i % 2].emitWithAck('attendance:check', { badge_id: p.badge_id!, client_event_id: `burst-${uid()}` })));
    expect(acks.every((x) => x.ok && !x.duplicate)).toBe(true);
    await sleep(500);
    for (const [i] of boards.entries()) {
      for (const team of teams) {
        const events = seen.get(`${i}:${team.team_id}`)!;
        const members = people.filter((p) => p.team_id === team.team_id).map((p) => p.employee_id);
        expect(events.map((e) => e.employee_id).sort((x, y) => x - y)).toEqual(members.sort((x, y) => x - y));
        const first = start.get(`${i}:${team.team_id}`)!;
        expect(events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(members.map((_, k) => first + 1 + k));
      }
    }
  });

  it('when the same client_event_id reaches both instances at once, then one punch row and one answer', async () => {
    const { alice, kiosk } = await orgWithKiosk(a);
    const onA = track(await openSocket(a.url, kiosk.token));
    const onB = track(await openSocket(b.url, kiosk.token));
    const payload = { badge_id: alice.badge_id!, client_event_id: `twice-${uid()}` };
    const acks = await Promise.all([onA, onB, onA, onB].map((s) => s.emitWithAck('attendance:check', payload)));
    expect(acks.every((x) => x.ok)).toBe(true);
    expect(acks.filter((x) => x.ok && !x.duplicate)).toHaveLength(1);
    expect(new Set(acks.map((x) => (x.ok ? x.record.record_id : 0))).size).toBe(1);
    const rows = await hub.rows('select 1 from punches where client_event_id = ?', [payload.client_event_id]);
    expect(rows).toHaveLength(1);
  });

  it('when a kiosk is revoked on instance A, then its socket on instance B is disconnected at once', async () => {
    const { admin, kiosk } = await orgWithKiosk(a);
    const onB = await openSocket(b.url, kiosk.token);
    const listed = await http(a.url, 'GET', '/kiosks/?limit=1000', { token: admin.token });
    expect(listed.body.find((k: { kiosk_id: number }) => k.kiosk_id === kiosk.kiosk_id).online).toBe(true);
    const ended = nextEvent(onB, 'session:ended', 8000);
    const gone = nextEvent(onB, 'disconnect', 8000);
    expect((await http(a.url, 'DELETE', `/kiosks/${kiosk.kiosk_id}`, { token: admin.token })).status).toBe(204);
    expect(await ended).toEqual({ reason: 'revoked' });
    expect(await gone).toBe('io server disconnect');
    onB.close();
  });

  it('when a record is edited over REST on instance B, then a board on instance A receives "updated"', async () => {
    const { team, manager, alice, admin } = await orgWithKiosk(a);
    const created = await http(b.url, 'POST', '/attendance/', {
      token: admin.token,
      json: { employee_id: alice.employee_id, attendance_date: '2026-02-03', status: 'Present' },
    });
    const boardOnA = track(await openSocket(a.url, manager.token));
    await boardOnA.emitWithAck('board:join', { team_id: team.team_id });
    const changed = nextEvent(boardOnA, 'attendance:changed');
    await http(b.url, 'PUT', `/attendance/${created.body.record_id}`, { token: admin.token, json: { status: 'Half Day' } });
    expect(await changed).toMatchObject({ action: 'updated', record: { record_id: created.body.record_id, status: 'Half Day' } });
  });

  it('when both instances are asked if they are ready, then the database and Redis are both ok', async () => {
    for (const instance of [a, b]) {
      const res = await http(instance.url, 'GET', '/readyz');
      expect(res).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', redis: 'ok' } } });
    }
  });

  it('when wrong passwords go to both instances in turn, then they share one budget: the sixth attempt is 429 on either', async () => {
    const me = await hub.makeEmployee();
    const signIn = (on: HubProcess, password: string) =>
      fetch(`${on.url}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: me.email, password }) }).then((r) => r.status);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await signIn(i % 2 ? b : a, `Wrong-Guess-${i}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(await signIn(b, 'Wrong-Guess-5')).toBe(429);
    expect(await signIn(a, 'Wrong-Guess-6')).toBe(429);
  });

  it('when tokens are revoked on instance A, then B refuses them at once and the person’s socket on B is closed', async () => {
    const { alice } = await orgWithKiosk(a);
    const onB = track(await openSocket(b.url, alice.token));
    const ended = nextEvent(onB, 'session:ended', 8000);
    expect((await http(a.url, 'POST', '/token/revoke', { token: alice.token })).status).toBe(200);
    expect(await ended).toEqual({ reason: 'revoked' });
    expect((await http(b.url, 'GET', '/attendance/', { token: alice.token })).status).toBe(401);
  });

  it('when one token opens sockets on both instances, then they count together: past SOCKET_MAX_PER_USER the oldest (on the other instance) is closed', async () => {
    const { manager } = await orgWithKiosk(a);
    const first = track(await openSocket(a.url, manager.token));
    const ended = nextEvent(first, 'session:ended', 5000);
    for (let i = 1; i <= 20; i++) track(await openSocket(i % 2 ? b.url : a.url, manager.token));
    expect(await ended).toEqual({ reason: 'too_many_connections' });
  });
});
