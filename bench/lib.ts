// Helpers shared by the benchmarks (bench/realtime.ts, bench/history.ts, bench/fanout.ts, bench/connections.ts) and
// scripts/faults.ts: progress lines, bounded waits, cleanups that run on every path (normal end, error, signal,
// watchdog), child processes (the hub and other servers), scratch PostgreSQL databases, /proc CPU accounting, REST and
// socket helpers. The socket benchmarks' own extras (memory, fd limits, the ws baseline) are in bench/socket-lib.ts.
// One benchmark per process: the state here is the process's. Nothing here asserts.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../src/modules/realtime/events.ts';
import { ENV_VARIABLES } from '../src/config.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RUN_ID = `${process.pid}_${randomBytes(3).toString('hex')}`;
export const ADMIN_EMAIL = 'bench-admin@example.com';
export const ADMIN_PASSWORD = `Bench-${randomBytes(9).toString('base64url')}-42`;

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

/** A numeric command-line value within bounds, or exit 2 with a message. */
export function numberFlag(name: string, value: string | undefined, min: number, max: number) {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
}

/** A comma-separated list flag whose every item is one of `allowed`, or exit 2 with a message. */
export function listFlag<T extends string>(name: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) {
      console.error(`--${name}: unknown value "${item}" (${allowed.join(', ')})`);
      process.exit(2);
    }
  }
  return items as T[];
}

// ---------------------------------------------------------------------------------------------------------------
// Cleanups, stopping, child processes

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
 * Bounds the whole run: after `budgetMs`, or on SIGINT/SIGTERM, children get SIGTERM, the cleanups run (bounded) and
 * the process exits. Returns `release`, to call once the run ended normally (after its own cleanups).
 */
export function guardRun(budgetMs: number) {
  const abort = async (reason: string, code: number) => {
    if (finishing) return;
    finishing = true;
    progress(`${reason}; cleaning up`);
    for (const child of children) child.kill('SIGTERM');
    await withTimeout(runCleanups(), 60_000, 'cleanup').catch((error) => progress((error as Error).message));
    process.exit(code);
  };
  const watchdog = setTimeout(() => void abort(`the benchmark exceeded its ${Math.round(budgetMs / 1000)} s budget`, 1), budgetMs);
  const onSignal = (signal: NodeJS.Signals) => void abort(`received ${signal}`, 130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * Everything is closed once a run ends, so the process ends by itself. If it is still alive a few seconds later,
 * something leaked: say what, and end it (this timer does not itself keep the process alive).
 */
export function exitSoonIfStuck() {
  setTimeout(() => {
    progress(`still running 5 s after the end; open handles: ${process.getActiveResourcesInfo().join(', ')}; exiting`);
    process.exit(process.exitCode ?? 1);
  }, 5_000).unref();
}

/** Runs a command to completion (bounded); resolves with its output, rejects on a non-zero exit. */
export function run(
  cmd: string,
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; echoStderr?: boolean; onStderr?: (chunk: string) => void },
) {
  checkNotFinishing();
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
      if (opts.echoStderr) process.stderr.write(chunk);
      opts.onStderr?.(String(chunk));
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

/** Calls `onLine` with each complete, non-blank line of a child's output stream (a line split over chunks waits for its end). */
export function eachLine(stream: Readable, onLine: (line: string) => void) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
}

/** Every variable the hub reads (src/config.ts): removed from the inherited environment, then set explicitly. */
export const HUB_VARS = ENV_VARIABLES;

/** The inherited environment without any hub variable, plus a development hub's basics and `extra`. */
export function hubEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of HUB_VARS) delete env[name];
  return {
    ...env,
    NODE_ENV: 'development',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SECRET_KEY: randomBytes(48).toString('base64url'),
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ...extra,
  };
}

/** A long-running child (the hub, a baseline server) that prints JSON lines on stdout. */
export type ServerProcess = {
  child: ChildProcess;
  url: string;
  port: number;
  pid: number;
  /** The last log lines (for error messages). */
  tail: string[];
  /** Log lines at level error or above since start. */
  errorLines: string[];
  /** The inspector's WebSocket URL when the child was started with --inspect (from its "Debugger listening on" line). */
  inspectorUrl: string | null;
  stop: () => Promise<void>;
};

/** The hub's ready line: `{"msg":"ready on …","port":N}`. */
export const hubReady = (entry: { msg?: string; port?: number }) => (entry.msg?.startsWith('ready on') && typeof entry.port === 'number' ? entry.port : null);

/**
 * Starts `node <nodeArgs> <script> <scriptArgs>` (src/main.ts by default) as a child process on this process's Node
 * binary, and resolves once a stdout JSON line satisfies `isReady`, which returns the port (default: the hub's "ready
 * on" line). Its stdout is read for its whole life (a full pipe would stall it); its stop (SIGTERM, then SIGKILL after
 * `stopGraceMs`, default 20 s) is registered as a cleanup.
 */
export async function startServer(
  env: NodeJS.ProcessEnv,
  label: string,
  opts: { script?: string; nodeArgs?: string[]; scriptArgs?: string[]; timeoutMs?: number; stopGraceMs?: number; isReady?: (entry: Record<string, any>) => number | null } = {},
): Promise<ServerProcess> {
  checkNotFinishing();
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const isReady: (entry: Record<string, any>) => number | null = opts.isReady ?? hubReady;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.script ?? 'src/main.ts', ...(opts.scriptArgs ?? [])], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const tail: string[] = [];
  const errorLines: string[] = [];
  let inspectorUrl: string | null = null;
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
  let stopping = false;
  const stop = async () => {
    stopping = true;
    if (!exited) {
      child.kill('SIGTERM');
      const grace = opts.stopGraceMs ?? 20_000;
      const graceful = await withTimeout(exitedPromise, grace, `${label} stop`).then(() => true, () => false);
      if (!graceful) {
        progress(`${label}: did not stop within ${grace / 1000} s of SIGTERM (still busy with its backlog?); killing it`);
        child.kill('SIGKILL');
        await withTimeout(exitedPromise, 5_000, `${label} kill`).catch(() => undefined);
      }
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  const unregister = onCleanup(`stop ${label}`, stop);
  eachLine(child.stderr!, (line) => {
    remember(line);
    inspectorUrl ??= /^Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1] ?? null;
  });
  return new Promise<ServerProcess>((resolve, reject) => {
    let ready = false;
    const fail = (message: string) => {
      clearTimeout(timer);
      void unregister().catch(() => undefined);
      reject(new Error(`${label}: ${message}\n${tail.slice(-30).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs / 1000} s`), timeoutMs);
    eachLine(child.stdout!, (line) => {
      remember(line);
      // Once ready, only error lines matter: no JSON.parse of every request log line in the load generator.
      if (ready && !/"level":\s*[56]\d/.test(line)) return;
      let entry: Record<string, any> | null = null;
      try {
        entry = line.startsWith('{') ? JSON.parse(line) : null;
      } catch {
        entry = null;
      }
      if (entry && (entry.level ?? 0) >= 50) errorLines.push(line);
      const port = !ready && entry ? isReady(entry) : null;
      if (port != null) {
        ready = true;
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${port}`, port, pid: child.pid!, tail, errorLines, inspectorUrl, stop: unregister });
      }
    });
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited with ${code ?? signal} before it was ready`);
      // A server that dies on its own during a measurement says why (its last lines) before the run notices.
      else if (!stopping) progress(`${label} (pid ${child.pid}) exited unexpectedly with ${code ?? signal}; its last lines:\n${tail.slice(-20).join('\n')}`);
    });
  });
}

/** One JSON request (bounded to `timeoutMs`, default 30 s); throws on a non-2xx answer. */
export async function api<T = any>(base: string, method: string, path: string, opts: { token?: string; json?: unknown; timeoutMs?: number } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  }).catch((error: Error & { cause?: { message?: string; code?: string } }) => {
    // fetch's own message is only "fetch failed": say why.
    const cause = error.cause ? ` (${error.cause.code ?? ''} ${error.cause.message ?? ''})`.replace('( ', '(') : '';
    throw new Error(`${method} ${base}${path}: ${error.message}${cause}`, { cause: error });
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

/** Signs in (POST /token) and returns the access token. */
export async function login(base: string, email: string, password: string, timeoutMs?: number): Promise<string> {
  const { body } = await api<{ access_token: string }>(base, 'POST', '/token', { json: { username: email, password }, timeoutMs });
  return body.access_token;
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL housekeeping

/** `base` (any database URL of the server) pointing at database `name`. */
export const dbUrl = (base: URL, name: string) => {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
};

/** One statement on its own connection (bounded to `timeoutMs`, default 60 s). */
export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: URL | string,
  sql: string,
  params: unknown[] = [],
  timeoutMs = 60_000,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await withTimeout(client.query<T>(sql, params), timeoutMs, sql.slice(0, 200))).rows;
  } finally {
    await client.end();
  }
}

/**
 * True for errors that mean PostgreSQL is (re)starting or went away rather than a bad statement: the machine is shared,
 * and other work may restart the server (admin shutdown, crash recovery, refused connections).
 */
export function transientPgError(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    ['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(e?.code ?? '') ||
    /shutting down|starting up|in recovery mode|Connection terminated|ECONNREFUSED|ECONNRESET|terminating connection|57P0[123]/i.test(e?.message ?? '')
  );
}

/** Runs `fn` again (every second) while it fails with a transient PostgreSQL error, for up to `forMs`. */
export async function retryTransient<T>(fn: () => Promise<T>, forMs: number, what: string): Promise<T> {
  const until = Date.now() + forMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!transientPgError(error) || Date.now() > until) throw error;
      progress(`${what}: PostgreSQL unavailable (${(error as Error).message.split('\n')[0]}); retrying`);
      await sleep(1000);
    }
  }
}

/** Creates a scratch database (dropping any of that name first) and registers its drop. */
export async function scratchDatabase(base: URL, name: string) {
  checkNotFinishing();
  await adminQuery(base, `drop database if exists "${name}" with (force)`);
  await adminQuery(base, `create database "${name}"`);
  const drop = onCleanup(`drop database ${name}`, async () => {
    await retryTransient(() => adminQuery(base, `drop database if exists "${name}" with (force)`), 25_000, `drop database ${name}`);
    progress(`dropped database ${name}`);
  });
  return { url: dbUrl(base, name), drop };
}

// ---------------------------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux): a process's user+system ticks, and the whole machine's busy ticks.

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
export const ticksDelta = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ticks]) => sum + ticks - (before.get(pid) ?? 0), 0);

export function machineTicks(): { busy: number; total: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = cpu[3] + (cpu[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}
/** Busy share of the whole machine between two `machineTicks()`, in % of one core. */
export const machinePct = (before: { busy: number; total: number } | null, after: { busy: number; total: number } | null) =>
  before && after && after.total > before.total ? ((after.busy - before.busy) / (after.total - before.total)) * 100 * os.availableParallelism() : null;

// ---------------------------------------------------------------------------------------------------------------
// Running a benchmark's main body

/**
 * Runs `body` bounded by `budgetMs` (and SIGINT/SIGTERM), then every cleanup, on every path. `body` resolves to
 * false when a part of the run failed (the exit code becomes 1); a throw is reported and fails the run too.
 */
export async function runMain(budgetMs: number, body: () => Promise<boolean>) {
  const release = guardRun(budgetMs);
  let ok = false;
  try {
    ok = await body();
  } catch (error) {
    ok = false;
    progress(`failed: ${(error as Error).stack ?? error}`);
  } finally {
    await runCleanups();
    release();
  }
  if (!ok) process.exitCode = 1;
  exitSoonIfStuck();
}

/** Markdown bullet lines describing the machine, Node, PostgreSQL and Redis (each when given). */
export async function machineFacts(pgUrl: URL | null, redisUrl?: string | null) {
  const cpus = os.cpus();
  const load = os.loadavg().map((n) => n.toFixed(2)).join(' / ');
  const lines = [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${os.availableParallelism()} cores (${cpus[0]?.model?.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}; load average at start ${load} (1/5/15 min)`,
    `- Node ${process.version} for this load generator and every child (${process.execPath.replace(ROOT, './')})`,
  ];
  if (pgUrl) {
    try {
      const [row] = await adminQuery<{ v: string; fsync: string; sc: string; sb: string; wm: string }>(
        pgUrl,
        "select current_setting('server_version') as v, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc, " +
          "current_setting('shared_buffers') as sb, current_setting('work_mem') as wm",
      );
      lines.push(`- PostgreSQL ${row.v} at ${pgUrl.host} (fsync=${row.fsync}, synchronous_commit=${row.sc}, shared_buffers=${row.sb}, work_mem=${row.wm})`);
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
    `- **Only ${os.availableParallelism()} cores, shared** by the servers under test, ${pgUrl ? 'PostgreSQL, ' : ''}${redisUrl ? 'Redis, ' : ''}this load generator and whatever else runs on the machine: absolute numbers are a floor, not the capacity of a dedicated machine. Compare each with the baseline measured in the same run.`,
  );
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// CPU marks: the hub process, PostgreSQL, Redis, this process and the machine over a window

export type CpuMark = {
  at: number;
  /** The process under test: the hub, or a baseline server. */
  hub: number | null;
  self: NodeJS.CpuUsage;
  postgres: Map<number, number>;
  redis: Map<number, number>;
  machine: { busy: number; total: number } | null;
};
export const cpuMark = (hubPid?: number): CpuMark => ({
  at: performance.now(),
  hub: processTicks(hubPid),
  self: process.cpuUsage(),
  postgres: ticksByName(['postgres']),
  redis: ticksByName(['redis-server']),
  machine: machineTicks(),
});
/** CPU use since `mark`, each in % of one core. */
export function cpuSince(mark: CpuMark, hubPid?: number) {
  const secs = (performance.now() - mark.at) / 1000;
  const hubNow = processTicks(hubPid);
  const self = process.cpuUsage(mark.self);
  return {
    hub: mark.hub != null && hubNow != null ? ((hubNow - mark.hub) / CLK_TCK / secs) * 100 : null,
    bench: ((self.user + self.system) / 1e6 / secs) * 100,
    postgres: (ticksDelta(mark.postgres, ticksByName(['postgres'])) / CLK_TCK / secs) * 100,
    redis: (ticksDelta(mark.redis, ticksByName(['redis-server'])) / CLK_TCK / secs) * 100,
    machine: machinePct(mark.machine, machineTicks()),
  };
}
export type Cpu = ReturnType<typeof cpuSince>;

// ---------------------------------------------------------------------------------------------------------------
// Hubs ready to measure: embedded (PGlite) and PostgreSQL (+ Redis)

export type HubProcess = ServerProcess;

/** Rate limits raised far above what the machine can do, so a bench measures the hub and not the limiter. */
export const UNLIMITED = {
  KIOSK_PUNCHES_PER_SECOND: '10000',
  KIOSK_PUNCH_BURST: '100000',
  SOCKET_EVENTS_PER_SECOND: '10000',
  SOCKET_EVENT_BURST: '100000',
  SOCKET_MAX_PER_USER: '1000000',
  SOCKET_HANDSHAKES_PER_MINUTE: '10000000',
  HEAVY_REQUESTS_PER_USER: '100',
};

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

/** A temporary directory removed by `remove` (or at the end of the run). */
function tempDir(prefix: string) {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  const remove = onCleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  return { dir, remove };
}

export type StartedHub = { hub: ServerProcess; mode: string; stop: () => Promise<void> };

/** The hub on a fresh PGlite DATA_DIR with the demo organisation (60 employees, 90 days); `stop` also removes the directory. */
export async function startEmbeddedHub(label: string, opts: { nodeArgs?: string[]; extraEnv?: Record<string, string> } = {}): Promise<StartedHub> {
  const data = tempDir('checkin-bench-embedded-');
  try {
    progress(`${label}: starting the hub on PGlite in ${data.dir} (demo organisation: 60 employees, 90 days)`);
    const env = hubEnv({ DATA_DIR: data.dir, SEED_DEMO: 'true', ...UNLIMITED, ...opts.extraEnv });
    return await startHub(label, env, opts.nodeArgs, 'embedded PGlite, no Redis', data.remove);
  } catch (error) {
    await data.remove();
    throw error;
  }
}

/** Starts src/main.ts on `env`; the hub's `stop` then runs `teardown` (its data directory, database, Redis keys). */
async function startHub(label: string, env: NodeJS.ProcessEnv, nodeArgs: string[] | undefined, mode: string, teardown: () => Promise<void>): Promise<StartedHub> {
  const hub = await startServer(env, /\bhub\b/.test(label) ? label : `${label} hub`, { nodeArgs });
  progress(`${label}: ready at ${hub.url} (pid ${hub.pid})`);
  const stop = async () => {
    progress(`${label}: stopping the hub`);
    try {
      await hub.stop();
    } finally {
      await teardown();
    }
  };
  return { hub, mode, stop };
}

/**
 * The hub on a fresh scratch PostgreSQL database seeded with exactly what `npm run db:seed -- --employees N --days D
 * [--teams T] --reset` runs, and Redis (when given) under a unique key prefix; `stop` stops the hub, then deletes the
 * keys (the sessions the hub keeps for disconnected sockets included), drops the database and removes the directory.
 */
export async function startPostgresHub(
  label: string,
  opts: { pgUrl: URL; redisUrl: string | null; employees: number; days: number; teams?: number; nodeArgs?: string[]; extraEnv?: Record<string, string> },
): Promise<StartedHub> {
  const name = `bench_hub_${RUN_ID}`;
  const prefix = `bench:${RUN_ID}:`;
  const data = tempDir('checkin-bench-pg-');
  let db: { url: string; drop: () => Promise<void> } | null = null;
  let dropKeys: (() => Promise<void>) | null = null;
  const teardown = async () => {
    try {
      await dropKeys?.();
      await db?.drop();
    } finally {
      await data.remove();
    }
  };
  try {
    db = await scratchDatabase(opts.pgUrl, name);
    const redisUrl = opts.redisUrl;
    if (redisUrl) dropKeys = onCleanup(`Redis keys ${prefix}*`, () => deleteRedisKeys(redisUrl, prefix));
    const env = hubEnv({
      DATA_DIR: data.dir,
      DATABASE_URL: db.url,
      ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
      SEED_DEMO: 'false',
      ...UNLIMITED,
      ...opts.extraEnv,
    });
    const seedArgs = ['--employees', String(opts.employees), '--days', String(opts.days), ...(opts.teams ? ['--teams', String(opts.teams)] : []), '--reset'];
    progress(`${label}: seeding ${name} (db:seed ${seedArgs.join(' ')})`);
    const seedEnv = { ...env };
    delete seedEnv.REDIS_URL;
    const seeded = await run(process.execPath, ['src/cli/seed.ts', ...seedArgs], { env: seedEnv, timeoutMs: 600_000 });
    progress(`${label}: ${seeded.stdout.split('\n').find((l) => l.startsWith('Seeded')) ?? 'seeded'}`);
    progress(`${label}: starting the hub on ${name}${redisUrl ? ` with Redis prefix ${prefix}` : ' without Redis'}`);
    return await startHub(label, env, opts.nodeArgs, redisUrl ? 'PostgreSQL + Redis streams adapter' : 'PostgreSQL, no Redis', teardown);
  } catch (error) {
    await teardown();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sockets and employees

export type Client = Socket<ServerToClient, ClientToServer>;

/** A Socket.IO client on the websocket transport only, no reconnection; resolves once connected (bounded). */
export function openSocket(url: string, token: string, timeoutMs = 15_000): Promise<Client> {
  const socket: Client = connect(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: Math.max(1000, timeoutMs - 5000) });
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

// ---------------------------------------------------------------------------------------------------------------
// A light Socket.IO client for load generators

/** The part of a Socket.IO client these loops use; socket.io-client's Socket fits it, and so does RawSocket. */
export type BenchSocket = {
  readonly connected: boolean;
  emitWithAck(event: string, payload: unknown, timeoutMs: number): Promise<any>;
  /** `frameBytes`: the size of the frame it came in (the wire client only). */
  on(event: string, listener: (payload: any, frameBytes: number) => void): void;
  close(): void;
};

/**
 * A Socket.IO client in forty lines: the Engine.IO 4 / Socket.IO 5 wire protocol over a bare `ws` WebSocket.
 * CONNECT with `auth: { token }`, events `42[...]` (one JSON.parse each), acknowledgements by id, pings answered.
 * Kiosks and boards are separate devices in real life; in a benchmark they share the machine with the hub, and
 * socket.io-client costs several times more per message, so this keeps the load generator's share small.
 */
export function openWireSocket(base: string, token: string, timeoutMs = 10_000): Promise<BenchSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false, handshakeTimeout: timeoutMs - 1000 });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const listeners = new Map<string, ((payload: any, frameBytes: number) => void)[]>();
  let nextId = 0;
  let connected = false;
  const socket: BenchSocket = {
    get connected() {
      return connected && ws.readyState === WebSocket.OPEN;
    },
    emitWithAck(event, payload, timeoutMs) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => pending.delete(id) && reject(new Error('ack timeout')), timeoutMs);
        pending.set(id, { resolve, reject, timer });
        ws.send(`42${id}${JSON.stringify([event, payload])}`);
      });
    },
    on(event, listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    },
    close() {
      if (ws.readyState === WebSocket.OPEN) ws.send('41');
      ws.close();
    },
  };
  return withTimeout(
    new Promise<BenchSocket>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('close', () => {
        connected = false;
        for (const [id, p] of pending) {
          clearTimeout(p.timer);
          pending.delete(id);
          p.reject(new Error('disconnected'));
        }
        reject(new Error('closed before connecting'));
      });
      ws.on('message', (data) => {
        const frame = String(data);
        if (frame.startsWith('43')) {
          const start = frame.indexOf('[');
          const id = Number(frame.slice(2, start));
          const p = pending.get(id);
          if (!p) return;
          pending.delete(id);
          clearTimeout(p.timer);
          p.resolve((JSON.parse(frame.slice(start)) as unknown[])[0]);
        } else if (frame.startsWith('42')) {
          const [event, payload] = JSON.parse(frame.slice(2)) as [string, unknown];
          for (const listener of listeners.get(event) ?? []) listener(payload, Buffer.byteLength(frame));
        } else if (frame === '2') ws.send('3');
        else if (frame.startsWith('0')) ws.send(`40${JSON.stringify({ token })}`);
        else if (frame.startsWith('40')) {
          connected = true;
          resolve(socket);
        } else if (frame.startsWith('44')) reject(new Error(`connect refused: ${frame.slice(2)}`));
      });
    }),
    timeoutMs,
    'socket connect (wire protocol)',
  ).catch((error) => {
    ws.terminate();
    throw error;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The README's results table

/** One row of the README's results table: what was measured, the hub's figure, the same-run baseline's, the ratio. */
export type SummaryRow = { benchmark: string; hub: string; baseline: string; ratio: string };

/**
 * The rows a benchmark contributes to the README's results table, as HTML comments at the end of its report
 * (invisible in bench/RESULTS.md); `npm run bench:all` collects them.
 */
export const summaryLines = (rows: SummaryRow[]) => rows.map((r) => `<!-- summary ${JSON.stringify(r)} -->`);
