// npm run bench:realtime [-- --seconds 10 --warmup 2 --kiosks 50 --watchers 20 --modes embedded,postgres]
//
// Realtime punch throughput and broadcast latency of the hub, next to PostgreSQL's own single-row INSERT rate:
//   1. pgbench: single-row INSERT transactions/s in a scratch database (dropped afterwards);
//   2. embedded: the hub as a child process on a fresh PGlite DATA_DIR with the demo organisation;
//   3. postgres: the hub as a child process on a fresh scratch PostgreSQL database (seeded with db:seed, dropped
//      afterwards) and Redis (unique key prefix, deleted afterwards).
// In each hub mode, N kiosks (own device token, websocket transport) punch their own disjoint set of badges, first in
// a closed loop (one punch in flight per kiosk, each ack awaited: the most the hub sustains), then open loop at each
// --rates value (punches sent on schedule whatever the acks, latency from the scheduled moment); M admin sockets
// watch one team's board each (round robin) and time each `attendance:changed` against the punch's emit.
// Progress goes to stderr; the result (machine facts, one Markdown table, notes) to stdout.
// Not a test: it measures, it does not assert.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { AttendanceChanged } from '../src/modules/attendance/index.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  api,
  type Cpu,
  type CpuMark,
  cpuMark,
  cpuSince,
  type Employee,
  type HubProcess,
  int,
  isFinishing,
  listEmployees,
  machineFacts,
  ms,
  numberFlag,
  onCleanup,
  openSocket,
  openWireSocket,
  type BenchSocket,
  summaryLines,
  type SummaryRow,
  pct,
  percentile,
  progress,
  run,
  RUN_ID,
  runMain,
  scratchDatabase,
  sleep,
  startEmbeddedHub,
  startPostgresHub,
  UNLIMITED,
  withTimeout,
} from './lib.ts';

const EMIT_TIMEOUT_MS = 10_000;
const DRAIN_MS = 5_000;

// ---------------------------------------------------------------------------------------------------------------
// Arguments

const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    kiosks: { type: 'string', default: '200' },
    watchers: { type: 'string', default: '10' },
    rates: { type: 'string', default: '1000' },
    closed: { type: 'boolean', default: true },
    client: { type: 'string', default: 'raw' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    employees: { type: 'string', default: '1000' },
    'pgbench-clients': { type: 'string', default: '8' },
    modes: { type: 'string', default: 'embedded,postgres' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'hub-cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.error(
    'npm run bench:realtime -- [--seconds 10] [--warmup 2] [--kiosks 200] [--watchers 10] [--rates 1000] [--no-closed] [--client raw|socket.io] [--employees 1000]\n' +
      '                          [--pgbench-clients 8] [--modes embedded,postgres] [--pg-url postgres://…/postgres] [--redis-url redis://…]\n' +
      '                          [--hub-cpu-prof DIR]   (writes a V8 CPU profile of each hub process to DIR)',
  );
  process.exit(0);
}
const positive = numberFlag;
const KIOSKS = Math.floor(positive('kiosks', args.kiosks, 1, 2000));
const WATCHERS = Math.floor(positive('watchers', args.watchers, 0, 1000));
const SECONDS = positive('seconds', args.seconds, 1, 3600);
const WARMUP = positive('warmup', args.warmup, 0, 600);
const SEED_EMPLOYEES = Math.floor(positive('employees', args.employees, 1, 100_000));
const PGBENCH_CLIENTS = Math.floor(positive('pgbench-clients', args['pgbench-clients'], 1, 500));
const RATES = args.rates.split(',').map((r) => r.trim()).filter((r) => r && r !== '0').map((r) => Math.floor(positive('rates', r, 1, 100_000)));
/** Each hub mode runs a closed loop (the most it sustains), then each offered rate (latency at that load). */
const PHASES: { mode: 'closed' | 'open'; rate: number | null }[] = [...(args.closed ? [{ mode: 'closed' as const, rate: null }] : []), ...RATES.map((rate) => ({ mode: 'open' as const, rate }))];
const CLIENT = args.client;
if (CLIENT !== 'raw' && CLIENT !== 'socket.io') {
  console.error('--client must be raw or socket.io');
  process.exit(2);
}
const MODES = args.modes.split(',').map((s) => s.trim()).filter(Boolean);
for (const m of MODES) {
  if (m !== 'embedded' && m !== 'postgres') {
    console.error(`--modes: unknown mode "${m}" (embedded, postgres)`);
    process.exit(2);
  }
}
const PG_URL = new URL(args['pg-url']);
const REDIS_URL = args['redis-url'];

// ---------------------------------------------------------------------------------------------------------------
// One measured run against a started hub

type Phase = {
  /** 'closed': every kiosk keeps one punch in flight; 'open': punches are sent on a fixed schedule at `rate`/s. */
  mode: 'closed' | 'open';
  rate: number | null;
  acked: number;
  punchesPerSecond: number;
  ack: { p50: number; p95: number; p99: number };
  delivery: { p50: number; p99: number; samples: number };
  delivered: number;
  expected: number;
  errors: number;
  errorCodes: Record<string, number>;
  unmatched: number;
  cpu: Cpu;
  loopDelayP99: number;
  /** Mean punches per transaction in the phase (from the hub's /metrics). */
  meanBatch: number;
  /** The hub's own time from receiving a punch to acking it (its /metrics histogram), p50 and p99. */
  hubAck: { p50: number; p99: number };
  /** The hub's garbage-collection pauses in the window (ms per second) and its event-loop delay (ms). */
  hubGcMsPerSecond: number;
  hubLoopLag: { p99: number; max: number };
  batches: number;
};
type RunResult = { phases: Phase[]; kiosks: number; employees: number; watchers: number; teams: number; hubErrorLogs: number };

type Pending = { t0: number; measured: boolean; ok: boolean; received: number; expected: number };

/** socket.io-client (--client socket.io): what the browser pages run. */
async function openClientSocket(base: string, token: string): Promise<BenchSocket> {
  const socket = await openSocket(base, token);
  return {
    get connected() {
      return socket.connected;
    },
    emitWithAck: (event, payload, timeoutMs) => (socket.timeout(timeoutMs) as any).emitWithAck(event, payload),
    on: (event, listener) => void socket.on(event as never, listener as never),
    close: () => void socket.close(),
  };
}

type HubStats = { sum: number; count: number; ackBuckets: [number, number][]; gcSeconds: number; loopLagP99: number; loopLagMax: number };

/** From the hub's /metrics: the punch batch histogram (transactions, punches in them) and the ack-time buckets. */
async function batchStats(base: string, token: string): Promise<HubStats> {
  const res = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, 'm').exec(text)?.[1] ?? NaN);
  const ackBuckets = [...text.matchAll(/^checkin_punch_ack_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[2])] as [number, number]);
  const gcSeconds = [...text.matchAll(/^checkin_nodejs_gc_duration_seconds_sum\{[^}]*\} ([\d.e+-]+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  // The event-loop delay gauges cover the time since the previous scrape (prom-client resets its histogram).
  return {
    sum: value('checkin_punch_batch_size_sum'),
    count: value('checkin_punch_batch_size_count'),
    ackBuckets,
    gcSeconds,
    loopLagP99: value('checkin_nodejs_eventloop_lag_p99_seconds') * 1000,
    loopLagMax: value('checkin_nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

/** A quantile of the hub's own ack times (receipt to ack, ms) between two readings, interpolated within its bucket. */
function hubAckQuantile(from: HubStats, to: HubStats, q: number): number {
  const counts = to.ackBuckets.map(([le, n], i) => [le, n - (from.ackBuckets[i]?.[1] ?? 0)] as [number, number]);
  const total = counts.at(-1)?.[1] ?? 0;
  if (!total) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, n] of counts) {
    if (n >= rank) return Number.isFinite(le) ? lower + ((rank - below) / Math.max(1, n - below)) * (le - lower) : lower;
    lower = le;
    below = n;
  }
  return NaN;
}

async function measure(hub: HubProcess, label: string): Promise<RunResult> {
  const base = hub.url;
  const { body: login } = await api<{ access_token: string }>(base, 'POST', '/token', { json: { username: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  const adminToken = login.access_token;

  // Badged, active employees in a team (their changes reach the team boards), each punched by one kiosk only.
  let employees = (await listEmployees(base, adminToken)).filter((e) => e.active && e.badge_id && e.team_id != null);
  const teams = [...new Set(employees.map((e) => e.team_id!))].sort((a, b) => a - b);
  if (!teams.length) throw new Error('no team with badged employees to punch');
  if (employees.length < KIOSKS) {
    const missing = KIOSKS - employees.length;
    progress(`${label}: ${employees.length} badged employees for ${KIOSKS} kiosks; creating ${missing} more through the REST API`);
    for (let i = 0; i < missing; i++) {
      await api(base, 'POST', '/employees/', {
        token: adminToken,
        json: {
          name: `Bench Employee ${i}`,
          email: `bench.${RUN_ID}.${i}@example.com`.toLowerCase(),
          password: `Bench-${randomBytes(6).toString('hex')}-42`,
          team_id: teams[i % teams.length],
          badge_id: `BENCH${RUN_ID}${i}`.replace(/[^\x21-\x7e]/g, ''),
        },
      });
    }
    employees = (await listEmployees(base, adminToken)).filter((e) => e.active && e.badge_id && e.team_id != null);
  }
  employees.sort((a, b) => a.employee_id - b.employee_id);

  const sockets: BenchSocket[] = [];
  const closeSockets = onCleanup(`${label} sockets`, async () => {
    for (const s of sockets) s.close();
  });
  try {
    // Kiosks: one device token each, and a disjoint slice of the badges.
    progress(`${label}: registering ${KIOSKS} kiosks`);
    const kioskTokens: string[] = [];
    for (let i = 0; i < KIOSKS; i++) {
      const { body } = await api<{ token: string }>(base, 'POST', '/kiosks/', { token: adminToken, json: { name: `bench kiosk ${i + 1}` } });
      kioskTokens.push(body.token);
    }
    const slices: Employee[][] = kioskTokens.map(() => []);
    employees.forEach((e, i) => slices[i % KIOSKS].push(e));

    // Watchers: a manager's board is one team; watcher i watches team i mod teams.
    progress(`${label}: connecting ${WATCHERS} board watchers (round robin over ${teams.length} teams) and ${KIOSKS} kiosks`);
    const open = CLIENT === 'raw' ? openWireSocket : openClientSocket;
    const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => open(base, adminToken)));
    sockets.push(...watchers);
    const watchersOf = new Map<number, number>(teams.map((t) => [t, 0]));
    for (const [i, w] of watchers.entries()) {
      const team_id = teams[i % teams.length];
      const ack = await w.emitWithAck('board:join', { team_id }, EMIT_TIMEOUT_MS);
      if (!ack.ok) throw new Error(`board:join ${team_id}: ${ack.error.code} ${ack.error.message}`);
      watchersOf.set(team_id, watchersOf.get(team_id)! + 1);
    }
    const kiosks = await Promise.all(kioskTokens.map((t) => open(base, t)));
    sockets.push(...kiosks);

    // Matching a broadcast to its punch: the employee and the punch's time, which becomes the record's check-in
    // (first punch of the day) or check-out (later ones). Times are unique per employee (strictly increasing ms).
    let pending = new Map<string, Pending>();
    let deliveries: number[] = [];
    let unmatched = 0;
    const keyOf = (employeeId: number, at: string | null) => `${employeeId}|${at}`;
    for (const w of watchers) {
      w.on('attendance:changed', (change: AttendanceChanged) => {
        const now = performance.now();
        const at = change.action === 'check_out' ? change.record.check_out_time : change.record.check_in_time;
        const p = pending.get(keyOf(change.record.employee_id, at));
        if (!p) {
          unmatched++;
          return;
        }
        p.received++;
        if (p.measured) deliveries.push(now - p.t0);
      });
    }
    const lastAt = new Map<number, number>();
    const counters = kiosks.map(() => 0);
    const phases: Phase[] = [];

    for (const phase of PHASES) {
      if (isFinishing()) break;
      pending = new Map();
      deliveries = [];
      unmatched = 0;
      const errorCodes: Record<string, number> = {};
      const countError = (code: string) => (errorCodes[code] = (errorCodes[code] ?? 0) + 1);
      const ackLatencies: number[] = [];
      const t = performance.now();
      const measureFrom = t + WARMUP * 1000;
      const measureTo = measureFrom + SECONDS * 1000;

      /** One punch of kiosk `index`, timed from `t0` (its scheduled time in the open loop). */
      async function punchOnce(socket: BenchSocket, index: number, mine: Employee[], t0: number) {
        const employee = mine[counters[index] % mine.length];
        const atMs = Math.max(Date.now(), (lastAt.get(employee.employee_id) ?? 0) + 1);
        lastAt.set(employee.employee_id, atMs);
        const occurred_at = new Date(atMs).toISOString();
        const entry: Pending = { t0, measured: t0 >= measureFrom && t0 < measureTo, ok: false, received: 0, expected: watchersOf.get(employee.team_id!) ?? 0 };
        pending.set(keyOf(employee.employee_id, occurred_at), entry);
        counters[index]++;
        try {
          const ack = await socket.emitWithAck('attendance:check', { badge_id: employee.badge_id!, client_event_id: `bench-${RUN_ID}-${index}-${counters[index]}`, occurred_at }, EMIT_TIMEOUT_MS);
          const latency = performance.now() - t0;
          if (!ack.ok) {
            if (entry.measured) countError(ack.error.code);
          } else if (ack.duplicate) {
            if (entry.measured) countError('unexpected_duplicate');
          } else {
            const echoed = ack.action === 'check_out' ? ack.record.check_out_time : ack.record.check_in_time;
            if (echoed !== occurred_at || ack.record.employee_id !== employee.employee_id) {
              if (entry.measured) countError('ack_mismatch');
            } else {
              entry.ok = true;
              if (entry.measured) ackLatencies.push(latency);
            }
          }
        } catch {
          if (socket.connected && entry.measured) countError('ack_timeout');
        }
      }

      async function closedLoop(socket: BenchSocket, index: number, mine: Employee[]) {
        while (mine.length && performance.now() < measureTo && socket.connected) await punchOnce(socket, index, mine, performance.now());
        if (!socket.connected && performance.now() < measureTo) countError('kiosk_disconnected');
      }

      // Open loop: each kiosk punches at rate/kiosks per second on its own schedule, whether or not its previous
      // punch was answered, and latency runs from the scheduled moment (no coordinated omission).
      async function openLoop(socket: BenchSocket, index: number, mine: Employee[], rate: number) {
        const interval = (1000 * KIOSKS) / rate;
        const inFlight: Promise<void>[] = [];
        for (let k = 0, next = t + (index / KIOSKS) * interval; next < measureTo && mine.length; k++, next += interval) {
          const wait = next - performance.now();
          if (wait > 0) await sleep(wait);
          if (!socket.connected) {
            countError('kiosk_disconnected');
            break;
          }
          inFlight.push(punchOnce(socket, index, mine, next));
        }
        await Promise.all(inFlight);
      }

      const name = phase.mode === 'closed' ? `${label} closed loop` : `${label} ${int(phase.rate!)}/s offered`;
      progress(`${name}: punching for ${WARMUP} s warm-up + ${SECONDS} s measured (${employees.length} employees over ${KIOSKS} kiosks)`);
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      let cpu: Cpu | null = null;
      let mark: CpuMark | null = null;
      let batchesFrom: HubStats | null = null;
      let batchesTo: HubStats | null = null;
      const markTimer = setTimeout(() => {
        mark = cpuMark(hub.pid);
        loopDelay.enable();
        void batchStats(base, adminToken).then((b) => (batchesFrom = b), () => undefined);
      }, Math.max(0, measureFrom - performance.now()));
      const cpuTimer = setTimeout(() => {
        if (mark) cpu = cpuSince(mark, hub.pid);
        loopDelay.disable();
        void batchStats(base, adminToken).then((b) => (batchesTo = b), () => undefined);
      }, Math.max(0, measureTo - performance.now()));
      const ticker = setInterval(() => {
        const stage = performance.now() < measureFrom ? 'warm-up' : 'measuring';
        progress(`${name}: ${stage}, ${ackLatencies.length} measured acks, ${deliveries.length} deliveries so far`);
      }, 2000);
      try {
        const loops = kiosks.map((s, i) => (phase.mode === 'closed' ? closedLoop(s, i, slices[i]) : openLoop(s, i, slices[i], phase.rate!)));
        await withTimeout(Promise.all(loops), (WARMUP + SECONDS) * 1000 + EMIT_TIMEOUT_MS + 5_000, 'kiosk loops');
      } finally {
        clearInterval(ticker);
        clearTimeout(markTimer);
        clearTimeout(cpuTimer);
        loopDelay.disable();
      }
      cpu ??= cpuSince(mark ?? cpuMark(hub.pid), hub.pid);

      // Wait (bounded) for the broadcasts of the last measured punches.
      const measuredOk = [...pending.values()].filter((p) => p.measured && p.ok);
      const expected = measuredOk.reduce((sum, p) => sum + p.expected, 0);
      const delivered = () => measuredOk.reduce((sum, p) => sum + Math.min(p.received, p.expected), 0);
      const drainUntil = performance.now() + DRAIN_MS;
      while (delivered() < expected && performance.now() < drainUntil) await sleep(50);
      for (let i = 0; i < 20 && !batchesTo; i++) await sleep(50);

      const ackSorted = ackLatencies.sort((a, b) => a - b);
      const delSorted = deliveries.sort((a, b) => a - b);
      const from = batchesFrom as HubStats | null;
      const to = batchesTo as HubStats | null;
      const batches = from && to ? to.count - from.count : NaN;
      phases.push({
        mode: phase.mode,
        rate: phase.rate,
        acked: ackSorted.length,
        punchesPerSecond: ackSorted.length / SECONDS,
        ack: { p50: percentile(ackSorted, 50), p95: percentile(ackSorted, 95), p99: percentile(ackSorted, 99) },
        delivery: { p50: percentile(delSorted, 50), p99: percentile(delSorted, 99), samples: delSorted.length },
        delivered: delivered(),
        expected,
        errors: Object.values(errorCodes).reduce((a, b) => a + b, 0),
        errorCodes,
        unmatched,
        cpu,
        loopDelayP99: loopDelay.count ? loopDelay.percentile(99) / 1e6 : NaN,
        meanBatch: from && to ? (to.sum - from.sum) / batches : NaN,
        hubAck: { p50: from && to ? hubAckQuantile(from, to, 0.5) : NaN, p99: from && to ? hubAckQuantile(from, to, 0.99) : NaN },
        hubGcMsPerSecond: from && to ? ((to.gcSeconds - from.gcSeconds) * 1000) / SECONDS : NaN,
        hubLoopLag: { p99: to?.loopLagP99 ?? NaN, max: to?.loopLagMax ?? NaN },
        batches,
      });
      await sleep(1000); // let the hub settle between phases
    }
    if (hub.errorLines.length) progress(`${label}: the hub logged ${hub.errorLines.length} errors; the first: ${hub.errorLines[0].slice(0, 2000)}`);
    return { phases, kiosks: KIOSKS, employees: employees.length, watchers: WATCHERS, teams: teams.length, hubErrorLogs: hub.errorLines.length };
  } finally {
    await closeSockets();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The three measurements

type Pgbench = { tps: number; latencyMs: number; cpu: Cpu | null };

async function runPgbench(): Promise<Pgbench> {
  const name = `bench_pgbench_${RUN_ID}`;
  progress(`pgbench: scratch database ${name}`);
  const db = await scratchDatabase(PG_URL, name);
  const dir = mkdtempSync(join(os.tmpdir(), 'checkin-bench-pgbench-'));
  const removeDir = onCleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  try {
    const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      await client.query('create table bench_insert (id bigserial primary key, v integer not null, created_at timestamptz not null default now())');
    } finally {
      await client.end();
    }
    const script = join(dir, 'insert.sql');
    writeFileSync(script, '\\set v random(1, 1000000)\nINSERT INTO bench_insert (v) VALUES (:v);\n');
    const argv = [
      '-h', PG_URL.hostname, '-p', PG_URL.port || '5432', '-U', decodeURIComponent(PG_URL.username || 'postgres'),
      '-c', String(PGBENCH_CLIENTS), '-j', String(Math.min(2, PGBENCH_CLIENTS)), '-T', String(Math.ceil(SECONDS)), '-n', '-f', script, name,
    ];
    progress(`pgbench: ${argv.join(' ')}`);
    const env = { ...process.env, ...(PG_URL.password ? { PGPASSWORD: decodeURIComponent(PG_URL.password) } : {}) };
    // pgbench's server processes end with it, taking their CPU counters along: read them while it runs, from 1 s
    // in (connected) to 0.5 s before the end.
    let mark: CpuMark | null = null;
    let cpu: Cpu | null = null;
    const markTimer = setTimeout(() => (mark = cpuMark()), 1000);
    const cpuTimer = setTimeout(() => mark && (cpu = cpuSince(mark)), Math.ceil(SECONDS) * 1000 - 500);
    let stdout: string;
    try {
      ({ stdout } = await run('pgbench', argv, { env, timeoutMs: (Math.ceil(SECONDS) + 60) * 1000 }));
    } finally {
      clearTimeout(markTimer);
      clearTimeout(cpuTimer);
    }
    const tps = Number(/^tps = ([\d.]+)/m.exec(stdout)?.[1]);
    const latencyMs = Number(/^latency average = ([\d.]+) ms/m.exec(stdout)?.[1]);
    if (!Number.isFinite(tps)) throw new Error(`pgbench: no "tps =" line in its output:\n${stdout}`);
    progress(`pgbench: ${tps.toFixed(0)} tps, latency average ${latencyMs} ms`);
    return { tps, latencyMs, cpu };
  } finally {
    await removeDir();
    await db.drop();
  }
}

const hubNodeArgs = args['hub-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['hub-cpu-prof']}`] : [];

async function runEmbedded(): Promise<RunResult> {
  const { hub, stop } = await startEmbeddedHub('embedded', { nodeArgs: hubNodeArgs });
  try {
    return await measure(hub, 'embedded');
  } finally {
    await stop();
  }
}

async function runPostgres(): Promise<RunResult> {
  // Exactly what `npm run db:seed -- --employees N --days 1 --reset` runs, with a scratch database.
  const { hub, stop } = await startPostgresHub('postgres', { pgUrl: PG_URL, redisUrl: REDIS_URL, employees: SEED_EMPLOYEES, days: 1, nodeArgs: hubNodeArgs });
  try {
    return await measure(hub, 'postgres');
  } finally {
    await stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The report

function report(factLines: string[], pgb: Pgbench | Error, results: Map<string, RunResult | Error>) {
  const tps = pgb instanceof Error ? NaN : pgb.tps;
  const cpuCell = (c: Cpu | null, withHub: boolean) =>
    c
      ? [withHub ? `hub ${pct(c.hub)}` : '', `pg ${pct(c.postgres)}`, c.redis >= 0.5 ? `redis ${pct(c.redis)}` : '', withHub ? `bench ${pct(c.bench)}` : '', `all ${pct(c.machine)}`]
          .filter(Boolean)
          .join(' · ')
      : '—';
  const out: string[] = [];
  out.push(`## Check-in Hub realtime benchmark`, '', ...factLines, '');
  out.push(
    `Run: ${KIOSKS} kiosks, ${WATCHERS} board watchers (one team each), all ${CLIENT === 'raw' ? 'speaking the Socket.IO wire protocol over bare ws clients (--client raw)' : 'on socket.io-client'}, ${WARMUP} s warm-up + ${SECONDS} s measured per phase: a closed loop (one punch in flight per kiosk), ` +
      `then ${RATES.length ? RATES.map((r) => `${int(r)} punches/s offered (open loop)`).join(', ') : 'no open-loop rate'}; ` +
      `pgbench ${PGBENCH_CLIENTS} clients for ${Math.ceil(SECONDS)} s. Latencies in ms. ` +
      `CPU in the measured window, in % of one core (${os.availableParallelism() * 100}% = every core): the hub process, all PostgreSQL processes, redis-server, this load generator, and the whole machine (whatever else runs is the difference).`,
    '',
  );
  out.push('| mode | load | punches/s acked | ack p50 | ack p95 | ack p99 | hub ack p50 / p99 | delivery p50 | delivery p99 | deliveries received / expected | errors | punches per transaction | CPU per punch: hub / PostgreSQL (µs) | ÷ pgbench tps | CPU during the window |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const perPunch = (pctOfCore: number | null | undefined, rate: number) => (pctOfCore != null && rate > 0 ? int((pctOfCore / 100 / rate) * 1e6) : '—');
  if (pgb instanceof Error) out.push(`| pgbench single-row INSERT | | failed: ${pgb.message.split('\n')[0]} | | | | | | | | | | | | |`);
  else out.push(`| pgbench single-row INSERT (baseline, tps) | ${PGBENCH_CLIENTS} clients | ${int(pgb.tps)} | — | — | — | — | — | — | — | — | 1 | — / ${perPunch(pgb.cpu?.postgres, pgb.tps)} per INSERT | 1.00 | ${cpuCell(pgb.cpu, false)} |`);
  const names: Record<string, string> = { embedded: 'embedded (PGlite, one process)', postgres: 'PostgreSQL + Redis (one hub process)' };
  for (const [mode, r] of results) {
    if (r instanceof Error) {
      out.push(`| ${names[mode]} | | failed: ${r.message.split('\n')[0].replace(/\|/g, '\\|')} | | | | | | | | | | | | |`);
      continue;
    }
    for (const ph of r.phases) {
      const load = ph.mode === 'closed' ? `closed loop, ${r.kiosks} kiosks` : `${int(ph.rate!)}/s offered`;
      out.push(
        `| ${names[mode]} | ${load} | ${int(ph.punchesPerSecond)} | ${ms(ph.ack.p50)} | ${ms(ph.ack.p95)} | ${ms(ph.ack.p99)} | ${ms(ph.hubAck.p50)} / ${ms(ph.hubAck.p99)} | ${ms(ph.delivery.p50)} | ${ms(ph.delivery.p99)} | ` +
          `${int(ph.delivered)} / ${int(ph.expected)} | ${int(ph.errors)} | ${Number.isFinite(ph.meanBatch) ? ph.meanBatch.toFixed(1) : '—'} | ${perPunch(ph.cpu?.hub, ph.punchesPerSecond)} / ${mode === 'embedded' ? 'in the hub' : perPunch(ph.cpu?.postgres, ph.punchesPerSecond)} | ${Number.isFinite(tps) ? (ph.punchesPerSecond / tps).toFixed(2) : '—'} | ${cpuCell(ph.cpu, true)} |`,
      );
    }
  }
  out.push('', 'Notes:');
  if (!(pgb instanceof Error)) out.push(`- pgbench latency average: ${pgb.latencyMs} ms (one INSERT per transaction, \`-c ${PGBENCH_CLIENTS} -j ${Math.min(2, PGBENCH_CLIENTS)} -n\`).`);
  for (const [mode, r] of results) {
    if (r instanceof Error) continue;
    for (const ph of r.phases) {
      const codes = Object.entries(ph.errorCodes).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
      out.push(
        `- ${mode}, ${ph.mode === 'closed' ? 'closed loop' : `${int(ph.rate!)}/s offered`}: ${int(ph.acked)} punches acked in the window by ${r.kiosks} kiosks over ${r.employees} employees in ${r.teams} teams ` +
          `(${Number.isFinite(ph.batches) ? int(ph.batches) : '—'} transactions); ${int(ph.delivery.samples)} delivery samples over ${r.watchers} watchers; errors: ${codes}; broadcasts matching no punch: ${ph.unmatched}; ` +
          `load-generator event-loop delay p99: ${ms(ph.loopDelayP99)} ms; hub event-loop delay p99 ${ms(ph.hubLoopLag.p99)} ms, max ${ms(ph.hubLoopLag.max)} ms; hub GC pauses ${ms(ph.hubGcMsPerSecond)} ms per second.`,
      );
    }
    out.push(`- ${mode}: hub error log lines: ${r.hubErrorLogs}.`);
  }
  const summary: SummaryRow[] = [];
  for (const [mode, r] of results) {
    if (r instanceof Error) continue;
    for (const ph of r.phases) {
      const where = mode === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL + Redis';
      if (ph.mode === 'closed') {
        summary.push({
          benchmark: `punch ingest, ${where}, ${r.kiosks} kiosks closed loop`,
          hub: `${int(ph.punchesPerSecond)} punches/s, ack p50 ${ms(ph.ack.p50)} / p99 ${ms(ph.ack.p99)} ms, ${Number.isFinite(ph.meanBatch) ? ph.meanBatch.toFixed(0) : '—'} per transaction`,
          baseline: `pgbench ${int(tps)} single-row INSERT tx/s`,
          ratio: Number.isFinite(tps) ? `${(ph.punchesPerSecond / tps).toFixed(2)}× (target ≥ 1.0)` : '—',
        });
      } else {
        summary.push({
          benchmark: `punch ack latency, ${where}, ${int(ph.rate!)} punches/s offered`,
          hub: `ack p50 ${ms(ph.ack.p50)} / p99 ${ms(ph.ack.p99)} ms (hub alone p99 ${ms(ph.hubAck.p99)} ms); board delivery p99 ${ms(ph.delivery.p99)} ms`,
          baseline: 'target p99 < 50 ms',
          ratio: ph.ack.p99 < 50 ? '✓' : '✗',
        });
      }
    }
  }
  out.push(
    '- A punch is validated, looked up by badge, decided against the day’s record (locked), written with its record and its raw punch, committed, acked, numbered per team and broadcast; pgbench’s transaction is one INSERT. Punches that arrive while a transaction is being written go together in the next one (group commit): the "punches per transaction" column.',
    '- Ack latency is timed in this process from the kiosk’s emit (open loop: its scheduled moment) to the ack, so it includes the network path and this load generator’s own event-loop delay; “hub ack” is the hub’s own histogram (`checkin_punch_ack_seconds` in /metrics, receipt to ack, interpolated within its buckets).',
    `- Delivery latency: from the kiosk’s emit (open loop: its scheduled moment) to each watcher’s \`attendance:changed\`, timed in this process (so it includes this process’s own event-loop delay). PostgreSQL mode: DB_POOL_MAX=10 (the default); rate limits raised (${Object.entries(UNLIMITED).map(([k, v]) => `${k}=${v}`).join(', ')}).`,
  );
  out.push('', ...summaryLines(summary));
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main: bounded overall, cleans up on every path

const budgetMs = (900 + (1 + 2 * PHASES.length) * (WARMUP + SECONDS + 10) + (MODES.includes('postgres') ? 600 : 0)) * 1000;
await runMain(budgetMs, async () => {
  let ok = true;
  const factLines = await machineFacts(PG_URL, REDIS_URL);
  progress(`${os.availableParallelism()} cores, Node ${process.version}; the hub and the load generator share them`);

  let pgb: Pgbench | Error;
  try {
    pgb = await runPgbench();
  } catch (error) {
    ok = false;
    pgb = error as Error;
    progress(`pgbench failed: ${(error as Error).message}`);
  }
  const results = new Map<string, RunResult | Error>();
  for (const mode of MODES) {
    if (isFinishing()) break;
    try {
      results.set(mode, mode === 'embedded' ? await runEmbedded() : await runPostgres());
    } catch (error) {
      ok = false;
      results.set(mode, error as Error);
      progress(`${mode} failed: ${(error as Error).stack ?? error}`);
    }
  }
  if (!isFinishing()) process.stdout.write(`${report(factLines, pgb, results)}\n`);
  return ok;
});
