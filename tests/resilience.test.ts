// Start-up and outages of PostgreSQL and Redis (through TCP proxies the test switches off and on), and graceful
// shutdown with work in flight.
import { createServer, connect, type Server, type Socket as NetSocket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './env.ts';
import { spawnHub, type HubChild as HubProcess } from '../harness/index.ts';
import { http, openSocket, sleep, waitFor } from './socket-utils.ts';
import { createTestHub, TEST_SECRET, uid, type TestHub } from './utils.ts';

/** A TCP proxy on `port` to a real service, which can refuse connections (down) and cut the open ones. */
function proxy(targetPort: number, port: number) {
  let server: Server | null = null;
  const open = new Set<NetSocket>();
  const self = {
    port,
    async up() {
      server = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        open.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
    },
    async down() {
      for (const s of open) s.destroy();
      open.clear();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = null;
    },
  };
  return self;
}

/** Reserves a free port number for a proxy that starts down. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}


let hub: TestHub;
const children: HubProcess[] = [];
const proxies: ReturnType<typeof proxy>[] = [];

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  for (const p of proxies) await p.down();
  await hub?.close();
});

function urlThrough(port: number) {
  const url = new URL(testDatabaseUrl);
  url.port = String(port);
  url.hostname = '127.0.0.1';
  return url.toString();
}

describe('the database and Redis come and go', () => {
  it('when the hub starts with PostgreSQL and Redis down, then it serves /healthz, says not ready, answers 503, and becomes ready by itself when they return', async () => {
    hub = await createTestHub();
    // Both start down: the proxies' ports are reserved but nothing listens yet.
    const pg = proxy(5432, await freePort());
    const redis = proxy(6379, await freePort());
    proxies.push(pg, redis);
    const pgPort = pg.port;
    const redisPort = redis.port;
    const startedAt = Date.now();
    const api = await spawnHub({
      DATABASE_URL: urlThrough(pgPort),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_PREFIX: `test:${uid()}:`,
      SECRET_KEY: TEST_SECRET,
      MIGRATE_ON_START: 'false',
      JOB_SCHEDULES: 'false',
      DATA_DIR: '/tmp/checkin-hub-test',
    });
    children.push(api);
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    expect((await http(api.url, 'GET', '/healthz')).status).toBe(200);
    const notReady = await http(api.url, 'GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks).toMatchObject({ database: 'unavailable', redis: 'unavailable' });
    const { admin } = await hub.makeOrg();
    const t0 = Date.now();
    const during = await http(api.url, 'GET', '/teams/', { token: admin.token });
    expect(during.status).toBe(503);
    expect(during.body.code).toBe('database_unavailable');
    expect(Date.now() - t0).toBeLessThan(8_000);

    // They come back on the same ports.
    await pg.up();
    await redis.up();
    await waitFor('ready', async () => (await http(api.url, 'GET', '/readyz')).status === 200, 40_000, 250);
    expect((await http(api.url, 'GET', '/teams/', { token: admin.token })).status).toBe(200);

    // A short outage once running: a clear 503, not a hang, and then it works again.
    await pg.down();
    const t1 = Date.now();
    const outage = await http(api.url, 'GET', '/teams/', { token: admin.token });
    expect(outage.status).toBe(503);
    expect(Date.now() - t1).toBeLessThan(8_000);
    expect((await http(api.url, 'GET', '/readyz')).status).toBe(503);
    await pg.up();
    await waitFor('the database again', async () => (await http(api.url, 'GET', '/teams/', { token: admin.token })).status === 200, 40_000, 250);
    expect(await api.stop()).toBe(0);
  }, 120_000);
});

describe('graceful shutdown', () => {
  it('when the API gets SIGTERM with punches in flight, then every punch is acknowledged and stored before it exits 0', async () => {
    hub ??= await createTestHub();
    const api = await spawnHub({
      DATABASE_URL: testDatabaseUrl,
      SECRET_KEY: TEST_SECRET,
      MIGRATE_ON_START: 'false',
      JOB_SCHEDULES: 'false',
      DATA_DIR: '/tmp/checkin-hub-test',
      KIOSK_PUNCHES_PER_SECOND: '1000',
      KIOSK_PUNCH_BURST: '1000',
    });
    children.push(api);
    const team = await hub.makeTeam();
    const people = await Promise.all(Array.from({ length: 40 }, () => hub.makeEmployee({ team_id: team.team_id })));
    const { admin } = await hub.makeOrg();
    const kiosk = await http(api.url, 'POST', '/kiosks/', { token: admin.token, json: { name: `Door ${uid()}` } });
    const socket = await openSocket(api.url, kiosk.body.token);
    const keys = people.map(() => `shutdown-${uid()}`);
    const acks = people.map((p, i) => socket.timeout(10_000).emitWithAck('attendance:check', { badge_id: p.badge_id!, client_event_id: keys[i] }));
    await sleep(5);
    const exited = api.stop();
    const answers = await Promise.allSettled(acks);
    const acked = answers.filter((a) => a.status === 'fulfilled' && a.value.ok).length;
    expect(await exited).toBe(0);
    const stored = await hub.rows<{ client_event_id: string }>(
      `select client_event_id from punches where client_event_id in (${keys.map(() => '?').join(',')})`,
      keys,
    );
    // Everything acknowledged is stored; nothing is stored twice.
    expect(stored.length).toBeGreaterThanOrEqual(acked);
    expect(new Set(stored.map((r) => r.client_event_id)).size).toBe(stored.length);
    expect(acked).toBe(people.length);
    socket.close();
  }, 60_000);
});
