// The benchmark's arguments and constants (both modes read them).
import { availableParallelism } from 'node:os';
import { adminQuery, type Benchmark, benchmarkArgs, numberFlag, retryTransient } from '../../harness/index.ts';

export const args = benchmarkArgs(
  'npm run bench:history -- [--employees 10000] [--days 365] [--concurrency 32] [--seconds 10] [--warmup 2] [--sequential 200]\n' +
  '                         [--queries team,employee,late,summary] [--keep-db] [--pg-url postgres://…/postgres]\n' +
  '                         [--hub-cpu-prof DIR]   (writes a V8 CPU profile of the hub process to DIR and summarises it)\n' +
  '                         [--embedded]   (the hub on PGlite next to the hub on PostgreSQL; default --employees 1000)\n' +
  '                         [--fields record_id,employee_id,attendance_date,status,check_in_time]   (a sparse fieldset\n' +
  '                          on every URL, both servers)\n' +
  '                         [--processes 1,2]   (process counts: the hub with API_PROCESSES=N against the baseline with N\n' +
  '                          processes, node:cluster, for each N; default 1 and the number of cores)\n' +
  '--keep-db keeps the seeded database as bench_history_<employees>_<days> and reuses it when its row counts match.',
  {
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
    processes: { type: 'string' },
    fields: { type: 'string' },
  },
);
/** The embedded benchmark: `--embedded`, or bench/history-embedded.ts run directly. */
export const EMBEDDED = args.embedded || /history-embedded\.ts$/.test(process.argv[1] ?? '');
export const EMPLOYEES = Math.floor(numberFlag('employees', args.employees ?? (EMBEDDED ? '1000' : '10000'), 10, 200_000));
export const DAYS = Math.floor(numberFlag('days', args.days, 1, 3660));
export const CONCURRENCY = Math.floor(numberFlag('concurrency', args.concurrency, 1, 1000));
export const SECONDS = numberFlag('seconds', args.seconds, 1, 600);
export const WARMUP = numberFlag('warmup', args.warmup, 0, 60);
export const SEQUENTIAL = Math.floor(numberFlag('sequential', args.sequential, 10, 100_000));
export const MIN_SEQUENTIAL = 10;
export const KEEP_DB = args['keep-db'];
export const PG_URL = new URL(args['pg-url']);
export const QUERY_KEYS = args.queries.split(',').map((s) => s.trim()).filter(Boolean);
for (const q of QUERY_KEYS) {
  if (!['team', 'employee', 'late', 'summary'].includes(q)) {
    console.error(`--queries: unknown query "${q}" (team, employee, late, summary)`);
    process.exit(2);
  }
}
/** `--fields`: the sparse fieldset every URL asks for (`fields=`), or null for whole records. */
export const FIELDS = args.fields ? args.fields.split(',').map((s) => s.trim()).filter(Boolean).join(',') : null;
/** The process counts each side runs with, in turn (the hub: API_PROCESSES; the baseline: bench/cluster.ts). */
export const PROCESSES = [...new Set((args.processes ?? `1,${availableParallelism()}`).split(',').map((s) => Math.floor(numberFlag('processes', s.trim(), 1, 64))))];
export const POOL_MAX = 10; // the hub's DB_POOL_MAX default (src/config.ts); the baseline gets the same
export const REQUEST_TIMEOUT_MS = 30_000;
export const SEED_TIMEOUT_MS = 3600_000;
export const TARGETS = { rpsRatio: 0.67, p99Ratio: 1.5, sequentialP99Ms: 25, summaryMs: 1000 };
/** The whole run's time budget (seeding included): past it, the run stops and cleans up. */
export const budgetMs = (SEED_TIMEOUT_MS + 1800_000 + 12 * (WARMUP + 2 * SECONDS + 60) * 1000) | 0;

/** Both benchmarks (PostgreSQL and embedded) wait for PostgreSQL, state its settings, and share the budget. */
export const HISTORY_BENCHMARK: Omit<Benchmark, 'main'> = {
  budgetMs,
  services: { pgUrl: PG_URL },
  // Other work on this machine may be restarting PostgreSQL right now: wait for it (bounded).
  prepare: async () => void (await retryTransient(() => adminQuery(PG_URL, 'select 1'), 180_000, 'waiting for PostgreSQL')),
};
