// npm run bench:connections [-- --sockets 10000 --wave 500 --tokens 20 --quiet 5 --servers hub,sio,ws --heap-diff]
//
// Idle connections: how fast one hub process accepts N authenticated Socket.IO connections (websocket transport only,
// `auth: { token }` checked in the handshake), and how much memory each idle socket costs it.
//   - The hub runs as a child process on a scratch PostgreSQL database seeded small (db:seed, dropped afterwards) and
//     Redis (unique key prefix, deleted afterwards).
//   - This process opens the sockets in waves of --wave at a time (each wave settles before the next: no SYN flood),
//     on loopback only, with --tokens different user tokens (the admin and seeded employees) in turn.
//   - Memory: each server child runs with --inspect=127.0.0.1:0 --no-flush-bytecode (the benchmark's children only;
//     the hub's code is unchanged). Before each reading this process asks the child's inspector for full garbage collections
//     (HeapProfiler.collectGarbage), repeated until RSS is steady, then reads process.memoryUsage() in the child (JS
//     heap used, external memory) and /proc/<pid>/status (VmRSS, RssAnon). So a reading is what the sockets retain,
//     not how much garbage V8 had left at that moment. Readings: after a warm-up wave was opened and closed, then with
//     N/4, N/2, 3N/4 and N sockets open. KB per socket: average = (N − before) ÷ N; marginal = the slope over the
//     four readings with sockets open. Target: under 30 KB RSS. --no-gc reads RSS after a quiet period instead
//     (no inspector; the old way: GC timing then moves a reading by tens of MB).
//   - --heap-diff: a heap snapshot of the child (through the same inspector) before and at N/4 sockets, and the
//     kinds of object that grew, per socket (count and bytes). A snapshot leaves V8's object-id map behind (native
//     memory), so the RSS of later readings in such a run is inflated: take the headline numbers from a run without it.
// Baseline, in the same run and layout: the same number of idle connections from plain `ws` clients to a plain `ws`
// server child process (bench/ws-server.ts --mode idle): KB per connection and accept rate, and the hub's ÷ ws ratios.
// Between the two: socket.io-client clients to a bare Socket.IO server (--mode sio-idle), to tell the framework's own
// cost per socket from the hub's.
// Progress on stderr; the result (machine facts, one Markdown table, notes) on stdout. It measures, it does not assert.
import os from 'node:os';
import { defineBenchmark, isFinishing, progress, raiseFdLimit } from '../harness/index.ts';
import { budgetMs, PG_URL, REDIS_URL, SERVERS, SOCKETS } from './connections/options.ts';
import { report, type Row } from './connections/report.ts';
import { NAMES, RUNS } from './connections/servers.ts';

await defineBenchmark({
  budgetMs,
  services: { pgUrl: PG_URL, redisUrl: REDIS_URL },
  main: async ({ facts, part }) => {
    // Here: one fd per client socket (and a few of our own); in the server, one per accepted socket.
    const margin = 256;
    const limits = raiseFdLimit(SOCKETS + margin);
    const limitText = limits ? `soft ${limits.soft}, hard ${limits.hard} (this process; the servers inherit it)` : 'unknown';
    let target = SOCKETS;
    if (limits && Number.isFinite(limits.soft) && limits.soft < SOCKETS + margin) {
      target = Math.max(1, limits.soft - margin);
      progress(`the open-files limit (${limits.soft}, hard ${limits.hard}) cannot hold ${SOCKETS} sockets in one process: opening ${target}`);
    }
    progress(`${os.availableParallelism()} cores, Node ${process.version}; the servers, PostgreSQL, Redis and this load generator share them; ${limitText}`);

    const rows: Row[] = [];
    for (const key of SERVERS) {
      if (isFinishing()) break;
      rows.push({ key, result: await part(NAMES[key], () => RUNS[key](target)) });
    }
    return report(facts, rows, limitText, target);
  },
});
