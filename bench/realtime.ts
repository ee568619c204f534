// npm run bench:realtime [-- --seconds 10 --warmup 2 --kiosks 50 --watchers 20 --modes embedded,postgres]
//
// Realtime punch throughput and broadcast latency of the hub, next to PostgreSQL's own single-row INSERT rate:
//   1. pgbench: single-row INSERT transactions/s in a scratch database (dropped afterwards);
//   2. embedded: the hub as a child process on a fresh PGlite DATA_DIR with the demo organisation;
//   3. postgres: the hub as a child process on a fresh scratch PostgreSQL database (seeded with db:seed, dropped
//      afterwards) and Redis (unique key prefix, deleted afterwards).
// In each hub mode, N kiosks (own device token, websocket transport) punch their own disjoint set of badges, first in
// a closed loop (one punch in flight per kiosk, each ack awaited: the most the hub sustains), then open loop at each
// --rates value (punches sent on schedule whatever the acks, latency from the scheduled moment); M admin sockets
// watch one team's board each (round robin) and time each `attendance:changed` against the punch's emit.
// Flags in bench/realtime/options.ts; one hub run in measure.ts (its clients in clients.ts, the hub's /metrics readings
// in metrics.ts); the baseline in pgbench.ts; the table in report.ts.
// Progress goes to stderr; the result (machine facts, one Markdown table, notes) to stdout.
// Not a test: it measures, it does not assert.
import os from 'node:os';
import { defineBenchmark, isFinishing, progress } from '../harness/index.ts';
import { type RunResult, runHub } from './realtime/measure.ts';
import { budgetMs, type Mode, MODES, PG_URL, REDIS_URL } from './realtime/options.ts';
import { runPgbench } from './realtime/pgbench.ts';
import { report } from './realtime/report.ts';

await defineBenchmark({
  budgetMs,
  services: { pgUrl: PG_URL, redisUrl: REDIS_URL },
  main: async ({ facts, part }) => {
    progress(`${os.availableParallelism()} cores, Node ${process.version}; the hub and the load generator share them`);
    const pgb = await part('pgbench', runPgbench);
    // A failed mode keeps its row (with its error) and the next one still runs.
    const results = new Map<Mode, RunResult | Error>();
    for (const mode of MODES) {
      if (isFinishing()) break;
      results.set(mode, await part(mode, () => runHub(mode)));
    }
    return report(facts, pgb, results);
  },
});
