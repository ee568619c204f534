// The summary recompute for bench/history.ts: times refreshSummaries() for the organisation (the summaries job's
// code, src/modules/summaries/summary.service.ts) in a closed loop of --concurrency callers for --seconds, then one
// call at a time. Two implementations, each run as its own child process by bench/history.ts:
//   --impl hub: the hub's code as the hub runs it: createOrm (MikroORM 7, pool of DB_POOL_MAX, default 10), one
//               EntityManager fork per call;
//   --impl pg:  the same function and SQL on a plain pg.Pool of the same size, through a three-line `execute`
//               adapter (placeholders `?` → `$n`), i.e. the same statements without the ORM.
// Prints the raw latencies (ms) as one JSON line; bench/history.ts merges several runs (hub, pg, pg, hub).
// --explain: instead of timing, runs the recompute once (pg) and prints EXPLAIN (ANALYZE, BUFFERS) of each of its
// SELECT statements. Environment: the hub's (DATABASE_URL, TIMEZONE, DB_POOL_MAX). Prints one JSON line on stdout.
// Without DATABASE_URL (--impl hub only), the hub's code runs on the embedded database under DATA_DIR (PGlite), as
// bench/history.ts -- --embedded times it.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';
import { sqlOf, type Em, type Sql } from '../src/infra/db.ts';
import { refreshSummaries } from '../src/modules/summaries/summary.service.ts';

const { values: args } = parseArgs({
  options: {
    impl: { type: 'string', default: 'hub' },
    concurrency: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    sequential: { type: 'string', default: '200' },
    'sequential-seconds': { type: 'string', default: '10' },
    'min-sequential': { type: 'string', default: '10' },
    explain: { type: 'boolean', default: false },
  },
});
const CONCURRENCY = Number(args.concurrency);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const SEQUENTIAL = Number(args.sequential);
const SEQUENTIAL_SECONDS = Number(args['sequential-seconds']);
const MIN_SEQUENTIAL = Number(args['min-sequential']);

const config = loadConfig();
if (!config.database && (args.impl !== 'hub' || args.explain)) throw new Error('DATABASE_URL is required (only --impl hub runs on the embedded database)');

type Impl = { recompute: () => Promise<unknown>; close: () => Promise<void> };

function pgPool() {
  const types = new pg.TypeOverrides();
  types.setTypeParser(1082, (s: string) => s); // as MikroORM: dates stay strings
  return new pg.Pool({ connectionString: config.database!.url, max: config.dbPoolMax, min: 0, types });
}

async function hubImpl(): Promise<Impl> {
  const orm = await openDatabase(config);
  return {
    recompute: () => refreshSummaries(sqlOf(orm.em.fork() as Em), config, [null]),
    close: () => orm.close(),
  };
}

function pgImpl(onStatement?: (sql: string, params: unknown[]) => Promise<void>): Impl {
  const pool = pgPool();
  // The same statements, bind parameters and all, on a plain pg pool.
  const sql: Sql = {
    async query<T>(text: string, params: readonly unknown[] = []) {
      await onStatement?.(text, [...params]);
      return (await pool.query(text, [...params])).rows as T[];
    },
  };
  return { recompute: () => refreshSummaries(sql, config, [null]), close: () => pool.end() };
}

async function main() {
  if (args.explain) {
    const plans: { sql: string; plan: string[] }[] = [];
    const client = new pg.Client({ connectionString: config.database!.url });
    await client.connect();
    const impl = pgImpl(async (sql, params) => {
      if (!/^\s*(with|select)\b/i.test(sql)) return;
      const res = await client.query(`explain (analyze, buffers) ${sql}`, params);
      plans.push({ sql: sql.replace(/\s+/g, ' ').trim(), plan: res.rows.map((r: Record<string, string>) => r['QUERY PLAN']) });
    });
    try {
      await impl.recompute();
    } finally {
      await impl.close();
      await client.end();
    }
    process.stdout.write(`${JSON.stringify({ plans })}\n`);
    return;
  }

  const impl = args.impl === 'pg' ? pgImpl() : await hubImpl();
  try {
    // Warm-up (JIT, pool, caches): one call, then WARMUP seconds of one caller.
    const warmUntil = performance.now() + WARMUP * 1000;
    do await impl.recompute();
    while (performance.now() < warmUntil);

    // Closed loop: CONCURRENCY callers, each starting its next recompute when the previous one is done, until SECONDS
    // have passed. A recompute can take longer than the window (a few seconds each, shared by every caller), so every
    // call started in the window is measured to its end, and the rate is calls ÷ (last end − start).
    const latencies: number[] = [];
    let errors = 0;
    let firstError = '';
    const from = performance.now();
    const to = from + SECONDS * 1000;
    const cpuFrom = process.cpuUsage();
    let lastEnd = from;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < to) {
          const t0 = performance.now();
          try {
            await impl.recompute();
            const t1 = performance.now();
            latencies.push(t1 - t0);
            lastEnd = Math.max(lastEnd, t1);
          } catch (error) {
            errors++;
            firstError ||= (error as Error).message;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }),
    );
    const used = process.cpuUsage(cpuFrom);
    const cpuPct = ((used.user + used.system) / 1e3 / (performance.now() - from)) * 100;
    const concurrent = { seconds: (lastEnd - from) / 1000, latencies, errors, firstError, cpuPct };

    // One at a time: up to SEQUENTIAL calls within SEQUENTIAL_SECONDS, but at least MIN_SEQUENTIAL.
    const seq: number[] = [];
    const seqStart = performance.now();
    while (seq.length < SEQUENTIAL && (seq.length < MIN_SEQUENTIAL || performance.now() - seqStart < SEQUENTIAL_SECONDS * 1000)) {
      const t0 = performance.now();
      await impl.recompute();
      seq.push(performance.now() - t0);
    }
    const sequential = { latencies: seq };
    process.stdout.write(`${JSON.stringify({ impl: args.impl, concurrent, sequential })}\n`);
  } finally {
    await impl.close();
  }
}

await main();
