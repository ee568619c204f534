// A punch's failure is its own: a punch the database refuses (its values, or a person deleted while its batch was in
// flight) is answered with a 4xx, and the punches committed in the same group are applied and answered as usual.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket, sleep, startServer, type Client } from './socket-utils.ts';
import { createSoloDatabase, createTestHub, type TestHub } from './utils.ts';

let db: Awaited<ReturnType<typeof createSoloDatabase>>;
let hub: TestHub;
let server: Awaited<ReturnType<typeof startServer>>;
const sockets: Client[] = [];

type Ack = { ok: boolean; action?: string; duplicate?: boolean; error?: { code: string; message: string } };

beforeAll(async () => {
  // A private database: this file adds a constraint that refuses some punches.
  db = await createSoloDatabase('isolation');
  hub = await createTestHub({ DATABASE_URL: db.url });
  server = await startServer({ DATABASE_URL: db.url, KIOSK_PUNCH_BURST: '100000', KIOSK_PUNCHES_PER_SECOND: '10000', SOCKET_EVENT_BURST: '100000' });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await server?.stop('test');
  await hub?.close();
  await db?.drop();
});

async function kiosk(name: string) {
  const admin = await hub.makeEmployee({ access: 'admin' });
  const res = await hub.request('POST', '/kiosks/', { token: admin.token, json: { name, team_id: null } });
  expect(res.status).toBe(201);
  const socket = await openSocket(server.url, res.body.token);
  sockets.push(socket);
  return socket;
}

const punchOn = (socket: Client, payload: Record<string, unknown>) =>
  (socket.timeout(15_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack> }).emitWithAck('attendance:check', payload);

async function storedKeys(keys: string[]) {
  const rows = await hub.rows<{ client_event_id: string; n: string }>(
    'select client_event_id, count(*) as n from punches where client_event_id in (?) group by client_event_id',
    [keys],
  );
  return new Map(rows.map((r) => [r.client_event_id, Number(r.n)]));
}

describe('poison punches among good ones', () => {
  it('when 40 punches the database refuses and 40 with a NUL byte are interleaved with 40 good kiosk punches in the same instant, then every good punch is acked ok and stored once, and every poison punch gets a 4xx', async () => {
    // The database itself refuses what a kiosk named "Poison…" sends: a per-row failure no check could foresee.
    await hub.rows(`alter table punches add constraint refuse_poison check (device is null or device not like 'Poison%')`);
    const good = await kiosk('Front door');
    const poison = await kiosk('Poison door');
    const team = await hub.makeTeam();
    const people = await Promise.all(Array.from({ length: 80 }, () => hub.makeEmployee({ team_id: team.team_id })));
    const goodPeople = people.slice(0, 40);
    const poisonPeople = people.slice(40);

    const sent: { kind: 'good' | 'refused' | 'nul'; key: string; reply: Promise<Ack> }[] = [];
    for (let i = 0; i < 40; i++) {
      const key = (kind: string) => `${kind}-${i}-${randomUUID()}`;
      const g = key('good');
      const r = key('refused');
      const n = key('nul');
      sent.push({ kind: 'refused', key: r, reply: punchOn(poison, { badge_id: poisonPeople[i].badge_id, client_event_id: r }) });
      sent.push({ kind: 'good', key: g, reply: punchOn(good, { badge_id: goodPeople[i].badge_id, client_event_id: g }) });
      sent.push({ kind: 'nul', key: n, reply: punchOn(good, { badge_id: `${goodPeople[i].badge_id}\u0000`, client_event_id: n }) });
    }
    const replies = await Promise.all(sent.map((s) => s.reply));
    const stored = await storedKeys(sent.map((s) => s.key));
    sent.forEach((s, i) => {
      const reply = replies[i];
      if (s.kind === 'good') {
        expect(reply, s.key).toMatchObject({ ok: true, action: 'check_in', duplicate: false });
        expect(stored.get(s.key), s.key).toBe(1);
      } else {
        expect(reply.ok, s.key).toBe(false);
        expect(reply.error!.code, s.key).toBe(s.kind === 'nul' ? 'validation_error' : 'punch_refused');
        expect(stored.get(s.key), s.key).toBeUndefined();
      }
    });
    const records = await hub.rows<{ employee_id: number }>('select employee_id from attendance where employee_id in (?)', [people.map((p) => p.employee_id)]);
    expect(records.map((r) => Number(r.employee_id)).sort((a, b) => a - b)).toEqual(goodPeople.map((p) => p.employee_id).sort((a, b) => a - b));
    await hub.rows('alter table punches drop constraint refuse_poison');
  });
});

describe('employees deleted while their punches are in flight', () => {
  it('when an employee is deleted while the batch with their first punch waits, then the others in that batch are committed and answered, and theirs is 404', async () => {
    const door = await kiosk('Side door');
    const team = await hub.makeTeam();
    const victim = await hub.makeEmployee({ team_id: team.team_id });
    const others = await Promise.all(Array.from({ length: 20 }, () => hub.makeEmployee({ team_id: team.team_id })));
    // Another session deletes the victim and has not committed yet: the batch's insert of the victim's new record
    // waits on that row, then fails on the foreign key once the delete commits.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query('begin');
      await admin.query('delete from employees where employee_id = $1', [victim.employee_id]);
      const keys = [victim, ...others].map(() => `del-${randomUUID()}`);
      const replies = Promise.all([victim, ...others].map((p, i) => punchOn(door, { badge_id: p.badge_id, client_event_id: keys[i] })));
      for (let i = 0; i < 400; i++) {
        const [{ n }] = await hub.rows<{ n: string }>(
          "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%insert into attendance%'",
        );
        if (Number(n) > 0) break;
        await sleep(25);
      }
      await admin.query('commit');
      const [mine, ...theirs] = await replies;
      expect(mine).toMatchObject({ ok: false, error: { code: 'unknown_badge' } });
      for (const reply of theirs) expect(reply).toMatchObject({ ok: true, action: 'check_in' });
      const stored = await storedKeys(keys);
      expect(stored.get(keys[0])).toBeUndefined();
      for (const key of keys.slice(1)) expect(stored.get(key)).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('when employees are deleted over REST while kiosks punch for everyone, then no punch fails with a 5xx and every punch of a remaining employee is stored exactly once', async () => {
    const doors = [await kiosk('Gate 1'), await kiosk('Gate 2')];
    const admin = await hub.makeEmployee({ access: 'admin' });
    const team = await hub.makeTeam();
    const people = await Promise.all(Array.from({ length: 60 }, () => hub.makeEmployee({ team_id: team.team_id })));
    const doomed = new Set(people.filter((_, i) => i % 5 === 0).map((p) => p.employee_id));
    const sent: { employee_id: number; key: string; reply: Promise<Ack> }[] = [];
    const deletions: Promise<number>[] = [];
    for (let round = 0; round < 4; round++) {
      for (const [i, p] of people.entries()) {
        const key = `rest-del-${round}-${randomUUID()}`;
        sent.push({ employee_id: p.employee_id, key, reply: punchOn(doors[i % 2], { badge_id: p.badge_id, client_event_id: key }) });
        if (round === 1 && doomed.has(p.employee_id)) {
          deletions.push(hub.request('DELETE', `/employees/${p.employee_id}`, { token: admin.token }).then((r) => r.status));
        }
      }
      await sleep(5);
    }
    expect(await Promise.all(deletions)).toEqual([...doomed].map(() => 204));
    const replies = await Promise.all(sent.map((s) => s.reply));
    const stored = await storedKeys(sent.map((s) => s.key));
    sent.forEach((s, i) => {
      const reply = replies[i];
      if (!reply.ok) expect(['unknown_badge', 'not_found'], `${s.key}: ${JSON.stringify(reply)}`).toContain(reply.error!.code);
      if (!doomed.has(s.employee_id)) {
        expect(reply.ok, `${s.key}: ${JSON.stringify(reply)}`).toBe(true);
        expect(stored.get(s.key)).toBe(1);
      }
    });
  });
});
