import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, openSocket, startServer } from './socket-utils.ts';
import { createTestHub, uid, type TestHub } from './utils.ts';

let hub: TestHub;
let server: Awaited<ReturnType<typeof startServer>>;
const METRICS_TOKEN = 'scraper-token-0123456789abcdef';

beforeAll(async () => {
  hub = await createTestHub();
  server = await startServer({ METRICS_TOKEN });
});
afterAll(async () => {
  await server.stop('test');
  await hub.close();
});

async function scrape(token?: string) {
  const res = await fetch(`${server.url}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one sample line, e.g. `checkin_punches_total{source="kiosk",outcome="ok"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `) ? want.every((w) => l.includes(w)) : false);
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('GET /metrics', () => {
  it('when nobody, an employee, or a wrong token asks, then 401/403; an admin or the scraper token gets the Prometheus text', async () => {
    const { admin, alice } = await hub.makeOrg();
    expect((await scrape()).status).toBe(401);
    expect((await scrape('not-the-token')).status).toBe(401);
    expect((await scrape(alice.token)).status).toBe(403);
    const byAdmin = await scrape(admin.token);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.type).toContain('text/plain');
    const byScraper = await scrape(METRICS_TOKEN);
    expect(byScraper.status).toBe(200);
    for (const name of ['checkin_http_request_duration_seconds_bucket', 'checkin_sockets_connected', 'checkin_nodejs_eventloop_lag_seconds', 'checkin_queue_jobs']) {
      expect(byScraper.text).toContain(name);
    }
  });

  it('when a kiosk punches over the socket, then punches, ack latency, batch size, sockets and HTTP routes are counted', async () => {
    const { admin, alice } = await hub.makeOrg();
    const kiosk = await http(server.url, 'POST', '/kiosks/', { token: admin.token, json: { name: `Door ${uid()}` } });
    const before = (await scrape(METRICS_TOKEN)).text;
    const socket = await openSocket(server.url, kiosk.body.token);
    const during = (await scrape(METRICS_TOKEN)).text;
    expect(sample(during, 'checkin_sockets_connected', { kind: 'kiosk' })).toBe(sample(before, 'checkin_sockets_connected', { kind: 'kiosk' }) + 1);
    const ack = await socket.emitWithAck('attendance:check', { badge_id: alice.badge_id!, client_event_id: `m-${uid()}` });
    expect(ack.ok).toBe(true);
    await socket.emitWithAck('attendance:check', { badge_id: 'no-such-badge', client_event_id: `m-${uid()}` });
    socket.close();
    const after = (await scrape(METRICS_TOKEN)).text;
    expect(sample(after, 'checkin_punches_total', { source: 'kiosk', outcome: 'ok' })).toBe(sample(before, 'checkin_punches_total', { source: 'kiosk', outcome: 'ok' }) + 1);
    expect(sample(after, 'checkin_punches_total', { source: 'kiosk', outcome: 'rejected' })).toBe(sample(before, 'checkin_punches_total', { source: 'kiosk', outcome: 'rejected' }) + 1);
    expect(sample(after, 'checkin_punch_ack_seconds_count')).toBe(sample(before, 'checkin_punch_ack_seconds_count') + 2);
    expect(sample(after, 'checkin_punch_batch_size_count')).toBeGreaterThan(sample(before, 'checkin_punch_batch_size_count'));
    expect(sample(after, 'checkin_http_request_duration_seconds_count', { method: 'POST', route: '/kiosks', status: '201' })).toBeGreaterThan(0);
  });
});
