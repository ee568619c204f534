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
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import type { AttendanceChanged, ClientToServer, ServerToClient } from '../src/modules/realtime/events.ts';

type Client = Socket<ServerToClient, ClientToServer>;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN_ID = `${process.pid}_${randomBytes(3).toString('hex')}`;
const ADMIN_EMAIL = 'bench-admin@example.com';
const ADMIN_PASSWORD = `Bench-${randomBytes(9).toString('base64url')}-42`;
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
const positive = (name: string, value: string | undefined, min: number, max: number) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
};
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
// Small helpers

const startedAt = performance.now();
const progress = (msg: string) => process.stderr.write(`[bench +${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` with `what` in the message; the timer never outlives the promise. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const ms = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : '—');
const int = (n: number) => Math.round(n).toLocaleString('en');

/** Cleanups to run at the end (or on a signal / the watchdog), newest first, each bounded in time. */
const cleanups: { name: string; run: () => Promise<void> }[] = [];
function onCleanup(name: string, run: () => Promise<void>) {
  const entry = { name, run };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await withTimeout(run(), 30_000, `cleanup ${name}`);
  };
}
async function runCleanups() {
  while (cleanups.length) {
    const entry = cleanups.pop()!;
    try {
      await withTimeout(entry.run(), 30_000, `cleanup ${entry.name}`);
    } catch (error) {
      progress(`cleanup ${entry.name} failed: ${(error as Error).message}`);
    }
  }
}

/** Set once a signal or the watchdog ends the run: nothing new is started after that. */
let finishing = false;
const checkNotFinishing = () => {
  if (finishing) throw new Error('the benchmark is being stopped');
};

/** Children still alive when this process exits for any reason are killed. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

// CPU accounting from /proc (Linux): a process's user+system ticks, and the whole machine's busy ticks.
const CLK_TCK = 100;
function processTicks(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
  } catch {
    return null;
  }
}
/** User+system ticks of every process whose command is one of `names` (PostgreSQL backends, redis-server), by pid. */
function ticksByName(names: string[]): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!names.includes(comm)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(pid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}
const ticksDelta = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ticks]) => sum + ticks - (before.get(pid) ?? 0), 0);

function machineTicks(): { busy: number; total: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = cpu[3] + (cpu[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}
type CpuMark = {
  at: number;
  hub: number | null;
  self: NodeJS.CpuUsage;
  postgres: Map<number, number>;
  redis: Map<number, number>;
  machine: { busy: number; total: number } | null;
};
const cpuMark = (hubPid?: number): CpuMark => ({
  at: performance.now(),
  hub: processTicks(hubPid),
  self: process.cpuUsage(),
  postgres: ticksByName(['postgres']),
  redis: ticksByName(['redis-server']),
  machine: machineTicks(),
});
function cpuSince(mark: CpuMark, hubPid?: number) {
  const secs = (performance.now() - mark.at) / 1000;
  const hubNow = processTicks(hubPid);
  const self = process.cpuUsage(mark.self);
  const machine = machineTicks();
  const cores = os.availableParallelism();
  return {
    hub: mark.hub != null && hubNow != null ? ((hubNow - mark.hub) / CLK_TCK / secs) * 100 : null,
    bench: ((self.user + self.system) / 1e6 / secs) * 100,
    postgres: (ticksDelta(mark.postgres, ticksByName(['postgres'])) / CLK_TCK / secs) * 100,
    redis: (ticksDelta(mark.redis, ticksByName(['redis-server'])) / CLK_TCK / secs) * 100,
    machine:
      mark.machine && machine && machine.total > mark.machine.total
        ? ((machine.busy - mark.machine.busy) / (machine.total - mark.machine.total)) * 100 * cores
        : null,
  };
}
type Cpu = ReturnType<typeof cpuSince>;
const pct = (n: number | null) => (n == null ? '—' : `${Math.round(n)}%`);

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL and Redis housekeeping

const dbUrl = (name: string) => {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await withTimeout(client.query<T>(sql), 60_000, sql)).rows;
  } finally {
    await client.end();
  }
}

/** Creates a scratch database and registers its drop. */
async function scratchDatabase(name: string) {
  checkNotFinishing();
  await adminQuery(`drop database if exists "${name}" with (force)`);
  await adminQuery(`create database "${name}"`);
  const drop = onCleanup(`drop database ${name}`, async () => {
    await adminQuery(`drop database if exists "${name}" with (force)`);
    progress(`dropped database ${name}`);
  });
  return { url: dbUrl(name), drop };
}

async function deleteRedisKeys(prefix: string) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  try {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    const until = Date.now() + 20_000;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0' && Date.now() < until);
    progress(`deleted ${deleted} Redis keys under ${prefix}`);
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

/** Runs a command to completion (bounded); resolves with its output, rejects on a non-zero exit. */
function run(cmd: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; echoStderr?: boolean }) {
  checkNotFinishing();
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
      if (opts.echoStderr) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${argv.join(' ')}: killed after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${argv.join(' ')} exited with ${code ?? signal}:\n${stderr.slice(-2000)}${stdout.slice(-2000)}`));
    });
  });
}

/** Every variable the hub reads (src/config.ts): removed from the inherited environment, then set explicitly. */
const HUB_VARS = [
  'NODE_ENV', 'PORT', 'HOST', 'DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DB_POOL_MAX', 'REDIS_URL',
  'DATA_DIR', 'SECRET_KEY', 'ACCESS_TOKEN_EXPIRE_MINUTES', 'JWT_ISSUER', 'JWT_AUDIENCE', 'BCRYPT_COST', 'TIMEZONE', 'CORS_ORIGINS',
  'LOG_LEVEL', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SEED_DEMO', 'MIGRATE_ON_START', 'LOGIN_MAX_FAILURES', 'LOGIN_MAX_FAILURES_PER_ADDRESS',
  'LOGIN_WINDOW_SECONDS', 'MAX_BODY_BYTES', 'PUNCH_MAX_AGE_HOURS', 'PUNCH_MAX_SKEW_SECONDS', 'REDIS_PREFIX', 'SOCKET_MAX_PAYLOAD_BYTES',
  'SOCKET_REVALIDATE_SECONDS', 'SOCKET_EVENTS_PER_SECOND', 'SOCKET_EVENT_BURST', 'KIOSK_PUNCHES_PER_SECOND', 'KIOSK_PUNCH_BURST',
  'GOOGLE_API_KEY',
];

/** Rate limits raised far above what the machine can do, so the bench measures the hub and not the limiter. */
const UNLIMITED = {
  KIOSK_PUNCHES_PER_SECOND: '10000',
  KIOSK_PUNCH_BURST: '100000',
  SOCKET_EVENTS_PER_SECOND: '10000',
  SOCKET_EVENT_BURST: '100000',
};

function hubEnv(dataDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of HUB_VARS) delete env[name];
  return {
    ...env,
    NODE_ENV: 'development',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    SECRET_KEY: randomBytes(48).toString('base64url'),
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ...UNLIMITED,
    ...extra,
  };
}

type HubProcess = {
  child: ChildProcess;
  url: string;
  pid: number;
  /** The last log lines (for error messages). */
  tail: string[];
  /** Log lines at level error or above since start. */
  errorLines: string[];
  stop: () => Promise<void>;
};

/** Starts src/main.ts as a child process and resolves once it logs "ready on …" with its port. */
async function startHub(env: NodeJS.ProcessEnv, label: string, timeoutMs = 180_000): Promise<HubProcess> {
  checkNotFinishing();
  const profile = args['hub-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['hub-cpu-prof']}`] : [];
  const child = spawn(process.execPath, [...profile, 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const tail: string[] = [];
  const errorLines: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 60) tail.shift();
  };
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      children.delete(child);
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const graceful = await withTimeout(exitedPromise, 20_000, 'hub stop').then(() => true, () => false);
      if (!graceful) {
        progress(`${label}: hub did not stop within 20 s of SIGTERM; killing it`);
        child.kill('SIGKILL');
        await withTimeout(exitedPromise, 5_000, 'hub kill').catch(() => undefined);
      }
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  const unregister = onCleanup(`stop ${label} hub`, stop);
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) remember(line);
  });
  return new Promise<HubProcess>((resolve, reject) => {
    let buffered = '';
    let ready = false;
    const fail = (message: string) => {
      clearTimeout(timer);
      void unregister().catch(() => undefined);
      reject(new Error(`${label}: ${message}\n${tail.slice(-30).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`hub not ready within ${timeoutMs / 1000} s`), timeoutMs);
    child.stdout!.setEncoding('utf8');
    // Read stdout for the whole life of the child: a full pipe would stall it.
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        remember(line);
        let entry: { level?: number; msg?: string; port?: number } | null = null;
        try {
          entry = line.startsWith('{') ? JSON.parse(line) : null;
        } catch {
          entry = null;
        }
        if (entry && (entry.level ?? 0) >= 50) errorLines.push(line);
        if (!ready && entry?.msg?.startsWith('ready on') && typeof entry.port === 'number') {
          ready = true;
          clearTimeout(timer);
          resolve({ child, url: `http://127.0.0.1:${entry.port}`, pid: child.pid!, tail, errorLines, stop: unregister });
        }
      }
    });
    child.once('exit', (code, signal) => {
      if (!ready) fail(`hub exited with ${code ?? signal} before it was ready`);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// REST and sockets

async function api<T = any>(base: string, method: string, path: string, opts: { token?: string; json?: unknown } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

function openSocket(url: string, token: string): Promise<Client> {
  const socket: Client = connect(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000 });
  return withTimeout(
    new Promise<Client>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (error) => reject(error));
    }),
    15_000,
    'socket connect',
  ).catch((error) => {
    socket.close();
    throw error;
  });
}

type Employee = { employee_id: number; team_id: number | null; badge_id: string | null; active: boolean; access: string };

async function listEmployees(base: string, token: string): Promise<Employee[]> {
  const all: Employee[] = [];
  for (let skip = 0; skip < 1_000_000; skip += 1000) {
    const { body, headers } = await api<Employee[]>(base, 'GET', `/employees/?limit=1000&skip=${skip}`, { token });
    all.push(...body);
    if (body.length < 1000 || all.length >= Number(headers.get('x-total-count') ?? 0)) break;
  }
  return all;
}

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
  const db = await scratchDatabase(name);
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

async function runEmbedded(): Promise<RunResult> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'checkin-bench-embedded-'));
  const removeDir = onCleanup(`remove ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
  try {
    progress(`embedded: starting the hub on PGlite in ${dataDir} (demo organisation: 60 employees, 90 days)`);
    const hub = await startHub(hubEnv(dataDir, { SEED_DEMO: 'true' }), 'embedded');
    progress(`embedded: ready at ${hub.url} (pid ${hub.pid})`);
    try {
      return await measure(hub, 'embedded');
    } finally {
      progress('embedded: stopping the hub');
      await hub.stop();
    }
  } finally {
    await removeDir();
  }
}

async function runPostgres(): Promise<RunResult> {
  const name = `bench_hub_${RUN_ID}`;
  const prefix = `bench:${RUN_ID}:`;
  const dataDir = mkdtempSync(join(os.tmpdir(), 'checkin-bench-pg-'));
  const removeDir = onCleanup(`remove ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
  const db = await scratchDatabase(name);
  const dropKeys = onCleanup(`Redis keys ${prefix}*`, () => deleteRedisKeys(prefix));
  try {
    const env = hubEnv(dataDir, { DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: prefix, SEED_DEMO: 'false' });
    // Exactly what `npm run db:seed -- --employees N --days 1 --reset` runs, with this database.
    progress(`postgres: seeding ${name} (db:seed --employees ${SEED_EMPLOYEES} --days 1 --reset)`);
    const seedEnv = { ...env };
    delete seedEnv.REDIS_URL;
    const seeded = await run(process.execPath, ['src/cli/seed.ts', '--employees', String(SEED_EMPLOYEES), '--days', '1', '--reset'], {
      env: seedEnv,
      timeoutMs: 600_000,
    });
    progress(`postgres: ${seeded.stdout.split('\n').find((l) => l.startsWith('Seeded')) ?? 'seeded'}`);
    progress(`postgres: starting the hub on ${name} with Redis prefix ${prefix}`);
    const hub = await startHub(env, 'postgres');
    progress(`postgres: ready at ${hub.url} (pid ${hub.pid})`);
    try {
      return await measure(hub, 'postgres');
    } finally {
      progress('postgres: stopping the hub');
      await hub.stop();
    }
  } finally {
    await dropKeys();
    await db.drop();
    await removeDir();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Machine facts and the report

async function facts() {
  const cpus = os.cpus();
  const lines = [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${os.availableParallelism()} cores (${cpus[0]?.model?.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}`,
    `- Node ${process.version} (hub children run the same binary: ${process.execPath.replace(ROOT, './')})`,
  ];
  try {
    const [row] = await adminQuery<{ v: string; fsync: string; sc: string }>(
      "select current_setting('server_version') as v, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc",
    );
    lines.push(`- PostgreSQL ${row.v} at ${PG_URL.host} (fsync=${row.fsync}, synchronous_commit=${row.sc})`);
  } catch (error) {
    lines.push(`- PostgreSQL: unreachable (${(error as Error).message})`);
  }
  try {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
    try {
      await redis.connect();
      const info = await redis.info('server');
      lines.push(`- Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} at ${new URL(REDIS_URL).host}`);
    } finally {
      redis.disconnect();
    }
  } catch (error) {
    lines.push(`- Redis: unreachable (${(error as Error).message})`);
  }
  lines.push(
    `- **The hub, PostgreSQL, Redis and this load generator all share these ${os.availableParallelism()} cores**: the numbers are a floor for the hub, not its capacity on a dedicated machine.`,
  );
  return lines;
}

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
async function abort(reason: string, code: number) {
  if (finishing) return;
  finishing = true;
  progress(`${reason}; cleaning up`);
  for (const child of children) child.kill('SIGTERM');
  await withTimeout(runCleanups(), 60_000, 'cleanup').catch((error) => progress((error as Error).message));
  process.exit(code);
}
const watchdog = setTimeout(() => void abort(`the benchmark exceeded its ${budgetMs / 1000} s budget`, 1), budgetMs);
const onSignal = (signal: NodeJS.Signals) => void abort(`received ${signal}`, 130);
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

let failed = false;
try {
  if (!existsSync(join(ROOT, 'src/main.ts'))) throw new Error(`src/main.ts not found under ${ROOT}`);
  const factLines = await facts();
  progress(`${os.availableParallelism()} cores, Node ${process.version}; the hub and the load generator share them`);

  let pgb: Pgbench | Error;
  try {
    pgb = await runPgbench();
  } catch (error) {
    failed = true;
    pgb = error as Error;
    progress(`pgbench failed: ${(error as Error).message}`);
  }
  const results = new Map<string, RunResult | Error>();
  for (const mode of MODES) {
    if (finishing) break;
    try {
      results.set(mode, mode === 'embedded' ? await runEmbedded() : await runPostgres());
    } catch (error) {
      failed = true;
      results.set(mode, error as Error);
      progress(`${mode} failed: ${(error as Error).stack ?? error}`);
    }
  }
  if (!finishing) process.stdout.write(`${report(factLines, pgb, results)}\n`);
} catch (error) {
  failed = true;
  progress(`failed: ${(error as Error).stack ?? error}`);
} finally {
  await runCleanups();
  clearTimeout(watchdog);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
if (failed) process.exitCode = 1;
// Everything is closed now, so the process ends by itself. If it is still alive a few seconds later, something leaked:
// say what, and end it (this timer does not itself keep the process alive).
setTimeout(() => {
  progress(`still running 5 s after the end; open handles: ${process.getActiveResourcesInfo().join(', ')}; exiting`);
  process.exit(process.exitCode ?? 1);
}, 5_000).unref();
