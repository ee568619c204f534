// npm run bench:realtime [-- --seconds 10 --warmup 2 --kiosks 50 --watchers 20 --modes embedded,postgres]
//
// Realtime punch throughput and broadcast latency of the hub, next to PostgreSQL's own single-row INSERT rate:
//   1. pgbench: single-row INSERT transactions/s in a scratch database (dropped afterwards);
//   2. embedded: the hub as a child process on a fresh PGlite DATA_DIR with the demo organisation;
//   3. postgres: the hub as a child process on a fresh scratch PostgreSQL database (seeded with db:seed, dropped
//      afterwards) and Redis (unique key prefix, deleted afterwards).
// In each hub mode, N kiosks (own device token, websocket transport) punch their own disjoint set of badges in a
// closed loop (one punch in flight per kiosk, each ack awaited), and M admin sockets watch every team's board and
// time each `attendance:changed` against the moment the kiosk emitted the punch.
// Progress goes to stderr; the result (machine facts, one Markdown table, notes) to stdout.
// Not a test: it measures, it does not assert.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { AttendanceChanged } from '../src/modules/realtime/events.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  api,
  type Client,
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
  options: {
    kiosks: { type: 'string', default: '50' },
    watchers: { type: 'string', default: '20' },
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
    'npm run bench:realtime -- [--seconds 10] [--warmup 2] [--kiosks 50] [--watchers 20] [--employees 1000]\n' +
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

type RunResult = {
  acked: number;
  punchesPerSecond: number;
  ack: { p50: number; p95: number; p99: number };
  delivery: { p50: number; p99: number; samples: number };
  delivered: number;
  expected: number;
  errors: number;
  errorCodes: Record<string, number>;
  unmatched: number;
  kiosks: number;
  employees: number;
  watchers: number;
  teams: number;
  cpu: Cpu;
  loopDelayP99: number;
  hubErrorLogs: number;
};

type Pending = { t0: number; measured: boolean; ok: boolean; received: number };

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

  const sockets: Client[] = [];
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

    progress(`${label}: connecting ${WATCHERS} board watchers (each joins all ${teams.length} teams) and ${KIOSKS} kiosks`);
    const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => openSocket(base, adminToken)));
    sockets.push(...watchers);
    for (const w of watchers) {
      for (const team_id of teams) {
        const ack = await w.timeout(EMIT_TIMEOUT_MS).emitWithAck('board:join', { team_id });
        if (!ack.ok) throw new Error(`board:join ${team_id}: ${ack.error.code} ${ack.error.message}`);
      }
    }
    const kiosks = await Promise.all(kioskTokens.map((t) => openSocket(base, t)));
    sockets.push(...kiosks);

    // Matching a broadcast to its punch: the employee and the punch's time, which becomes the record's check-in
    // (first punch of the day) or check-out (later ones). Times are unique per employee (strictly increasing ms).
    const pending = new Map<string, Pending>();
    const deliveries: number[] = [];
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

    const errorCodes: Record<string, number> = {};
    const countError = (code: string) => (errorCodes[code] = (errorCodes[code] ?? 0) + 1);
    const ackLatencies: number[] = [];
    const lastAt = new Map<number, number>();
    const t = performance.now();
    const measureFrom = t + WARMUP * 1000;
    const measureTo = measureFrom + SECONDS * 1000;

    async function kioskLoop(socket: Client, index: number, mine: Employee[]) {
      let n = 0;
      while (mine.length && performance.now() < measureTo && socket.connected) {
        const employee = mine[n % mine.length];
        const atMs = Math.max(Date.now(), (lastAt.get(employee.employee_id) ?? 0) + 1);
        lastAt.set(employee.employee_id, atMs);
        const occurred_at = new Date(atMs).toISOString();
        const key = keyOf(employee.employee_id, occurred_at);
        const t0 = performance.now();
        const entry: Pending = { t0, measured: t0 >= measureFrom && t0 < measureTo, ok: false, received: 0 };
        pending.set(key, entry);
        n++;
        try {
          const ack = await socket
            .timeout(EMIT_TIMEOUT_MS)
            .emitWithAck('attendance:check', { badge_id: employee.badge_id!, client_event_id: `bench-${RUN_ID}-${index}-${n}`, occurred_at });
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
          if (!socket.connected) break; // counted once below
          if (entry.measured) countError('ack_timeout');
        }
      }
      if (!socket.connected && performance.now() < measureTo) countError('kiosk_disconnected');
    }

    progress(`${label}: punching for ${WARMUP} s warm-up + ${SECONDS} s measured (${employees.length} employees over ${KIOSKS} kiosks)`);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    let cpu: Cpu | null = null;
    let mark: CpuMark | null = null;
    const markTimer = setTimeout(() => {
      mark = cpuMark(hub.pid);
      loopDelay.enable();
    }, Math.max(0, measureFrom - performance.now()));
    const cpuTimer = setTimeout(() => {
      if (mark) cpu = cpuSince(mark, hub.pid);
      loopDelay.disable();
    }, Math.max(0, measureTo - performance.now()));
    const ticker = setInterval(() => {
      const now = performance.now();
      const phase = now < measureFrom ? 'warm-up' : 'measuring';
      progress(`${label}: ${phase}, ${ackLatencies.length} measured acks, ${deliveries.length} deliveries so far`);
    }, 2000);
    try {
      // Each loop ends at measureTo; an ack still in flight then is bounded by EMIT_TIMEOUT_MS.
      await withTimeout(Promise.all(kiosks.map((s, i) => kioskLoop(s, i, slices[i]))), (WARMUP + SECONDS) * 1000 + EMIT_TIMEOUT_MS + 5_000, 'kiosk loops');
    } finally {
      clearInterval(ticker);
      clearTimeout(markTimer);
      clearTimeout(cpuTimer);
      loopDelay.disable();
    }
    cpu ??= cpuSince(mark ?? cpuMark(hub.pid), hub.pid);
    if (hub.errorLines.length) progress(`${label}: the hub logged ${hub.errorLines.length} errors; the first: ${hub.errorLines[0].slice(0, 2000)}`);

    // Wait (bounded) for the broadcasts of the last measured punches.
    const measuredOk = [...pending.values()].filter((p) => p.measured && p.ok);
    const expected = measuredOk.length * WATCHERS;
    const delivered = () => measuredOk.reduce((sum, p) => sum + Math.min(p.received, WATCHERS), 0);
    const drainUntil = performance.now() + DRAIN_MS;
    while (delivered() < expected && performance.now() < drainUntil) await sleep(50);

    const ackSorted = ackLatencies.sort((a, b) => a - b);
    const delSorted = deliveries.sort((a, b) => a - b);
    return {
      acked: ackSorted.length,
      punchesPerSecond: ackSorted.length / SECONDS,
      ack: { p50: percentile(ackSorted, 50), p95: percentile(ackSorted, 95), p99: percentile(ackSorted, 99) },
      delivery: { p50: percentile(delSorted, 50), p99: percentile(delSorted, 99), samples: delSorted.length },
      delivered: delivered(),
      expected,
      errors: Object.values(errorCodes).reduce((a, b) => a + b, 0),
      errorCodes,
      unmatched,
      kiosks: KIOSKS,
      employees: employees.length,
      watchers: WATCHERS,
      teams: teams.length,
      cpu,
      loopDelayP99: loopDelay.count ? loopDelay.percentile(99) / 1e6 : NaN,
      hubErrorLogs: hub.errorLines.length,
    };
  } finally {
    await closeSockets();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The three measurements

type Pgbench = { tps: number; latencyMs: number; cpu: Cpu };

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
    const mark = cpuMark();
    const { stdout } = await run('pgbench', argv, { env, timeoutMs: (Math.ceil(SECONDS) + 60) * 1000 });
    const cpu = cpuSince(mark);
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
    `Run: ${KIOSKS} kiosks (closed loop, one punch in flight each), ${WATCHERS} board watchers, ${WARMUP} s warm-up + ${SECONDS} s measured per mode; ` +
      `pgbench ${PGBENCH_CLIENTS} clients for ${Math.ceil(SECONDS)} s. Latencies in ms. ` +
      `CPU in the measured window, in % of one core (${os.availableParallelism() * 100}% = every core): the hub process, all PostgreSQL processes, redis-server, this load generator, and the whole machine (whatever else runs is the difference).`,
    '',
  );
  out.push('| mode | punches/s acked | ack p50 | ack p95 | ack p99 | delivery p50 | delivery p99 | deliveries received / expected | errors | ÷ pgbench tps | CPU during the window |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  if (pgb instanceof Error) out.push(`| pgbench single-row INSERT | failed: ${pgb.message.split('\n')[0]} | | | | | | | | | |`);
  else out.push(`| pgbench single-row INSERT (baseline, tps) | ${int(pgb.tps)} | — | — | — | — | — | — | — | 1.00 | ${cpuCell(pgb.cpu, false)} |`);
  const names: Record<string, string> = { embedded: 'embedded (PGlite, one process)', postgres: 'PostgreSQL + Redis (one hub process)' };
  for (const [mode, r] of results) {
    if (r instanceof Error) {
      out.push(`| ${names[mode]} | failed: ${r.message.split('\n')[0].replace(/\|/g, '\\|')} | | | | | | | | | |`);
      continue;
    }
    out.push(
      `| ${names[mode]} | ${int(r.punchesPerSecond)} | ${ms(r.ack.p50)} | ${ms(r.ack.p95)} | ${ms(r.ack.p99)} | ${ms(r.delivery.p50)} | ${ms(r.delivery.p99)} | ` +
        `${int(r.delivered)} / ${int(r.expected)} | ${int(r.errors)} | ${Number.isFinite(tps) ? (r.punchesPerSecond / tps).toFixed(2) : '—'} | ${cpuCell(r.cpu, true)} |`,
    );
  }
  out.push('', 'Notes:');
  if (!(pgb instanceof Error)) out.push(`- pgbench latency average: ${pgb.latencyMs} ms (one INSERT per transaction, \`-c ${PGBENCH_CLIENTS} -j ${Math.min(2, PGBENCH_CLIENTS)} -n\`).`);
  for (const [mode, r] of results) {
    if (r instanceof Error) continue;
    const codes = Object.entries(r.errorCodes).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
    out.push(
      `- ${mode}: ${int(r.acked)} punches acked in the window by ${r.kiosks} kiosks over ${r.employees} employees in ${r.teams} teams; ` +
        `${int(r.delivery.samples)} delivery samples over ${r.watchers} watchers; errors: ${codes}; broadcasts matching no punch: ${r.unmatched}; ` +
        `hub error log lines: ${r.hubErrorLogs}; load-generator event-loop delay p99: ${ms(r.loopDelayP99)} ms.`,
    );
  }
  out.push(
    '- A punch is a transaction of several statements (employee lookup, idempotency check, punch insert, record lock/insert/update, punch update) plus a broadcast; pgbench’s transaction is one INSERT.',
    `- Delivery latency: from the kiosk’s emit to each watcher’s \`attendance:changed\`, timed in this process (so it includes this process’s own event-loop delay). PostgreSQL mode: DB_POOL_MAX=10 (the default); rate limits raised (${Object.entries(UNLIMITED).map(([k, v]) => `${k}=${v}`).join(', ')}).`,
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main: bounded overall, cleans up on every path

const budgetMs = (900 + 3 * (WARMUP + SECONDS) + (MODES.includes('postgres') ? 600 : 0)) * 1000;
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
