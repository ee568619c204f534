// Load: a closed loop of keep-alive clients, and one request at a time, hub and baseline interleaved (ABBA); both
// servers must give the same answer.
// Load: a closed loop of keep-alive clients, and one request at a time, interleaved hub / baseline (ABBA)
//
// The machine is shared, so its background load drifts during a run. Each measurement is split into slices run in
// the order hub, baseline, baseline, hub, twice over (a quarter of the time or of the requests each): a drift that is
// steady over four slices weighs the same on both sides, and eight short slices average the rest.
import http from 'node:http';
import os from 'node:os';
import { ownerStatement, recordStatements, teamExistsStatement, userStatement } from '../history-sql.ts';
import pg from 'pg';
import {
  CLK_TCK,
  isFinishing,
  machineTicks,
  percentile,
  processTicks,
  progress,
  type ServerProcess,
  sleep,
  ticksByName,
  ticksDelta,
  withTimeout,
} from '../../harness/index.ts';
import type { HttpQuery } from './data.ts';
import { CONCURRENCY, MIN_SEQUENTIAL, REQUEST_TIMEOUT_MS, SECONDS, SEQUENTIAL, WARMUP } from './options.ts';

export type Window = { server: number | null; postgres: number; bench: number; machine: number | null };
export type LoadResult = { rps: number; p50: number; p99: number; count: number; errors: number; firstError: string; cpu: Window | null };
export type SeqResult = { n: number; p50: number; p99: number; max: number; errors: number; firstError: string };
/** Slice order: hub, baseline, baseline, hub, twice over (0 = hub, 1 = baseline). */
export const ABBA = [0, 1, 1, 0];
export const ORDER = [...ABBA, ...ABBA];
/** Unmeasured time at the start of each slice, so that its measured window sees the closed loop in its steady state. */
export const RAMP_MS = 1000;

export function get(agent: http.Agent, base: URL, path: string, token: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, hostname: base.hostname, port: base.port, path, method: 'GET', headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** CPU ticks accumulated over several windows: the server process, PostgreSQL, this process, the machine. */
class CpuAccount {
  private secs = 0;
  private server = 0;
  private serverKnown = true;
  private postgres = 0;
  private bench = 0;
  private busy = 0;
  private total = 0;
  start(pid: number) {
    const mark = { at: performance.now(), server: processTicks(pid), postgres: ticksByName(['postgres']), self: process.cpuUsage(), machine: machineTicks() };
    return () => {
      this.secs += (performance.now() - mark.at) / 1000;
      const server = processTicks(pid);
      if (mark.server == null || server == null) this.serverKnown = false;
      else this.server += server - mark.server;
      this.postgres += ticksDelta(mark.postgres, ticksByName(['postgres']));
      const self = process.cpuUsage(mark.self);
      this.bench += (self.user + self.system) / 1e6;
      const machine = machineTicks();
      if (mark.machine && machine) {
        this.busy += machine.busy - mark.machine.busy;
        this.total += machine.total - mark.machine.total;
      }
    };
  }
  result(): Window | null {
    if (!this.secs) return null;
    return {
      server: this.serverKnown ? (this.server / CLK_TCK / this.secs) * 100 : null,
      postgres: (this.postgres / CLK_TCK / this.secs) * 100,
      bench: (this.bench / this.secs) * 100,
      machine: this.total ? (this.busy / this.total) * 100 * os.availableParallelism() : null,
    };
  }
}

export type Side = { server: ServerProcess; token: string; latencies: number[]; measuredMs: number; errors: number; firstError: string; cpu: CpuAccount };

/**
 * `CONCURRENCY` clients in a closed loop on one server for `durationMs`; `measure` false for a warm-up. Each slice
 * has its own keep-alive agent: sockets left idle while the other server is measured would meet the server's
 * keep-alive timeout (5 s) and could be reused just as it closes them.
 */
export async function slice(side: Side, path: string, durationMs: number, measure: boolean) {
  const base = new URL(side.server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
  // Measured: completions in [from, to), after an unmeasured ramp of RAMP_MS.
  const from = performance.now() + (measure ? RAMP_MS : 0);
  const to = from + durationMs;
  let stopCpu: (() => void) | null = null;
  const cpuStart = measure ? setTimeout(() => (stopCpu = side.cpu.start(side.server.pid)), RAMP_MS) : null;
  let stopped = false;
  const worker = async () => {
    while (performance.now() < to && !isFinishing()) {
      const t0 = performance.now();
      try {
        const res = await get(agent, base, path, side.token);
        const t1 = performance.now();
        if (res.status !== 200) {
          side.errors++;
          side.firstError ||= `HTTP ${res.status}`;
        } else if (measure && t1 >= from && t1 < to) side.latencies.push(t1 - t0);
      } catch (error) {
        side.errors++;
        side.firstError ||= (error as Error).message;
        await sleep(20);
      }
      // The window closes at `to` (CPU too); requests still in flight finish, uncounted, before the next slice.
      if (!stopped && performance.now() >= to) {
        stopped = true;
        (stopCpu as (() => void) | null)?.();
      }
    }
  };
  const timer = setTimeout(() => {
    if (!stopped) {
      stopped = true;
      (stopCpu as (() => void) | null)?.();
    }
  }, to - performance.now());
  try {
    await withTimeout(Promise.all(Array.from({ length: CONCURRENCY }, worker)), to - performance.now() + REQUEST_TIMEOUT_MS + 5000, `${side.server.url} clients`);
  } finally {
    clearTimeout(timer);
    if (cpuStart) clearTimeout(cpuStart);
    agent.destroy();
  }
  if (measure) side.measuredMs += durationMs;
}

export const loadResult = (side: Side): LoadResult => {
  const sorted = side.latencies.sort((a, b) => a - b);
  return {
    rps: sorted.length / (side.measuredMs / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    count: sorted.length,
    errors: side.errors,
    firstError: side.firstError,
    cpu: side.cpu.result(),
  };
};

/**
 * Both servers under `CONCURRENCY` clients: warm-up each, then SECONDS each in slices hub, baseline, baseline, hub,
 * twice. `tokens`: each server's bearer token (the same one when the servers share the signing key).
 */
export async function closedLoops(servers: [ServerProcess, ServerProcess], path: string, tokens: [string, string], label: string, names = ['hub', 'baseline']): Promise<[LoadResult, LoadResult]> {
  const sides: Side[] = servers.map((server, i) => ({
    server,
    token: tokens[i],
    latencies: [],
    measuredMs: 0,
    errors: 0,
    firstError: '',
    cpu: new CpuAccount(),
  }));
  for (const side of sides) if (WARMUP > 0) await slice(side, path, WARMUP * 1000, false);
  for (const [i, who] of ORDER.entries()) {
    if (isFinishing()) break;
    progress(`${label}: slice ${i + 1}/${ORDER.length}, ${names[who]}`);
    await slice(sides[who], path, (SECONDS * 1000 * 2) / ORDER.length, true);
  }
  return [loadResult(sides[0]), loadResult(sides[1])];
}

/** One request at a time on each server: 5 warm-up each, then blocks (hub, baseline, baseline, hub, twice) of up to SEQUENTIAL/4 requests within SECONDS/4. */
export async function oneAtATime(servers: [ServerProcess, ServerProcess], path: string, tokens: [string, string]): Promise<[SeqResult, SeqResult]> {
  const sides = servers.map((server, i) => ({ server, token: tokens[i], base: new URL(server.url), latencies: [] as number[], errors: 0, firstError: '' }));
  // One keep-alive agent per block (see slice()).
  const agents: http.Agent[] = [];
  const newAgent = () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return agent;
  };
  try {
    for (const side of sides) {
      const agent = newAgent();
      for (let i = 0; i < 5; i++) await get(agent, side.base, path, side.token);
      agent.destroy();
    }
    const blocks = ORDER.length / 2;
    const blockMax = Math.ceil(SEQUENTIAL / blocks);
    const blockMin = Math.ceil(MIN_SEQUENTIAL / blocks);
    const blockMs = (Math.max(SECONDS, 5) * 1000) / blocks;
    for (const who of ORDER) {
      const side = sides[who];
      const agent = newAgent();
      const start = performance.now();
      let n = 0;
      while (!isFinishing() && n < blockMax && (n < blockMin || performance.now() - start < blockMs) && side.errors <= 20) {
        const t0 = performance.now();
        try {
          const res = await get(agent, side.base, path, side.token);
          if (res.status !== 200) {
            side.errors++;
            side.firstError ||= `HTTP ${res.status}`;
          } else {
            side.latencies.push(performance.now() - t0);
            n++;
          }
        } catch (error) {
          side.errors++;
          side.firstError ||= (error as Error).message;
        }
      }
      agent.destroy();
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  const result = (side: (typeof sides)[number]): SeqResult => {
    const sorted = side.latencies.sort((a, b) => a - b);
    return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, errors: side.errors, firstError: side.firstError };
  };
  return [result(sides[0]), result(sides[1])];
}

/**
 * The statements alone, one request's worth at a time, from this process through pg (no HTTP, no JSON): the user
 * lookup, the team / employee check, then the page and the count concurrently, as both servers run them.
 */
export async function sqlAlone(url: string, q: HttpQuery, userId: number): Promise<SeqResult> {
  const types = new pg.TypeOverrides();
  types.setTypeParser(1082, (value: string) => value);
  const pool = new pg.Pool({ connectionString: url, max: 2, types });
  const pre = q.key === 'team' ? teamExistsStatement(q.filter.team_id!) : q.key === 'employee' ? ownerStatement(q.filter.employee_id!) : null;
  const { rows, count } = recordStatements(q.filter, null);
  const once = async () => {
    await pool.query(userStatement(userId).text, userStatement(userId).values);
    if (pre) await pool.query(pre.text, pre.values);
    await Promise.all([pool.query(rows.text, rows.values), pool.query(count.text, count.values)]);
  };
  const latencies: number[] = [];
  try {
    for (let i = 0; i < 5; i++) await once();
    const deadline = performance.now() + Math.max(SECONDS, 5) * 1000;
    while (!isFinishing() && latencies.length < SEQUENTIAL && (latencies.length < MIN_SEQUENTIAL || performance.now() < deadline)) {
      const t0 = performance.now();
      await once();
      latencies.push(performance.now() - t0);
    }
  } finally {
    await pool.end();
  }
  latencies.sort((a, b) => a - b);
  return { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? NaN, errors: 0, firstError: '' };
}

// Both servers must give the same answer

/** One GET on a fresh connection (node:http, bounded); throws unless 200. */
export function getJson<T>(server: ServerProcess, path: string, token: string): Promise<{ body: T; total: string | null }> {
  const base = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent: false, hostname: base.hostname, port: base.port, path, method: 'GET', headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`GET ${server.url}${path}: ${res.statusCode} ${text.slice(0, 300)}`));
          try {
            resolve({ body: JSON.parse(text) as T, total: (res.headers['x-total-count'] as string | undefined) ?? null });
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`GET ${server.url}${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (error) => reject(new Error(`GET ${server.url}${path}: ${error.message}`, { cause: error })));
    req.end();
  });
}

export async function sameAnswer(hub: ServerProcess, baseline: ServerProcess, token: string, q: HttpQuery) {
  const a = await getJson<unknown[]>(hub, q.path, token);
  const b = await getJson<unknown[]>(baseline, q.path, token);
  const totalA = a.total;
  const totalB = b.total;
  const same = JSON.stringify(a.body) === JSON.stringify(b.body) && totalA === totalB;
  if (!same) {
    const first = (x: unknown[]) => JSON.stringify(x?.[0] ?? null).slice(0, 400);
    throw new Error(
      `${q.path}: the baseline's answer differs from the hub's (rows ${a.body.length} vs ${b.body.length}, X-Total-Count ${totalA} vs ${totalB}; first row hub ${first(a.body)} / baseline ${first(b.body)})`,
    );
  }
  return { rows: a.body.length, total: Number(totalA), bytes: JSON.stringify(a.body).length };
}
