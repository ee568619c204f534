// npm run bench:fanout [-- --watchers 1000 --rate 100 --seconds 10 --warmup 2 --kiosks 4 --modes postgres[,embedded]]
//
// Broadcast fan-out of one team board: W sockets (the team's manager, or an admin) have joined ONE team's board
// (`board:join`); K kiosks punch that team's badges in an OPEN loop (a timer fires punches at --rate per second,
// round-robin over the kiosks and the team's members, whatever the answers), for --warmup + --seconds. Measured, for
// each punch emitted in the measured window: the delay from the kiosk's emit to each watcher's `attendance:changed`
// (p50/p99 over every (punch, watcher) pair), and the messages/s the watchers received. The watchers speak the
// Engine.IO/Socket.IO wire protocol over bare `ws` clients (--hub-client raw, default: the same client-side work per
// message as the baseline's watchers), or run socket.io-client (--hub-client socket.io); the kiosks run socket.io-client.
//
// Baseline, in the same run and the same process layout (server in a child process, every client in this process):
// a plain `ws` server (bench/ws-server.ts) that answers each kiosk message by broadcasting a message of the same size
// as the hub's `attendance:changed` frame to W plain WebSocket clients, at the same rate. The table gives
// p99(hub) / p99(ws). Target: hub p99 under 100 ms and within 2× of plain ws.
//
// Modes: postgres (default): the hub on a scratch PostgreSQL database seeded small (db:seed, dropped afterwards) and
// Redis (unique key prefix, deleted afterwards); embedded (--modes postgres,embedded): the hub on a fresh PGlite dir.
// Progress on stderr; the result (machine facts, one Markdown table, notes) on stdout. It measures, it does not assert.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { AttendanceChanged } from '../src/modules/attendance/index.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  api,
  cell,
  type Client,
  type Cpu,
  cpuMark,
  cpuSince,
  type Employee,
  int,
  isFinishing,
  listEmployees,
  listFlag,
  login,
  machineFacts,
  ms,
  numberFlag,
  onCleanup,
  openSocket,
  openWireSocket,
  summaryLines,
  type SummaryRow,
  percentile,
  progress,
  ratio,
  RUN_ID,
  runMain,
  type ServerProcess,
  sleep,
  startEmbeddedHub,
  startPostgresHub,
  UNLIMITED,
  withTimeout,
} from './lib.ts';
import {
  cpuCell,
  disturbance,
  fdLimits,
  inWaves,
  openWs,
  raiseFdLimit,
  SEEDED_PASSWORD,
  serviceIds,
  startWsServer,
} from './socket-lib.ts';

const EMIT_TIMEOUT_MS = 10_000;
const DRAIN_MS = 10_000;

// ---------------------------------------------------------------------------------------------------------------
// Arguments

const { values: args } = parseArgs({
  options: {
    watchers: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    kiosks: { type: 'string', default: '4' },
    employees: { type: 'string', default: '400' },
    teams: { type: 'string', default: '2' },
    wave: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '1' },
    'hub-client': { type: 'string', default: 'raw' },
    'hub-cpu-prof': { type: 'string' },
    modes: { type: 'string', default: 'postgres' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.error(
    'npm run bench:fanout -- [--watchers 1000] [--rate 100] [--seconds 10] [--warmup 2] [--kiosks 4]\n' +
      '                        [--employees 400 --teams 2]  (postgres mode: db:seed size)  [--wave 200]  (sockets opened at a time)\n' +
      '                        [--rounds 1]  (hub then ws, repeated: each hub run is compared with the ws run of its round)\n' +
      '                        [--hub-cpu-prof DIR]  (a V8 CPU profile of the hub process)\n' +
      '                        [--hub-client raw|socket.io]  (the hub watchers: the wire protocol over a bare ws client, or socket.io-client)\n' +
      '                        [--modes postgres,embedded] [--pg-url postgres://…/postgres] [--redis-url redis://…  ("" for none)]',
  );
  process.exit(0);
}
const WATCHERS = Math.floor(numberFlag('watchers', args.watchers, 1, 20_000));
const RATE = numberFlag('rate', args.rate, 1, 10_000);
const SECONDS = numberFlag('seconds', args.seconds, 1, 3600);
const WARMUP = numberFlag('warmup', args.warmup, 0, 600);
const KIOSKS = Math.floor(numberFlag('kiosks', args.kiosks, 1, 100));
const SEED_EMPLOYEES = Math.floor(numberFlag('employees', args.employees, 1, 100_000));
const SEED_TEAMS = Math.floor(numberFlag('teams', args.teams, 1, 7));
const WAVE = Math.floor(numberFlag('wave', args.wave, 1, 5000));
const ROUNDS = Math.floor(numberFlag('rounds', args.rounds, 1, 20));
const HUB_CLIENT = args['hub-client'];
const HUB_NODE_ARGS = args['hub-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['hub-cpu-prof']}`] : [];
if (HUB_CLIENT !== 'raw' && HUB_CLIENT !== 'socket.io') {
  console.error('--hub-client must be raw or socket.io');
  process.exit(2);
}
const MODES = listFlag('modes', args.modes, ['postgres', 'embedded'] as const);
const PG_URL = new URL(args['pg-url']);
const REDIS_URL = args['redis-url'] || null;
/** Members punched in turn: each is punched every MEMBERS / RATE seconds, so one punch per person is in flight. */
const MIN_MEMBERS = Math.min(400, Math.max(20, Math.ceil(RATE * 2)));

// ---------------------------------------------------------------------------------------------------------------
// The open loop and the statistics, shared by the hub and the ws runs

type Pending = { t0: number; measured: boolean; received: number; acked: boolean };

class Tally {
  readonly pending = new Map<string, Pending>();
  readonly deliveries: number[] = [];
  readonly ackLatencies: number[] = [];
  readonly emitLags: number[] = [];
  readonly errors: Record<string, number> = {};
  unmatched = 0;
  /** Messages received by watchers between measureFrom and measureTo (whatever punch they belong to). */
  inWindow = 0;
  sent = 0;
  measuredSent = 0;
  measureFrom = Infinity;
  measureTo = Infinity;

  error(code: string) {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }
  /** A watcher received the broadcast of `key`. */
  delivered(key: string, now: number) {
    if (now >= this.measureFrom && now < this.measureTo) this.inWindow++;
    const p = this.pending.get(key);
    if (!p) {
      this.unmatched++;
      return;
    }
    p.received++;
    if (p.measured) this.deliveries.push(now - p.t0);
  }
  acked(p: Pending) {
    p.acked = true;
    if (p.measured) this.ackLatencies.push(performance.now() - p.t0);
  }
}

/**
 * Fires `fire(n)` for n = 0, 1, … at `rate` per second from a timer (open loop: never waits for answers), for
 * warm-up + measured seconds. Punches scheduled in the measured window are the measured ones. Resolves when the last
 * one is fired; the lateness of each fire (this process's own lag) is kept in tally.emitLags.
 */
function openLoop(tally: Tally, fire: (n: number, measured: boolean) => void): Promise<void> {
  const start = performance.now() + 100;
  const total = Math.round(RATE * (WARMUP + SECONDS));
  tally.measureFrom = start + WARMUP * 1000;
  tally.measureTo = tally.measureFrom + SECONDS * 1000;
  const due = (n: number) => start + (n * 1000) / RATE;
  let n = 0;
  return new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (n < total && due(n) <= now) {
        const at = due(n);
        tally.emitLags.push(now - at);
        const measured = at >= tally.measureFrom && at < tally.measureTo;
        tally.sent++;
        if (measured) tally.measuredSent++;
        fire(n, measured);
        n++;
      }
      if (n >= total || isFinishing()) return resolve();
      setTimeout(tick, Math.max(0, due(n) - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
}

type FanoutResult = {
  watchers: number;
  kiosks: number;
  sent: number;
  measuredSent: number;
  acked: number;
  ack: { p50: number; p99: number };
  delivery: { p50: number; p90: number; p99: number; max: number; samples: number };
  delivered: number;
  expected: number;
  messagesPerSecond: number;
  emitLagP99: number;
  errors: Record<string, number>;
  unmatched: number;
  cpu: Cpu | null;
  loopDelayP99: number;
  payloadBytes: number;
  serverErrorLogs: number;
  connectSeconds: number;
  notes: string[];
  /** PostgreSQL or Redis restarted during the run (by other work on the machine), or null. */
  disturbed: string | null;
};

/** Runs the open loop with CPU and event-loop readings over the measured window, then waits (bounded) for the stragglers. */
async function drive(label: string, tally: Tally, serverPid: number, fire: (n: number, measured: boolean) => void) {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let cpu: Cpu | null = null;
  let mark: ReturnType<typeof cpuMark> | null = null;
  const ticker = setInterval(
    () => progress(`${label}: ${performance.now() < tally.measureFrom ? 'warm-up' : 'measuring'}, ${int(tally.sent)} punches sent, ${int(tally.deliveries.length)} measured deliveries`),
    2000,
  );
  try {
    // The CPU and event-loop window opens with the first measured punch and closes after the last one (timers of their
    // own would fire late exactly when this process is overloaded).
    await withTimeout(
      openLoop(tally, (n, measured) => {
        if (measured && !mark) {
          mark = cpuMark(serverPid);
          loopDelay.enable();
        }
        fire(n, measured);
      }),
      (WARMUP + SECONDS) * 1000 + 60_000,
      `${label} open loop`,
    );
    if (mark) cpu = cpuSince(mark, serverPid);
  } finally {
    clearInterval(ticker);
    loopDelay.disable();
  }
  const measured = [...tally.pending.values()].filter((p) => p.measured);
  const expected = measured.length * WATCHERS_ACTUAL.get(label)!;
  const delivered = () => measured.reduce((sum, p) => sum + Math.min(p.received, WATCHERS_ACTUAL.get(label)!), 0);
  const acked = () => measured.filter((p) => p.acked).length;
  const until = performance.now() + DRAIN_MS;
  while ((delivered() < expected || acked() < measured.length) && performance.now() < until) await sleep(50);
  if (delivered() < expected) progress(`${label}: ${int(expected - delivered())} deliveries still missing ${DRAIN_MS / 1000} s after the last punch`);
  return { cpu: cpu as Cpu | null, loopDelayP99: loopDelay.count ? loopDelay.percentile(99) / 1e6 : NaN, expected, delivered: delivered(), acked: acked() };
}

function summarize(
  tally: Tally,
  d: Awaited<ReturnType<typeof drive>>,
  extra: Pick<FanoutResult, 'watchers' | 'kiosks' | 'payloadBytes' | 'serverErrorLogs' | 'connectSeconds' | 'notes' | 'disturbed'>,
): FanoutResult {
  const del = Float64Array.from(tally.deliveries).sort();
  const acks = Float64Array.from(tally.ackLatencies).sort();
  const lags = Float64Array.from(tally.emitLags).sort();
  return {
    ...extra,
    sent: tally.sent,
    measuredSent: tally.measuredSent,
    acked: d.acked,
    ack: { p50: percentile(acks, 50), p99: percentile(acks, 99) },
    delivery: { p50: percentile(del, 50), p90: percentile(del, 90), p99: percentile(del, 99), max: del.length ? del[del.length - 1] : NaN, samples: del.length },
    delivered: d.delivered,
    expected: d.expected,
    messagesPerSecond: tally.inWindow / SECONDS,
    emitLagP99: percentile(lags, 99),
    errors: tally.errors,
    unmatched: tally.unmatched,
    cpu: d.cpu,
    loopDelayP99: d.loopDelayP99,
  };
}

/** Watchers actually connected, by run label (a run goes on with fewer if some could not connect). */
const WATCHERS_ACTUAL = new Map<string, number>();

// ---------------------------------------------------------------------------------------------------------------
// The hub

/** The team with the most badged, active members; its members, created through the REST API up to MIN_MEMBERS. */
async function pickTeam(base: string, adminToken: string, label: string) {
  let employees = await listEmployees(base, adminToken);
  const eligible = (e: Employee) => e.active && e.badge_id && e.team_id != null;
  const counts = new Map<number, number>();
  for (const e of employees) if (eligible(e)) counts.set(e.team_id!, (counts.get(e.team_id!) ?? 0) + 1);
  const team = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  if (team == null) throw new Error('no team with badged employees');
  const have = counts.get(team)!;
  if (have < MIN_MEMBERS) {
    const missing = MIN_MEMBERS - have;
    progress(`${label}: team ${team} has ${have} badged members; creating ${missing} more through POST /employees/`);
    await inWaves(Array.from({ length: missing }, (_, i) => i), 8, async (i) => {
      await api(base, 'POST', '/employees/', {
        token: adminToken,
        json: {
          name: `Bench Member ${i}`,
          email: `bench.${RUN_ID}.${i}@example.com`.toLowerCase(),
          password: `Bench-${RUN_ID}-${i}-42`,
          team_id: team,
          badge_id: `BENCH${RUN_ID}${i}`.replace(/[^\x21-\x7e]/g, ''),
        },
      });
    }).then((results) => {
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    });
    employees = await listEmployees(base, adminToken);
  }
  const members = employees.filter((e) => eligible(e) && e.team_id === team).sort((a, b) => a.employee_id - b.employee_id);
  const managers = employees.filter((e) => e.active && e.access === 'manager' && e.team_id === team);
  return { team, members, managers };
}

type HubSetup = { label: string; mode: string; started: Awaited<ReturnType<typeof startPostgresHub>>; team: number; members: Employee[]; watcherTokens: string[]; watcherKind: string; kioskTokens: string[] };

/** Starts the hub, picks the team, signs in the watchers' user, registers the kiosks (once per mode, for every round). */
async function setupHub(mode: string): Promise<HubSetup> {
  const label = `hub (${mode})`;
  const started =
    mode === 'embedded'
      ? await startEmbeddedHub(label, { nodeArgs: HUB_NODE_ARGS })
      : await startPostgresHub(label, { pgUrl: PG_URL, redisUrl: REDIS_URL, employees: SEED_EMPLOYEES, days: 1, teams: SEED_TEAMS, nodeArgs: HUB_NODE_ARGS });
  try {
    const base = started.hub.url;
    const adminToken = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    const { team, members, managers } = await pickTeam(base, adminToken, label);
    // Watchers: the team's managers (seeded with the demo password), else the admin.
    const watcherTokens: string[] = [];
    for (const m of managers) {
      try {
        watcherTokens.push(await login(base, m.email, SEEDED_PASSWORD));
      } catch (error) {
        progress(`${label}: could not sign in as manager ${m.email}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    const watcherKind = watcherTokens.length ? `manager${watcherTokens.length > 1 ? 's' : ''} of the team` : 'admin';
    if (!watcherTokens.length) watcherTokens.push(adminToken);
    progress(`${label}: registering ${KIOSKS} kiosks`);
    const kioskTokens: string[] = [];
    for (let i = 0; i < KIOSKS; i++) {
      const { body } = await api<{ token: string }>(base, 'POST', '/kiosks/', { token: adminToken, json: { name: `bench fanout kiosk ${i + 1}` } });
      kioskTokens.push(body.token);
    }
    return { label, mode, started, team, members, watcherTokens, watcherKind, kioskTokens };
  } catch (error) {
    await started.stop();
    throw error;
  }
}

/**
 * A board watcher speaking the Engine.IO 4 / Socket.IO 5 wire protocol over a plain `ws` client (--hub-client raw, the
 * default): CONNECT with `auth: { token }`, `board:join` with an ack, `attendance:changed` events decoded with one
 * JSON.parse, pings answered. The work per message is then the same as the ws baseline's watcher (one JSON.parse), so
 * the comparison is of the servers, not of socket.io-client against a bare ws client.
 */
type Watcher = { close: () => void };
async function openRawWatcher(base: string, token: string, team: number, onChanged: (change: AttendanceChanged, frameBytes: number) => void): Promise<Watcher> {
  const socket = await openWireSocket(base, token, 30_000);
  try {
    const ack = await socket.emitWithAck('board:join', { team_id: team }, EMIT_TIMEOUT_MS);
    if (!ack.ok) throw new Error(`board:join ${team}: ${ack.error?.code} ${ack.error?.message}`);
  } catch (error) {
    socket.close();
    throw error;
  }
  socket.on('attendance:changed', onChanged);
  return socket;
}

/** A board watcher on socket.io-client (--hub-client socket.io): what a browser page runs. */
async function openClientWatcher(base: string, token: string, team: number, onChanged: (change: AttendanceChanged, frameBytes: number) => void): Promise<Watcher> {
  const socket = await openSocket(base, token, 30_000);
  try {
    const ack = await socket.timeout(EMIT_TIMEOUT_MS).emitWithAck('board:join', { team_id: team });
    if (!ack.ok) throw new Error(`board:join ${team}: ${ack.error.code} ${ack.error.message}`);
  } catch (error) {
    socket.close();
    throw error;
  }
  // The frame on the wire is 42["attendance:changed",{…},"<offset>"]: its size, from the arguments (first one only).
  let sized = false;
  socket.onAny((event: string, ...rest: unknown[]) => {
    if (event !== 'attendance:changed') return;
    onChanged(rest[0] as AttendanceChanged, sized ? NaN : Buffer.byteLength(`42${JSON.stringify([event, ...rest])}`));
    sized = true;
  });
  return { close: () => socket.close() };
}

async function hubRun(setup: HubSetup, round: number): Promise<FanoutResult> {
  const { label, team, members, watcherTokens, watcherKind, kioskTokens } = setup;
  const hub = setup.started.hub;
  const base = hub.url;
  const errorsBefore = hub.errorLines.length;
  const ids = await serviceIds(setup.mode === 'postgres' ? PG_URL : null, setup.mode === 'postgres' ? REDIS_URL : null);
  const sockets: (Client | Watcher)[] = [];
  const closeSockets = onCleanup(`${label} sockets`, async () => {
    for (const s of sockets) s.close();
    sockets.length = 0;
  });
  try {
    progress(`${label}: connecting ${WATCHERS} watchers (${watcherKind}, ${HUB_CLIENT} client) to team ${team}'s board, ${WAVE} at a time`);
    const tally = new Tally();
    let payloadBytes = NaN;
    const keyOf = (employeeId: number, at: string | null) => `${employeeId}|${at}`;
    const onChanged = (change: AttendanceChanged, frameBytes: number) => {
      const now = performance.now();
      const at = change.action === 'check_out' ? change.record.check_out_time : change.record.check_in_time;
      tally.delivered(keyOf(change.record.employee_id, at), now);
      if (!Number.isFinite(payloadBytes) && Number.isFinite(frameBytes)) payloadBytes = frameBytes;
    };
    const openWatcher = HUB_CLIENT === 'raw' ? openRawWatcher : openClientWatcher;
    const connectStarted = performance.now();
    const results = await inWaves(Array.from({ length: WATCHERS }, (_, i) => i), WAVE, async (i) => {
      const watcher = await openWatcher(base, watcherTokens[i % watcherTokens.length], team, onChanged);
      sockets.push(watcher);
    });
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const failures = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    const watching = results.length - failures.length;
    if (failures.length) progress(`${label}: ${failures.length} watchers failed to connect/join; the first: ${failures[0].reason?.message ?? failures[0].reason}`);
    if (!watching) throw new Error(`no watcher could join the board: ${failures[0]?.reason?.message ?? 'unknown'}`);
    WATCHERS_ACTUAL.set(label, watching);
    progress(`${label}: ${watching} watchers on the board in ${connectSeconds.toFixed(1)} s; connecting ${KIOSKS} kiosks`);
    const kiosks = await Promise.all(kioskTokens.map((t) => openSocket(base, t)));
    sockets.push(...kiosks);

    progress(`${label}: round ${round}: ${RATE} punches/s for ${WARMUP} s warm-up + ${SECONDS} s measured over ${members.length} members of team ${team}`);
    const lastAt = new Map<number, number>();
    const d = await drive(label, tally, hub.pid, (n, measured) => {
      const kiosk = kiosks[n % kiosks.length];
      const employee = members[n % members.length];
      const atMs = Math.max(Date.now(), (lastAt.get(employee.employee_id) ?? 0) + 1);
      lastAt.set(employee.employee_id, atMs);
      const occurred_at = new Date(atMs).toISOString();
      const p: Pending = { t0: performance.now(), measured, received: 0, acked: false };
      tally.pending.set(keyOf(employee.employee_id, occurred_at), p);
      kiosk
        .timeout(EMIT_TIMEOUT_MS)
        .emitWithAck('attendance:check', { badge_id: employee.badge_id!, client_event_id: `fanout-${RUN_ID}-${round}-${n}`, occurred_at })
        .then(
          (ack) => {
            if (!ack.ok) return measured && tally.error(ack.error.code);
            if (ack.duplicate) return measured && tally.error('unexpected_duplicate');
            tally.acked(p);
          },
          () => measured && tally.error(kiosk.connected ? 'ack_timeout' : 'kiosk_disconnected'),
        );
    });
    if (hub.child.exitCode !== null || hub.child.signalCode !== null) throw new Error(`the hub process exited during the run (${hub.child.exitCode ?? hub.child.signalCode}): ${hub.tail.slice(-3).join(' ').slice(0, 500)}`);
    const disturbed = disturbance(ids, await serviceIds(setup.mode === 'postgres' ? PG_URL : null, setup.mode === 'postgres' ? REDIS_URL : null));
    if (disturbed) progress(`${label}: ${disturbed}`);
    const newErrors = hub.errorLines.slice(errorsBefore);
    if (newErrors.length) progress(`${label}: the hub logged ${newErrors.length} errors; the first: ${newErrors[0].slice(0, 1000)}`);
    return summarize(tally, d, {
      watchers: watching,
      kiosks: KIOSKS,
      payloadBytes,
      serverErrorLogs: newErrors.length,
      connectSeconds,
      disturbed,
      notes: [`watchers: ${watcherKind}, ${HUB_CLIENT === 'raw' ? 'speaking the Engine.IO/Socket.IO wire protocol over bare ws clients (one JSON.parse per message, as the ws baseline)' : 'socket.io-client'}; team ${team}, ${members.length} members punched in turn; ${setup.started.mode}; hub open-files limit ${fdLimits(hub.pid)?.soft ?? '?'}`],
    });
  } finally {
    await closeSockets();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The plain ws baseline

async function wsRun(server: ServerProcess, payloadBytes: number, round: number): Promise<FanoutResult> {
  const label = 'plain ws';
  const sockets: WebSocket[] = [];
  const closeSockets = onCleanup(`${label} sockets`, async () => {
    for (const s of sockets) s.terminate();
    sockets.length = 0;
  });
  const errorsBefore = server.errorLines.length;
  try {
    const tally = new Tally();
    const ws = `ws://127.0.0.1:${server.port}`;
    progress(`${label}: connecting ${WATCHERS} watchers, ${WAVE} at a time`);
    const connectStarted = performance.now();
    const results = await inWaves(Array.from({ length: WATCHERS }, (_, i) => i), WAVE, async () => {
      const socket = await openWs(`${ws}/watch`);
      sockets.push(socket);
      socket.on('message', (data) => {
        const now = performance.now();
        const { id } = JSON.parse(String(data)) as { id: number };
        tally.delivered(String(id), now);
      });
    });
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const failures = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    const watching = results.length - failures.length;
    if (failures.length) progress(`${label}: ${failures.length} watchers failed to connect; the first: ${failures[0].reason?.message ?? failures[0].reason}`);
    if (!watching) throw new Error(`no watcher could connect: ${failures[0]?.reason?.message ?? 'unknown'}`);
    WATCHERS_ACTUAL.set(label, watching);
    const kiosks = await Promise.all(Array.from({ length: KIOSKS }, () => openWs(`${ws}/kiosk`)));
    sockets.push(...kiosks);
    for (const k of kiosks) {
      k.on('message', (data) => {
        const p = tally.pending.get(String(data));
        if (p) tally.acked(p);
      });
    }
    progress(`${label}: round ${round}: ${RATE} messages/s for ${WARMUP} s warm-up + ${SECONDS} s measured`);
    // Ids are unique over the rounds, so a straggler of an earlier round never matches.
    const offset = round * 10_000_000;
    const d = await drive(label, tally, server.pid, (n, measured) => {
      const p: Pending = { t0: performance.now(), measured, received: 0, acked: false };
      tally.pending.set(String(offset + n), p);
      kiosks[n % kiosks.length].send(String(offset + n));
    });
    return summarize(tally, d, {
      watchers: watching,
      kiosks: KIOSKS,
      payloadBytes,
      serverErrorLogs: server.errorLines.length - errorsBefore,
      connectSeconds,
      disturbed: null,
      notes: [],
    });
  } finally {
    await closeSockets();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The report

type Row = { round: number; target: string; result: FanoutResult | Error };
const NAMES: Record<string, string> = { postgres: 'Check-in Hub (PostgreSQL + Redis)', embedded: 'Check-in Hub (embedded PGlite)', ws: 'plain `ws` broadcast (baseline)' };

/** The server's CPU time per message delivered in the measured window, in µs (robust to other work on the machine). */
const cpuPerMessage = (r: FanoutResult) => (r.cpu?.hub != null && r.messagesPerSecond > 0 ? (r.cpu.hub / 100 / r.messagesPerSecond) * 1e6 : NaN);

/** This process's CPU time per message received in the measured window, in µs (the client side's cost). */
const benchPerMessage = (r: FanoutResult) => (r.cpu && r.messagesPerSecond > 0 ? (r.cpu.bench / 100 / r.messagesPerSecond) * 1e6 : NaN);

/** Why a run's latencies are queueing delays rather than the server's: missing deliveries or a late load generator. */
function saturation(r: FanoutResult): string | null {
  const reasons: string[] = [];
  if (r.expected && r.delivered < 0.99 * r.expected) reasons.push(`only ${((100 * r.delivered) / r.expected).toFixed(1)}% of the deliveries arrived within ${DRAIN_MS / 1000} s`);
  const offered = r.watchers * RATE;
  if (r.messagesPerSecond < 0.9 * offered) reasons.push(`it delivered ${int(r.messagesPerSecond)} of the ${int(offered)} messages/s offered, so its backlog grew all through the window`);
  if (r.disturbed) reasons.push(r.disturbed);
  // Late by more than a whole interval between punches (and 50 ms): the punches went out in clumps, not at the rate.
  if (r.emitLagP99 > Math.max(50, 1000 / RATE)) reasons.push(`the load generator's timer ran ${ms(r.emitLagP99)} ms late (p99), more than the ${ms(1000 / RATE)} ms between punches, so it did not hold ${RATE} punches/s`);
  return reasons.length ? reasons.join('; ') : null;
}

function report(factLines: string[], rows: Row[], limits: string, wsFrame: number) {
  const out: string[] = [];
  out.push('## Check-in Hub board fan-out benchmark', '', ...factLines, `- open files: ${limits}`, '');
  out.push(
    `Run: ${int(WATCHERS)} sockets watching ONE team board; ${RATE} punches/s (open loop, ${KIOSKS} kiosks) for ${WARMUP} s warm-up + ${SECONDS} s measured, i.e. ${int(WATCHERS * RATE)} messages/s to deliver; ${ROUNDS} round(s), hub then ws in each. ` +
      `Delivery = from the kiosk's emit to a watcher's message, over every (measured punch, watcher) pair, in ms. Ratios are against the plain ws run of the same round. ` +
      `Server CPU per message = the server process's CPU time in the window ÷ the messages delivered in it (for the hub it includes the punches' own work); unlike wall-clock latency it hardly depends on how busy the machine is. ` +
      `CPU in the measured window in % of one core (${os.availableParallelism() * 100}% = every core): the server process, this load generator, PostgreSQL, Redis, the whole machine (the rest is other work).`,
    '',
  );
  out.push(
    '| round | server | watchers | punches sent (measured) | acked | delivery p50 | delivery p90 | delivery p99 | max | p99 ÷ ws p99 | messages/s delivered | ÷ ws | server CPU µs per message | ÷ ws | delivered / expected | ack p50 | ack p99 | errors | CPU |',
  );
  out.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const baselineOf = (round: number) => {
    const b = rows.find((r) => r.round === round && r.target === 'ws')?.result;
    return b && !(b instanceof Error) ? b : null;
  };
  for (const { round, target, result: r } of rows) {
    const name = NAMES[target] ?? target;
    if (r instanceof Error) {
      out.push(`| ${round} | ${name} | failed: ${cell(r.message.split('\n')[0])} | | | | | | | | | | | | | | | | |`);
      continue;
    }
    const isBaseline = target === 'ws';
    const b = baselineOf(round);
    const errors = Object.values(r.errors).reduce((x, y) => x + y, 0);
    out.push(
      `| ${round} | ${name}${r.disturbed ? ' ⚠ disturbed' : saturation(r) ? ' ⚠ saturated' : ''} | ${int(r.watchers)} | ${int(r.sent)} (${int(r.measuredSent)}) | ${int(r.acked)} | ${ms(r.delivery.p50)} | ${ms(r.delivery.p90)} | **${ms(r.delivery.p99)}** | ${ms(r.delivery.max)} | ` +
        `${isBaseline ? '1.00 (baseline)' : `**${ratio(r.delivery.p99, b?.delivery.p99 ?? NaN)}**`} | ${int(r.messagesPerSecond)} | ${isBaseline ? '1.00' : ratio(r.messagesPerSecond, b?.messagesPerSecond ?? NaN)} | ` +
        `${ms(cpuPerMessage(r))} | ${isBaseline ? '1.00' : b ? ratio(cpuPerMessage(r), cpuPerMessage(b)) : '—'} | ` +
        `${int(r.delivered)} / ${int(r.expected)} | ${ms(r.ack.p50)} | ${ms(r.ack.p99)} | ${int(errors)} | ${cpuCell(r.cpu)} |`,
    );
  }
  out.push('', 'Verdict (target: hub p99 < 100 ms and ≤ 2× the plain ws p99 of the same round):');
  for (const { round, target, result: r } of rows) {
    if (target === 'ws') continue;
    const name = `round ${round}, ${NAMES[target] ?? target}`;
    const b = baselineOf(round);
    if (r instanceof Error || !b) {
      out.push(`- ${name}: no verdict (${r instanceof Error ? 'the hub run failed' : 'the baseline failed'}).`);
      continue;
    }
    const k = r.delivery.p99 / b.delivery.p99;
    const sat = [saturation(r) && `hub run: ${saturation(r)}`, saturation(b) && `ws baseline: ${saturation(b)}`].filter(Boolean);
    out.push(
      `- ${name}: p99 ${ms(r.delivery.p99)} ms (${r.delivery.p99 < 100 ? 'under' : 'NOT under'} 100 ms), ${k.toFixed(2)}× plain ws (${k <= 2 ? 'within' : 'NOT within'} 2×)` +
        (sat.length
          ? `. **The latencies are not a valid comparison** (${sat.join('; ')}): they measure a backlog, not the server's delivery time. ` +
            `What still compares: the hub delivered ${ratio(r.messagesPerSecond, b.messagesPerSecond)} the plain ws server's messages/s, at ${ratio(cpuPerMessage(r), cpuPerMessage(b))} its CPU per message ` +
            `(one hub process tops out near ${int(1e6 / cpuPerMessage(r))} messages/s per core, plain ws near ${int(1e6 / cpuPerMessage(b))}).`
          : '.'),
    );
  }
  out.push('', 'Notes:');
  for (const { round, target, result: r } of rows) {
    if (r instanceof Error) continue;
    const codes = Object.entries(r.errors).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
    const head = `- round ${round}, ${NAMES[target] ?? target}: `;
    if (target === 'ws') {
      out.push(`${head}watchers connected in ${r.connectSeconds.toFixed(1)} s; load-generator CPU per message ${ms(benchPerMessage(r))} µs; timer lateness of the open loop p99 ${ms(r.emitLagP99)} ms; load-generator event-loop delay p99 ${ms(r.loopDelayP99)} ms.`);
    } else {
      out.push(
        `${head}${r.notes.join('; ')}; watchers connected and joined in ${r.connectSeconds.toFixed(1)} s; \`attendance:changed\` frame ${int(r.payloadBytes)} bytes; ` +
          `errors: ${codes}; broadcasts matching no punch: ${int(r.unmatched)}; hub error log lines: ${r.serverErrorLogs}; ` +
          `load-generator CPU per message ${ms(benchPerMessage(r))} µs; timer lateness of the open loop p99 ${ms(r.emitLagP99)} ms; load-generator event-loop delay p99 ${ms(r.loopDelayP99)} ms.`,
      );
    }
  }
  out.push(
    `- plain ws: bench/ws-server.ts (ws ${WS_VERSION}, no Socket.IO, no database, no Redis) answers each kiosk message with \`send()\` of a ${int(wsFrame)}-byte JSON text message (the size of the hub's frame) to every watcher, then an ack; its watchers are \`ws\` clients that JSON.parse each message.`,
    '- A hub delivery includes the whole punch: validation, the group-committed PostgreSQL transaction, the per-team sequence number, then Socket.IO encoding and a websocket frame per watcher (frames queued for one socket leave in one write). The ws baseline only relays.',
    `- Every client (watchers and kiosks) lives in this one Node process: a broadcast is ${int(WATCHERS)} messages this process handles one after the other, so a delivery p99 includes the client-side time to get through the burst (on real devices that work is spread over ${int(WATCHERS)} machines); its event loop delays the timestamps of both servers alike; hub and ws runs alternate, so load from other work on the machine differs between them. Rate limits raised for the hub (${Object.entries(UNLIMITED).map(([k, v]) => `${k}=${v}`).join(', ')}).`,
  );
  const summary: SummaryRow[] = [];
  for (const { round, target, result: r } of rows) {
    const b = baselineOf(round);
    if (target === 'ws' || r instanceof Error || !b) continue;
    const sat = saturation(r) || saturation(b);
    summary.push({
      benchmark: `board fan-out, ${int(WATCHERS)} watchers of one team, ${RATE} punches/s (${int(WATCHERS * RATE)} messages/s)${ROUNDS > 1 ? `, round ${round}` : ''}`,
      hub: `delivery p50 ${ms(r.delivery.p50)} / p99 ${ms(r.delivery.p99)} ms${sat ? ' (saturated: a backlog)' : ''}; ${int(r.messagesPerSecond)} messages/s at ${ms(cpuPerMessage(r))} µs CPU each`,
      baseline: `plain ws: p99 ${ms(b.delivery.p99)} ms; ${int(b.messagesPerSecond)} messages/s at ${ms(cpuPerMessage(b))} µs`,
      ratio: sat
        ? `messages/s ${ratio(r.messagesPerSecond, b.messagesPerSecond)}, CPU per message ${ratio(cpuPerMessage(r), cpuPerMessage(b))}`
        : `p99 ${ratio(r.delivery.p99, b.delivery.p99)} (target ≤ 2×, < 100 ms)`,
    });
  }
  out.push('', ...summaryLines(summary));
  return out.join('\n');
}

const WS_VERSION = await import('ws/package.json', { with: { type: 'json' } }).then((m) => (m.default as { version: string }).version, () => '?');

// ---------------------------------------------------------------------------------------------------------------
// Main: bounded overall, cleans up on every path

const budgetMs = (900 + ROUNDS * (MODES.length + 1) * (WARMUP + SECONDS + 240)) * 1000;
await runMain(budgetMs, async () => {
  let ok = true;
  // Each socket is one fd here and one in the server; the sockets of one run are closed before the next.
  const limits = raiseFdLimit(WATCHERS + KIOSKS + 512);
  const limitText = limits ? `soft ${limits.soft}, hard ${limits.hard} (this process; the servers inherit it)` : 'unknown';
  if (limits && limits.soft < WATCHERS + KIOSKS + 256) progress(`warning: open-files limit ${limits.soft} is low for ${WATCHERS} sockets; some will fail (EMFILE)`);
  const factLines = await machineFacts(MODES.includes('postgres') ? PG_URL : null, MODES.includes('postgres') ? REDIS_URL : null);
  progress(`${os.availableParallelism()} cores, Node ${process.version}; the servers, PostgreSQL, Redis and this load generator share them; ${limitText}`);

  const rows: Row[] = [];
  const setups = new Map<string, HubSetup | Error>();
  for (const mode of MODES) {
    try {
      setups.set(mode, await setupHub(mode));
    } catch (error) {
      ok = false;
      setups.set(mode, error as Error);
      progress(`hub (${mode}) failed to start: ${(error as Error).stack ?? error}`);
    }
  }
  let wsServer: ServerProcess | null = null;
  let wsFrame = NaN;
  try {
    for (let round = 1; round <= ROUNDS && !isFinishing(); round++) {
      for (const mode of MODES) {
        if (isFinishing()) break;
        const setup = setups.get(mode)!;
        if (setup instanceof Error) {
          rows.push({ round, target: mode, result: setup });
          continue;
        }
        try {
          const r = await hubRun(setup, round);
          if (!Number.isFinite(wsFrame) && Number.isFinite(r.payloadBytes)) wsFrame = r.payloadBytes;
          rows.push({ round, target: mode, result: r });
        } catch (error) {
          ok = false;
          rows.push({ round, target: mode, result: error as Error });
          progress(`hub (${mode}) round ${round} failed: ${(error as Error).stack ?? error}`);
        }
      }
      if (isFinishing()) break;
      try {
        if (!wsServer) {
          if (!Number.isFinite(wsFrame)) {
            wsFrame = 450;
            progress(`no hub frame size measured; the ws baseline sends ${wsFrame}-byte messages`);
          }
          wsServer = await startWsServer('plain ws server', ['--mode', 'fanout', '--payload-bytes', String(wsFrame)]);
          progress(`plain ws: server ready on port ${wsServer.port} (pid ${wsServer.pid}); messages of ${wsFrame} bytes`);
        }
        rows.push({ round, target: 'ws', result: await wsRun(wsServer, wsFrame, round) });
      } catch (error) {
        ok = false;
        rows.push({ round, target: 'ws', result: error as Error });
        progress(`plain ws round ${round} failed: ${(error as Error).stack ?? error}`);
      }
    }
  } finally {
    if (wsServer) {
      progress('plain ws: stopping the server');
      await wsServer.stop();
    }
    for (const setup of setups.values()) if (!(setup instanceof Error)) await setup.started.stop();
  }
  if (!isFinishing()) process.stdout.write(`${report(factLines, rows, limitText, wsFrame)}\n`);
  return ok;
});
