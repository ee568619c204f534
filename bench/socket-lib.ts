// Extras of the socket benchmarks (bench/fanout.ts, bench/connections.ts) on top of bench/lib.ts: the CPU cell of their
// tables, memory and open-file limits from /proc, the identities of PostgreSQL and Redis (to tell a restart by other
// work), the plain `ws` baseline server (bench/ws-server.ts) as a child process, plain ws clients, waves of tasks.
// Nothing here asserts.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { adminQuery, checkNotFinishing, type Cpu, pct, progress, type ServerProcess, sleep, startServer, withTimeout } from './lib.ts';

/** The password `db:seed` gives every seeded employee (DEMO_PASSWORD in src/infra/startup.ts). */
export const SEEDED_PASSWORD = 'demo-pass-123';

/** The CPU readings of a run as one table cell ("server" is the process under test). */
export const cpuCell = (c: Cpu | null) =>
  c
    ? [`server ${pct(c.hub)}`, `bench ${pct(c.bench)}`, c.postgres >= 0.5 ? `pg ${pct(c.postgres)}` : '', c.redis >= 0.5 ? `redis ${pct(c.redis)}` : '', `all ${pct(c.machine)}`]
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
// The plain `ws` baseline server (bench/ws-server.ts) as a child process

export function startWsServer(label: string, scriptArgs: string[], opts: { nodeArgs?: string[] } = {}): Promise<ServerProcess> {
  return startServer(process.env, label, {
    script: 'bench/ws-server.ts',
    scriptArgs,
    nodeArgs: opts.nodeArgs,
    timeoutMs: 30_000,
    // It holds no state worth a graceful stop; after an overloaded run it may be busy with its backlog for long.
    stopGraceMs: 3000,
    isReady: (entry: { ready?: boolean; port?: number }) => (entry.ready && typeof entry.port === 'number' ? entry.port : null),
  });
}

/** A plain `ws` client (no compression) once open (bounded); its errors after that are ignored. */
export function openWs(url: string, timeoutMs = 30_000): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: Math.max(1000, timeoutMs - 1000) });
  ws.on('error', () => undefined);
  return withTimeout(
    new Promise<WebSocket>((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
    }),
    timeoutMs,
    'websocket open',
  ).catch((error) => {
    ws.terminate();
    throw error;
  });
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
