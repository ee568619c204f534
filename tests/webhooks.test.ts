// Webhooks with real receivers (node:http on loopback, so WEBHOOK_ALLOW_PRIVATE=true on the servers that deliver):
// endpoints registered with a secret shown once, unsafe URLs refused, every event delivered signed as the Standard
// Webhooks specification says (checked with the `standardwebhooks` package), retries with the same webhook-id,
// redirects not followed, endpoints disabled after the retry window, redelivery, and deliveries that survive a worker
// SIGKILLed while the receiver is down.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnHub, spawnWorker, type HubChild, type WorkerChild } from '../harness/index.ts';
import { createRedis } from '../src/infra/redis.ts';
import { isNonPublicAddress } from '../src/modules/webhooks/url-safety.ts';
import { testDatabaseUrl } from './env.ts';
import { http, sleep, waitFor, withHubAndServer, type TestServer } from './socket-utils.ts';
import { createSoloDatabase, createTestHub, TEST_SECRET, uid, type TestHub } from './utils.ts';

type Received = { path: string; method: string; headers: IncomingHttpHeaders; body: string; json: any };

/** A webhook receiver on 127.0.0.1: keeps every request; `answer` decides each status (200 unless it says otherwise). */
async function startReceiver(answer: (req: Received, nth: number) => { status: number; headers?: Record<string, string> } | Promise<{ status: number; headers?: Record<string, string> }> = () => ({ status: 200 }), port = 0) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = body ? JSON.parse(body) : null;
      } catch {
        json = null;
      }
      const entry = { path: req.url ?? '/', method: req.method ?? '', headers: req.headers, body, json };
      received.push(entry);
      const { status, headers } = await answer(entry, received.length);
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    received,
    url: `http://127.0.0.1:${address.port}/hooks`,
    port: address.port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Verifies a received request with the receiver-side library, as an integration would; returns its parsed body. */
const verified = (secret: string, r: Received) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; timestamp: string; data: any };

const receivers: { close(): Promise<void> }[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
  for (const r of receivers.splice(0)) await r.close();
});

describe('webhook endpoints, delivered by the in-process queue', () => {
  let hub: TestHub;
  let server: TestServer;
  // A 7.2 s retry window: the first retry after 1 s, then 2 s, 4 s, and a last attempt at the window's end.
  withHubAndServer(
    { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1', WEBHOOK_TIMEOUT_SECONDS: '2', WEBHOOK_RETRY_HOURS: '0.002', SUMMARY_DEBOUNCE_MS: '200' },
    (h, s) => ((hub = h), (server = s)),
    // Endpoints get every event of the organisation: on the shared database, other test files' punches and people
    // would reach these receivers too.
    { soloDatabase: 'webhooks' },
  );

  async function register(adminToken: string, url: string, events: string[]) {
    const res = await http(server.url, 'POST', '/webhooks/', { token: adminToken, json: { url, events, description: 'test receiver' } });
    expect(res.status).toBe(201);
    // Later tests' events must not reach an earlier test's receiver (gone by then): each endpoint goes with its test.
    cleanups.push(() => http(server.url, 'DELETE', `/webhooks/${res.body.webhook_id}`, { token: adminToken }));
    return res.body as { webhook_id: number; secret: string; url: string; events: string[] };
  }

  const deliveriesOf = async (adminToken: string, webhookId: number) => {
    const res = await http(server.url, 'GET', `/webhooks/${webhookId}/deliveries`, { token: adminToken });
    expect(res.status).toBe(200);
    return res.body as any[];
  };

  it('when an admin registers an endpoint, then its secret (whsec_, base64 of 32 bytes) is shown once: never listed, never read back, stored encrypted', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const receiver = await startReceiver();
    receivers.push(receiver);
    const made = await register(admin.token, receiver.url, ['punch.created', 'attendance.changed', 'punch.created']);
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(made.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(made).toMatchObject({ url: receiver.url, events: ['punch.created', 'attendance.changed'], active: true, disabled_reason: null, created_by: admin.employee_id });

    const one = await http(server.url, 'GET', `/webhooks/${made.webhook_id}`, { token: admin.token });
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    const list = await http(server.url, 'GET', '/webhooks/?limit=1000', { token: admin.token });
    expect(list.body.find((w: any) => w.webhook_id === made.webhook_id)).toEqual(one.body);
    expect(JSON.stringify(list.body)).not.toContain(made.secret);
    const [stored] = await hub.rows<{ secret: string }>('select secret from webhooks where webhook_id = ?', [made.webhook_id]);
    expect(stored.secret).not.toContain(made.secret.slice(6, 20));
    expect(stored.secret).toMatch(/^v1\./);

    const changed = await http(server.url, 'PUT', `/webhooks/${made.webhook_id}`, { token: admin.token, json: { events: ['employee.changed'], description: null } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ events: ['employee.changed'], description: null });
    expect(changed.body).not.toHaveProperty('secret');
  });

  it('when a URL is not https/http to a public address, then registration is refused with 422 on url (unless WEBHOOK_ALLOW_PRIVATE)', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    // `hub` runs with the defaults: private addresses refused.
    for (const url of [
      'http://127.0.0.1:8080/hooks', 'file:///etc/passwd', 'http://10.1.2.3/hooks', 'https://192.168.1.20/x', 'http://172.20.0.5/x', 'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://[fd00::1]/x', 'http://0.0.0.0/x', 'https://localhost/x', 'ftp://203.0.113.10/x', 'not a url',
    ]) {
      const res = await hub.request('POST', '/webhooks/', { token: admin.token, json: { url, events: ['punch.created'] } });
      expect(res.status, url).toBe(422);
      expect(res.body.detail[0].loc, url).toEqual(['body', 'url']);
    }
    const refused = await hub.request('POST', '/webhooks/', { token: admin.token, json: { url: 'http://127.0.0.1:8080/hooks', events: ['punch.created'] } });
    expect(refused.body.detail[0].msg).toMatch(/private, loopback or link-local/);
    const bad = await hub.request('POST', '/webhooks/', { token: admin.token, json: { url: 'https://203.0.113.10/x', events: ['punch.made'] } });
    expect(bad.status).toBe(422);
    const ok = await hub.request('POST', '/webhooks/', { token: admin.token, json: { url: 'https://203.0.113.10/x', events: ['day.closed'] } });
    expect(ok.status).toBe(201);
    expect((await hub.request('DELETE', `/webhooks/${ok.body.webhook_id}`, { token: admin.token })).status).toBe(204);
    const changed = await hub.request('PUT', `/webhooks/${ok.body.webhook_id}`, { token: admin.token, json: { url: 'http://10.0.0.1/' } });
    expect(changed.status).toBe(422);
  });

  it('when addresses are judged, then private, loopback, link-local, unspecified and mapped forms are not public', () => {
    for (const ip of ['10.0.0.1', '172.31.255.255', '192.168.0.1', '100.64.0.1', '127.0.0.1', '169.254.169.254', '0.0.0.0', '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:10.0.0.1', '::ffff:7f00:1', '64:ff9b::a00:1', '224.0.0.1', '255.255.255.255']) {
      expect(isNonPublicAddress(ip), ip).toBe(true);
    }
    for (const ip of ['203.0.113.10', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isNonPublicAddress(ip), ip).toBe(false);
  });

  it('when an employee checks in, then the endpoint receives punch.created and attendance.changed, each verified with standardwebhooks, and the deliveries show one 2xx attempt', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const team = await hub.makeTeam({ working_weekdays: [1, 2, 3, 4, 5, 6, 7] });
    const person = await hub.makeEmployee({ team_id: team.team_id });
    const receiver = await startReceiver();
    receivers.push(receiver);
    const made = await register(admin.token, receiver.url, ['punch.created', 'attendance.changed']);

    const punch = await http(server.url, 'POST', '/attendance/check-in', { token: admin.token, json: { employee_id: person.employee_id, client_event_id: `wh-${uid()}` } });
    expect(punch.status).toBe(200);
    const mine = () => receiver.received.filter((r) => r.json?.data?.employee?.employee_id === person.employee_id);
    await waitFor('two deliveries', () => mine().length >= 2, 10_000);
    await sleep(300);
    expect(mine()).toHaveLength(2);
    const bodies = mine().map((r) => verified(made.secret, r));
    const byType = Object.fromEntries(bodies.map((b) => [b.type, b]));
    expect(Object.keys(byType).sort()).toEqual(['attendance.changed', 'punch.created']);
    // The same shapes as the REST API: the punch's answer, and the change boards get.
    expect(byType['punch.created'].data).toEqual({ action: punch.body.action, record: punch.body.record, employee: punch.body.employee });
    expect(byType['attendance.changed'].data).toMatchObject({ action: 'check_in', team_id: team.team_id, employee: { employee_id: person.employee_id }, record: punch.body.record });
    for (const r of mine()) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
      expect(Object.keys(r.json)).toEqual(expect.arrayContaining(['type', 'timestamp', 'data']));
      // A body changed in transit, or signed with another secret, does not verify.
      expect(() => new Webhook(made.secret).verify(r.body.replace('"data"', '"data" '), r.headers as Record<string, string>)).toThrow();
      expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(r.body, r.headers as Record<string, string>)).toThrow();
    }
    const listed = await waitFor('delivered', async () => {
      const list = await deliveriesOf(admin.token, made.webhook_id);
      return list.length === 2 && list.every((d) => d.status === 'delivered') ? list : null;
    });
    for (const d of listed) {
      expect(d).toMatchObject({ webhook_id: made.webhook_id, attempts: 1, last_status_code: 200, last_error: null, next_attempt_at: null });
      expect(d.last_latency_ms).toBeGreaterThanOrEqual(0);
      expect(d.delivered_at).not.toBeNull();
    }
    expect(listed.map((d) => d.message_id).sort()).toEqual(mine().map((r) => r.headers['webhook-id']).sort());
  });

  it('when a receiver answers 500 twice then 200, then it gets the same webhook-id three times, each signed afresh, and the delivery shows 3 attempts', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const person = await hub.makeEmployee({});
    // Other test files punch on the same database, and their hubs deliver to every endpoint registered there: only
    // this person's messages count here.
    const about = (r: Received) => r.json?.data?.employee?.employee_id === person.employee_id;
    let tries = 0;
    const receiver = await startReceiver((r) => ({ status: about(r) && ++tries <= 2 ? 500 : 200 }));
    receivers.push(receiver);
    const mine = () => receiver.received.filter(about);
    const made = await register(admin.token, receiver.url, ['punch.created']);
    const started = Date.now();
    expect((await http(server.url, 'POST', '/attendance/check-in', { token: admin.token, json: { employee_id: person.employee_id } })).status).toBe(200);
    await waitFor('three attempts', () => mine().length >= 3, 15_000);
    await sleep(500);
    expect(mine()).toHaveLength(3);
    expect(new Set(mine().map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of mine()) expect(verified(made.secret, r).data.employee.employee_id).toBe(person.employee_id);
    // Backoff: 1 s, then 2 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    const messageId = mine()[0].headers['webhook-id'];
    const [delivery] = await waitFor('recorded', async () => {
      const list = (await deliveriesOf(admin.token, made.webhook_id)).filter((d) => d.message_id === messageId);
      return list[0]?.status === 'delivered' ? list : null;
    });
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200, last_error: null, message_id: messageId });
  });

  it('when a receiver answers 302, then the redirect is not followed and the attempt counts as failed', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const receiver = await startReceiver((r) => (r.path === '/hooks' ? { status: 302, headers: { location: '/elsewhere' } } : { status: 200 }));
    receivers.push(receiver);
    const made = await register(admin.token, receiver.url, ['day.closed']);
    const test = await http(server.url, 'POST', `/webhooks/${made.webhook_id}/test`, { token: admin.token });
    expect(test.status).toBe(202);
    const [delivery] = await waitFor('a failed attempt', async () => {
      const list = await deliveriesOf(admin.token, made.webhook_id);
      return list[0]?.attempts >= 1 && list[0].last_status_code ? list : null;
    });
    expect(delivery).toMatchObject({ status: 'pending', last_status_code: 302, last_error: 'redirect not followed (302)' });
    expect(receiver.received.every((r) => r.path === '/hooks')).toBe(true);
  });

  it('when a receiver keeps failing past WEBHOOK_RETRY_HOURS, then the delivery fails and the endpoint is disabled with the reason; enabled again, a redelivery gets through', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    let healthy = false;
    const receiver = await startReceiver(() => ({ status: healthy ? 204 : 503 }));
    receivers.push(receiver);
    const made = await register(admin.token, receiver.url, ['employee.changed']);
    const test = await http(server.url, 'POST', `/webhooks/${made.webhook_id}/test`, { token: admin.token });
    expect(test.body).toMatchObject({ status: 'pending', attempts: 0, event_type: 'webhook.test' });
    const disabled = await waitFor('disabled', async () => {
      const res = await http(server.url, 'GET', `/webhooks/${made.webhook_id}`, { token: admin.token });
      return res.body.active === false ? res.body : null;
    }, 20_000);
    expect(disabled.disabled_reason).toMatch(/failed for 0.002 hours; last error: HTTP 503/);
    expect(disabled.disabled_at).not.toBeNull();
    const [failed] = await deliveriesOf(admin.token, made.webhook_id);
    expect(failed).toMatchObject({ status: 'failed', last_status_code: 503, next_attempt_at: null });
    // t = 0, 1, 3, 7 and the window's end (7.2 s): four or five attempts, depending on where the last one fell.
    expect(failed.attempts).toBeGreaterThanOrEqual(4);
    expect(receiver.received).toHaveLength(failed.attempts);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([failed.message_id]));

    // Disabled: no test, no redelivery, no new deliveries.
    expect((await http(server.url, 'POST', `/webhooks/${made.webhook_id}/test`, { token: admin.token })).status).toBe(409);
    healthy = true;
    const enabled = await http(server.url, 'PUT', `/webhooks/${made.webhook_id}`, { token: admin.token, json: { active: true } });
    expect(enabled.body).toMatchObject({ active: true, disabled_reason: null, disabled_at: null });
    const again = await http(server.url, 'POST', `/webhooks/${made.webhook_id}/deliveries/${failed.delivery_id}/redeliver`, { token: admin.token });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ message_id: failed.message_id, status: 'pending', attempts: 0 });
    await waitFor('redelivered', async () => (await deliveriesOf(admin.token, made.webhook_id)).find((d) => d.delivery_id === again.body.delivery_id)?.status === 'delivered');
    const last = receiver.received.at(-1)!;
    expect(last.headers['webhook-id']).toBe(failed.message_id);
    expect(verified(made.secret, last)).toMatchObject({ type: 'webhook.test', data: { webhook_id: made.webhook_id } });
    const list = await deliveriesOf(admin.token, made.webhook_id);
    expect(list.map((d) => d.status)).toEqual(['delivered', 'failed']);
    const unknown = await http(server.url, 'POST', `/webhooks/${made.webhook_id}/deliveries/999999999/redeliver`, { token: admin.token });
    expect(unknown.status).toBe(404);
  }, 40_000);

  it('when people change, summaries are recomputed and a day is closed, then employee.changed, summary.updated and day.closed arrive with the REST shapes', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const team = await hub.makeTeam({ working_weekdays: [1, 2, 3, 4, 5, 6, 7] });
    const person = await hub.makeEmployee({ team_id: team.team_id });
    const receiver = await startReceiver();
    receivers.push(receiver);
    const made = await register(admin.token, receiver.url, ['employee.changed', 'summary.updated', 'day.closed']);
    const of = (type: string, match: (b: any) => boolean) => receiver.received.map((r) => verified(made.secret, r)).filter((b) => b.type === type && match(b.data));

    const changed = await http(server.url, 'PUT', `/employees/${person.employee_id}`, { token: admin.token, json: { role: 'Lead' } });
    expect(changed.status).toBe(200);
    const [employee] = await waitFor('employee.changed', () => {
      const found = of('employee.changed', (d) => d.employee.employee_id === person.employee_id);
      return found.length ? found : null;
    });
    expect(employee.data).toEqual({ action: 'updated', employee: changed.body });

    expect((await http(server.url, 'POST', '/attendance/check-in', { token: admin.token, json: { employee_id: person.employee_id } })).status).toBe(200);
    const [summary] = await waitFor('summary.updated', () => {
      const found = of('summary.updated', (d) => d.team_id === team.team_id);
      return found.length ? found : null;
    }, 15_000);
    const rest = await http(server.url, 'GET', `/summarize_attendance/?team_id=${team.team_id}`, { token: admin.token });
    expect(summary.data).toEqual(rest.body);

    // A long-past day nobody else closes: the member (there since before it) had no record, so is marked absent. It
    // is after the day tests/workers.test.ts closes on the same database (2024-05-15), so this member, made older
    // here, is never one of its absences; and deactivated once seen, so no later close counts them either.
    const day = '2024-09-18';
    await hub.rows(`update employees set created_at = ?::date - interval '1 day' where employee_id = ?`, [day, person.employee_id]);
    const closed = await http(server.url, 'POST', '/attendance/end-of-day', { token: admin.token, json: { date: day } });
    expect(closed.status).toBe(200);
    const [dayClosed] = await waitFor('day.closed', () => {
      const found = of('day.closed', (d) => d.date === day && d.absent.some((r: any) => r.employee_id === person.employee_id));
      return found.length ? found : null;
    });
    expect(dayClosed.data.absent.find((r: any) => r.employee_id === person.employee_id)).toMatchObject({ status: 'Absent', attendance_date: day });
    await hub.rows('update employees set active = false where employee_id = ?', [person.employee_id]);
  }, 40_000);

  it('when a batch of events was written but its job was lost (a crash between the write and the add), then the sweep sends it, and running its job again writes nothing twice', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const receiver = await startReceiver();
    receivers.push(receiver);
    const made = await register(admin.token, receiver.url, ['employee.changed']);
    const id = `msg_${uid().replace(/[^0-9a-z]/gi, '').padEnd(32, '0').slice(0, 32)}`;
    const body = { type: 'employee.changed', timestamp: new Date().toISOString(), data: { action: 'updated', employee: { employee_id: -1 } } };
    // As the punch path writes it, six minutes ago, with no job queued for it.
    const [{ batch_id }] = await hub.rows<{ batch_id: string }>(
      `insert into webhook_batches (events, created_at) values (?::json, now() - interval '6 minutes') returning batch_id::text`, [JSON.stringify([{ id, body }])]);
    const mine = () => receiver.received.filter((r) => r.headers['webhook-id'] === id);

    // A process of the deployment that may reach the loopback receiver runs the sweep.
    const sweeper = await createTestHub({ DATABASE_URL: hub.config.database!.url, WEBHOOK_ALLOW_PRIVATE: 'true' });
    cleanups.push(() => sweeper.close());
    const swept = await sweeper.runJob('webhooks:sweep', {});
    expect(swept.batches).toBeGreaterThanOrEqual(1);
    await waitFor('the lost batch delivered', () => mine().length === 1);
    expect(verified(made.secret, mine()[0])).toEqual(body);
    const recorded = await waitFor('recorded', async () => {
      const list = (await deliveriesOf(admin.token, made.webhook_id)).filter((d) => d.message_id === id);
      return list.length ? list : null;
    });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ status: 'delivered', attempts: 1, event_type: 'employee.changed', payload: body });

    // The same job again (BullMQ takes a stalled job again): the batch is already sent, nothing is sent or written.
    const again = await sweeper.runJob('webhooks:fanout', { batch_id });
    expect(again).toMatchObject({ sent: 0 });
    await sleep(200);
    expect(mine()).toHaveLength(1);
    expect((await deliveriesOf(admin.token, made.webhook_id)).filter((d) => d.message_id === id)).toHaveLength(1);
    // Bad job data changes nothing.
    for (const data of [{}, { batch_id: 'x; drop table webhooks' }, { batch_id: -1 }, { batch_id: '99999999999' }]) expect(await sweeper.runJob('webhooks:fanout', data)).toMatchObject({ sent: 0 });
  });

  it('when deliveries are older than WEBHOOK_RETENTION_DAYS, then the daily prune removes them and their batches, but never a pending delivery or a batch one still needs', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const receiver = await startReceiver();
    receivers.push(receiver);
    const made = await register(admin.token, receiver.url, ['day.closed']);
    const insertBatch = async (age: number) => {
      const [row] = await hub.rows<{ batch_id: string }>(
        `insert into webhook_batches (events, created_at, fanned_out_at) values (?::json, now() - make_interval(days => ?), now() - make_interval(days => ?)) returning batch_id::text`,
        [JSON.stringify([{ id: 'msg_old', body: { type: 'day.closed' } }]), age, age]);
      return row.batch_id;
    };
    const insertDelivery = async (batchId: string, status: string, age: number) => {
      const [row] = await hub.rows<{ delivery_id: string }>(
        `insert into webhook_deliveries (webhook_id, message_id, event_type, batch_id, event_index, status, attempts, next_attempt_at, created_at)
         values (?, 'msg_old', 'day.closed', ?, 0, ?, 1, case when ? = 'pending' then now() + interval '1 hour' end, now() - make_interval(days => ?)) returning delivery_id::text`,
        [made.webhook_id, batchId, status, status, age]);
      return row.delivery_id;
    };
    const oldBatch = await insertBatch(40);
    const oldDelivered = await insertDelivery(oldBatch, 'delivered', 40);
    const oldFailed = await insertDelivery(oldBatch, 'failed', 40);
    const keptBatch = await insertBatch(40);
    const oldPending = await insertDelivery(keptBatch, 'pending', 40);
    const recentBatch = await insertBatch(2);
    const recent = await insertDelivery(recentBatch, 'delivered', 2);

    const pruned = await hub.runJob('webhooks:prune', {});
    expect(pruned).toMatchObject({ pruned_deliveries: 2, pruned_batches: 1 });
    const left = await hub.rows<{ delivery_id: string }>(`select delivery_id::text from webhook_deliveries where delivery_id = any(string_to_array(?, ',')::bigint[])`, [[oldDelivered, oldFailed, oldPending, recent].join(',')]);
    expect(left.map((r) => r.delivery_id).sort()).toEqual([oldPending, recent].sort());
    const batchesLeft = await hub.rows<{ batch_id: string }>(`select batch_id::text from webhook_batches where batch_id = any(string_to_array(?, ',')::bigint[])`, [[oldBatch, keptBatch, recentBatch].join(',')]);
    expect(batchesLeft.map((r) => r.batch_id).sort()).toEqual([keptBatch, recentBatch].sort());
  });

  it('when a receiver holds every delivery unanswered, then a burst of punches is still acknowledged: the punch path only enqueues', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const people = await Promise.all(Array.from({ length: 20 }, () => hub.makeEmployee({})));
    // Nothing is answered until the test lets go: a punch that waited for a delivery could never be acknowledged.
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    const receiver = await startReceiver(async () => (await held, { status: 200 }));
    receivers.push(receiver);
    await register(admin.token, receiver.url, ['punch.created', 'attendance.changed']);
    const [{ before }] = await hub.rows<{ before: string }>('select coalesce(max(batch_id), 0)::text as before from webhook_batches');
    const acks = await Promise.all(people.map((p) => http(server.url, 'POST', '/attendance/check-in', { token: admin.token, json: { employee_id: p.employee_id } })));
    expect(acks.every((a) => a.status === 200)).toBe(true);
    await waitFor('a delivery under way', () => receiver.received.length >= 1, 15_000);
    // What the punches wrote: their 40 messages in a few batch rows (a punch's two events always share one), and no
    // delivery row yet: those are written by the job that sends them, once, with their outcome.
    const written = await waitFor('every event written', async () => {
      const [row] = await hub.rows<{ rows: number; events: number }>(
        `select count(*)::int as rows, coalesce(sum(json_array_length(events)), 0)::int as events from webhook_batches where batch_id > ?`, [before]);
      return row.events >= 40 ? row : null;
    });
    expect(written.rows).toBeLessThanOrEqual(20);
    const [pending] = await hub.rows<{ n: number }>(`select count(*)::int as n from webhook_deliveries where batch_id > ? and status = 'pending' and attempts = 0 and last_error is null`, [before]);
    expect(pending.n).toBe(0);
    letGo();
    await waitFor('every delivery', () => receiver.received.length >= 40, 45_000);
  }, 60_000);
});

describe('webhook deliveries with the worker process (BullMQ on Redis)', () => {
  const REDIS_URL = 'redis://127.0.0.1:6379';
  const PREFIX = `test:${uid()}:`;
  const env = {
    DATABASE_URL: testDatabaseUrl,
    REDIS_URL,
    REDIS_PREFIX: PREFIX,
    SECRET_KEY: TEST_SECRET,
    MIGRATE_ON_START: 'false',
    DATA_DIR: '/tmp/checkin-hub-test',
    JOB_SCHEDULES: 'false',
    PUNCH_DEBOUNCE_SECONDS: '0',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_BASE_SECONDS: '1',
    WEBHOOK_TIMEOUT_SECONDS: '2',
    WORKER_LOCK_SECONDS: '2',
    WORKER_NICE: '10',
  };
  let hub: TestHub;
  let api: HubChild;
  let worker: WorkerChild;
  let second: WorkerChild | undefined;

  let solo: Awaited<ReturnType<typeof createSoloDatabase>> | undefined;
  beforeAll(async () => {
    // Its own database, as above: the endpoint hears every punch of the organisation.
    solo = await createSoloDatabase('webhooks_worker');
    env.DATABASE_URL = solo.url;
    hub = await createTestHub({ DATABASE_URL: solo.url });
    [api, worker] = await Promise.all([spawnHub(env), spawnWorker(env)]);
  }, 90_000);
  afterAll(async () => {
    for (const p of [api, worker, second]) {
      if (!p) continue;
      await Promise.race([p.stop(), sleep(15_000)]);
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await hub?.close();
    await solo?.drop();
    const redis = createRedis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }, 60_000);

  it('when the worker starts, then it yields the CPU to the API processes: its niceness is WORKER_NICE (10 here) or theirs if higher', () => {
    // Field 19 of /proc/<pid>/stat is the niceness (after the command name in parentheses, which may hold spaces).
    const nice = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[16]);
    expect(nice(worker.child.pid!)).toBe(Math.max(10, nice(api.child.pid!)));
  });

  it('when the receiver is down and the worker is SIGKILLed, then once both are back the receiver gets every event, each verified', async () => {
    const admin = await hub.makeEmployee({ access: 'admin' });
    const people = await Promise.all(Array.from({ length: 5 }, () => hub.makeEmployee({})));
    // A port with nobody listening yet: the receiver is "down" (connection refused) until it starts there.
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    const made = await http(api.url, 'POST', '/webhooks/', { token: admin.token, json: { url: `http://127.0.0.1:${port}/hooks`, events: ['punch.created', 'attendance.changed'] } });
    expect(made.status).toBe(201);
    cleanups.push(() => http(api.url, 'DELETE', `/webhooks/${made.body.webhook_id}`, { token: admin.token }));
    const deliveries = async () => (await http(api.url, 'GET', `/webhooks/${made.body.webhook_id}/deliveries`, { token: admin.token })).body as any[];

    for (const p of people) expect((await http(api.url, 'POST', '/attendance/check-in', { token: admin.token, json: { employee_id: p.employee_id } })).status).toBe(200);
    const failing = await waitFor('every delivery tried and failed', async () => {
      const list = await deliveries();
      return list.length === 10 && list.every((d) => d.attempts >= 1 && d.status === 'pending' && d.last_error) ? list : null;
    }, 20_000);
    expect(failing[0].last_error).toMatch(/ECONNREFUSED/);

    worker.child.kill('SIGKILL');
    await new Promise((resolve) => (worker.child.exitCode !== null || worker.child.signalCode !== null ? resolve(null) : worker.child.once('exit', resolve)));
    await sleep(1000);
    const receiver = await startReceiver(() => ({ status: 200 }), port);
    receivers.push(receiver);
    second = await spawnWorker({ ...env, WORKER_NICE: "0" });

    const ids = failing.map((d) => d.message_id).sort();
    // Each failed attempt doubled the wait before the next (from WEBHOOK_RETRY_BASE_SECONDS=1): on a busy machine the
    // receiver may come back while the next attempt is still half a minute or more away.
    await waitFor('every message received', () => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size === 10, 100_000);
    expect([...new Set(receiver.received.map((r) => r.headers['webhook-id']))].sort()).toEqual(ids);
    const bodies = receiver.received.map((r) => verified(made.body.secret, r));
    const punched = new Set(people.map((p) => p.employee_id));
    expect(bodies.filter((b) => b.type === 'punch.created' && punched.has(b.data.employee.employee_id))).toHaveLength(5);
    expect(bodies.filter((b) => b.type === 'attendance.changed' && punched.has(b.data.employee.employee_id))).toHaveLength(5);
    const done = await waitFor('all delivered', async () => {
      const list = await deliveries();
      return list.every((d) => d.status === 'delivered') ? list : null;
    }, 10_000);
    expect(done.every((d) => d.attempts >= 2 && d.last_status_code === 200)).toBe(true);
  }, 150_000);
});
