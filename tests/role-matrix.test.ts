// Replays the access matrix (src/modules/auth/access-matrix.ts, also shown in the README) against the real app and
// a real socket server: every endpoint and socket event × every kind of caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from '../src/app.ts';
import { ACCESS_MATRIX, ACTORS, type Actor, type Outcome } from '../src/modules/auth/access-matrix.ts';
import * as policy from '../src/modules/auth/policy.ts';
import { openSocket, startServer } from './socket-utils.ts';
import { createTestHub, TEST_PASSWORD, uid, type TestHub } from './utils.ts';

let hub: TestHub;
let server: Awaited<ReturnType<typeof startServer>>;
const METRICS_TOKEN = 'matrix-metrics-token-000000';

beforeAll(async () => {
  hub = await createTestHub({ ASSISTANT_QUESTIONS_PER_MINUTE: '1000', METRICS_TOKEN });
  server = await startServer({ ASSISTANT_QUESTIONS_PER_MINUTE: '1000' });
});
afterAll(async () => {
  await server.stop('test');
  await hub.close();
});

/** A fresh fixture for one request: team T (manager, E, C), team U (manager), an admin, a kiosk, one record of C. */
async function fixture() {
  const t = await hub.makeTeam();
  const u = await hub.makeTeam();
  const manager = await hub.makeEmployee({ team_id: t.team_id, access: 'manager' });
  const employee = await hub.makeEmployee({ team_id: t.team_id });
  const colleague = await hub.makeEmployee({ team_id: t.team_id });
  const otherManager = await hub.makeEmployee({ team_id: u.team_id, access: 'manager' });
  const admin = await hub.makeEmployee({ access: 'admin' });
  const kiosk = await hub.request('POST', '/kiosks/', { token: admin.token, json: { name: `Door ${uid()}` } });
  const [record] = await hub.rows<{ record_id: number }>(
    `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at)
     values (?, ?, '2025-03-03', 'Present', 'api', now(), now()) returning record_id`,
    [colleague.employee_id, t.team_id],
  );
  const [schedule] = await hub.rows<{ schedule_id: number }>(
    `insert into schedules (name, cycle_weeks, starts_on, grace_minutes, shifts, version, valid_from, created_at, updated_at)
     values (?, 1, '2025-01-06', 5, '[]', 1, '1900-01-01', now(), now()) returning schedule_id`,
    [`Unused ${uid()}`],
  );
  const [other] = await hub.rows<{ schedule_id: number }>(
    `insert into schedules (name, cycle_weeks, starts_on, grace_minutes, shifts, version, valid_from, created_at, updated_at)
     values (?, 1, '2025-01-06', 5, '[]', 1, '1900-01-01', now(), now()) returning schedule_id`,
    [`Assigned ${uid()}`],
  );
  await hub.rows('insert into schedule_versions select schedule_id, version, valid_from, cycle_weeks, starts_on, grace_minutes, shifts, now() from schedules where schedule_id in (?, ?)', [schedule.schedule_id, other.schedule_id]);
  const [assignment] = await hub.rows<{ assignment_id: number }>(
    `insert into employee_schedules (employee_id, schedule_id, valid_from, created_at) values (?, ?, '2025-01-01', now()) returning assignment_id`,
    [colleague.employee_id, other.schedule_id],
  );
  const [holiday] = await hub.rows<{ holiday_id: number }>(
    `insert into holidays (date, name, team_id, created_at) values (?, 'Fixture day', ?, now()) returning holiday_id`,
    [farDate(), t.team_id],
  );
  const [correction] = await hub.rows<{ correction_id: number }>(
    `insert into attendance_corrections (employee_id, attendance_date, record_id, requested_by, changes, reason, status, created_at, updated_at)
     values (?, '2025-03-03', ?, ?, '{"check_in_time": "09:00:00", "check_out_time": "17:00:00"}', 'Forgot to badge', 'pending', now(), now())
     returning correction_id`,
    [colleague.employee_id, record.record_id, colleague.employee_id],
  );
  const [apiKey] = await hub.rows<{ api_key_id: number }>(
    `insert into api_keys (name, scopes, key_hash, key_prefix, created_at) values (?, '["attendance:read"]', md5(random()::text) || md5(random()::text), 'ck_fixture', now()) returning api_key_id`,
    [`Fixture ${uid()}`],
  );
  // A public documentation address (TEST-NET-3) and a secret no key opens: a delivery fails at once, without the network.
  const [webhook] = await hub.rows<{ webhook_id: number }>(
    `insert into webhooks (url, events, secret, active, created_at, updated_at) values ('https://203.0.113.10/hook', '{punch.created}', 'fixture', true, now(), now()) returning webhook_id`,
  );
  const [webhookDelivery] = await hub.rows<{ delivery_id: number }>(
    `insert into webhook_deliveries (webhook_id, message_id, event_type, payload, status, attempts, created_at)
     values (?, 'msg_fixture', 'punch.created', '{"type": "punch.created", "timestamp": "2025-03-03T09:00:00Z", "data": {}}', 'failed', 1, now()) returning delivery_id`,
    [webhook.webhook_id],
  );
  const tokens: Record<Actor, string | undefined> = {
    anonymous: undefined,
    employee: employee.token,
    manager: manager.token,
    other_manager: otherManager.token,
    admin: admin.token,
    kiosk: kiosk.body.token as string,
  };
  return { t, employee, colleague, record, kiosk: kiosk.body as { kiosk_id: number }, tokens, schedule, other, assignment, holiday, correction, apiKey, webhook, webhookDelivery };
}

/** A date nobody else uses (holidays are one per day and team). */
const farDate = () => new Date(Date.UTC(2100 + Math.floor(Math.random() * 800), Math.floor(Math.random() * 12), 1 + Math.floor(Math.random() * 28))).toISOString().slice(0, 10);

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** The concrete request behind each REST row of the matrix. */
function requestFor(pattern: string, f: Fixture): { method: string; path: string; json?: unknown } {
  const [method, template] = pattern.split(' ');
  const path = template
    .replace('{employee_id}', String(f.colleague.employee_id))
    .replace('{team_id}', String(f.t.team_id))
    .replace('{record_id}', String(f.record.record_id))
    .replace('{kiosk_id}', String(f.kiosk.kiosk_id))
    .replace('{schedule_id}', String(f.schedule.schedule_id))
    .replace('{assignment_id}', String(f.assignment.assignment_id))
    .replace('{holiday_id}', String(f.holiday.holiday_id))
    .replace('{correction_id}', String(f.correction.correction_id))
    .replace('{api_key_id}', String(f.apiKey.api_key_id))
    .replace('{webhook_id}', String(f.webhook.webhook_id))
    .replace('{delivery_id}', String(f.webhookDelivery.delivery_id));
  const bodies: Record<string, unknown> = {
    'POST /employees/': { name: 'New Person', email: `new.${uid()}@example.com`, password: 'Unusual-Pass-93' },
    'PUT /employees/{employee_id}': { role: 'Lead' },
    'POST /teams/': { team_name: `Team ${uid()}` },
    'PUT /teams/{team_id}': { grace_minutes: 7 },
    'POST /attendance/': { employee_id: f.colleague.employee_id, attendance_date: '2025-01-15', status: 'Present' },
    'POST /attendance/check-in': { employee_id: f.colleague.employee_id, client_event_id: `m-${uid()}` },
    'POST /attendance/check-out': { employee_id: f.colleague.employee_id, client_event_id: `m-${uid()}` },
    'PUT /attendance/{record_id}': { notes: 'corrected' },
    'POST /attendance/end-of-day': { date: '2001-01-01' },
    'POST /kiosks/': { name: `Door ${uid()}` },
    'POST /chat/': { message: 'How many people were late yesterday?' },
    'POST /schedules/': { name: `Made ${uid()}`, shifts: [{ weekday: 1, start: '09:00', end: '17:00' }] },
    'PUT /schedules/{schedule_id}': { grace_minutes: 7 },
    'POST /holidays/': { date: farDate(), name: 'Matrix day' },
    'POST /employees/{employee_id}/schedules': { schedule_id: f.schedule.schedule_id, valid_from: '2026-01-01' },
    'POST /attendance/recompute': { date_from: '2025-03-01', date_to: '2025-03-02' },
    'POST /token/refresh': { refresh_token: 'rt_not-a-live-token' },
    'POST /attendance/corrections/': { employee_id: f.colleague.employee_id, attendance_date: '2025-03-04', check_in_time: '09:00', check_out_time: '17:00', reason: 'Forgot to badge' },
    'POST /attendance/corrections/{correction_id}/approve': { comment: 'Seen' },
    'PUT /me/pin': { pin: '4821', current_password: TEST_PASSWORD },
    'POST /api-keys/': { name: `Payroll ${uid()}`, scopes: ['reports:read'] },
    'POST /webhooks/': { url: 'https://203.0.113.10/hooks', events: ['punch.created'] },
    'PUT /webhooks/{webhook_id}': { description: 'Payroll sync' },
  };
  const query: Record<string, string> = {
    'GET /summarize_attendance/': `?team_id=${f.t.team_id}`,
    'GET /reports/daily': `?team_id=${f.t.team_id}`,
    'GET /attendance/on-site': `?team_id=${f.t.team_id}`,
    'GET /reports/timesheet': `?date_from=2025-03-01&date_to=2025-03-31&team_id=${f.t.team_id}`,
  };
  return { method, path: path + (query[pattern] ?? ''), json: bodies[pattern] };
}

async function socketOutcome(event: string, actor: Actor, f: Fixture): Promise<Outcome> {
  let socket;
  try {
    socket = await openSocket(server.url, f.tokens[actor]);
  } catch (error) {
    expect((error as Error).message).toBe('unauthorized');
    return 'refused';
  }
  try {
    const payloads: Record<string, unknown> = {
      'attendance:check': { badge_id: f.colleague.badge_id, client_event_id: `s-${uid()}` },
      'board:join': { team_id: f.t.team_id },
      'board:leave': { team_id: f.t.team_id },
      'assistant:ask': { message: 'How many people were late yesterday?' },
      'kiosk:roster': {},
    };
    const emitter = socket.timeout(10_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<{ ok: boolean; error?: { code: string } }> };
    const ack = await emitter.emitWithAck(event, payloads[event]);
    return ack.ok ? 'ok' : (ack.error!.code as Outcome);
  } finally {
    socket.close();
  }
}

describe('the access matrix', () => {
  it('when the matrix is read, then every REST endpoint of the app is in it', () => {
    const rows = new Set(ACCESS_MATRIX.map((r) => r.request));
    const missing = endpoints.map((ep) => `${ep.method.toUpperCase()} ${ep.path}`).filter((r) => !rows.has(r));
    expect(missing).toEqual([]);
  });

  for (const row of ACCESS_MATRIX) {
    it(`when each kind of caller tries ${row.request}, then each gets its answer from the matrix`, async () => {
      const seen: Record<string, Outcome> = {};
      for (const actor of ACTORS) {
        const f = await fixture();
        if (row.request.startsWith('socket ')) {
          seen[actor] = await socketOutcome(row.request.slice('socket '.length), actor, f);
        } else {
          const req = requestFor(row.request, f);
          const token = row.request === 'GET /metrics' && actor === 'admin' ? f.tokens.admin : f.tokens[actor];
          const res = row.request === 'POST /token'
            ? await hub.request('POST', '/token', { token, form: { username: f.employee.email, password: TEST_PASSWORD } })
            : await hub.request(req.method, req.path, { token, json: req.json });
          seen[actor] = res.status;
        }
      }
      expect(seen).toEqual(row.expect);
    }, 60_000);
  }
});

describe('the access policy behind the matrix', () => {
  // The matrix's fixture as the policy sees it: team T (1) with its manager (10), E (11) and C (12); team U (2) with
  // its manager (20); an admin (30) without a team; a kiosk (null).
  const T = 1;
  const U = 2;
  const E = { employee_id: 11, team_id: T };
  const C = { employee_id: 12, team_id: T };
  const users = {
    employee: { employee_id: 11, access: 'employee', team_id: T, name: 'E' },
    manager: { employee_id: 10, access: 'manager', team_id: T, name: 'M' },
    other_manager: { employee_id: 20, access: 'manager', team_id: U, name: 'O' },
    admin: { employee_id: 30, access: 'admin', team_id: null, name: 'A' },
  } as const;
  const MANAGER_OF_T = { employee_id: 10, team_id: T };
  type Who = keyof typeof users;
  const WHO: Who[] = ['employee', 'manager', 'other_manager', 'admin'];

  const table: [string, (u: (typeof users)[Who]) => unknown, Record<Who, unknown>][] = [
    ['canSeeTeam(T)', (u) => policy.canSeeTeam(u, T), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canWatchBoard(T)', (u) => policy.canWatchBoard(u, T), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canSeePerson(C)', (u) => policy.canSeePerson(u, C), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canSeePerson(self)', (u) => policy.canSeePerson(u, { employee_id: u.employee_id, team_id: u.team_id }), { employee: true, manager: true, other_manager: true, admin: true }],
    ['canPunchFor(C)', (u) => policy.canPunchFor(u, C), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canPunchFor(E)', (u) => policy.canPunchFor(u, E), { employee: true, manager: true, other_manager: false, admin: true }],
    ['canCorrect(C)', (u) => policy.canCorrect(u, C), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canCorrect(manager of T)', (u) => policy.canCorrect(u, MANAGER_OF_T), { employee: false, manager: false, other_manager: false, admin: true }],
    ['canChoosePunchTime(C)', (u) => policy.canChoosePunchTime(u, C), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canChoosePunchTime(E, for themselves)', (u) => policy.canChoosePunchTime(u, E), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canRequestCorrection(C)', (u) => policy.canRequestCorrection(u, C), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canRequestCorrection(self)', (u) => policy.canRequestCorrection(u, { employee_id: u.employee_id, team_id: u.team_id }), { employee: true, manager: true, other_manager: true, admin: true }],
    ['canResolveCorrection(C, asked by C)', (u) => policy.canResolveCorrection(u, C, C.employee_id), { employee: false, manager: true, other_manager: false, admin: true }],
    ['canResolveCorrection(C, asked by the manager of T)', (u) => policy.canResolveCorrection(u, C, MANAGER_OF_T.employee_id), { employee: false, manager: false, other_manager: false, admin: true }],
    ['canResolveCorrection(manager of T, asked by them)', (u) => policy.canResolveCorrection(u, MANAGER_OF_T, MANAGER_OF_T.employee_id), { employee: false, manager: false, other_manager: false, admin: true }],
    ['canCancelCorrection(asked by C)', (u) => policy.canCancelCorrection(u, C.employee_id), { employee: false, manager: false, other_manager: false, admin: false }],
    ['canDeleteRecords', (u) => policy.canDeleteRecords(u), { employee: false, manager: false, other_manager: false, admin: true }],
    ['canAskAssistant', (u) => policy.canAskAssistant(u), { employee: false, manager: false, other_manager: false, admin: true }],
    ['canRevokeTokensOf(C)', (u) => policy.canRevokeTokensOf(u, C.employee_id), { employee: false, manager: false, other_manager: false, admin: true }],
    ['readScope', (u) => policy.readScope(u), {
      employee: { kind: 'some', team_id: null, employee_id: 11 },
      manager: { kind: 'some', team_id: T, employee_id: 10 },
      other_manager: { kind: 'some', team_id: U, employee_id: 20 },
      admin: { kind: 'all' },
    }],
  ];

  it.each(table)('when each kind of caller is asked %s, then the policy answers as the matrix’s fixture expects', (_name, check, expected) => {
    expect(Object.fromEntries(WHO.map((w) => [w, check(users[w])]))).toEqual(expected);
  });

  it('when the caller is a kiosk (no person), then it may punch for anyone and choose the time (an offline queue replays)', () => {
    expect([policy.canPunchFor(null, C), policy.canChoosePunchTime(null, C)]).toEqual([true, true]);
  });
});
