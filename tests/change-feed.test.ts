// The change feed (GET /attendance/changes): every create, update and delete of a record once, in order, paged by a
// cursor that survives instances and restarts; retention, bad and expired cursors, access.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/modules/attendance/changes.service.ts';
import { http, sleep, startServer, type TestServer } from './socket-utils.ts';
import { createSoloDatabase, createTestHub, uid, type TestHub } from './utils.ts';

type Change = { change_id: number; op: 'create' | 'update' | 'delete'; record_id: number; record?: Record<string, any> };
type Page = { changes: Change[]; next_cursor: string };

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(async () => {
  await hub?.close();
});

/** The cursor of the newest settled change now: the feed read from here shows only what happens next. */
async function cursorNow(h: TestHub = hub): Promise<string> {
  const [row] = await h.rows<{ xid: string; change_id: string }>(
    `select xid::text as xid, change_id::text as change_id from attendance_changes
      where xid < pg_snapshot_xmin(pg_current_snapshot()) order by xid desc, change_id desc limit 1`,
  );
  return encodeCursor(row ? { xid: BigInt(row.xid), change_id: BigInt(row.change_id) } : { xid: 0n, change_id: 0n });
}

/** Reads the feed from `cursor` through the app until `done` holds of what was read and a page comes back empty. */
async function readUntil(token: string, cursor: string, done: (seen: Change[]) => boolean, limit = 100) {
  const seen: Change[] = [];
  for (let tries = 0; tries < 300; tries++) {
    const res = await hub.request('GET', `/attendance/changes?limit=${limit}&cursor=${cursor}`, { token });
    expect(res.status).toBe(200);
    const page = res.body as Page;
    seen.push(...page.changes);
    cursor = page.next_cursor;
    if (!page.changes.length) {
      if (done(seen)) return { seen, cursor };
      await sleep(50);
    }
  }
  throw new Error('the feed never showed the expected changes');
}

const mine = (seen: Change[], ids: Set<number>) => seen.filter((c) => ids.has(c.record_id));
/** A PostgreSQL array literal (the ORM would spread a JS array into a list of parameters). */
const pgArray = (ids: Iterable<number>) => `{${[...ids].join(',')}}`;

describe('the change feed', () => {
  it('when a record is created, corrected and deleted, then the feed shows the three in order, each with the record as it is now', async () => {
    const { alice, admin } = await hub.makeOrg();
    const start = await cursorNow();
    const made = await hub.request('POST', '/attendance/', { token: admin.token, json: { employee_id: alice.employee_id, attendance_date: '2025-02-03', status: 'Present' } });
    expect(made.status).toBe(201);
    const id = made.body.record_id as number;
    const first = await readUntil(admin.token, start, (seen) => mine(seen, new Set([id])).length >= 1);
    const [created] = mine(first.seen, new Set([id]));
    expect(created).toMatchObject({ op: 'create', record_id: id });
    expect(created.record).toEqual((await hub.request('GET', `/attendance/${id}`, { token: admin.token })).body);

    expect((await hub.request('PUT', `/attendance/${id}`, { token: admin.token, json: { notes: 'corrected' } })).status).toBe(200);
    const second = await readUntil(admin.token, first.cursor, (seen) => mine(seen, new Set([id])).length >= 1);
    const [updated] = mine(second.seen, new Set([id]));
    expect(updated).toMatchObject({ op: 'update', record_id: id, record: { notes: 'corrected' } });
    expect(updated.change_id).toBeGreaterThan(created.change_id);

    expect((await hub.request('DELETE', `/attendance/${id}`, { token: admin.token })).status).toBe(204);
    const third = await readUntil(admin.token, second.cursor, (seen) => mine(seen, new Set([id])).length >= 1);
    const [deleted] = mine(third.seen, new Set([id]));
    expect(deleted).toEqual({ change_id: expect.any(Number), op: 'delete', record_id: id });

    // Read again from the start cursor: the same three, in the same order; the earlier ones now without a record
    // (it is gone), since `record` is always the record as it is now.
    const again = await readUntil(admin.token, start, (seen) => mine(seen, new Set([id])).length >= 3);
    expect(mine(again.seen, new Set([id])).map((c) => [c.change_id, c.op, c.record])).toEqual([
      [created.change_id, 'create', undefined], [updated.change_id, 'update', undefined], [deleted.change_id, 'delete', undefined],
    ]);
  });

  it('when a transaction that began earlier is still open, then a later one’s change waits for it, and both come in order once it commits', async () => {
    const { alice, bob, admin } = await hub.makeOrg();
    const start = await cursorNow();
    const slow = hub.em();
    await slow.begin();
    const [early] = await slow.execute<{ record_id: number }[]>(
      `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at)
       values (?, ?, '2025-02-05', 'Present', 'api', now(), now()) returning record_id`,
      [alice.employee_id, alice.team_id],
    );
    const late = await hub.request('POST', '/attendance/', { token: admin.token, json: { employee_id: bob.employee_id, attendance_date: '2025-02-05', status: 'Present' } });
    expect(late.status).toBe(201);
    const ids = new Set([early.record_id, late.body.record_id as number]);
    // The later change is committed, but handing it out now would put the cursor past the earlier one, still to come.
    const held = await readUntil(admin.token, start, () => true);
    expect(mine(held.seen, ids)).toEqual([]);
    await slow.commit();
    const read = await readUntil(admin.token, held.cursor, (seen) => mine(seen, ids).length >= 2);
    expect(mine(read.seen, ids).map((c) => [c.record_id, c.op])).toEqual([[early.record_id, 'create'], [late.body.record_id, 'create']]);
  });

  it('when an update changes nothing, then the feed shows no change', async () => {
    const { alice } = await hub.makeOrg();
    const [row] = await hub.rows<{ record_id: number }>(
      `insert into attendance (employee_id, team_id, attendance_date, status, source, created_at, updated_at)
       values (?, ?, '2025-02-04', 'Present', 'api', now(), now()) returning record_id`,
      [alice.employee_id, alice.team_id],
    );
    await hub.rows('update attendance set status = status where record_id = ?', [row.record_id]);
    const changes = await hub.rows<{ op: string }>('select op from attendance_changes where record_id = ? order by change_id', [row.record_id]);
    expect(changes.map((c) => c.op)).toEqual(['create']);
  });

  it('when the feed is read in small pages, then each change comes exactly once and an empty page gives the cursor back', async () => {
    const { team, admin } = await hub.makeOrg();
    const people = await Promise.all(Array.from({ length: 12 }, () => hub.makeEmployee({ team_id: team.team_id })));
    const start = await cursorNow();
    const ids = new Set<number>();
    await Promise.all(people.map(async (p) => {
      for (const date of ['2025-02-10', '2025-02-11']) {
        const res = await hub.request('POST', '/attendance/', { token: admin.token, json: { employee_id: p.employee_id, attendance_date: date, status: 'Present' } });
        ids.add(res.body.record_id);
        expect((await hub.request('PUT', `/attendance/${res.body.record_id}`, { token: admin.token, json: { notes: 'seen' } })).status).toBe(200);
      }
    }));
    const expected = (await hub.rows<{ change_id: string }>('select change_id from attendance_changes where record_id = any(?::int[]) order by change_id', [pgArray(ids)]))
      .map((r) => Number(r.change_id));
    expect(expected).toHaveLength(48);
    const read = await readUntil(admin.token, start, (seen) => mine(seen, ids).length >= expected.length, 7);
    const ours = mine(read.seen, ids).map((c) => c.change_id);
    expect([...ours].sort((a, b) => a - b)).toEqual(expected);
    expect(new Set(read.seen.map((c) => c.change_id)).size).toBe(read.seen.length);

    const empty = await hub.request('GET', `/attendance/changes?cursor=${read.cursor}`, { token: admin.token });
    expect(empty.body).toEqual({ changes: [], next_cursor: read.cursor });
  });

  it.each([
    ['not base64url', 'no+such/cursor'],
    ['not a position', Buffer.from('hello').toString('base64url')],
    ['not written by the feed (leading zero)', Buffer.from('01.2').toString('base64url')],
    ['out of range', Buffer.from(`${2n ** 64n}.1`).toString('base64url')],
  ])('when the cursor is %s, then the answer is 422 naming the cursor', async (_name, cursor) => {
    const { admin } = await hub.makeOrg();
    const res = await hub.request('GET', `/attendance/changes?cursor=${encodeURIComponent(cursor)}`, { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.body.detail[0]).toMatchObject({ loc: ['query', 'cursor'], msg: expect.stringContaining('next_cursor') });
  });

  it('when limit is out of bounds, then the answer is 422', async () => {
    const { admin } = await hub.makeOrg();
    expect((await hub.request('GET', '/attendance/changes?limit=1001', { token: admin.token })).status).toBe(422);
    expect((await hub.request('GET', '/attendance/changes?limit=0', { token: admin.token })).status).toBe(422);
  });

  it('when a manager, an employee or a key without attendance:read asks, then 403; a key with it reads the feed', async () => {
    const { manager, alice, admin } = await hub.makeOrg();
    for (const token of [manager.token, alice.token]) expect((await hub.request('GET', '/attendance/changes', { token })).status).toBe(403);
    const key = async (scopes: string[]) => (await hub.request('POST', '/api-keys/', { token: admin.token, json: { name: `Feed ${uid()}`, scopes } })).body.key as string;
    const punchKey = await hub.request('GET', '/attendance/changes', { token: await key(['punch']) });
    expect([punchKey.status, punchKey.body.code]).toEqual([403, 'insufficient_scope']);
    const readKey = await hub.request('GET', `/attendance/changes?limit=1&cursor=${await cursorNow()}`, { token: await key(['attendance:read']) });
    expect(readKey.status).toBe(200);
  });
});

describe('the retention of the change feed', () => {
  let solo: Awaited<ReturnType<typeof createSoloDatabase>>;
  let own: TestHub;
  beforeAll(async () => {
    solo = await createSoloDatabase('feed');
    own = await createTestHub({ DATABASE_URL: solo.url, CHANGE_FEED_RETENTION_DAYS: '30' });
  });
  afterAll(async () => {
    await own?.close();
    await solo?.drop();
  });

  it('when changes older than the retention are pruned, then a cursor before the newest pruned is 410 cursor_expired, and one at it or later reads on', async () => {
    const { alice, admin } = await own.makeOrg();
    const read = async (cursor?: string, limit = 1000) => own.request('GET', `/attendance/changes?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token: admin.token });
    // An empty feed gives a cursor too; changes made later come after it.
    const empty = (await read()).body as Page;
    expect(empty.changes).toEqual([]);
    for (const date of ['2025-03-03', '2025-03-04', '2025-03-05', '2025-03-06']) {
      expect((await own.request('POST', '/attendance/', { token: admin.token, json: { employee_id: alice.employee_id, attendance_date: date, status: 'Present' } })).status).toBe(201);
    }
    // A change shows once every transaction older than it has ended, anywhere on the server (other tests' too).
    let all = (await read(empty.next_cursor)).body as Page;
    for (let tries = 0; tries < 400 && all.changes.length < 4; tries++) {
      await sleep(50);
      all = (await read(empty.next_cursor)).body as Page;
    }
    expect(all.changes.map((c) => c.op)).toEqual(['create', 'create', 'create', 'create']);
    // Cursor k: after the first k+1 changes (read one at a time).
    const after: string[] = [];
    for (let k = 0; k < 4; k++) after.push(((await read(k ? after[k - 1] : undefined, 1)).body as Page).next_cursor);
    // The first three are 40 days old.
    await own.rows(`update attendance_changes set changed_at = now() - interval '40 days' where change_id = any(?::bigint[])`, [pgArray(all.changes.slice(0, 3).map((c) => c.change_id))]);

    expect((await own.runJob('attendance:prune-changes', {})).pruned).toBe(3);
    expect((await own.rows<{ change_id: string }>('select change_id from attendance_changes')).map((r) => Number(r.change_id))).toEqual([all.changes[3].change_id]);
    for (const cursor of [empty.next_cursor, after[0], after[1]]) {
      const res = await read(cursor);
      expect([res.status, res.body.code]).toEqual([410, 'cursor_expired']);
    }
    // A reader that had read the newest pruned change missed nothing.
    expect((await read(after[2])).body.changes.map((c: Change) => c.change_id)).toEqual([all.changes[3].change_id]);
    expect((await read(after[3])).body).toEqual({ changes: [], next_cursor: after[3] });
    expect((await read()).body.changes.map((c: Change) => c.change_id)).toEqual([all.changes[3].change_id]);
    expect((await own.runJob('attendance:prune-changes', {})).pruned).toBe(0);
  });
});

describe('the change feed with two instances under concurrent punches', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: `test:${uid()}:`, MIGRATE_ON_START: 'false' };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop('test'), b?.stop('test')]);
  });

  it('when 1,000 punches arrive at once on two instances while a reader pages the feed on both, then every change is read exactly once', async () => {
    const team = await hub.makeTeam();
    const admin = await hub.makeEmployee({ access: 'admin' });
    const people = await Promise.all(Array.from({ length: 500 }, () => hub.makeEmployee({ team_id: team.team_id })));
    const start = await cursorNow();

    // The reader: pages of 50, alternating instances, from the cursor of the last page, all along.
    const seen: Change[] = [];
    let cursor = start;
    const until = { done: () => false };
    let pages = 0;
    const reader = (async () => {
      for (let k = 0; ; k++) {
        const res = await http(k % 2 ? b.url : a.url, 'GET', `/attendance/changes?limit=50&cursor=${cursor}`, { token: admin.token });
        expect(res.status).toBe(200);
        const page = res.body as Page;
        seen.push(...page.changes);
        cursor = page.next_cursor;
        pages++;
        if (!page.changes.length) {
          if (until.done()) return;
          await sleep(5);
        }
      }
    })();

    // Each person checks in and out (two punches, one after the other, on different instances); every 25th record is
    // then deleted: 1,000 punches, 500 at a time, and 20 deletes among them.
    const records = new Set<number>();
    const outcomes = await Promise.all(people.map(async (p, i) => {
      const [first, second] = i % 2 ? [a, b] : [b, a];
      const cin = await http(first.url, 'POST', '/attendance/check-in', { token: admin.token, json: { employee_id: p.employee_id, client_event_id: `feed-${uid()}` } });
      const cout = await http(second.url, 'POST', '/attendance/check-out', { token: admin.token, json: { employee_id: p.employee_id, client_event_id: `feed-${uid()}` } });
      const id = cin.body?.record?.record_id as number;
      records.add(id);
      if (i % 25 === 0) expect((await http(first.url, 'DELETE', `/attendance/${id}`, { token: admin.token })).status).toBe(204);
      return [cin.status, cout.status];
    }));
    expect(outcomes.flat().filter((s) => s !== 200)).toEqual([]);

    // Every change of these records is in the table now; the reader stops at an empty page once it has read as many
    // of them (a transaction of another test file still running holds the feed back meanwhile).
    const expected = await hub.rows<{ change_id: string }>('select change_id from attendance_changes where record_id = any(?::int[]) order by change_id', [pgArray(records)]);
    until.done = () => mine(seen, records).length >= expected.length;
    await reader;

    // Nothing read twice, at all (other files' changes included); every change of these records read.
    expect(seen.length).toBe(new Set(seen.map((c) => c.change_id)).size);
    const ours = mine(seen, records);
    expect(ours.map((c) => c.change_id).sort((x, y) => x - y)).toEqual(expected.map((r) => Number(r.change_id)));
    expect(new Set(ours.map((c) => c.record_id))).toEqual(records);
    expect(ours.filter((c) => c.op === 'delete')).toHaveLength(20);
    // Each record's story in order: created first, deleted (if at all) last; punches of one person came one after the other.
    const byRecord = new Map<number, string[]>();
    for (const c of ours) byRecord.set(c.record_id, [...(byRecord.get(c.record_id) ?? []), c.op]);
    for (const ops of byRecord.values()) {
      expect(ops[0]).toBe('create');
      expect(ops.slice(1, -1)).not.toContain('delete');
    }
    expect(pages).toBeGreaterThan(2);
  }, 180_000);
});
