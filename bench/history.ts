// npm run bench:history [-- --employees 10000 --days 365 --concurrency 32 --seconds 10 --keep-db]
// npm run bench:history -- --embedded [--employees 1000 --days 365 --keep-db]
//
// Reading a long attendance history: the hub's list endpoints and the summary recompute on a year of a large
// organisation, next to a practical ceiling measured in the same run on the same machine:
//   1. seeds a scratch PostgreSQL database with the volume seeder (`db:seed -- --employees N --days D --reset
//      --no-punches`: about 2.6 million attendance records by default), timed, then VACUUM ANALYZE;
//      --keep-db keeps it as bench_history_<employees>_<days> and reuses it next time when its row counts match;
//   2. starts the hub on it (child process, PORT=0, JOB_SCHEDULES=false) and signs in as the admin;
//   3. starts the baseline (bench/history-baseline.ts, child process, same Node binary): plain node:http + pg.Pool of
//      the hub's pool size, the same statements (bench/history-sql.ts), the same JSON records and X-Total-Count;
//      both servers must answer every measured URL with the same body and total before anything is timed;
//   4. for each query, on each server: --concurrency keep-alive clients in a closed loop for --warmup + --seconds
//      (requests/s, p50, p99), then one request at a time (up to --sequential requests within --seconds, at least 10),
//      hub and baseline interleaved in slices (hub, baseline, baseline, hub, twice) against drifting background load;
//      then the same statements alone through pg, one request's worth at a time (no HTTP, no JSON).
//      The summary recompute is refreshSummaries() for the organisation, timed in a small child script
//      (bench/history-summary.ts) on the hub's code (MikroORM) and on plain pg with the same SQL;
//   5. EXPLAIN (ANALYZE, BUFFERS) of each statement once: the plan's top line, the indexes used;
//   6. drops the database (unless --keep-db), stops the children; every wait is bounded.
// --embedded: the same queries against the hub on PGlite (embedded mode: no DATABASE_URL, DATA_DIR seeded with
// `db:seed -- --employees N --days D --reset --no-punches`, timed; default 1,000 × 365), next to the hub on PostgreSQL
// seeded with the same volume, in the same run (there is no plain baseline for PGlite); the summary recompute on both;
// --keep-db keeps the PGlite DATA_DIR as $TMPDIR/bench_history_pglite_<employees>_<days> too (bench/history-embedded.ts).
// --hub-cpu-prof DIR: a V8 CPU profile of the hub (the embedded one with --embedded), summarised on stderr at the end.
// Progress goes to stderr; the result (machine facts, the Markdown tables, notes) to stdout.
// Not a test: it measures, it does not assert (the targets are marked, the exit code does not depend on them; failed
// requests under load are counted in the table). Exit code 1 when the run itself failed: a phase that could not run,
// the servers disagreeing on an answer, the hub logging errors.
import http from 'node:http';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { summariseProfile } from './cpuprofile-summary.ts';
import { openEmbedded, prepareEmbedded } from './history-embedded.ts';
import { ownerStatement, recordStatements, teamExistsStatement, userStatement, type Filter, type Statement } from './history-sql.ts';
import {
  summaryLines,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  adminQuery,
  api,
  CLK_TCK,
  dbUrl,
  hubEnv,
  int,
  isFinishing,
  machineFacts,
  machineTicks,
  ms,
  numberFlag,
  onCleanup,
  pct,
  percentile,
  processTicks,
  progress,
  retryTransient,
  run,
  RUN_ID,
  runMain,
  scratchDatabase,
  sleep,
  startServer,
  ticksByName,
  ticksDelta,
  transientPgError,
  withTimeout,
  type ServerProcess,
} from './lib.ts';

// ---------------------------------------------------------------------------------------------------------------
// Arguments

const { values: args } = parseArgs({
  options: {
    employees: { type: 'string' },
    days: { type: 'string', default: '365' },
    concurrency: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    sequential: { type: 'string', default: '200' },
    queries: { type: 'string', default: 'team,employee,late,summary' },
    'keep-db': { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'hub-cpu-prof': { type: 'string' },
    embedded: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.error(
    'npm run bench:history -- [--employees 10000] [--days 365] [--concurrency 32] [--seconds 10] [--warmup 2] [--sequential 200]\n' +
      '                         [--queries team,employee,late,summary] [--keep-db] [--pg-url postgres://…/postgres]\n' +
      '                         [--hub-cpu-prof DIR]   (writes a V8 CPU profile of the hub process to DIR and summarises it)\n' +
      '                         [--embedded]   (the hub on PGlite next to the hub on PostgreSQL; default --employees 1000)\n' +
      '--keep-db keeps the seeded database as bench_history_<employees>_<days> and reuses it when its row counts match.',
  );
  process.exit(0);
}
const EMBEDDED = args.embedded;
const EMPLOYEES = Math.floor(numberFlag('employees', args.employees ?? (EMBEDDED ? '1000' : '10000'), 10, 200_000));
const DAYS = Math.floor(numberFlag('days', args.days, 1, 3660));
const CONCURRENCY = Math.floor(numberFlag('concurrency', args.concurrency, 1, 1000));
const SECONDS = numberFlag('seconds', args.seconds, 1, 600);
const WARMUP = numberFlag('warmup', args.warmup, 0, 60);
const SEQUENTIAL = Math.floor(numberFlag('sequential', args.sequential, 10, 100_000));
const MIN_SEQUENTIAL = 10;
const KEEP_DB = args['keep-db'];
const PG_URL = new URL(args['pg-url']);
const QUERY_KEYS = args.queries.split(',').map((s) => s.trim()).filter(Boolean);
for (const q of QUERY_KEYS) {
  if (!['team', 'employee', 'late', 'summary'].includes(q)) {
    console.error(`--queries: unknown query "${q}" (team, employee, late, summary)`);
    process.exit(2);
  }
}
const POOL_MAX = 10; // the hub's DB_POOL_MAX default (src/config.ts); the baseline gets the same
const REQUEST_TIMEOUT_MS = 30_000;
const SEED_TIMEOUT_MS = 3600_000;
const TARGETS = { rpsRatio: 0.67, p99Ratio: 1.5, sequentialP99Ms: 25, summaryMs: 1000 };

// ---------------------------------------------------------------------------------------------------------------
// The scratch database: seeded once (or reused with --keep-db), then VACUUM ANALYZE

type SeedInfo = {
  reused: boolean;
  wallSeconds: number;
  seederLine: string;
  seederRowsPerSecond: number | null;
  records: number;
  employees: number;
  seededAt: string;
  vacuumSeconds: number;
};

/** What --keep-db leaves on the database (as its comment), to recognise a complete seeding later. */
type Marker = { employees: number; days: number; records: number; seeded_at: string; wall_s: number; seeder_line: string; seeder_rows_per_s: number | null };

async function counts(url: string) {
  const [row] = await adminQuery<{ records: string; employees: string }>(
    url,
    "select (select count(*) from attendance) as records, (select count(*) from employees where access <> 'admin') as employees",
    [],
    300_000,
  );
  return { records: Number(row.records), employees: Number(row.employees) };
}

async function reusable(name: string): Promise<(Marker & { url: string }) | null> {
  const [row] = await adminQuery<{ comment: string | null }>(PG_URL, "select shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1", [name]);
  if (!row) return null;
  let marker: Marker | null = null;
  try {
    marker = row.comment ? (JSON.parse(row.comment) as Marker) : null;
  } catch {
    marker = null;
  }
  const url = dbUrl(PG_URL, name);
  if (!marker || marker.employees !== EMPLOYEES || marker.days !== DAYS) {
    progress(`database ${name} exists but was not completely seeded by this benchmark; seeding it again`);
    return null;
  }
  const now = await counts(url);
  if (now.records !== marker.records || now.employees !== marker.employees) {
    progress(`database ${name}: ${int(now.records)} records / ${int(now.employees)} employees, expected ${int(marker.records)} / ${int(marker.employees)}; seeding it again`);
    return null;
  }
  return { ...marker, url };
}

async function prepareDatabase(): Promise<{ url: string; name: string; seed: SeedInfo }> {
  const name = KEEP_DB ? `bench_history_${EMPLOYEES}_${DAYS}` : `bench_history_${RUN_ID}`;
  const vacuum = async (url: string) => {
    progress(`${name}: VACUUM ANALYZE`);
    const t0 = performance.now();
    await adminQuery(url, 'vacuum analyze', [], 1800_000);
    return (performance.now() - t0) / 1000;
  };
  if (KEEP_DB) {
    const kept = await reusable(name);
    if (kept) {
      progress(`reusing ${name}: ${int(kept.records)} attendance records, ${int(kept.employees)} employees (seeded ${kept.seeded_at})`);
      const vacuumSeconds = await vacuum(kept.url);
      return {
        url: kept.url,
        name,
        seed: {
          reused: true,
          wallSeconds: kept.wall_s,
          seederLine: kept.seeder_line,
          seederRowsPerSecond: kept.seeder_rows_per_s,
          records: kept.records,
          employees: kept.employees,
          seededAt: kept.seeded_at,
          vacuumSeconds,
        },
      };
    }
  }
  let url: string;
  let complete = false;
  if (KEEP_DB) {
    await adminQuery(PG_URL, `drop database if exists "${name}" with (force)`);
    await adminQuery(PG_URL, `create database "${name}"`);
    url = dbUrl(PG_URL, name);
    // Kept only once complete: a seeding cut short is dropped.
    onCleanup(`drop incomplete database ${name}`, async () => {
      if (complete) return;
      await retryTransient(() => adminQuery(PG_URL, `drop database if exists "${name}" with (force)`), 25_000, `drop database ${name}`);
      progress(`dropped incomplete database ${name}`);
    });
  } else {
    url = (await scratchDatabase(PG_URL, name)).url;
  }

  // Exactly `npm run db:seed -- --employees N --days D --reset --no-punches` with DATABASE_URL set to this database.
  const argv = ['src/cli/seed.ts', '--employees', String(EMPLOYEES), '--days', String(DAYS), '--reset', '--no-punches'];
  progress(`${name}: seeding (db:seed ${argv.slice(1).join(' ')}); this takes a while`);
  const data = mkdtempSync(join(os.tmpdir(), 'checkin-bench-history-seed-'));
  let lastBar = '';
  const ticker = setInterval(() => lastBar && progress(`seeding: ${lastBar}`), 15_000);
  let t0 = performance.now();
  let stdout: string;
  try {
    // The seeder starts over with --reset, so a seeding cut short by a PostgreSQL restart (other work on this
    // machine restarts it) is simply run again, twice at most.
    for (let attempt = 1; ; attempt++) {
      t0 = performance.now();
      try {
        ({ stdout } = await run(process.execPath, argv, {
          env: hubEnv({ DATABASE_URL: url, DATA_DIR: data, SEED_DEMO: 'false', LOG_LEVEL: 'warn' }),
          timeoutMs: SEED_TIMEOUT_MS,
          onStderr: (chunk) => {
            const parts = chunk.split('\r').map((s) => s.trim()).filter(Boolean);
            if (parts.length) lastBar = parts[parts.length - 1];
          },
        }));
        break;
      } catch (error) {
        if (attempt >= 3 || isFinishing() || !transientPgError(error)) throw error;
        progress(`seeding attempt ${attempt} failed: PostgreSQL went away (restarted?); waiting for it, then seeding again from the start`);
        await retryTransient(() => adminQuery(url, 'select 1'), 180_000, 'waiting for PostgreSQL');
      }
    }
  } finally {
    clearInterval(ticker);
    rmSync(data, { recursive: true, force: true });
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const seederLine = stdout.split('\n').find((l) => l.startsWith('Seeded')) ?? '(no "Seeded" line)';
  const rate = /\(([\d,]+) rows\/s\)/.exec(seederLine)?.[1];
  const seederRowsPerSecond = rate ? Number(rate.replace(/,/g, '')) : null;
  progress(`${name}: ${seederLine} (wall time with start-up and migrations: ${wallSeconds.toFixed(1)} s)`);
  const vacuumSeconds = await vacuum(url);
  const now = await counts(url);
  const seededAt = new Date().toISOString();
  if (KEEP_DB) {
    const marker: Marker = {
      employees: EMPLOYEES,
      days: DAYS,
      records: now.records,
      seeded_at: seededAt,
      wall_s: Math.round(wallSeconds * 10) / 10,
      seeder_line: seederLine,
      seeder_rows_per_s: seederRowsPerSecond,
    };
    await adminQuery(PG_URL, `comment on database "${name}" is '${JSON.stringify(marker).replace(/'/g, "''")}'`);
    complete = true;
    progress(`${name}: kept (--keep-db); the next run with the same --employees/--days reuses it`);
  }
  return {
    url,
    name,
    seed: { reused: false, wallSeconds, seederLine, seederRowsPerSecond, records: now.records, employees: now.employees, seededAt, vacuumSeconds },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The queries: parameters picked from the data

type HttpQuery = {
  key: 'team' | 'employee' | 'late';
  label: string;
  path: string;
  filter: Filter;
  /** Why these parameters. */
  detail: string;
};

/** A query on the benchmark's data: `$n` placeholders, rows back. */
type QueryFn = <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

async function pickQueries(query: QueryFn): Promise<HttpQuery[]> {
  const [{ today }] = await query<{ today: string }>("select to_char(current_date, 'YYYY-MM-DD') as today");
  const out: HttpQuery[] = [];
  if (QUERY_KEYS.includes('team')) {
    // The latest complete month in which a team has over 1,000 records (else the largest team-month there is).
    const pick = async (complete: boolean) =>
      (
        await query<{ team_id: number; first: string; last: string; n: string }>(
          `select team_id, to_char(m, 'YYYY-MM-DD') as first, to_char(m + interval '1 month' - interval '1 day', 'YYYY-MM-DD') as last, n
             from (select team_id, date_trunc('month', attendance_date)::date as m, count(*) as n
                     from attendance ${complete ? "where attendance_date < date_trunc('month', current_date)" : ''} group by 1, 2) x
            ${complete ? 'where n > 1000 order by m desc, team_id' : 'order by n desc, m desc, team_id'} limit 1`,
        )
      )[0];
    const row = (await pick(true)) ?? (await pick(false));
    if (!row) throw new Error('no attendance records to pick a team-month from');
    if (Number(row.n) <= 1000) progress(`warning: no team has more than 1,000 records in a month; using the largest team-month (${row.n} rows)`);
    const filter: Filter = { skip: 0, limit: 1000, date_from: row.first, date_to: row.last, team_id: row.team_id };
    out.push({
      key: 'team',
      label: `team month (limit 1000)`,
      path: `/attendance/team/${row.team_id}?date_from=${row.first}&date_to=${row.last}&limit=1000`,
      filter,
      detail: `team ${row.team_id}, ${row.first}…${row.last}: ${int(Number(row.n))} records in the month`,
    });
  }
  if (QUERY_KEYS.includes('employee')) {
    const [{ n }] = await query<{ n: string }>("select count(*) as n from employees where access <> 'admin'");
    const [emp] = await query<{ employee_id: number }>("select employee_id from employees where access = 'employee' and active order by employee_id offset $1 limit 1", [
      Math.floor(Number(n) / 2),
    ]);
    if (!emp) throw new Error('no employee to pick');
    const [{ from }] = await query<{ from: string }>("select to_char(current_date - 364, 'YYYY-MM-DD') as from");
    const [{ rows }] = await query<{ rows: string }>('select count(*) as rows from attendance where employee_id = $1 and attendance_date between $2 and $3', [
      emp.employee_id,
      from,
      today,
    ]);
    out.push({
      key: 'employee',
      label: 'employee year (limit 1000)',
      path: `/attendance/employee/${emp.employee_id}?date_from=${from}&date_to=${today}&limit=1000`,
      filter: { skip: 0, limit: 1000, date_from: from, date_to: today, employee_id: emp.employee_id },
      detail: `employee ${emp.employee_id}, ${from}…${today}: ${int(Number(rows))} records`,
    });
  }
  if (QUERY_KEYS.includes('late')) {
    const [day] = await query<{ d: string; n: string }>(
      "select to_char(attendance_date, 'YYYY-MM-DD') as d, count(*) as n from attendance where status = 'Late' and attendance_date < current_date group by attendance_date order by attendance_date desc limit 1",
    );
    if (!day) throw new Error('no Late record to pick a day from');
    out.push({
      key: 'late',
      label: 'one day, status=Late (limit 100)',
      path: `/attendance/?date_from=${day.d}&date_to=${day.d}&status=Late&limit=100`,
      filter: { skip: 0, limit: 100, date_from: day.d, date_to: day.d, status: 'Late' },
      detail: `${day.d} (the latest past day with Late records): ${int(Number(day.n))} Late records`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Load: a closed loop of keep-alive clients, and one request at a time, interleaved hub / baseline (ABBA)
//
// The machine is shared, so its background load drifts during a run. Each measurement is split into slices run in
// the order hub, baseline, baseline, hub, twice over (a quarter of the time or of the requests each): a drift that is
// steady over four slices weighs the same on both sides, and eight short slices average the rest.

type Window = { server: number | null; postgres: number; bench: number; machine: number | null };
type LoadResult = { rps: number; p50: number; p99: number; count: number; errors: number; firstError: string; cpu: Window | null };
type SeqResult = { n: number; p50: number; p99: number; max: number; errors: number; firstError: string };
/** Slice order: hub, baseline, baseline, hub, twice over (0 = hub, 1 = baseline). */
const ABBA = [0, 1, 1, 0];
const ORDER = [...ABBA, ...ABBA];
/** Unmeasured time at the start of each slice, so that its measured window sees the closed loop in its steady state. */
const RAMP_MS = 1000;

function get(agent: http.Agent, base: URL, path: string, token: string): Promise<{ status: number; bytes: number }> {
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

type Side = { server: ServerProcess; token: string; latencies: number[]; measuredMs: number; errors: number; firstError: string; cpu: CpuAccount };

/**
 * `CONCURRENCY` clients in a closed loop on one server for `durationMs`; `measure` false for a warm-up. Each slice
 * has its own keep-alive agent: sockets left idle while the other server is measured would meet the server's
 * keep-alive timeout (5 s) and could be reused just as it closes them.
 */
async function slice(side: Side, path: string, durationMs: number, measure: boolean) {
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

const loadResult = (side: Side): LoadResult => {
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
async function closedLoops(servers: [ServerProcess, ServerProcess], path: string, tokens: [string, string], label: string, names = ['hub', 'baseline']): Promise<[LoadResult, LoadResult]> {
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
async function oneAtATime(servers: [ServerProcess, ServerProcess], path: string, tokens: [string, string]): Promise<[SeqResult, SeqResult]> {
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
async function sqlAlone(url: string, q: HttpQuery, userId: number): Promise<SeqResult> {
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

// ---------------------------------------------------------------------------------------------------------------
// Both servers must give the same answer

/** One GET on a fresh connection (node:http, bounded); throws unless 200. */
function getJson<T>(server: ServerProcess, path: string, token: string): Promise<{ body: T; total: string | null }> {
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

async function sameAnswer(hub: ServerProcess, baseline: ServerProcess, token: string, q: HttpQuery) {
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

// ---------------------------------------------------------------------------------------------------------------
// EXPLAIN (ANALYZE, BUFFERS)

type Plan = { query: string; statement: string; top: string; indexes: string[]; seqScans: string[]; executionMs: number; planningMs: number; buffers: string; extra: string };

function summarisePlan(query: string, statement: string, lines: string[]): Plan {
  const text = lines.join('\n');
  const indexes = [...new Set([...text.matchAll(/(Index Only Scan|Index Scan|Bitmap Index Scan)( Backward)? (?:using|on) (\w+)/g)].map((m) => `${m[1]}${m[2] ?? ''} ${m[3]}`))];
  const seqScans = [...new Set([...text.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1]))];
  const extra = [
    /Sort Method: ([^\n]+)/.exec(text)?.[1]?.replace(/\s+/g, ' ').trim(),
    /Heap Fetches: (\d+)/.exec(text) ? `heap fetches ${/Heap Fetches: (\d+)/.exec(text)![1]}` : '',
    [...text.matchAll(/Rows Removed by (?:Filter|Index Recheck): (\d+)/g)].reduce((s, m) => s + Number(m[1]), 0) > 0
      ? `rows removed by filter ${int([...text.matchAll(/Rows Removed by (?:Filter|Index Recheck): (\d+)/g)].reduce((s, m) => s + Number(m[1]), 0))}`
      : '',
    /Workers Launched: (\d+)/.exec(text) ? `${/Workers Launched: (\d+)/.exec(text)![1]} parallel workers` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return {
    query,
    statement,
    top: lines[0]?.trim() ?? '',
    indexes,
    seqScans,
    executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? NaN),
    planningMs: Number(/Planning Time: ([\d.]+) ms/.exec(text)?.[1] ?? NaN),
    buffers: lines.find((l) => l.trim().startsWith('Buffers:'))?.trim().replace(/^Buffers:\s*/, '') ?? '',
    extra,
  };
}

async function explainHttpQueries(url: string, queries: HttpQuery[]): Promise<{ plans: Plan[]; full: string[] }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  const plans: Plan[] = [];
  const full: string[] = [];
  try {
    for (const q of queries) {
      const { rows, count } = recordStatements(q.filter, null);
      for (const [name, s] of [['rows', rows], ['count', count]] as [string, Statement][]) {
        const res = await withTimeout(client.query(`explain (analyze, buffers) ${s.text}`, s.values), 120_000, `explain ${q.key} ${name}`);
        const lines = res.rows.map((r: Record<string, string>) => r['QUERY PLAN']);
        plans.push(summarisePlan(q.label, name, lines));
        full.push(`-- ${q.label}, ${name}: ${s.text}  [${s.values.join(', ')}]`, ...lines, '');
      }
    }
  } finally {
    await client.end();
  }
  return { plans, full };
}

// ---------------------------------------------------------------------------------------------------------------
// The summary recompute (bench/history-summary.ts)

type SummaryRun = {
  concurrent: { seconds: number; latencies: number[]; errors: number; firstError: string; cpuPct: number };
  sequential: { latencies: number[] };
};

/** The environment of bench/history-summary.ts: on PostgreSQL (`url`), or on the embedded database in `dataDir`. */
function summaryEnv(where: { url: string } | { dataDir: string }) {
  return hubEnv({
    ...('url' in where ? { DATABASE_URL: where.url, DATA_DIR: os.tmpdir() } : { DATA_DIR: where.dataDir }),
    DB_POOL_MAX: String(POOL_MAX),
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
  });
}

/** One side of the summary comparison: which implementation, where, and its name in the progress lines. */
type SummarySide = { impl: 'hub' | 'pg'; env: NodeJS.ProcessEnv; name: string };

/** One run of bench/history-summary.ts: half the time and half the one-at-a-time calls (its ABBA slice). */
async function runSummary(side: SummarySide): Promise<SummaryRun> {
  const argv = [
    'bench/history-summary.ts', '--impl', side.impl, '--concurrency', String(CONCURRENCY), '--seconds', String(SECONDS / 2), '--warmup', String(WARMUP),
    '--sequential', String(Math.ceil(SEQUENTIAL / 2)), '--sequential-seconds', String(Math.max(SECONDS, 5) / 2), '--min-sequential', String(Math.ceil(MIN_SEQUENTIAL / 2)),
  ];
  const { stdout } = await run(process.execPath, argv, { env: side.env, timeoutMs: (WARMUP + SECONDS) * 1000 + 900_000 });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as SummaryRun;
}

/** Two sides (the hub's code and plain pg, or the hub's code embedded and on PostgreSQL), each in two runs: A, B, B, A. */
async function summaryRuns(url: string, sides: [SummarySide, SummarySide]): Promise<[[LoadResult, SeqResult, number], [LoadResult, SeqResult, number]]> {
  const runs: [SummaryRun[], SummaryRun[]] = [[], []];
  for (const who of ABBA) {
    if (isFinishing()) throw new Error('the benchmark is being stopped');
    const side = sides[who];
    progress(`summary: refreshSummaries on ${side.name}, ${CONCURRENCY} callers for ${SECONDS / 2} s, then one at a time`);
    runs[who].push(await unlessRestarted(`summary recompute (${side.name})`, url, () => runSummary(side)));
  }
  const merge = (list: SummaryRun[]): [LoadResult, SeqResult, number] => {
    const lat = list.flatMap((r) => r.concurrent.latencies).sort((a, b) => a - b);
    const seq = list.flatMap((r) => r.sequential.latencies).sort((a, b) => a - b);
    const secs = list.reduce((sum, r) => sum + r.concurrent.seconds, 0);
    const errors = list.reduce((sum, r) => sum + r.concurrent.errors, 0);
    return [
      { rps: lat.length / secs, p50: percentile(lat, 50), p99: percentile(lat, 99), count: lat.length, errors, firstError: list.find((r) => r.concurrent.firstError)?.concurrent.firstError ?? '', cpu: null },
      { n: seq.length, p50: percentile(seq, 50), p99: percentile(seq, 99), max: seq[seq.length - 1] ?? NaN, errors: 0, firstError: '' },
      list.reduce((sum, r) => sum + r.concurrent.cpuPct, 0) / list.length,
    ];
  };
  return [merge(runs[0]), merge(runs[1])];
}

async function explainSummary(url: string): Promise<{ plans: Plan[]; full: string[] }> {
  const { stdout } = await run(process.execPath, ['bench/history-summary.ts', '--explain'], { env: summaryEnv({ url }), timeoutMs: 300_000 });
  const { plans } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { plans: { sql: string; plan: string[] }[] };
  return {
    plans: plans.map((p) => summarisePlan('summary recompute (org)', p.sql.startsWith('with days') ? 'dailyStats' : p.sql.slice(0, 40), p.plan)),
    full: plans.flatMap((p) => [`-- summary recompute: ${p.sql}`, ...p.plan, '']),
  };
}

/** GET /summarize_attendance/ on the hub after deleting the stored organisation summary: the user-facing recompute. */
async function summaryThroughHttp(hub: ServerProcess, url: string, token: string, times: number) {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    await adminQuery(url, "delete from summaries where scope = 'org'");
    const t0 = performance.now();
    await getJson(hub, '/summarize_attendance/', token);
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL restarts: other work on this machine restarts the shared server now and then

/** Phases measured again because PostgreSQL restarted during them (for the notes). */
const restarts: string[] = [];

async function pgStartTime(url: string) {
  const [row] = await retryTransient(() => adminQuery<{ t: string }>(url, 'select pg_postmaster_start_time()::text as t'), 180_000, 'waiting for PostgreSQL');
  return row.t;
}

/**
 * Runs a measurement phase; when PostgreSQL restarted meanwhile (its start time changed, or the phase died of a
 * connection error), waits for it and runs the phase again, three attempts at most.
 */
async function unlessRestarted<T>(what: string, url: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const before = await pgStartTime(url);
    let result: T | undefined;
    let failure: unknown = null;
    try {
      result = await fn();
    } catch (error) {
      failure = error;
    }
    const after = await pgStartTime(url).catch(() => 'unknown');
    const restarted = after !== before || (failure !== null && transientPgError(failure));
    if (!restarted || isFinishing()) {
      if (failure) throw failure;
      return result as T;
    }
    if (attempt >= 3) {
      restarts.push(`${what}: PostgreSQL restarted during each of 3 attempts; the last one is reported`);
      if (failure) throw failure;
      return result as T;
    }
    restarts.push(`${what}: PostgreSQL restarted during attempt ${attempt} (other work on this machine); measured again`);
    progress(`${what}: PostgreSQL restarted during the measurement; measuring again`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The report

type Row = {
  label: string;
  detail: string;
  answer: string;
  hub: LoadResult | null;
  baseline: LoadResult | null;
  hubSeq: SeqResult | null;
  baseSeq: SeqResult | null;
  sql: SeqResult | null;
  seqTargetMs: number;
  error?: string;
};

const mark = (ok: boolean) => (ok ? '✅' : '❌');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const fmtRatio = (r: number) => (Number.isFinite(r) ? r.toFixed(2) : '—');
const p5099 = (r: { p50: number; p99: number } | null) => (r ? `${ms(r.p50)} / ${ms(r.p99)}` : '—');
/** Failed requests (or recomputes) of a side, under load and one at a time; flagged when not zero. */
const errs = (load: { errors: number } | null, seq: { errors: number } | null) => {
  const n = (load?.errors ?? 0) + (seq?.errors ?? 0);
  return n ? `**${int(n)}** ⚠️` : '0';
};

function table(rows: Row[]) {
  const out: string[] = [];
  out.push(
    `| query | rows returned / X-Total-Count | hub req/s | baseline req/s | req/s hub ÷ baseline (≥ ${TARGETS.rpsRatio}) | hub p50 / p99 | baseline p50 / p99 | p99 hub ÷ baseline (≤ ${TARGETS.p99Ratio}) | one at a time: hub p50 / p99 | one at a time: baseline p50 / p99 | one-at-a-time p99 hub ÷ baseline | one-at-a-time target | SQL alone p50 / p99 | errors hub / baseline |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  );
  for (const r of rows) {
    if (r.error) {
      out.push(`| ${r.label} | failed: ${r.error.split('\n')[0].replace(/\|/g, '\\|').slice(0, 300)} | | | | | | | | | | | | |`);
      continue;
    }
    const rps = ratio(r.hub?.rps ?? NaN, r.baseline?.rps ?? NaN);
    const p99 = ratio(r.hub?.p99 ?? NaN, r.baseline?.p99 ?? NaN);
    const seq = ratio(r.hubSeq?.p99 ?? NaN, r.baseSeq?.p99 ?? NaN);
    const seqOk = (r.hubSeq?.p99 ?? Infinity) < r.seqTargetMs;
    out.push(
      `| ${r.label} | ${r.answer} | ${r.hub ? int(r.hub.rps) : '—'} | ${r.baseline ? int(r.baseline.rps) : '—'} | ${fmtRatio(rps)} ${Number.isFinite(rps) ? mark(rps >= TARGETS.rpsRatio) : ''} | ` +
        `${p5099(r.hub)} | ${p5099(r.baseline)} | ${fmtRatio(p99)} ${Number.isFinite(p99) ? mark(p99 <= TARGETS.p99Ratio) : ''} | ` +
        `${p5099(r.hubSeq)} | ${p5099(r.baseSeq)} | ${fmtRatio(seq)} | hub p99 < ${int(r.seqTargetMs)} ms ${r.hubSeq ? mark(seqOk) : ''} | ${p5099(r.sql)} | ${errs(r.hub, r.hubSeq)} / ${errs(r.baseline, r.baseSeq)} |`,
    );
  }
  return out;
}

function planTable(plans: Plan[]) {
  const out: string[] = [];
  out.push('| query | statement | plan top line | index used | seq scans | execution ms | buffers (top node) | notes |', '|---|---|---|---|---|---:|---|---|');
  for (const p of plans) {
    out.push(
      `| ${p.query} | ${p.statement} | \`${p.top.replace(/\|/g, '\\|')}\` | ${p.indexes.length ? `yes: ${p.indexes.join(', ')}` : '**no**'} | ${p.seqScans.join(', ') || '—'} | ` +
        `${ms(p.executionMs)} | ${p.buffers || '—'} | ${p.extra || '—'} |`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Main

const budgetMs = (SEED_TIMEOUT_MS + 1800_000 + 12 * (WARMUP + 2 * SECONDS + 60) * 1000) | 0;
/** The hub on PostgreSQL against plain pg + node:http at the same SQL (the default). */
async function postgresMain(): Promise<boolean> {
  let ok = true;
  // Other work on this machine may be restarting PostgreSQL right now: wait for it (bounded).
  await retryTransient(() => adminQuery(PG_URL, 'select 1'), 180_000, 'waiting for PostgreSQL');
  const factLines = await machineFacts(PG_URL);
  progress(`${os.availableParallelism()} cores, Node ${process.version}; the servers, PostgreSQL and the load generator share them`);

  const db = await prepareDatabase();
  const queries = await pickQueries((sql, params = []) => adminQuery(db.url, sql, params, 300_000));
  for (const q of queries) progress(`${q.key}: ${q.path} — ${q.detail}`);

  // The seeder (or an earlier run) created the admin from ADMIN_EMAIL; deactivated here, it is re-created with this
  // run's password by the hub's start-up (ensureAdmin upserts it when no active admin exists).
  await adminQuery(db.url, "update employees set active = false where access = 'admin'");

  const data = mkdtempSync(join(os.tmpdir(), 'checkin-bench-history-'));
  onCleanup(`remove ${data}`, async () => rmSync(data, { recursive: true, force: true }));
  const env = hubEnv({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    DATA_DIR: data,
    SEED_DEMO: 'false',
    JOB_SCHEDULES: 'false',
    DB_POOL_MAX: String(POOL_MAX),
  });
  const nodeArgs = args['hub-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['hub-cpu-prof']}`] : [];
  progress('starting the hub');
  const hub = await startServer(env, 'hub', { nodeArgs });
  progress(`hub ready at ${hub.url} (pid ${hub.pid})`);
  const baseline = await startServer(
    { ...process.env, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', SECRET_KEY: env.SECRET_KEY, DB_POOL_MAX: String(POOL_MAX) },
    'baseline',
    { script: 'bench/history-baseline.ts', timeoutMs: 30_000 },
  );
  progress(`baseline ready at ${baseline.url} (pid ${baseline.pid})`);

  const { body: login } = await api<{ access_token: string }>(hub.url, 'POST', '/token', { json: { username: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  const token = login.access_token;
  const [{ employee_id: adminId }] = await adminQuery<{ employee_id: number }>(db.url, 'select employee_id from employees where email = $1', [ADMIN_EMAIL]);

  const rows: Row[] = [];
  const cpuNotes: string[] = [];
  for (const q of queries) {
    if (isFinishing()) break;
    const row: Row = { label: q.label, detail: q.detail, answer: '', hub: null, baseline: null, hubSeq: null, baseSeq: null, sql: null, seqTargetMs: TARGETS.sequentialP99Ms };
    rows.push(row);
    try {
      await unlessRestarted(q.label, db.url, async () => {
        const same = await sameAnswer(hub, baseline, token, q);
        row.answer = `${int(same.rows)} / ${int(same.total)}`;
        progress(`${q.key}: both servers answer ${same.rows} rows of ${same.total} (${int(same.bytes)} bytes of JSON), identical`);
        progress(`${q.key}: ${CONCURRENCY} clients, ${WARMUP} s warm-up each, then ${SECONDS} s each in slices hub, baseline, baseline, hub, twice`);
        [row.hub, row.baseline] = await closedLoops([hub, baseline], q.path, [token, token], q.key);
        progress(`${q.key}: one at a time`);
        [row.hubSeq, row.baseSeq] = await oneAtATime([hub, baseline], q.path, [token, token]);
        row.sql = await sqlAlone(db.url, q, adminId);
      });
      if (!row.hub || !row.baseline || !row.hubSeq || !row.baseSeq) throw new Error('not measured');
      for (const [who, r] of [['hub', row.hub], ['baseline', row.baseline]] as const) {
        if (r.errors) progress(`${q.key}: ${who}: ${r.errors} failed requests under load (first: ${r.firstError})`);
        cpuNotes.push(
          `- ${q.label}, ${who} at ${CONCURRENCY} clients: ${int(r.count)} requests measured, ${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ''}; ` +
            `CPU: ${who} process ${pct(r.cpu?.server ?? null)}, PostgreSQL ${pct(r.cpu?.postgres ?? null)}, load generator ${pct(r.cpu?.bench ?? null)}, whole machine ${pct(r.cpu?.machine ?? null)}.`,
        );
      }
      progress(
        `${q.key}: hub ${int(row.hub.rps)} req/s p99 ${ms(row.hub.p99)} ms; baseline ${int(row.baseline.rps)} req/s p99 ${ms(row.baseline.p99)} ms; ` +
          `one at a time p99 hub ${ms(row.hubSeq.p99)} / baseline ${ms(row.baseSeq.p99)} ms`,
      );
    } catch (error) {
      ok = false;
      row.error = (error as Error).message;
      progress(`${q.key} failed: ${(error as Error).stack ?? error}`);
    }
  }

  let summaryHttp: number[] = [];
  if (QUERY_KEYS.includes('summary') && !isFinishing()) {
    const row: Row = {
      label: 'summary recompute (org): refreshSummaries',
      detail: '',
      answer: '1 body',
      hub: null,
      baseline: null,
      hubSeq: null,
      baseSeq: null,
      sql: null,
      seqTargetMs: TARGETS.summaryMs,
    };
    rows.push(row);
    try {
      progress('summary: GET /summarize_attendance/ on the hub after deleting the stored summary, 3 times');
      summaryHttp = await unlessRestarted('summary through HTTP', db.url, () => summaryThroughHttp(hub, db.url, token, 3));
      const both = await summaryRuns(db.url, [
        { impl: 'hub', env: summaryEnv({ url: db.url }), name: "the hub's code (MikroORM)" },
        { impl: 'pg', env: summaryEnv({ url: db.url }), name: 'plain pg' },
      ]);
      [row.hub, row.hubSeq] = both[0];
      [row.baseline, row.baseSeq] = both[1];
      for (const [i, impl] of (['hub', 'pg'] as const).entries()) {
        const [load, seq, cpuPct] = both[i];
        if (load.errors) progress(`summary: ${impl}: ${load.errors} failed recomputes under load (first: ${load.firstError})`);
        cpuNotes.push(summaryNote(impl === 'hub' ? 'hub code (MikroORM)' : 'plain pg', load, seq, cpuPct));
      }
    } catch (error) {
      ok = false;
      row.error = (error as Error).message;
      progress(`summary failed: ${(error as Error).stack ?? error}`);
    }
  }

  // Plans, once, with warm caches.
  const plans: Plan[] = [];
  const fullPlans: string[] = [];
  if (!isFinishing()) {
    try {
      progress('EXPLAIN (ANALYZE, BUFFERS) of each statement');
      const httpPlans = await unlessRestarted('EXPLAIN', db.url, () => explainHttpQueries(db.url, queries));
      plans.push(...httpPlans.plans);
      fullPlans.push(...httpPlans.full);
      if (QUERY_KEYS.includes('summary')) {
        const s = await unlessRestarted('EXPLAIN (summary)', db.url, () => explainSummary(db.url));
        plans.push(...s.plans);
        fullPlans.push(...s.full);
      }
    } catch (error) {
      ok = false;
      progress(`EXPLAIN failed: ${(error as Error).stack ?? error}`);
    }
  }
  if (hub.errorLines.length) {
    // Errors while PostgreSQL restarted are expected (and those phases were measured again); others fail the run.
    if (!restarts.length) ok = false;
    progress(`the hub logged ${hub.errorLines.length} errors; the first: ${hub.errorLines[0].slice(0, 2000)}`);
  }
  if (baseline.errorLines.length) progress(`the baseline logged ${baseline.errorLines.length} errors; the first: ${baseline.errorLines[0].slice(0, 2000)}`);
  progress('stopping the servers');
  await hub.stop();
  await baseline.stop();
  if (isFinishing()) return false;
  printProfile(hub.pid);

  // Full plans on stderr (for the curious); the report on stdout.
  process.stderr.write(`\n${fullPlans.join('\n')}\n`);
  const s = db.seed;
  const out: string[] = [];
  out.push('## Check-in Hub history benchmark', '', ...factLines, '');
  out.push(
    `Data: ${int(s.records)} attendance records, ${int(s.employees)} employees (\`db:seed -- --employees ${EMPLOYEES} --days ${DAYS} --reset --no-punches\`), ` +
      (s.reused
        ? `database ${db.name} reused (--keep-db; seeded ${s.seededAt}: ${s.seederLine.replace(/^Seeded /, '')}; wall ${s.wallSeconds} s); `
        : `seeded in ${s.wallSeconds.toFixed(1)} s wall (start-up and migrations included); the seeder printed: "${s.seederLine}" — **${s.seederRowsPerSecond != null ? int(s.seederRowsPerSecond) : '?'} rows/s**; `) +
      `VACUUM ANALYZE ${s.vacuumSeconds.toFixed(1)} s.`,
    '',
    `Run: per query and server, ${CONCURRENCY} keep-alive clients in a closed loop, ${WARMUP} s warm-up + ${SECONDS} s measured; then one request at a time ` +
      `(5 warm-up, then up to ${SEQUENTIAL} requests within ${Math.max(SECONDS, 5)} s, at least ${MIN_SEQUENTIAL}). Interleaved: hub and baseline alternate in ${ORDER.length} slices ` +
      `(hub, baseline, baseline, hub, twice; each with a ${RAMP_MS / 1000} s unmeasured ramp), so drifting background load weighs on both alike. Latencies in ms, measured by the client. ` +
      `Baseline = plain node:http + pg.Pool(${POOL_MAX}) with the same statements and JSON (the practical ceiling); hub = src/main.ts, DB_POOL_MAX=${POOL_MAX}. ` +
      `Targets: req/s ≥ ${TARGETS.rpsRatio}× baseline, p99 ≤ ${TARGETS.p99Ratio}× baseline's, one-at-a-time p99 < ${TARGETS.sequentialP99Ms} ms, summary recompute < ${TARGETS.summaryMs / 1000} s.`,
    '',
  );
  out.push(...table(rows), '');
  out.push('### Plans (EXPLAIN (ANALYZE, BUFFERS), once, warm cache; full plans on stderr)', '', ...planTable(plans), '');
  out.push('Notes:');
  for (const r of rows) if (r.detail) out.push(`- ${r.label}: ${r.detail}.`);
  out.push(
    '- Each list request runs, on both servers: the bearer token’s user lookup, the team / employee check (team and employee routes), then the page and the count concurrently (two pool connections). ' +
      'Both send the same statements with the same `$n` bind parameters (unnamed, so PostgreSQL plans each with its values). ' +
      'Before timing, both answered each URL with byte-identical JSON and the same X-Total-Count.',
    '- SQL alone: those statements sent one request’s worth at a time from this process through pg (rows parsed, no HTTP, no JSON). ' +
      'Baseline − SQL alone ≈ HTTP + building and serialising the JSON; hub − baseline ≈ what the hub’s framework, ORM and middleware add.',
    `- Summary recompute: **refreshSummaries([null]) for the organisation, timed in a small child script** (bench/history-summary.ts): “hub” runs the hub’s code (createOrm, MikroORM pool ${POOL_MAX}, one EntityManager fork per call), ` +
      `“baseline” the same function and SQL on pg.Pool(${POOL_MAX}); each side in two runs (hub, pg, pg, hub) of ${SECONDS / 2} s. A recompute can outlast the window, so every call started in it is measured to its end ` +
      `and req/s = calls ÷ (last end − start). Its target applies to the one-at-a-time p99. ` +
      `The hub's pool (src/infra/db.ts) gives up on a connection after 5 s (connectionTimeoutMillis) and on a statement after 30 s; the plain pool waits: ` +
      `when many long recomputes share ${POOL_MAX} connections, the hub's side fails calls (“timeout exceeded when trying to connect”) where the baseline queues them, which also shortens the hub's measured latencies. ` +
      (summaryHttp.length
        ? `Cross-check through HTTP: GET /summarize_attendance/ on the hub after deleting the stored row took ${summaryHttp.map((x) => ms(x)).join(', ')} ms.`
        : ''),
    ...cpuNotes,
    ...restarts.map((r) => `- ${r}.`),
    `- CPU in % of one core (${os.availableParallelism() * 100}% = every core), over the measured window. The load generator is this process; “whole machine” includes other work on the machine.`,
  );
  out.push(
    '',
    ...summaryLines(
      rows.filter((r) => !r.error && r.hub && r.baseline).map((r) => ({
        benchmark: `${r.label}, ${CONCURRENCY} clients (${int(EMPLOYEES)} × ${DAYS} on PostgreSQL)`,
        hub: `${int(r.hub!.rps)} req/s, p99 ${ms(r.hub!.p99)} ms; one at a time p99 ${r.hubSeq ? ms(r.hubSeq.p99) : '—'} ms`,
        baseline: `same SQL, pg + node:http: ${int(r.baseline!.rps)} req/s, p99 ${ms(r.baseline!.p99)} ms`,
        ratio: `${(r.hub!.rps / r.baseline!.rps).toFixed(2)}× req/s ${mark(r.hub!.rps / r.baseline!.rps >= TARGETS.rpsRatio)}, p99 ${(r.hub!.p99 / r.baseline!.p99).toFixed(2)}× ${mark(r.hub!.p99 / r.baseline!.p99 <= TARGETS.p99Ratio)}, one at a time < ${int(r.seqTargetMs)} ms ${mark((r.hubSeq?.p99 ?? Infinity) < r.seqTargetMs)}`,
      })),
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return ok;
}

/** The note on one side's summary recompute runs. */
function summaryNote(who: string, load: { count: number; errors: number; firstError?: string | null }, seq: { n: number }, cpuPct: number | null) {
  return (
    `- summary recompute, ${who} at ${CONCURRENCY} callers: ${int(load.count)} recomputes measured, ${load.errors} errors${load.firstError ? ` (first: ${load.firstError})` : ''}; ` +
    `CPU of the script process ${pct(cpuPct)}; one at a time: ${seq.n} recomputes.`
  );
}

/** The hub's CPU profile (--hub-cpu-prof DIR), summarised on stderr: self time by package and by function. */
function printProfile(pid: number) {
  const dir = args['hub-cpu-prof'];
  if (!dir) return;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  // The main thread's profile is the largest (worker threads, such as bcrypt's, write their own).
  if (files[0]) process.stderr.write(`\nCPU profile of the hub (${files[0]}):\n${summariseProfile(files[0], { top: 25 }).join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Embedded mode (--embedded): the hub on PGlite next to the hub on PostgreSQL, at the same volume

/** Compares two answers to one URL, record timestamps aside (each database was seeded at its own moment). */
function sameRecords(a: { body: unknown[]; total: string | null }, b: { body: unknown[]; total: string | null }) {
  const strip = (rows: unknown[]) => JSON.stringify(rows.map((r) => ({ ...(r as Record<string, unknown>), created_at: undefined, updated_at: undefined })));
  return a.total === b.total && strip(a.body) === strip(b.body);
}

async function signIn(server: ServerProcess) {
  const { body } = await api<{ access_token: string }>(server.url, 'POST', '/token', { json: { username: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  return body.access_token;
}

type EmbeddedRow = {
  label: string;
  detail: string;
  answer: string;
  embedded: LoadResult | null;
  postgres: LoadResult | null;
  embeddedSeq: SeqResult | null;
  postgresSeq: SeqResult | null;
  targetMs: number;
  error?: string;
};

function embeddedTable(rows: EmbeddedRow[]) {
  const out = [
    `| query | rows returned / X-Total-Count | embedded req/s | PostgreSQL hub req/s | req/s embedded ÷ PostgreSQL | embedded p50 / p99 | PostgreSQL hub p50 / p99 | p99 embedded ÷ PostgreSQL | one at a time: embedded p50 / p99 | one at a time: PostgreSQL hub p50 / p99 | embedded one at a time p99 < target | errors embedded / PostgreSQL |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const r of rows) {
    if (r.error) {
      out.push(`| ${r.label} | failed: ${r.error.split('\n')[0].replace(/\|/g, '\\|').slice(0, 300)} | | | | | | | | | | |`);
      continue;
    }
    const rps = ratio(r.embedded?.rps ?? NaN, r.postgres?.rps ?? NaN);
    const p99 = ratio(r.embedded?.p99 ?? NaN, r.postgres?.p99 ?? NaN);
    const seqOk = (r.embeddedSeq?.p99 ?? Infinity) < r.targetMs;
    out.push(
      `| ${r.label} | ${r.answer} | ${r.embedded ? int(r.embedded.rps) : '—'} | ${r.postgres ? int(r.postgres.rps) : '—'} | ${fmtRatio(rps)} | ${p5099(r.embedded)} | ${p5099(r.postgres)} | ${fmtRatio(p99)} | ` +
        `${p5099(r.embeddedSeq)} | ${p5099(r.postgresSeq)} | < ${int(r.targetMs)} ms ${r.embeddedSeq ? mark(seqOk) : ''} | ${errs(r.embedded, r.embeddedSeq)} / ${errs(r.postgres, r.postgresSeq)} |`,
    );
  }
  return out;
}

/**
 * --embedded: the same queries against the hub on PGlite (no DATABASE_URL, DATA_DIR seeded with db:seed) and, beside
 * it in the same run, the hub on PostgreSQL seeded with the same volume. There is no plain baseline for PGlite: the
 * PostgreSQL hub is the comparison, so a user sees what moving to PostgreSQL buys at this volume.
 */
async function embeddedMain(): Promise<boolean> {
  let ok = true;
  await retryTransient(() => adminQuery(PG_URL, 'select 1'), 180_000, 'waiting for PostgreSQL');
  const factLines = await machineFacts(PG_URL);
  progress(`${os.availableParallelism()} cores, Node ${process.version}; embedded mode: the hub on PGlite next to the hub on PostgreSQL, ${int(EMPLOYEES)} employees × ${DAYS} days`);

  const embedded = await prepareEmbedded({ employees: EMPLOYEES, days: DAYS, keep: KEEP_DB, timeoutMs: SEED_TIMEOUT_MS });
  const db = await prepareDatabase();

  // Queries picked from the embedded data (the same seeder on both sides: the same teams, employees and days).
  const local = await openEmbedded(embedded.dataDir);
  let queries: HttpQuery[];
  try {
    queries = await pickQueries(local.query);
    // Re-created with this run's password by the hub's start-up (ensureAdmin), as on PostgreSQL below.
    await local.query("update employees set active = false where access = 'admin'");
  } finally {
    await local.close();
  }
  await adminQuery(db.url, "update employees set active = false where access = 'admin'");
  for (const q of queries) progress(`${q.key}: ${q.path} — ${q.detail} (embedded data)`);

  const rows: EmbeddedRow[] = [];
  const cpuNotes: string[] = [];
  const otherNotes: string[] = [];
  // The summary first: its script opens the embedded database itself, so no hub may have it open yet.
  if (QUERY_KEYS.includes('summary') && !isFinishing()) {
    const row: EmbeddedRow = { label: 'summary recompute (org): refreshSummaries', detail: '', answer: '1 body', embedded: null, postgres: null, embeddedSeq: null, postgresSeq: null, targetMs: TARGETS.summaryMs };
    try {
      const both = await summaryRuns(db.url, [
        { impl: 'hub', env: summaryEnv({ dataDir: embedded.dataDir }), name: "the hub's code on PGlite" },
        { impl: 'hub', env: summaryEnv({ url: db.url }), name: "the hub's code on PostgreSQL" },
      ]);
      [row.embedded, row.embeddedSeq] = both[0];
      [row.postgres, row.postgresSeq] = both[1];
      for (const [i, who] of (['embedded', 'PostgreSQL'] as const).entries()) {
        const [load, seq, cpuPct] = both[i];
        cpuNotes.push(summaryNote(who, load, seq, cpuPct));
      }
    } catch (error) {
      ok = false;
      row.error = (error as Error).message;
      progress(`summary failed: ${(error as Error).stack ?? error}`);
    }
    rows.push(row);
  }

  const data = mkdtempSync(join(os.tmpdir(), 'checkin-bench-history-'));
  onCleanup(`remove ${data}`, async () => rmSync(data, { recursive: true, force: true }));
  const common = { NODE_ENV: 'production', SEED_DEMO: 'false', JOB_SCHEDULES: 'false', DB_POOL_MAX: String(POOL_MAX) };
  const nodeArgs = args['hub-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['hub-cpu-prof']}`] : [];
  progress('starting the hub on PGlite');
  const t0 = performance.now();
  const hubEmbedded = await startServer(hubEnv({ ...common, DATA_DIR: embedded.dataDir }), 'embedded hub', { nodeArgs });
  const embeddedStart = (performance.now() - t0) / 1000;
  progress(`embedded hub ready at ${hubEmbedded.url} (pid ${hubEmbedded.pid}) after ${embeddedStart.toFixed(1)} s`);
  const hubPostgres = await startServer(hubEnv({ ...common, DATABASE_URL: db.url, DATA_DIR: data }), 'PostgreSQL hub');
  progress(`PostgreSQL hub ready at ${hubPostgres.url} (pid ${hubPostgres.pid})`);
  const servers: [ServerProcess, ServerProcess] = [hubEmbedded, hubPostgres];
  const tokens: [string, string] = [await signIn(hubEmbedded), await signIn(hubPostgres)];

  const queryRows: EmbeddedRow[] = [];
  for (const q of queries) {
    if (isFinishing()) break;
    const row: EmbeddedRow = { label: q.label, detail: q.detail, answer: '', embedded: null, postgres: null, embeddedSeq: null, postgresSeq: null, targetMs: TARGETS.sequentialP99Ms };
    queryRows.push(row);
    try {
      const a = await getJson<unknown[]>(hubEmbedded, q.path, tokens[0]);
      const b = await getJson<unknown[]>(hubPostgres, q.path, tokens[1]);
      row.answer = `${int(a.body.length)} / ${int(Number(a.total))}`;
      if (sameRecords(a, b)) progress(`${q.key}: both hubs answer ${a.body.length} rows of ${a.total}, the same records`);
      else {
        row.answer += ` (PostgreSQL: ${int(b.body.length)} / ${int(Number(b.total))})`;
        otherNotes.push(`- ${q.label}: the two databases answer differently (they were seeded at different times: today’s records differ); measured anyway.`);
        progress(`${q.key}: the hubs answer differently (embedded ${a.body.length} / ${a.total}, PostgreSQL ${b.body.length} / ${b.total}); measuring anyway`);
      }
      [row.embedded, row.postgres] = await unlessRestarted(q.label, db.url, () => closedLoops(servers, q.path, tokens, q.key, ['embedded', 'PostgreSQL']));
      progress(`${q.key}: one at a time`);
      [row.embeddedSeq, row.postgresSeq] = await unlessRestarted(`${q.label} (one at a time)`, db.url, () => oneAtATime(servers, q.path, tokens));
      for (const [who, r] of [['embedded hub', row.embedded], ['PostgreSQL hub', row.postgres]] as const) {
        cpuNotes.push(
          `- ${q.label}, ${who} at ${CONCURRENCY} clients: ${int(r.count)} requests measured, ${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ''}; ` +
            `CPU: hub process ${pct(r.cpu?.server ?? null)}, PostgreSQL ${pct(r.cpu?.postgres ?? null)}, load generator ${pct(r.cpu?.bench ?? null)}, whole machine ${pct(r.cpu?.machine ?? null)}.`,
        );
      }
      progress(
        `${q.key}: embedded ${int(row.embedded.rps)} req/s p99 ${ms(row.embedded.p99)} ms; PostgreSQL hub ${int(row.postgres.rps)} req/s p99 ${ms(row.postgres.p99)} ms; ` +
          `one at a time p99 embedded ${ms(row.embeddedSeq.p99)} / PostgreSQL ${ms(row.postgresSeq.p99)} ms`,
      );
    } catch (error) {
      ok = false;
      row.error = (error as Error).message;
      progress(`${q.key} failed: ${(error as Error).stack ?? error}`);
    }
  }
  rows.unshift(...queryRows);
  for (const hub of servers) {
    if (hub.errorLines.length) {
      if (!restarts.length) ok = false;
      progress(`${hub === hubEmbedded ? 'embedded' : 'PostgreSQL'} hub logged ${hub.errorLines.length} errors; the first: ${hub.errorLines[0].slice(0, 2000)}`);
    }
  }
  progress('stopping the hubs');
  await hubEmbedded.stop();
  await hubPostgres.stop();
  if (isFinishing()) return false;
  printProfile(hubEmbedded.pid);

  const seedText = (side: { reused: boolean; wall: number; line: string; at: string }) =>
    side.reused ? `reused (--keep-db; seeded ${side.at}: ${side.line.replace(/^Seeded /, '')}; wall ${side.wall} s)` : `seeded in **${side.wall.toFixed(1)} s** wall (start-up and migrations included): "${side.line}"`;
  const m = embedded.marker;
  const out: string[] = [];
  out.push('## Check-in Hub history benchmark, embedded mode (PGlite) next to PostgreSQL', '', ...factLines, '');
  out.push(
    `Data: \`db:seed -- --employees ${EMPLOYEES} --days ${DAYS} --reset --no-punches\` on each side: ${int(m.records)} attendance records. ` +
      `Embedded (no DATABASE_URL, DATA_DIR on local disk): ${seedText({ reused: embedded.reused, wall: m.wall_s, line: m.seeder_line, at: m.seeded_at })}${m.seeder_rows_per_s != null ? ` — **${int(m.seeder_rows_per_s)} rows/s**` : ''}; VACUUM ANALYZE ${m.vacuum_s} s. ` +
      `PostgreSQL: ${seedText({ reused: db.seed.reused, wall: db.seed.wallSeconds, line: db.seed.seederLine, at: db.seed.seededAt })}${db.seed.seederRowsPerSecond != null ? ` — **${int(db.seed.seederRowsPerSecond)} rows/s**` : ''}; VACUUM ANALYZE ${db.seed.vacuumSeconds.toFixed(1)} s. ` +
      `The embedded hub was ready ${embeddedStart.toFixed(1)} s after its start on this data.`,
    '',
    `Run: the same queries, URLs and clients as the PostgreSQL run (${CONCURRENCY} keep-alive clients in a closed loop, ${WARMUP} s warm-up + ${SECONDS} s measured, then one request at a time), ` +
      `the embedded hub and the hub on PostgreSQL interleaved in ${ORDER.length} slices (embedded, PostgreSQL, PostgreSQL, embedded, twice). Both are src/main.ts, NODE_ENV=production; ` +
      `there is no plain baseline for PGlite: the hub on PostgreSQL (DB_POOL_MAX=${POOL_MAX}) seeded with the same volume is the comparison. ` +
      `PGlite is one connection inside the hub's process: every statement of every request queues on it, and the hub's CPU includes the database's. ` +
      `The one-at-a-time mark uses the PostgreSQL targets (< ${TARGETS.sequentialP99Ms} ms, summary < ${TARGETS.summaryMs / 1000} s) as a yardstick.`,
    '',
  );
  out.push(...embeddedTable(rows), '');
  out.push('Notes:');
  for (const r of rows) if (r.detail) out.push(`- ${r.label}: ${r.detail} (embedded data).`);
  out.push(
    `- Summary recompute: refreshSummaries([null]) for the organisation in bench/history-summary.ts on the hub's code, on PGlite (its own process opening the DATA_DIR, before the hubs start) and on PostgreSQL (MikroORM pool ${POOL_MAX}), ` +
      `two runs each (embedded, PostgreSQL, PostgreSQL, embedded) of ${SECONDS / 2} s with ${CONCURRENCY} callers, then one at a time.`,
    ...otherNotes,
    ...cpuNotes,
    ...restarts.map((r) => `- ${r}.`),
    `- CPU in % of one core (${os.availableParallelism() * 100}% = every core), over the measured window. The load generator is this process; “whole machine” includes other work on the machine.`,
  );
  out.push(
    '',
    ...summaryLines(
      rows.filter((r) => !r.error && r.embedded && r.postgres).map((r) => ({
        benchmark: `embedded (PGlite): ${r.label}, ${CONCURRENCY} clients (${int(EMPLOYEES)} × ${DAYS})`,
        hub: `${int(r.embedded!.rps)} req/s, p99 ${ms(r.embedded!.p99)} ms; one at a time p99 ${r.embeddedSeq ? ms(r.embeddedSeq.p99) : '—'} ms`,
        baseline: `the hub on PostgreSQL: ${int(r.postgres!.rps)} req/s, p99 ${ms(r.postgres!.p99)} ms`,
        ratio: `${(r.embedded!.rps / r.postgres!.rps).toFixed(2)}× req/s`,
      })),
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return ok;
}

await runMain(budgetMs, EMBEDDED ? embeddedMain : postgresMain);
