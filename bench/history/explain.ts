// EXPLAIN (ANALYZE, BUFFERS) of the statements, the summary recompute runs, and PostgreSQL restarts by other work.
// EXPLAIN (ANALYZE, BUFFERS)
import os from 'node:os';
import { recordStatements, type Statement } from '../history-sql.ts';
import pg from 'pg';
import {
  adminQuery,
  hubEnv,
  int,
  isFinishing,
  percentile,
  progress,
  retryTransient,
  run,
  type ServerProcess,
  transientPgError,
  withTimeout,
} from '../../harness/index.ts';
import type { HttpQuery } from './data.ts';
import { ABBA, getJson, type LoadResult, type SeqResult } from './load.ts';
import { CONCURRENCY, MIN_SEQUENTIAL, POOL_MAX, SECONDS, SEQUENTIAL, WARMUP } from './options.ts';

export type Plan = { query: string; statement: string; top: string; indexes: string[]; seqScans: string[]; executionMs: number; planningMs: number; buffers: string; extra: string };

export function summarisePlan(query: string, statement: string, lines: string[]): Plan {
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

export async function explainHttpQueries(url: string, queries: HttpQuery[]): Promise<{ plans: Plan[]; full: string[] }> {
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

// The summary recompute (bench/history-summary.ts)

export type SummaryRun = {
  concurrent: { seconds: number; latencies: number[]; errors: number; firstError: string; cpuPct: number };
  sequential: { latencies: number[] };
};

/** The environment of bench/history-summary.ts: on PostgreSQL (`url`), or on the embedded database in `dataDir`. */
export function summaryEnv(where: { url: string } | { dataDir: string }) {
  return hubEnv({
    ...('url' in where ? { DATABASE_URL: where.url, DATA_DIR: os.tmpdir() } : { DATA_DIR: where.dataDir }),
    DB_POOL_MAX: String(POOL_MAX),
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
  });
}

/** One side of the summary comparison: which implementation, where, and its name in the progress lines. */
export type SummarySide = { impl: 'hub' | 'pg'; env: NodeJS.ProcessEnv; name: string };

/** One run of bench/history-summary.ts: half the time and half the one-at-a-time calls (its ABBA slice). */
export async function runSummary(side: SummarySide): Promise<SummaryRun> {
  const argv = [
    'bench/history-summary.ts', '--impl', side.impl, '--concurrency', String(CONCURRENCY), '--seconds', String(SECONDS / 2), '--warmup', String(WARMUP),
    '--sequential', String(Math.ceil(SEQUENTIAL / 2)), '--sequential-seconds', String(Math.max(SECONDS, 5) / 2), '--min-sequential', String(Math.ceil(MIN_SEQUENTIAL / 2)),
  ];
  const { stdout } = await run(process.execPath, argv, { env: side.env, timeoutMs: (WARMUP + SECONDS) * 1000 + 900_000 });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as SummaryRun;
}

/** Two sides (the hub's code and plain pg, or the hub's code embedded and on PostgreSQL), each in two runs: A, B, B, A. */
export async function summaryRuns(url: string, sides: [SummarySide, SummarySide]): Promise<[[LoadResult, SeqResult, number], [LoadResult, SeqResult, number]]> {
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

export async function explainSummary(url: string): Promise<{ plans: Plan[]; full: string[] }> {
  const { stdout } = await run(process.execPath, ['bench/history-summary.ts', '--explain'], { env: summaryEnv({ url }), timeoutMs: 300_000 });
  const { plans } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { plans: { sql: string; plan: string[] }[] };
  return {
    plans: plans.map((p) => summarisePlan('summary recompute (org)', p.sql.startsWith('with days') ? 'dailyStats' : p.sql.slice(0, 40), p.plan)),
    full: plans.flatMap((p) => [`-- summary recompute: ${p.sql}`, ...p.plan, '']),
  };
}

/** GET /summarize_attendance/ on the hub after deleting the stored organisation summary: the user-facing recompute. */
export async function summaryThroughHttp(hub: ServerProcess, url: string, token: string, times: number) {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    await adminQuery(url, "delete from summaries where scope = 'org'");
    const t0 = performance.now();
    await getJson(hub, '/summarize_attendance/', token);
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

// PostgreSQL restarts: other work on this machine restarts the shared server now and then

/** Phases measured again because PostgreSQL restarted during them (for the notes). */
export const restarts: string[] = [];

export async function pgStartTime(url: string) {
  const [row] = await retryTransient(() => adminQuery<{ t: string }>(url, 'select pg_postmaster_start_time()::text as t'), 180_000, 'waiting for PostgreSQL');
  return row.t;
}

/**
 * Runs a measurement phase; when PostgreSQL restarted meanwhile (its start time changed, or the phase died of a
 * connection error), waits for it and runs the phase again, three attempts at most.
 */
export async function unlessRestarted<T>(what: string, url: string, fn: () => Promise<T>): Promise<T> {
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
