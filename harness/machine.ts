// The machine as a benchmark reads it from /proc (Linux): CPU ticks of processes and of the whole machine, memory and
// open files of a process, the identities of PostgreSQL and Redis (to tell a restart by other work), and the facts a
// report starts with.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import { adminQuery } from './database.ts';
import { progress, ROOT, sleep } from './run.ts';

export const CLK_TCK = 100;

type Stat = { comm: string; parent: number; ticks: number };
/** One line of /proc/<pid>/stat: the command, the parent, user+system ticks; null once the process has ended. */
function statOf(pid: number): Stat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // ppid; utime, stime (fields 4, 14 and 15 of the line)
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}
/** Every process there is, by pid. */
function allStats(): Map<number, Stat> {
  const out = new Map<number, Stat>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const stat = statOf(Number(pid));
    if (stat) out.set(Number(pid), stat);
  }
  return out;
}

/**
 * User+system ticks of a process and of the processes it started (the API processes of a hub with API_PROCESSES, the
 * copies of a clustered baseline): a server's CPU, however many processes it runs as.
 */
export function processTicks(pid: number | undefined): number | null {
  if (!pid) return null;
  const own = statOf(pid);
  if (!own) return null;
  const stats = allStats();
  const within = (p: number): boolean => {
    for (let at = stats.get(p)?.parent, depth = 0; at && depth < 8; at = stats.get(at)?.parent, depth++) if (at === pid) return true;
    return false;
  };
  let ticks = own.ticks;
  for (const [other, stat] of stats) if (other !== pid && within(other)) ticks += stat.ticks;
  return ticks;
}
/** User+system ticks of every process whose command is one of `names` (PostgreSQL backends, redis-server), by pid. */
export function ticksByName(names: string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const [pid, stat] of allStats()) if (names.includes(stat.comm)) out.set(pid, stat.ticks);
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
