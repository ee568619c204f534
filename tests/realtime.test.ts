import { sign } from 'hono/jwt';
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, connectError, http, nextEvent, openSocket, sleep, startServer, type Client, withHubAndServer, type TestServer } from './socket-utils.ts';
import { TEST_SECRET, uid, type TestHub } from './utils.ts';

let server: TestServer;
let hub: TestHub;
const sockets: Client[] = [];
const track = (s: Client) => (sockets.push(s), s);

withHubAndServer({ SOCKET_REVALIDATE_SECONDS: '1' }, (h, s) => ((hub = h), (server = s)));
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** An org with a registered kiosk and its device token. */
async function orgWithKiosk(kioskTeam: 'team' | 'none' = 'none') {
  const org = await hub.makeOrg();
  const res = await http(server.url, 'POST', '/kiosks/', {
    token: org.admin.token,
    json: { name: `Door ${uid()}`, team_id: kioskTeam === 'team' ? org.team.team_id : null },
 });
  expect(res.status).toBe(201);
  return { ...org, kiosk: res.body as { kiosk_id: number; token: string; name: string } };
}

describe('kiosk punches and live boards', () => {
  it('when a kiosk punches a badge, then the ack has the record, the punch is stored, and only that team’s board hears of it', async () => {
    const { team, manager, alice, kiosk } = await orgWithKiosk();
    const other = await hub.makeOrg();
    const board = track(await openSocket(server.url, manager.token));
    const otherBoard = track(await openSocket(server.url, other.manager.token));
    const snapshot = await board.emitWithAck('board:join', { team_id: team.team_id });
    expect(snapshot.ok).toBe(true);
    if (!snapshot.ok) return;
    expect(snapshot.team_id).toBe(team.team_id);
    expect(snapshot.members.map((m) => m.employee_id).sort()).toEqual([manager.employee_id, alice.employee_id, (await hub.rows<{ employee_id: number }>('select employee_id from employees where team_id = ? and employee_id not in (?, ?)', [team.team_id, manager.employee_id, alice.employee_id]))[0].employee_id].sort());
    // Nobody in yet: not in yet, overdue or off, depending on the clock and the weekday.
    expect(snapshot.counts.not_in_yet + snapshot.counts.overdue + snapshot.counts.off).toBe(3);
    expect(snapshot.counts.in_now).toBe(0);
    expect((await otherBoard.emitWithAck('board:join', { team_id: other.team.team_id })).ok).toBe(true);
    const otherSeen = collect(otherBoard, 'attendance:changed');

    const kioskSocket = track(await openSocket(server.url, kiosk.token));
    const changed = nextEvent(board, 'attendance:changed');
    const eventId = `evt-${uid()}`;
    const ack = await kioskSocket.emitWithAck('attendance:check', { badge_id: alice.badge_id!, client_event_id: eventId });
    expect(ack).toMatchObject({ ok: true, action: 'check_in', duplicate: false });
    if (!ack.ok) return;
    expect(ack.record.employee_id).toBe(alice.employee_id);

    const event = await changed;
    expect(event).toMatchObject({ action: 'check_in', team_id: team.team_id, employee: { employee_id: alice.employee_id, name: alice.name } });
    expect(event.record.record_id).toBe(ack.record.record_id);
    expect(event.seq).toBe(snapshot.seq + 1);

    const punches = await hub.rows<{ source: string; device: string; record_id: number }>('select source, device, record_id from punches where client_event_id = ?', [eventId]);
    expect(punches).toEqual([{ source: 'kiosk', device: kiosk.name, record_id: ack.record.record_id }]);
    const [record] = await hub.rows<{ status: string }>('select status from attendance where record_id = ?', [ack.record.record_id]);
    expect(['Present', 'Late']).toContain(record.status);

    await sleep(300);
    expect(otherSeen).toEqual([]);

    // The next join sees the change in the snapshot and the counter moved on.
    const again = await board.emitWithAck('board:join', { team_id: team.team_id });
    if (!again.ok) throw new Error('join failed');
    expect(again.seq).toBe(event.seq);
    expect(again.members.find((m) => m.employee_id === alice.employee_id)?.check_in_time).toBe(ack.record.check_in_time);
 });

  it('when the same client_event_id is sent again, sequentially or at once, then one punch row and the same record', async () => {
    const { alice, kiosk } = await orgWithKiosk();
    const a = track(await openSocket(server.url, kiosk.token));
    const b = track(await openSocket(server.url, kiosk.token));
    const eventId = `dup-${uid()}`;
    const payload = { badge_id: alice.badge_id!, client_event_id: eventId };
    const acks = await Promise.all([...Array(6)].map((_, i) => (i % 2 ? a : b).emitWithAck('attendance:check', payload)));
    const later = await a.emitWithAck('attendance:check', payload);
    const all = [...acks, later];
    expect(all.every((x) => x.ok)).toBe(true);
    expect(all.filter((x) => x.ok && !x.duplicate)).toHaveLength(1);
    expect(new Set(all.map((x) => (x.ok ? x.record.record_id : 0))).size).toBe(1);
    const [{ n }] = await hub.rows<{ n: string }>('select count(*) as n from punches where client_event_id = ?', [eventId]);
    expect(Number(n)).toBe(1);
 });

  it('when a record is edited over REST, then the board receives "updated" with the new values', async () => {
    const { team, manager, alice, admin } = await orgWithKiosk();
    const created = await http(server.url, 'POST', '/attendance/', {
      token: admin.token,
      json: { employee_id: alice.employee_id, attendance_date: '2026-01-05', status: 'Present' },
   });
    expect(created.status).toBe(201);
    const board = track(await openSocket(server.url, manager.token));
    await board.emitWithAck('board:join', { team_id: team.team_id });
    const changed = nextEvent(board, 'attendance:changed');
    const res = await http(server.url, 'PUT', `/attendance/${created.body.record_id}`, { token: manager.token, json: { status: 'Remote', notes: 'worked from home' } });
    expect(res.status).toBe(200);
    const event = await changed;
    expect(event).toMatchObject({ action: 'updated', team_id: team.team_id, record: { record_id: created.body.record_id, status: 'Remote', notes: 'worked from home' } });
 });

  it('when an employee punches for themselves over the socket, then only their own socket and their team board hear it', async () => {
    const { team, manager, alice, bob } = await orgWithKiosk();
    const aliceSocket = track(await openSocket(server.url, alice.token));
    const bobSocket = track(await openSocket(server.url, bob.token));
    const bobSeen = collect(bobSocket, 'attendance:changed');
    const board = track(await openSocket(server.url, manager.token));
    await board.emitWithAck('board:join', { team_id: team.team_id });
    const own = nextEvent(aliceSocket, 'attendance:changed');
    const onBoard = nextEvent(board, 'attendance:changed');
    const ack = await aliceSocket.emitWithAck('attendance:check', { employee_id: alice.employee_id, client_event_id: `self-${uid()}` });
    expect(ack.ok).toBe(true);
    expect((await own).employee.employee_id).toBe(alice.employee_id);
    expect((await onBoard).employee.employee_id).toBe(alice.employee_id);
    const forOther = await aliceSocket.emitWithAck('attendance:check', { employee_id: bob.employee_id, client_event_id: `other-${uid()}` });
    expect(forOther).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await sleep(200);
    expect(bobSeen).toEqual([]);
 });

  it('when an employee sends occurred_at on their own socket punch, then occurred_at_not_allowed and nothing is written; a kiosk replaying an offline punch may', async () => {
    const { alice, bob, kiosk } = await orgWithKiosk();
    const aliceSocket = track(await openSocket(server.url, alice.token));
    const earlier = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const key = `backdated-${uid()}`;
    const own = await aliceSocket.emitWithAck('attendance:check', { employee_id: alice.employee_id, occurred_at: earlier, client_event_id: key });
    expect(own).toMatchObject({ ok: false, error: { code: 'occurred_at_not_allowed' } });
    expect(await hub.rows('select 1 from punches where client_event_id = ?', [key])).toHaveLength(0);
    const kioskSocket = track(await openSocket(server.url, kiosk.token));
    const replay = await kioskSocket.emitWithAck('attendance:check', { badge_id: bob.badge_id!, occurred_at: earlier, client_event_id: `offline-${uid()}` });
    expect(replay).toMatchObject({ ok: true, action: 'check_in' });
    if (replay.ok) expect(replay.record.check_in_time).toBe(new Date(earlier).toISOString());
 });

  it('when someone without the right asks to watch a board, then an error ack and no events', async () => {
    const { team, alice, kiosk } = await orgWithKiosk();
    const other = await hub.makeOrg();
    const employeeSocket = track(await openSocket(server.url, alice.token));
    expect(await employeeSocket.emitWithAck('board:join', { team_id: team.team_id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const foreignManager = track(await openSocket(server.url, other.manager.token));
    expect(await foreignManager.emitWithAck('board:join', { team_id: team.team_id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const seen = collect(foreignManager, 'attendance:changed');
    const kioskSocket = track(await openSocket(server.url, kiosk.token));
    expect(await kioskSocket.emitWithAck('board:join', { team_id: team.team_id })).toMatchObject({ ok: false });
    await kioskSocket.emitWithAck('attendance:check', { badge_id: alice.badge_id!, client_event_id: `x-${uid()}` });
    await sleep(300);
    expect(seen).toEqual([]);
 });

  it('when an admin joins any board and leaves it, then events stop after leaving', async () => {
    const { team, admin, alice, bob, kiosk } = await orgWithKiosk();
    const board = track(await openSocket(server.url, admin.token));
    expect((await board.emitWithAck('board:join', { team_id: team.team_id })).ok).toBe(true);
    const kioskSocket = track(await openSocket(server.url, kiosk.token));
    const first = nextEvent(board, 'attendance:changed');
    await kioskSocket.emitWithAck('attendance:check', { badge_id: alice.badge_id!, client_event_id: `a-${uid()}` });
    await first;
    expect(await board.emitWithAck('board:leave', { team_id: team.team_id })).toEqual({ ok: true, team_id: team.team_id });
    const seen = collect(board, 'attendance:changed');
    await kioskSocket.emitWithAck('attendance:check', { badge_id: bob.badge_id!, client_event_id: `b-${uid()}` });
    await sleep(300);
    expect(seen).toEqual([]);
 });

  it('when a kiosk bound to a team reads a badge of another team, then it is refused and nothing is written', async () => {
    const { kiosk } = await orgWithKiosk('team');
    const stranger = await hub.makeOrg();
    const kioskSocket = track(await openSocket(server.url, kiosk.token));
    const eventId = `foreign-${uid()}`;
    const ack = await kioskSocket.emitWithAck('attendance:check', { badge_id: stranger.alice.badge_id!, client_event_id: eventId });
    expect(ack).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await hub.rows('select 1 from punches where client_event_id = ?', [eventId])).toHaveLength(0);
 });
});

describe('socket authentication', () => {
  it('when the token is missing, garbage, tampered, expired, wrongly signed or revoked, then connect_error "unauthorized"', async () => {
    const { alice, admin, kiosk } = await orgWithKiosk();
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: String(alice.employee_id), access: 'employee', iat: now, nbf: now, iss: 'check-in-hub', aud: 'check-in-hub' };
    const expired = await sign({ ...claims, exp: now - 10 }, TEST_SECRET, 'HS256');
    const wrongKey = await sign({ ...claims, exp: now + 600 }, 'another-secret-that-is-long-enough-000000', 'HS256');
    const [h, p, s] = alice.token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = [h, Buffer.from(JSON.stringify({ ...payload, access: 'admin' })).toString('base64url'), s].join('.');
    for (const token of [undefined, '', 'garbage', 42, expired, wrongKey, tampered, 'khub_not-a-real-kiosk-token']) {
      expect(await connectError(server.url, token)).toBe('unauthorized');
   }
    expect(await connectError(server.url, kiosk.token)).toBe('connected');
    expect((await http(server.url, 'DELETE', `/kiosks/${kiosk.kiosk_id}`, { token: admin.token })).status).toBe(204);
    expect(await connectError(server.url, kiosk.token)).toBe('unauthorized');
 });

  it('when a kiosk is revoked, then its live socket is told and disconnected at once', async () => {
    const { admin, kiosk } = await orgWithKiosk();
    const kioskSocket = await openSocket(server.url, kiosk.token);
    const ended = nextEvent(kioskSocket, 'session:ended');
    const gone = nextEvent(kioskSocket, 'disconnect');
    expect((await http(server.url, 'DELETE', `/kiosks/${kiosk.kiosk_id}`, { token: admin.token })).status).toBe(204);
    expect(await ended).toEqual({ reason: 'revoked' });
    expect(await gone).toBe('io server disconnect');
    const list = await http(server.url, 'GET', '/kiosks/?include_revoked=true&limit=1000', { token: admin.token });
    expect(list.body.find((k: { kiosk_id: number }) => k.kiosk_id === kiosk.kiosk_id).revoked_at).not.toBeNull();
 });

  it('when a user token expires, then the socket is disconnected', async () => {
    const { alice } = await orgWithKiosk();
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(
      { sub: String(alice.employee_id), access: 'employee', iat: now, nbf: now, exp: now + 2, iss: 'check-in-hub', aud: 'check-in-hub' },
      TEST_SECRET,
      'HS256',
    );
    const socket = await openSocket(server.url, token);
    const ended = await nextEvent(socket, 'session:ended', 5000);
    expect(ended).toEqual({ reason: 'token_expired' });
    socket.close();
 });

  it('when a user is deactivated, then their open socket closes within the sweep interval', async () => {
    const { alice, admin } = await orgWithKiosk();
    const socket = await openSocket(server.url, alice.token);
    const ended = nextEvent(socket, 'session:ended', 5000);
    expect((await http(server.url, 'PUT', `/employees/${alice.employee_id}`, { token: admin.token, json: { active: false } })).status).toBe(200);
    expect(await ended).toEqual({ reason: 'deactivated' });
    socket.close();
 });
});

describe('bad payloads', () => {
  it('when payloads have wrong types, unknown fields or no ack, then error acks, nothing written, and the socket keeps working', async () => {
    const { alice, kiosk } = await orgWithKiosk();
    const socket = track(await openSocket(server.url, kiosk.token));
    const bad: unknown[] = [
      null,
      'text',
      [],
      { badge_id: 12, client_event_id: 'x1' },
      { badge_id: alice.badge_id, client_event_id: 'x2', extra: true },
      { badge_id: alice.badge_id },
      { badge_id: alice.badge_id, employee_id: alice.employee_id, client_event_id: 'x3' },
      { badge_id: alice.badge_id, client_event_id: 'x4', occurred_at: 'yesterday' },
      { badge_id: alice.badge_id, client_event_id: 'x5', occurred_at: new Date(Date.now() + 3_600_000).toISOString() },
      { badge_id: 'no-such-badge', client_event_id: `x6-${uid()}` },
    ];
    for (const payload of bad) {
      const ack = await socket.emitWithAck('attendance:check', payload as never);
      expect(ack.ok).toBe(false);
      if (!ack.ok) expect(typeof ack.error.message).toBe('string');
   }
    expect(await hub.rows('select 1 from punches where employee_id = ?', [alice.employee_id])).toHaveLength(0);
    socket.emit('attendance:check', { badge_id: alice.badge_id!, client_event_id: `noack-${uid()}` } as never, undefined as never);
    (socket as unknown as { emit: (e: string, p: unknown) => void }).emit('attendance:check', { badge_id: alice.badge_id });
    (socket as unknown as { emit: (e: string, p: unknown) => void }).emit('no:such:event', { x: 1 });
    const ok = await socket.emitWithAck('attendance:check', { badge_id: alice.badge_id!, client_event_id: `ok-${uid()}` });
    expect(ok.ok).toBe(true);
 });

  it('when a client sends a huge payload, then that socket is dropped and other clients carry on', async () => {
    const { alice, bob, kiosk } = await orgWithKiosk();
    const victim = track(await openSocket(server.url, kiosk.token));
    const bystander = track(await openSocket(server.url, kiosk.token));
    const dropped = nextEvent(victim, 'disconnect');
    victim.emit('attendance:check', { badge_id: 'x'.repeat(200_000), client_event_id: 'big' } as never, () => undefined);
    await dropped;
    const ack = await bystander.emitWithAck('attendance:check', { badge_id: bob.badge_id!, client_event_id: `by-${uid()}` });
    expect(ack.ok).toBe(true);
    expect(alice).toBeDefined();
 });

  it('when a kiosk floods punches, then the excess gets rate_limited acks and the server stays up', async () => {
    const flood = await startServer({ KIOSK_PUNCH_BURST: '5', KIOSK_PUNCHES_PER_SECOND: '1' });
    try {
      const org = await hub.makeOrg();
      const res = await http(flood.url, 'POST', '/kiosks/', { token: org.admin.token, json: { name: `Flood ${uid()}` } });
      const socket = await openSocket(flood.url, res.body.token);
      const acks = await Promise.all(
        [...Array(20)].map(() => socket.emitWithAck('attendance:check', { badge_id: 'unknown-badge', client_event_id: `f-${uid()}` })),
      );
      const limited = acks.filter((a) => !a.ok && a.error.code === 'rate_limited');
      expect(limited.length).toBeGreaterThanOrEqual(14);
      expect((await fetch(`${flood.url}/healthz`)).status).toBe(200);
      socket.close();
   } finally {
      await flood.stop('test');
   }
 });
});

describe('rooms and rights', () => {
  it('when an admin joins the board of a team that does not exist, then 404 and the socket is in no such room', async () => {
    const { admin } = await hub.makeOrg();
    const socket = track(await openSocket(server.url, admin.token));
    const missing = 1_999_999_999;
    const ack = await socket.emitWithAck('board:join', { team_id: missing });
    expect(ack).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(server.realtime.io.of('/').adapter.rooms.get(`team:${missing}`)).toBeUndefined();
 });

  it('when a manager moved to another team reconnects with connection-state recovery, then the old team’s room is dropped and its changes no longer reach them', async () => {
    const { team, manager, admin, alice, kiosk } = await orgWithKiosk();
    const elsewhere = await hub.makeTeam();
    const watcher = track(await openSocket(server.url, admin.token));
    expect((await watcher.emitWithAck('board:join', { team_id: team.team_id })).ok).toBe(true);
    // A browser tab: it reconnects by itself and asks the server to recover its session.
    const board: Client = connect(server.url, { auth: { token: manager.token }, transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
    track(board);
    await new Promise((resolve) => board.once('connect', () => resolve(null)));
    expect((await board.emitWithAck('board:join', { team_id: team.team_id })).ok).toBe(true);
    const kioskSocket = track(await openSocket(server.url, kiosk.token));
    const first = nextEvent(board, 'attendance:changed');
    await kioskSocket.emitWithAck('attendance:check', { badge_id: alice.badge_id!, client_event_id: `r1-${uid()}` });
    await first;

    expect((await http(server.url, 'PUT', `/employees/${manager.employee_id}`, { token: admin.token, json: { team_id: elsewhere.team_id } })).status).toBe(200);
    const back = new Promise<boolean>((resolve) => board.once('connect', () => resolve(board.recovered)));
    board.io.engine.close(); // the connection drops; the client comes back within a few hundred ms
    expect(await back).toBe(true);

    const seen = collect(board, 'attendance:changed');
    const watched = nextEvent(watcher, 'attendance:changed');
    await kioskSocket.emitWithAck('attendance:check', { badge_id: alice.badge_id!, client_event_id: `r2-${uid()}` });
    await watched;
    await sleep(300);
    expect(seen).toEqual([]);
    const rooms = [...(server.realtime.io.of('/').sockets.get(board.id!)?.rooms ?? [])];
    expect(rooms).not.toContain(`team:${team.team_id}`);
    expect(rooms).toContain(`user:${manager.employee_id}`);
 });
});
