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
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  adminQuery,
  api,
  type BenchmarkContext,
  defineBenchmark,
  hubEnv,
  int,
  isFinishing,
  ms,
  onCleanup,
  pct,
  progress,
  type ServerProcess,
  startServer,
  summaryLines,
} from '../harness/index.ts';
import { pickQueries, prepareDatabase } from './history/data.ts';
import { embeddedMain } from './history/embedded-main.ts';
import {
  explainHttpQueries,
  explainSummary,
  type Plan,
  restarts,
  summaryEnv,
  summaryRuns,
  summaryThroughHttp,
  unlessRestarted,
} from './history/explain.ts';
import { closedLoops, oneAtATime, ORDER, RAMP_MS, sameAnswer, sqlAlone } from './history/load.ts';
import {
  args,
  CONCURRENCY,
  DAYS,
  EMBEDDED,
  EMPLOYEES,
  HISTORY_BENCHMARK,
  MIN_SEQUENTIAL,
  POOL_MAX,
  FIELDS,
  PROCESSES,
  QUERY_KEYS,
  SECONDS,
  SEQUENTIAL,
  TARGETS,
  WARMUP,
} from './history/options.ts';
import { cpuNote, mark, planTable, printProfile, type Row, summaryNote, table } from './history/report.ts';

/** The hub on PostgreSQL against plain pg + node:http at the same SQL (the default). */
async function postgresMain({ facts: factLines, fail }: BenchmarkContext): Promise<string> {
  let ok = true;
  progress(`${os.availableParallelism()} cores, Node ${process.version}; the servers, PostgreSQL and the load generator share them`);

  const db = await prepareDatabase();
  const picked = await pickQueries((sql, params = []) => adminQuery(db.url, sql, params, 300_000));
  const queries = FIELDS ? picked.map((q) => ({ ...q, path: `${q.path}${q.path.includes('?') ? '&' : '?'}fields=${FIELDS}`, label: `${q.label} [fields]` })) : picked;
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
  const rows: Row[] = [];
  const cpuNotes: string[] = [];
  const errorLines: string[] = [];
  let hub: ServerProcess | null = null;
  let baseline: ServerProcess | null = null;
  let token = '';
  let adminId = 0;
  // Each process count in turn: the hub with API_PROCESSES=N against the baseline as N processes (bench/cluster.ts).
  for (const count of PROCESSES) {
    if (isFinishing()) break;
    if (hub && baseline) {
      errorLines.push(...hub.errorLines);
      await hub.stop();
      await baseline.stop();
    }
    const processes = `${count} process${count === 1 ? '' : 'es'}`;
    const label = (what: string) => `${what} × ${processes}`;
    progress(`starting the ${label('hub')}`);
    hub = await startServer({ ...env, API_PROCESSES: String(count) }, label('hub'), { nodeArgs });
    progress(`hub ready at ${hub.url} (pid ${hub.pid})`);
    const baselineEnv = { ...process.env, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', SECRET_KEY: env.SECRET_KEY, DB_POOL_MAX: String(POOL_MAX), PROCESSES: String(count) };
    baseline = await startServer(baselineEnv, label('baseline'), count === 1 ? { script: 'bench/history-baseline.ts', timeoutMs: 30_000 } : { script: 'bench/cluster.ts', scriptArgs: ['bench/history-baseline.ts'], timeoutMs: 30_000 });
    progress(`baseline ready at ${baseline.url} (pid ${baseline.pid})`);

    const { body: login } = await api<{ access_token: string }>(hub.url, 'POST', '/token', { json: { username: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    token = login.access_token;
    [{ employee_id: adminId }] = await adminQuery<{ employee_id: number }>(db.url, 'select employee_id from employees where email = $1', [ADMIN_EMAIL]);

    for (const q of queries) {
      if (isFinishing()) break;
      const row: Row = { label: `${q.label} · ${processes}`, detail: q.detail, answer: '', hub: null, baseline: null, hubSeq: null, baseSeq: null, sql: null, seqTargetMs: TARGETS.sequentialP99Ms };
      rows.push(row);
      const [h, b] = [hub, baseline];
      try {
        await unlessRestarted(q.label, db.url, async () => {
          const same = await sameAnswer(h, b, token, q);
          row.answer = `${int(same.rows)} / ${int(same.total)}`;
          progress(`${q.key}: both servers answer ${same.rows} rows of ${same.total} (${int(same.bytes)} bytes of JSON), identical`);
          progress(`${q.key}: ${CONCURRENCY} clients, ${WARMUP} s warm-up each, then ${SECONDS} s each in slices hub, baseline, baseline, hub, twice (${processes} each)`);
          [row.hub, row.baseline] = await closedLoops([h, b], q.path, [token, token], q.key);
          progress(`${q.key}: one at a time`);
          [row.hubSeq, row.baseSeq] = await oneAtATime([h, b], q.path, [token, token]);
          row.sql = await sqlAlone(db.url, q, adminId);
        });
        if (!row.hub || !row.baseline || !row.hubSeq || !row.baseSeq) throw new Error('not measured');
        for (const [who, r] of [['hub', row.hub], ['baseline', row.baseline]] as const) {
          if (r.errors) progress(`${q.key}: ${who}: ${r.errors} failed requests under load (first: ${r.firstError})`);
          cpuNotes.push(
            `- ${row.label}, ${who} at ${CONCURRENCY} clients: ${int(r.count)} requests measured, ${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ''}; ` +
              `CPU: ${who} (all its processes) ${pct(r.cpu?.server ?? null)}, PostgreSQL ${pct(r.cpu?.postgres ?? null)}, load generator ${pct(r.cpu?.bench ?? null)}, whole machine ${pct(r.cpu?.machine ?? null)}.`,
          );
        }
        progress(
          `${q.key} (${count}): hub ${int(row.hub.rps)} req/s p99 ${ms(row.hub.p99)} ms; baseline ${int(row.baseline.rps)} req/s p99 ${ms(row.baseline.p99)} ms; ` +
            `one at a time p99 hub ${ms(row.hubSeq.p99)} / baseline ${ms(row.baseSeq.p99)} ms`,
        );
      } catch (error) {
        ok = false;
        row.error = (error as Error).message;
        progress(`${q.key} failed: ${(error as Error).stack ?? error}`);
      }
    }
  }
  if (!hub || !baseline) return '';

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
  errorLines.push(...hub.errorLines);
  if (errorLines.length) {
    // Errors while PostgreSQL restarted are expected (and those phases were measured again); others fail the run.
    if (!restarts.length) ok = false;
    progress(`the hub logged ${errorLines.length} errors; the first: ${errorLines[0]!.slice(0, 2000)}`);
  }
  if (baseline.errorLines.length) progress(`the baseline logged ${baseline.errorLines.length} errors; the first: ${baseline.errorLines[0].slice(0, 2000)}`);
  progress('stopping the servers');
  await hub.stop();
  await baseline.stop();
  if (isFinishing()) return '';
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
      (FIELDS ? `Every URL asks for \`fields=${FIELDS}\` (both servers send only those fields). ` : '') +
      `Each with ${PROCESSES.join(' and ')} process(es) in turn: the hub with API_PROCESSES=N, the baseline as N node:cluster copies (bench/cluster.ts), each process with its own pool. ` +
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
      `“baseline” the same function and SQL on pg.Pool(${POOL_MAX}); each side in two runs (hub, hub) of ${SECONDS / 2} s. A recompute can outlast the window, so every call started in it is measured to its end ` +
      `and req/s = calls ÷ (last end − start). Its target applies to the one-at-a-time p99. ` +
      `The hub's pool (src/infra/db.ts) gives up on a connection after 5 s (connectionTimeoutMillis) and on a statement after 30 s; the plain pool waits: ` +
      `when many long recomputes share ${POOL_MAX} connections, the hub's side fails calls (“timeout exceeded when trying to connect”) where the baseline queues them, which also shortens the hub's measured latencies. ` +
      (summaryHttp.length
        ? `Cross-check through HTTP: GET /summarize_attendance/ on the hub after deleting the stored row took ${summaryHttp.map((x) => ms(x)).join(', ')} ms.`
        : ''),
    ...cpuNotes,
    ...restarts.map((r) => `- ${r}.`),
    cpuNote(),
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
  if (!ok) fail('a part of the run failed (see above)');
  return out.join('\n');
}

await defineBenchmark({ ...HISTORY_BENCHMARK, main: EMBEDDED ? embeddedMain : postgresMain });
