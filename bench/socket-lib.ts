// Helpers of the socket benchmarks (bench/fanout.ts, bench/connections.ts), after bench/realtime.ts's: progress on
// stderr, bounded waits, cleanups that run on every path, child processes (the hub, the plain `ws` baseline server
// bench/ws-server.ts), scratch PostgreSQL databases, Redis key prefixes, CPU, memory and fd limits from /proc, REST
// and socket helpers. One benchmark per process: the state here is the process's. Nothing here asserts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../src/modules/realtime/events.ts';

export type Client = Socket<ServerToClient, ClientToServer>;

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RUN_ID = `${process.pid}_${randomBytes(3).toString('hex')}`;
export const ADMIN_EMAIL = 'bench-admin@example.com';
export const ADMIN_PASSWORD = `Bench-${randomBytes(9).toString('base64url')}-42`;
/** The password `db:seed` gives every seeded employee (DEMO_PASSWORD in src/infra/startup.ts). */
export const SEEDED_PASSWORD = 'demo-pass-123';

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const startedAt = performance.now();
export const progress = (msg: string) => process.stderr.write(`[bench +${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${msg}\n`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` with `what` in the message; the timer never outlives the promise. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export const ms = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : '—');
export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '—');
export const pct = (n: number | null) => (n == null ? '—' : `${Math.round(n)}%`);
/** `a / b` as "1.23×", or — when either is missing. */
export const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
/** Text for a Markdown table cell: no pipes, no newlines. */
export const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** Parses a numeric flag or exits with a message. */
export function numberFlag(name: string, value: string | undefined, min: number, max: number) {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Cleanups, the stop flag, the run's bounds, child processes

/** Cleanups to run at the end (or on a signal / the watchdog), newest first, each bounded in time. */
const cleanups: { name: string; run: () => Promise<void> }[] = [];
export function onCleanup(name: string, run: () => Promise<void>) {
  const entry = { name, run };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await withTimeout(run(), 30_000, `cleanup ${name}`);
  };
}
export async function runCleanups() {
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
export const isFinishing = () => finishing;
export const checkNotFinishing = () => {
  if (finishing) throw new Error('the benchmark is being stopped');
};

/** Children still alive when this process exits for any reason are killed. */
export const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/**
 * Runs `main` with a watchdog (`budgetMs`), SIGINT/SIGTERM handling and the cleanups on every path; `main` resolves
 * false when something failed (exit code 1). The process then ends by itself; if a handle leaked, it says which and exits.
 */
export async function runMain(budgetMs: number, main: () => Promise<boolean>) {
  async function abort(reason: string, code: number) {
    if (finishing) return;
    finishing = true;
    progress(`${reason}; cleaning up`);
    for (const child of children) child.kill('SIGTERM');
    await withTimeout(runCleanups(), 60_000, 'cleanup').catch((error) => progress((error as Error).message));
    process.exit(code);
  }
  const watchdog = setTimeout(() => void abort(`the benchmark exceeded its ${Math.round(budgetMs / 1000)} s budget`, 1), budgetMs);
  const onSignal = (signal: NodeJS.Signals) => void abort(`received ${signal}`, 130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let ok = false;
  try {
    ok = await main();
  } catch (error) {
    progress(`failed: ${(error as Error).stack ?? error}`);
  } finally {
    await runCleanups();
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!ok) process.exitCode = 1;
  // Everything is closed now, so the process ends by itself. If it is still alive a few seconds later, something
  // leaked: say what, and end it (this timer does not itself keep the process alive).
  setTimeout(() => {
    progress(`still running 5 s after the end; open handles: ${process.getActiveResourcesInfo().join(', ')}; exiting`);
    process.exit(process.exitCode ?? 1);
  }, 5_000).unref();
}

/** Runs a command to completion (bounded); resolves with its output, rejects on a non-zero exit. */
export function run(cmd: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number }) {
  checkNotFinishing();
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
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

/** A long-running child (the hub, the `ws` baseline server) that prints JSON lines on stdout. */
export type ServerProcess = {
  child: ChildProcess;
  url: string;
  port: number;
  pid: number;
  /** The last log lines (for error messages). */
  tail: string[];
  /** Log lines at level error or above since start. */
  errorLines: string[];
  stop: () => Promise<void>;
};

/**
 * Starts `node <nodeArgs> <script> <scriptArgs>` and resolves once a stdout JSON line satisfies `isReady` (which returns
 * the port). Its stdout is read for its whole life (a full pipe would stall it); its stop (SIGTERM, then SIGKILL after
 * 20 s) is registered as a cleanup. The child inherits this process's limits (see raiseFdLimit).
 */
export async function startServer(
  script: string,
  opts: {
    env: NodeJS.ProcessEnv;
    label: string;
    nodeArgs?: string[];
    scriptArgs?: string[];
    timeoutMs?: number;
    /** How long a stop waits after SIGTERM before SIGKILL (default 20 s). */
    stopGraceMs?: number;
    isReady: (entry: any) => number | null;
  },
): Promise<ServerProcess> {
  checkNotFinishing();
  const { label } = opts;
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...(opts.scriptArgs ?? [])], {
    cwd: ROOT,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const tail: string[] = [];
  const errorLines: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 60) tail.shift();
  };
  let exited = false;
  let stopping = false;
  let readyAt = 0;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      children.delete(child);
      // A server that dies on its own during a measurement says why (its last lines) before the run notices.
      if (readyAt && !stopping) progress(`${label} (pid ${child.pid}) exited unexpectedly with ${code ?? signal}; its last lines:\n${tail.slice(-15).join('\n')}`);
      resolve();
    }),
  );
  const stop = async () => {
    stopping = true;
    if (!exited) {
      child.kill('SIGTERM');
      const grace = opts.stopGraceMs ?? 20_000;
      const graceful = await withTimeout(exitedPromise, grace, `${label} stop`).then(() => true, () => false);
      if (!graceful) {
        progress(`${label}: did not stop within ${grace / 1000} s of SIGTERM (still busy with its backlog); killing it`);
        child.kill('SIGKILL');
        await withTimeout(exitedPromise, 5_000, `${label} kill`).catch(() => undefined);
      }
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  const unregister = onCleanup(`stop ${label}`, stop);
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) remember(line);
  });
  return new Promise<ServerProcess>((resolve, reject) => {
    let buffered = '';
    let ready = false;
    const fail = (message: string) => {
      clearTimeout(timer);
      void unregister().catch(() => undefined);
      reject(new Error(`${label}: ${message}\n${tail.slice(-30).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs / 1000} s`), timeoutMs);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        remember(line);
        let entry: { level?: number } | null = null;
        try {
          entry = line.startsWith('{') ? JSON.parse(line) : null;
        } catch {
          entry = null;
        }
        if (entry && (entry.level ?? 0) >= 50) errorLines.push(line);
        const port = !ready && entry ? opts.isReady(entry) : null;
        if (port != null) {
          ready = true;
          readyAt = performance.now();
          clearTimeout(timer);
          resolve({ child, url: `http://127.0.0.1:${port}`, port, pid: child.pid!, tail, errorLines, stop: unregister });
        }
      }
    });
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited with ${code ?? signal} before it was ready`);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// /proc readings (Linux): CPU ticks, memory, file descriptors

export const CLK_TCK = 100;
export function processTicks(pid: number | undefined): number | null {
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
export function ticksByName(names: string[]): Map<number, number> {
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
export type CpuMark = {
  at: number;
  server: number | null;
  self: NodeJS.CpuUsage;
  postgres: Map<number, number>;
  redis: Map<number, number>;
  machine: { busy: number; total: number } | null;
};
/** `pid` is the server under test (the hub or the `ws` baseline server). */
export const cpuMark = (pid?: number): CpuMark => ({
  at: performance.now(),
  server: processTicks(pid),
  self: process.cpuUsage(),
  postgres: ticksByName(['postgres']),
  redis: ticksByName(['redis-server']),
  machine: machineTicks(),
});
/** CPU since `mark`, in % of one core (100% × cores = every core busy). */
export function cpuSince(mark: CpuMark, pid?: number) {
  const secs = (performance.now() - mark.at) / 1000;
  const now = processTicks(pid);
  const self = process.cpuUsage(mark.self);
  const machine = machineTicks();
  const cores = os.availableParallelism();
  return {
    server: mark.server != null && now != null ? ((now - mark.server) / CLK_TCK / secs) * 100 : null,
    bench: ((self.user + self.system) / 1e6 / secs) * 100,
    postgres: (ticksDelta(mark.postgres, ticksByName(['postgres'])) / CLK_TCK / secs) * 100,
    redis: (ticksDelta(mark.redis, ticksByName(['redis-server'])) / CLK_TCK / secs) * 100,
    machine:
      mark.machine && machine && machine.total > mark.machine.total
        ? ((machine.busy - mark.machine.busy) / (machine.total - mark.machine.total)) * 100 * cores
        : null,
  };
}
export type Cpu = ReturnType<typeof cpuSince>;
export const cpuCell = (c: Cpu | null) =>
  c
    ? [`server ${pct(c.server)}`, `bench ${pct(c.bench)}`, c.postgres >= 0.5 ? `pg ${pct(c.postgres)}` : '', c.redis >= 0.5 ? `redis ${pct(c.redis)}` : '', `all ${pct(c.machine)}`]
        .filter(Boolean)
        .join(' · ')
    : '—';

/** Memory of a process from /proc/<pid>/status, in KiB: resident set, its anonymous part (JS heap + malloc), peak RSS. */
export type Memory = { rssKb: number; anonKb: number; hwmKb: number };
export function procMemory(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), anonKb: kb('RssAnon'), hwmKb: kb('VmHWM') };
  } catch {
    return null;
  }
}

/**
 * Waits (at least `minMs`, at most `maxMs`) until the process's RSS moved less than `toleranceKb` over the last
 * `stableSamples` one-second samples, then samples `extraMs` more, and returns the reading with the lowest RSS of that
 * steady stretch: "memory after a quiet period". A garbage collection in the stretch lowers RSS, so the lowest reading
 * carries the least garbage (a server cannot be made to collect from outside; this only narrows the noise).
 */
export async function quietMemory(pid: number, opts: { minMs: number; maxMs: number; stableSamples?: number; toleranceKb?: number; extraMs?: number }) {
  const started = performance.now();
  const samples: Memory[] = [];
  const stable = opts.stableSamples ?? 5;
  const tolerance = opts.toleranceKb ?? 512;
  let steadySince = -1;
  for (;;) {
    const m = procMemory(pid);
    if (!m) throw new Error(`process ${pid} is gone`);
    samples.push(m);
    const elapsed = performance.now() - started;
    if (steadySince < 0) {
      const last = samples.slice(-stable);
      const steady = last.length === stable && Math.max(...last.map((s) => s.rssKb)) - Math.min(...last.map((s) => s.rssKb)) <= tolerance;
      if (steady && elapsed >= opts.minMs) steadySince = samples.length - stable;
    }
    const done = steadySince >= 0 ? elapsed >= opts.minMs && samples.length - steadySince >= stable + Math.round((opts.extraMs ?? 0) / 1000) : elapsed >= opts.maxMs;
    if (done || elapsed >= opts.maxMs + (opts.extraMs ?? 0)) {
      const window = samples.slice(steadySince >= 0 ? steadySince : -stable);
      const lowest = window.reduce((a, b) => (b.rssKb < a.rssKb ? b : a));
      return { ...lowest, waitedMs: elapsed, steady: steadySince >= 0 };
    }
    await sleep(1000);
  }
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd). */
export function openFds(pid: number | 'self'): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** The soft and hard limits on open files of a process (/proc/<pid>/limits). */
export function fdLimits(pid: number | 'self' = 'self'): { soft: number; hard: number } | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').replace('Max open files', '').trim().split(/\s+/);
    const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: n(soft), hard: n(hard) };
  } catch {
    return null;
  }
}

/**
 * Raises this process's soft limit on open files (children inherit it) with prlimit(1) when it is below `needed`: up to
 * max(needed, 65,536), capped by the hard limit, which only CAP_SYS_RESOURCE can raise (and a container's often cannot).
 * Returns the limits in force afterwards.
 */
export function raiseFdLimit(needed: number): { soft: number; hard: number } | null {
  const before = fdLimits();
  if (!before || before.soft >= needed) return before;
  const target = Math.min(before.hard, Math.max(needed, 65_536));
  // "--nofile=SOFT:" changes the soft limit only.
  spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:`], { stdio: 'ignore', timeout: 5000 });
  const after = fdLimits();
  if (after && after.soft > before.soft) progress(`raised the open-files limit from ${before.soft} to ${after.soft} (hard ${after.hard})`);
  return after;
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL and Redis housekeeping

const dbUrl = (pgUrl: URL, name: string) => {
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(pgUrl: URL, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: pgUrl.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await withTimeout(client.query<T>(sql), 60_000, sql)).rows;
  } finally {
    await client.end();
  }
}

/** Creates a scratch database and registers its drop. */
async function scratchDatabase(pgUrl: URL, name: string) {
  checkNotFinishing();
  await adminQuery(pgUrl, `drop database if exists "${name}" with (force)`);
  await adminQuery(pgUrl, `create database "${name}"`);
  const drop = onCleanup(`drop database ${name}`, async () => {
    await adminQuery(pgUrl, `drop database if exists "${name}" with (force)`);
    progress(`dropped database ${name}`);
  });
  return { url: dbUrl(pgUrl, name), drop };
}

async function deleteRedisKeys(redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
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

/** Identities of the running PostgreSQL and Redis servers (start time, run id): a change means one was restarted. */
export async function serviceIds(pgUrl: URL | null, redisUrl: string | null): Promise<{ pg: string | null; redis: string | null }> {
  let pgId: string | null = null;
  let redisId: string | null = null;
  if (pgUrl) {
    try {
      pgId = (await adminQuery<{ t: string }>(pgUrl, 'select pg_postmaster_start_time()::text as t'))[0]?.t ?? null;
    } catch {
      pgId = 'unreachable';
    }
  }
  if (redisUrl) {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
    try {
      await redis.connect();
      redisId = /run_id:(\w+)/.exec(await redis.info('server'))?.[1] ?? null;
    } catch {
      redisId = 'unreachable';
    } finally {
      redis.disconnect();
    }
  }
  return { pg: pgId, redis: redisId };
}

/** What happened to PostgreSQL or Redis between two serviceIds() readings, or null. */
export function disturbance(before: { pg: string | null; redis: string | null }, after: { pg: string | null; redis: string | null }): string | null {
  const out: string[] = [];
  if (before.pg !== after.pg) out.push(`PostgreSQL ${after.pg === 'unreachable' ? 'became unreachable' : 'was restarted'}`);
  if (before.redis !== after.redis) out.push(`Redis ${after.redis === 'unreachable' ? 'became unreachable' : 'was restarted'}`);
  return out.length ? `${out.join(' and ')} during the run (not by this benchmark: other work on the machine)` : null;
}

// ---------------------------------------------------------------------------------------------------------------
// The hub as a child process

/** Every variable the hub reads (src/config.ts): removed from the inherited environment, then set explicitly. */
const HUB_VARS = [
  'NODE_ENV', 'PORT', 'HOST', 'DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DB_POOL_MAX', 'REDIS_URL',
  'DATA_DIR', 'SECRET_KEY', 'ACCESS_TOKEN_EXPIRE_MINUTES', 'JWT_ISSUER', 'JWT_AUDIENCE', 'BCRYPT_COST', 'TIMEZONE', 'CORS_ORIGINS',
  'LOG_LEVEL', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SEED_DEMO', 'MIGRATE_ON_START', 'LOGIN_MAX_FAILURES', 'LOGIN_MAX_FAILURES_PER_ADDRESS',
  'LOGIN_WINDOW_SECONDS', 'MAX_BODY_BYTES', 'PUNCH_MAX_AGE_HOURS', 'PUNCH_MAX_SKEW_SECONDS', 'REDIS_PREFIX', 'SOCKET_MAX_PAYLOAD_BYTES',
  'SOCKET_REVALIDATE_SECONDS', 'SOCKET_EVENTS_PER_SECOND', 'SOCKET_EVENT_BURST', 'KIOSK_PUNCHES_PER_SECOND', 'KIOSK_PUNCH_BURST',
  'GOOGLE_API_KEY', 'GEMINI_MODEL', 'LLM_BASE_URL', 'LLM_MODEL', 'LLM_API_KEY', 'LLM_TIMEOUT_SECONDS', 'ASSISTANT_QUESTIONS_PER_MINUTE',
  'SUMMARY_REFRESH_MINUTES', 'SUMMARY_DEBOUNCE_MS', 'END_OF_DAY_TIME', 'END_OF_DAY_CATCHUP_DAYS', 'WORKER_CONCURRENCY', 'JOB_SCHEDULES',
];

/** Rate limits raised far above what the machine can do, so the bench measures the hub and not the limiter. */
export const UNLIMITED = {
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

/** Starts src/main.ts as a child process and resolves once it logs "ready on …" with its port. */
function startHub(env: NodeJS.ProcessEnv, label: string): Promise<ServerProcess> {
  return startServer('src/main.ts', {
    env,
    label: /\bhub\b/.test(label) ? label : `${label} hub`,
    isReady: (entry: { msg?: string; port?: number }) => (entry.msg?.startsWith('ready on') && typeof entry.port === 'number' ? entry.port : null),
  });
}

export type StartedHub = { hub: ServerProcess; mode: string; stop: () => Promise<void> };

/** The hub on a fresh PGlite DATA_DIR (embedded mode, the demo organisation), its cleanups registered. */
export async function startEmbeddedHub(label: string, extraEnv: Record<string, string> = {}): Promise<StartedHub> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'checkin-bench-embedded-'));
  const removeDir = onCleanup(`remove ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
  try {
    progress(`${label}: starting the hub on PGlite in ${dataDir} (demo organisation)`);
    const hub = await startHub(hubEnv(dataDir, { SEED_DEMO: 'true', ...extraEnv }), label);
    progress(`${label}: ready at ${hub.url} (pid ${hub.pid})`);
    return {
      hub,
      mode: 'embedded PGlite, no Redis',
      async stop() {
        progress(`${label}: stopping the hub`);
        try {
          await hub.stop();
        } finally {
          await removeDir();
        }
      },
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

/**
 * The hub on a fresh scratch PostgreSQL database seeded by `src/cli/seed.ts` (exactly `npm run db:seed -- --employees N
 * --days D [--teams T] --reset`), and Redis under a unique key prefix, every cleanup registered. `stop()` stops the hub,
 * then deletes the Redis keys (the sessions the hub keeps for disconnected sockets included), the database, the data dir.
 */
export async function startPostgresHub(
  label: string,
  opts: { pgUrl: URL; redisUrl: string | null; employees: number; days: number; teams?: number; extraEnv?: Record<string, string> },
): Promise<StartedHub> {
  const name = `bench_hub_${RUN_ID}`;
  const prefix = `bench:${RUN_ID}:`;
  const dataDir = mkdtempSync(join(os.tmpdir(), 'checkin-bench-pg-'));
  const removeDir = onCleanup(`remove ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
  let db: Awaited<ReturnType<typeof scratchDatabase>> | null = null;
  let dropKeys: (() => Promise<void>) | null = null;
  const teardown = async () => {
    try {
      await dropKeys?.();
    } finally {
      try {
        await db?.drop();
      } finally {
        await removeDir();
      }
    }
  };
  try {
    db = await scratchDatabase(opts.pgUrl, name);
    const redisUrl = opts.redisUrl;
    if (redisUrl) dropKeys = onCleanup(`Redis keys ${prefix}*`, () => deleteRedisKeys(redisUrl, prefix));
    const env = hubEnv(dataDir, {
      DATABASE_URL: db.url,
      ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
      SEED_DEMO: 'false',
      ...opts.extraEnv,
    });
    const seedArgs = ['--employees', String(opts.employees), '--days', String(opts.days), ...(opts.teams ? ['--teams', String(opts.teams)] : []), '--reset'];
    progress(`${label}: seeding ${name} (db:seed ${seedArgs.join(' ')})`);
    const seedEnv = { ...env };
    delete seedEnv.REDIS_URL;
    const seeded = await run(process.execPath, ['src/cli/seed.ts', ...seedArgs], { env: seedEnv, timeoutMs: 600_000 });
    progress(`${label}: ${seeded.stdout.split('\n').find((l) => l.startsWith('Seeded')) ?? 'seeded'}`);
    progress(`${label}: starting the hub on ${name}${redisUrl ? ` with Redis prefix ${prefix}` : ' without Redis'}`);
    const hub = await startHub(env, label);
    progress(`${label}: ready at ${hub.url} (pid ${hub.pid})`);
    return {
      hub,
      mode: redisUrl ? 'PostgreSQL + Redis streams adapter' : 'PostgreSQL, no Redis',
      async stop() {
        progress(`${label}: stopping the hub`);
        try {
          await hub.stop();
        } finally {
          await teardown();
        }
      },
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The plain `ws` baseline server (bench/ws-server.ts) as a child process

export function startWsServer(label: string, scriptArgs: string[]): Promise<ServerProcess> {
  return startServer('bench/ws-server.ts', {
    env: process.env,
    label,
    scriptArgs,
    timeoutMs: 30_000,
    // It holds no state worth a graceful stop; after an overloaded run it may be busy with its backlog for long.
    stopGraceMs: 3000,
    isReady: (entry: { ready?: boolean; port?: number }) => (entry.ready && typeof entry.port === 'number' ? entry.port : null),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// REST and sockets

export async function api<T = any>(base: string, method: string, path: string, opts: { token?: string; json?: unknown } = {}) {
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

export async function login(base: string, email: string, password: string): Promise<string> {
  const { body } = await api<{ access_token: string }>(base, 'POST', '/token', { json: { username: email, password } });
  return body.access_token;
}

/** A Socket.IO client on the websocket transport only, no reconnection; resolves once connected (bounded). */
export function openSocket(url: string, token: string, timeoutMs = 15_000): Promise<Client> {
  const socket: Client = connect(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: Math.max(1000, timeoutMs - 1000) });
  return withTimeout(
    new Promise<Client>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (error) => reject(error));
    }),
    timeoutMs,
    'socket connect',
  ).catch((error) => {
    socket.close();
    throw error;
  });
}

export type Employee = { employee_id: number; name: string; email: string; team_id: number | null; badge_id: string | null; active: boolean; access: string };

export async function listEmployees(base: string, token: string): Promise<Employee[]> {
  const all: Employee[] = [];
  for (let skip = 0; skip < 1_000_000; skip += 1000) {
    const { body, headers } = await api<Employee[]>(base, 'GET', `/employees/?limit=1000&skip=${skip}`, { token });
    all.push(...body);
    if (body.length < 1000 || all.length >= Number(headers.get('x-total-count') ?? 0)) break;
  }
  return all;
}

/** Runs `task` over `items` in waves of `size` (each wave settles before the next starts). */
export async function inWaves<T, R>(items: T[], size: number, task: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = [];
  for (let i = 0; i < items.length; i += size) {
    checkNotFinishing();
    out.push(...(await Promise.allSettled(items.slice(i, i + size).map((item, k) => task(item, i + k)))));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Machine facts

export async function machineFacts(pgUrl: URL | null, redisUrl: string | null) {
  const cpus = os.cpus();
  const load = os.loadavg().map((n) => n.toFixed(2)).join(' / ');
  const lines = [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${os.availableParallelism()} cores (${cpus[0]?.model?.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}; load average at start ${load} (1/5/15 min)`,
    `- Node ${process.version} for this load generator and every child (${process.execPath.replace(ROOT, './')})`,
  ];
  if (pgUrl) {
    try {
      const [row] = await adminQuery<{ v: string; fsync: string; sc: string }>(
        pgUrl,
        "select current_setting('server_version') as v, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc",
      );
      lines.push(`- PostgreSQL ${row.v} at ${pgUrl.host} (fsync=${row.fsync}, synchronous_commit=${row.sc})`);
    } catch (error) {
      lines.push(`- PostgreSQL: unreachable (${(error as Error).message})`);
    }
  }
  if (redisUrl) {
    try {
      const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
      try {
        await redis.connect();
        const info = await redis.info('server');
        lines.push(`- Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} at ${new URL(redisUrl).host}`);
      } finally {
        redis.disconnect();
      }
    } catch (error) {
      lines.push(`- Redis: unreachable (${(error as Error).message})`);
    }
  }
  lines.push(
    `- **Only ${os.availableParallelism()} cores, shared** by the server under test, PostgreSQL, Redis, this load generator (every client socket lives in this one process) and whatever else runs on the machine: absolute numbers are a floor, not a capacity. Each is reported next to a baseline measured in the same run, as a ratio.`,
  );
  return lines;
}
