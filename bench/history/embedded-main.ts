// Embedded mode (--embedded): the hub on PGlite next to the hub on PostgreSQL, at the same volume.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  adminQuery,
  api,
  type BenchmarkContext,
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
} from '../../harness/index.ts';
import { type HttpQuery, pickQueries, prepareDatabase } from './data.ts';
import { restarts, summaryEnv, summaryRuns, unlessRestarted } from './explain.ts';
import { closedLoops, getJson, type LoadResult, oneAtATime, ORDER, type SeqResult } from './load.ts';
import {
  args,
  CONCURRENCY,
  DAYS,
  EMPLOYEES,
  KEEP_DB,
  POOL_MAX,
  QUERY_KEYS,
  SECONDS,
  SEED_TIMEOUT_MS,
  TARGETS,
  WARMUP,
} from './options.ts';
import { openEmbedded, prepareEmbedded } from './pglite.ts';
import { cpuNote, errs, fmtRatio, mark, p5099, printProfile, ratio, summaryNote } from './report.ts';

/** Compares two answers to one URL, record timestamps aside (each database was seeded at its own moment). */
export function sameRecords(a: { body: unknown[]; total: string | null }, b: { body: unknown[]; total: string | null }) {
  const strip = (rows: unknown[]) => JSON.stringify(rows.map((r) => ({ ...(r as Record<string, unknown>), created_at: undefined, updated_at: undefined })));
  return a.total === b.total && strip(a.body) === strip(b.body);
}

export async function signIn(server: ServerProcess) {
  const { body } = await api<{ access_token: string }>(server.url, 'POST', '/token', { json: { username: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  return body.access_token;
}

export type EmbeddedRow = {
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

export function embeddedTable(rows: EmbeddedRow[]) {
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
export async function embeddedMain({ facts: factLines, fail }: BenchmarkContext): Promise<string> {
  let ok = true;
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
  if (isFinishing()) return '';
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
    cpuNote(),
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
  if (!ok) fail('a part of the run failed (see above)');
  return out.join('\n');
}
