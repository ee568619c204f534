// `npm start` with API_PROCESSES=2 on PostgreSQL: one port, two API processes behind a primary (src/primary.ts),
// without Redis (the primary keeps what they share) and with Redis (they share it as separate instances do).
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, dbUrl, spawnHub, type HubChild } from '../harness/index.ts';
import { testDatabaseUrl } from './env.ts';
import { collect, http, nextEvent, openSocket, sleep, waitFor, type Client } from './socket-utils.ts';
import { createTestHub, TEST_PASSWORD, TEST_SECRET, uid, type TestHub } from './utils.ts';

const sockets: Client[] = [];
const track = (s: Client) => (sockets.push(s), s);
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** A request on a connection of its own (the primary hands out connections, not requests). */
function fresh(url: string, method: string, path: string, body?: string, headers: Record<string, string> = {}, agent?: Agent) {
  return new Promise<{ status: number; json: any; location?: string }>((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { method, agent: agent ?? false, headers: agent ? headers : { connection: 'close', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : text, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Which process answers each of `n` connections. */
async function answering(url: string, n: number) {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await fresh(url, 'GET', '/healthz')).json.process);
  return seen;
}

/** The pids of the API processes, from their "API process ready" lines (restarts included). */
const readyPids = (hub: HubChild) =>
  hub.logs.flatMap((line) => {
    const entry = line.startsWith('{') ? JSON.parse(line) : null;
    return entry?.msg === 'API process ready' ? [{ process: entry.process as number, pid: entry.pid as number }] : [];
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('API_PROCESSES=2 on PostgreSQL without Redis', () => {
  let hub: HubChild;
  let db: TestHub;
  let name: string;

  beforeAll(async () => {
    // A database nobody migrated: the primary migrates it, once, before any process serves.
    name = `${new URL(testDatabaseUrl).pathname.slice(1)}_processes_${uid()}`;
    await adminQuery(dbUrl(new URL(testDatabaseUrl), 'postgres'), `create database "${name}"`);
    const url = dbUrl(new URL(testDatabaseUrl), name);
    hub = await spawnHub({
      DATABASE_URL: url,
      API_PROCESSES: '2',
      SECRET_KEY: TEST_SECRET,
      DATA_DIR: '/tmp/checkin-hub-test',
      ADMIN_PASSWORD: 'admin-pass-123456',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_WINDOW_SECONDS: '60',
    }, 120_000);
    db = await createTestHub({ DATABASE_URL: url });
  }, 180_000);
  afterAll(async () => {
    await hub?.stop();
    await db?.close();
    if (name) await adminQuery(dbUrl(new URL(testDatabaseUrl), 'postgres'), `drop database if exists "${name}" with (force)`);
  });

  it('when it starts on an empty database, then migrations and the first admin happen once, and both processes answer on the one port', async () => {
    expect(hub.logs.filter((l) => l.includes('"msg":"migrations applied"'))).toHaveLength(1);
    expect(hub.logs.filter((l) => l.includes('"msg":"admin account ready"'))).toHaveLength(1);
    expect(new Set(readyPids(hub).map((p) => p.process))).toEqual(new Set([0, 1]));
    expect(new Set(await answering(hub.url, 6))).toEqual(new Set([0, 1]));
    expect((await fresh(hub.url, 'GET', '/readyz')).json).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('when the recurring schedules start, then they run in one process only', async () => {
    // At start the schedules queue one recompute of every summary (src/main.ts): one process does it, not two.
    await waitFor('a summaries job', () => hub.logs.some((l) => l.includes('"msg":"job done"') && l.includes('"job":"summaries:recompute"')), 15_000);
    await sleep(2500);
    const runs = hub.logs.filter((l) => l.includes('"msg":"job done"') && l.includes('"job":"summaries:recompute"'));
    expect(new Set(runs.map((l) => JSON.parse(l).process))).toEqual(new Set([0]));
  });

  it('when kiosks punch on both processes, then every board on either process gets each change of its team once, numbered without a gap', async () => {
    const org = await db.makeOrg();
    const people = await Promise.all(Array.from({ length: 10 }, () => db.makeEmployee({ team_id: org.team.team_id })));
    const kiosk = (await http(hub.url, 'POST', '/kiosks/', { token: org.admin.token, json: { name: `Door ${uid()}` } })).body as { token: string };
    // Each socket is a connection of its own: in turn, they land on both processes.
    const boards = await Promise.all(Array.from({ length: 4 }, async () => track(await openSocket(hub.url, org.manager.token))));
    const seen = boards.map((board) => collect(board, 'attendance:changed'));
    const starts: number[] = [];
    for (const board of boards) {
      const snapshot = await board.emitWithAck('board:join', { team_id: org.team.team_id });
      if (!snapshot.ok) throw new Error('join failed');
      starts.push(snapshot.seq);
    }
    expect(new Set(starts).size).toBe(1);
    const kiosks = await Promise.all(Array.from({ length: 4 }, async () => track(await openSocket(hub.url, kiosk.token))));
    const acks = await Promise.all(people.map((p, i) => kiosks[i % 4]!.emitWithAck('attendance:check', { badge_id: p.badge_id!, client_event_id: `cl-${uid()}` })));
    expect(acks.every((a) => a.ok && !a.duplicate)).toBe(true);
    await waitFor('every change on every board', () => seen.every((events) => events.length >= people.length), 10_000);
    await sleep(300);
    for (const events of seen) {
      expect(events.map((e) => e.employee.employee_id).sort((x, y) => x - y)).toEqual(people.map((p) => p.employee_id).sort((x, y) => x - y));
      expect(events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(people.map((_, k) => starts[0]! + 1 + k));
    }
    // The sockets were on both processes.
    const online = await Promise.all([0, 1, 2, 3].map(() => fresh(hub.url, 'GET', '/healthz')));
    expect(new Set(online.map((r) => r.json.process))).toEqual(new Set([0, 1]));
    // Whichever process is scraped, /metrics counts every process's punches and sockets.
    const scrapes = await Promise.all([0, 1, 2, 3].map(() => fresh(hub.url, 'GET', '/metrics', undefined, { authorization: `Bearer ${org.admin.token}` })));
    const sum = (text: string, metric: string) =>
      text.split('\n').filter((l) => l.startsWith(`${metric}{`)).reduce((total, l) => total + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    for (const scrape of scrapes) {
      expect(scrape.status).toBe(200);
      expect(sum(String(scrape.json), 'checkin_punches_total')).toBe(sum(String(scrapes[0]!.json), 'checkin_punches_total'));
      expect(sum(String(scrape.json), 'checkin_punches_total')).toBeGreaterThanOrEqual(people.length);
      expect(sum(String(scrape.json), 'checkin_sockets_connected')).toBeGreaterThanOrEqual(boards.length + kiosks.length);
    }
  });

  it('when a client can only poll, then it stays on its process: it connects, punches and hears its board', async () => {
    expect(new Set(await answering(hub.url, 2))).toEqual(new Set([0, 1]));
    const org = await db.makeOrg();
    const kiosk = (await http(hub.url, 'POST', '/kiosks/', { token: org.admin.token, json: { name: `Door ${uid()}` } })).body as { token: string };
    const board = track(await openSocket(hub.url, org.manager.token, { transports: ['polling'] }));
    const door = track(await openSocket(hub.url, kiosk.token, { transports: ['polling'] }));
    const snapshot = await board.emitWithAck('board:join', { team_id: org.team.team_id });
    expect(snapshot.ok).toBe(true);
    const dropped = collect(board, 'disconnect');
    for (const person of [org.alice, org.bob]) {
      const change = nextEvent(board, 'attendance:changed', 8000);
      const ack = await door.emitWithAck('attendance:check', { badge_id: person.badge_id!, client_event_id: `poll-${uid()}` });
      expect(ack.ok).toBe(true);
      expect((await change).employee.employee_id).toBe(person.employee_id);
      await sleep(1500); // several long polls, each on a new connection routed to the session's process
    }
    expect(dropped).toEqual([]);
    expect(board.connected && door.connected).toBe(true);
  });

  it('when a keep-alive connection that served other requests is reused for a poll of a session held by the other process, then the poll is sent again on a new connection, which reaches it', async () => {
    const org = await db.makeOrg();
    // An Engine.IO session, opened on a connection of its own: it lives on one of the two processes.
    const handshake = await fresh(hub.url, 'GET', '/socket.io/?EIO=4&transport=polling');
    const sid = JSON.parse(String(handshake.json).slice(1)).sid as string;
    const poll = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    // One keep-alive connection on each process (a client's pool after some REST calls).
    const pinned = new Map<number, Agent>();
    for (let i = 0; i < 12 && pinned.size < 2; i++) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const at = (await fresh(hub.url, 'GET', '/healthz', undefined, {}, agent)).json.process as number;
      if (pinned.has(at)) agent.destroy();
      else pinned.set(at, agent);
    }
    expect([...pinned.keys()].sort()).toEqual([0, 1]);
    const statuses: number[] = [];
    for (const agent of pinned.values()) {
      // The Socket.IO connect packet from one, a pong from the other: each answered "ok" by the session's process.
      const body = statuses.length === 0 ? `40${JSON.stringify({ token: org.admin.token })}` : '3';
      const first = await fresh(hub.url, 'POST', poll, body, { 'content-type': 'text/plain;charset=UTF-8' }, agent);
      statuses.push(first.status);
      const answer = first.status === 307 ? await fresh(hub.url, 'POST', first.location!, body, { 'content-type': 'text/plain;charset=UTF-8' }) : first;
      expect(answer).toMatchObject({ status: 200, json: 'ok' });
      agent.destroy();
    }
    expect(statuses.sort()).toEqual([200, 307]);
  });

  it('when sign-ins fail on both processes, then they count against one budget', async () => {
    const me = await db.makeEmployee();
    const form = (password: string) => new URLSearchParams({ username: me.email, password }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    // LOGIN_MAX_FAILURES=3: three failures, on connections spread over the processes, lock the account.
    expect(new Set(await answering(hub.url, 2))).toEqual(new Set([0, 1]));
    for (let i = 0; i < 3; i++) expect((await fresh(hub.url, 'POST', '/token', form(`Wrong-${i}-password`), headers)).status).toBe(401);
    const after = await Promise.all([0, 1].map(() => fresh(hub.url, 'POST', '/token', form(TEST_PASSWORD), headers)));
    expect(after.map((r) => r.status)).toEqual([429, 429]);
  });

  it('when an assistant conversation continues on another connection, then the other process continues it', async () => {
    const org = await db.makeOrg();
    const ask = (message: string, conversation_id?: string) =>
      fresh(hub.url, 'POST', '/chat/', JSON.stringify({ message, ...(conversation_id ? { conversation_id } : {}) }), {
        'content-type': 'application/json',
        authorization: `Bearer ${org.admin.token}`,
      });
    expect(new Set(await answering(hub.url, 2))).toEqual(new Set([0, 1]));
    const first = await ask(`Who was late last week in ${org.team.team_name}?`);
    expect(first.status).toBe(200);
    expect(first.json.scope.team).toEqual({ team_id: org.team.team_id, team_name: org.team.team_name });
    // "and this week?" names no team: only the remembered turn gives it one, on whichever process answers.
    const followUps = await Promise.all([0, 1].map(() => ask('and this week?', first.json.conversation_id)));
    for (const reply of followUps) {
      expect(reply.status).toBe(200);
      expect(reply.json.scope.team).toEqual({ team_id: org.team.team_id, team_name: org.team.team_name });
    }
  });

  it('when an API process is killed, then it is started again and the hub keeps answering', async () => {
    const before = readyPids(hub);
    const victim = before.find((p) => p.process === 1)!;
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('the process started again', () => readyPids(hub).filter((p) => p.process === 1).length > before.filter((p) => p.process === 1).length, 20_000);
    expect(alive(victim.pid)).toBe(false);
    expect(new Set(await answering(hub.url, 6))).toEqual(new Set([0, 1]));
  });

  it('when the primary gets SIGTERM during a burst of punches, then every process drains: each acknowledged punch is stored and all exit cleanly', async () => {
    const org = await db.makeOrg();
    const people = await Promise.all(Array.from({ length: 20 }, () => db.makeEmployee({ team_id: org.team.team_id })));
    const kiosk = (await http(hub.url, 'POST', '/kiosks/', { token: org.admin.token, json: { name: `Door ${uid()}` } })).body as { token: string };
    expect(new Set(await answering(hub.url, 2))).toEqual(new Set([0, 1]));
    const kiosks = await Promise.all(Array.from({ length: 4 }, async () => track(await openSocket(hub.url, kiosk.token))));
    const pids = [...new Map(readyPids(hub).map((p) => [p.process, p.pid])).values()];
    const run = `drain-${uid()}`;
    const ids = people.map((_, i) => `${run}-${i}`);
    const acks = people.map((p, i) => kiosks[i % 4]!.timeout(10_000).emitWithAck('attendance:check', { badge_id: p.badge_id!, client_event_id: ids[i] }).catch(() => null));
    // The first answers are in, the rest on their way: then SIGTERM.
    await acks[0];
    const stopped = hub.stop();
    const settled = await Promise.all(acks);
    expect(await stopped).toBe(0);
    expect(pids.every((pid) => !alive(pid))).toBe(true);
    const acked = ids.filter((_, i) => settled[i]?.ok);
    expect(acked.length).toBeGreaterThan(0);
    const stored = (await db.rows<{ client_event_id: string }>(`select client_event_id from punches where client_event_id like ?`, [`${run}-%`])).map((r) => r.client_event_id);
    for (const id of acked) expect(stored).toContain(id);
    expect(new Set(stored).size).toBe(stored.length);
  });
});

describe('API_PROCESSES=2 on PostgreSQL with Redis', () => {
  let hub: HubChild;
  let db: TestHub;

  beforeAll(async () => {
    db = await createTestHub();
    hub = await spawnHub({
      DATABASE_URL: testDatabaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: `test:${uid()}:`,
      API_PROCESSES: '2',
      SECRET_KEY: TEST_SECRET,
      MIGRATE_ON_START: 'false',
      DATA_DIR: '/tmp/checkin-hub-test',
      JOB_SCHEDULES: 'false',
    }, 120_000);
  }, 180_000);
  afterAll(async () => {
    await hub?.stop();
    await db?.close();
  });

  it('when kiosks punch on both processes, then boards on both get every change once, in order', async () => {
    const org = await db.makeOrg();
    const kiosk = (await http(hub.url, 'POST', '/kiosks/', { token: org.admin.token, json: { name: `Door ${uid()}` } })).body as { token: string };
    expect(new Set(await answering(hub.url, 4))).toEqual(new Set([0, 1]));
    const boards = await Promise.all([0, 1].map(async () => track(await openSocket(hub.url, org.manager.token))));
    const seen = boards.map((board) => collect(board, 'attendance:changed'));
    const snapshots = await Promise.all(
      boards.map(async (board) => {
        const snapshot = await board.emitWithAck('board:join', { team_id: org.team.team_id });
        if (!snapshot.ok) throw new Error('join failed');
        return snapshot;
      }),
    );
    const kiosks = await Promise.all([0, 1].map(async () => track(await openSocket(hub.url, kiosk.token))));
    for (const [i, person] of [org.alice, org.bob].entries()) {
      expect((await kiosks[i]!.emitWithAck('attendance:check', { badge_id: person.badge_id!, client_event_id: `r-${uid()}` })).ok).toBe(true);
    }
    await waitFor('both changes on both boards', () => seen.every((events) => events.length >= 2), 8000);
    for (const [i, events] of seen.entries()) {
      expect(events.map((e) => e.employee.employee_id)).toEqual([org.alice.employee_id, org.bob.employee_id]);
      expect(events.map((e) => e.seq)).toEqual([snapshots[i]!.seq + 1, snapshots[i]!.seq + 2]);
    }
  });
});
