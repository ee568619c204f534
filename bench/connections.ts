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
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { summariseProfile } from './cpuprofile-summary.ts';
import {
  summaryLines,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  cell,
  type Client,
  type Cpu,
  cpuMark,
  cpuSince,
  int,
  isFinishing,
  listEmployees,
  listFlag,
  login,
  machineFacts,
  ms,
  numberFlag,
  onCleanup,
  openSocket,
  percentile,
  progress,
  ratio,
  runMain,
  type ServerProcess,
  sleep,
  startPostgresHub,
} from './lib.ts';
import {
  cpuCell,
  disturbance,
  fdLimits,
  heapGrowth,
  type HeapSummary,
  Inspector,
  type Memory,
  openFds,
  openWs,
  procMemory,
  quietMemory,
  raiseFdLimit,
  SEEDED_PASSWORD,
  serviceIds,
  startWsServer,
} from './socket-lib.ts';

// ---------------------------------------------------------------------------------------------------------------
// Arguments

const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    sockets: { type: 'string', default: '10000' },
    wave: { type: 'string', default: '500' },
    tokens: { type: 'string', default: '20' },
    quiet: { type: 'string', default: '5' },
    'warmup-sockets': { type: 'string', default: '200' },
    employees: { type: 'string', default: '200' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    servers: { type: 'string', default: 'hub,sio,ws' },
    sio: { type: 'boolean', default: true },
    gc: { type: 'boolean', default: true },
    'heap-diff': { type: 'boolean', default: false },
    'heap-dir': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'node-args': { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.error(
    'npm run bench:connections -- [--sockets 10000] [--wave 500] [--tokens 20] [--quiet 5]  (minimum seconds before a memory reading)\n' +
      '                             [--warmup-sockets 200] [--employees 200] [--pg-url postgres://…/postgres] [--redis-url redis://…  ("" for none)]\n' +
      '                             [--servers hub,sio,ws]  (which rows: the hub, a bare Socket.IO server (what the framework alone costs), plain ws; --no-sio drops sio)\n' +
      '                             [--no-gc]  (no inspector in the servers: RSS after a quiet period instead of after full GCs)\n' +
      '                             [--heap-diff]  (heap snapshots before and at N/4 sockets: what grew per socket; inflates later RSS readings)\n' +
      '                             [--heap-dir DIR]  (with --heap-diff: also write the snapshots there, <server>-<sockets>.heapsnapshot, for Chrome DevTools)\n' +
      '                             [--cpu-prof DIR]  (a CPU profile of each server while it accepts the first N/4, through its inspector; summarised in the report)\n' +
      '                             [--node-args "…"]  (more Node flags for the server children)',
  );
  process.exit(0);
}
const SOCKETS = Math.floor(numberFlag('sockets', args.sockets, 1, 100_000));
const WAVE = Math.floor(numberFlag('wave', args.wave, 1, 5000));
const TOKENS = Math.floor(numberFlag('tokens', args.tokens, 1, 1000));
const QUIET_S = numberFlag('quiet', args.quiet, 1, 600);
const WARMUP_SOCKETS = Math.floor(numberFlag('warmup-sockets', args['warmup-sockets'], 0, 10_000));
const SEED_EMPLOYEES = Math.floor(numberFlag('employees', args.employees, 1, 100_000));
const PG_URL = new URL(args['pg-url']);
const REDIS_URL = args['redis-url'] || null;
const SERVERS = listFlag('servers', args.servers, ['hub', 'sio', 'ws'] as const).filter((s) => s !== 'sio' || args.sio);
const GC = args.gc;
const HEAP_DIFF = args['heap-diff'];
const HEAP_DIR = args['heap-dir'] ? resolve(args['heap-dir']) : null;
if (HEAP_DIR) mkdirSync(HEAP_DIR, { recursive: true });
const CPU_DIR = args['cpu-prof'] ? resolve(args['cpu-prof']) : null;
if (CPU_DIR && !GC) {
  console.error('--cpu-prof needs the inspector: drop --no-gc');
  process.exit(2);
}
if (CPU_DIR) mkdirSync(CPU_DIR, { recursive: true });
if (HEAP_DIFF && !GC) {
  console.error('--heap-diff needs the inspector: drop --no-gc');
  process.exit(2);
}
/**
 * The servers' Node flags: an inspector on loopback, on a free port, for the full GCs and snapshots. The forced GCs
 * age bytecode like idle time would, and V8 then flushes the accept path's bytecode between segments: recompiling it
 * made each connection cost 1.1 ms of server CPU instead of 0.8-0.9 (the memory per socket is the same either way).
 * So bytecode is kept (--no-flush-bytecode), and the CPU and accept numbers stay those of a server that was not
 * made to collect.
 */
const SERVER_NODE_ARGS = [...(GC ? ['--inspect=127.0.0.1:0', '--no-flush-bytecode'] : []), ...args['node-args'].split(/\s+/).filter(Boolean)];
const CONNECT_TIMEOUT_MS = 60_000;
/** Where the ramp pauses for a quiet memory reading, as shares of the sockets. */
const CHECKPOINTS = [0.25, 0.5, 0.75, 1];
/** Without the inspector (--no-gc), a reading is taken once RSS moved less than 512 KB over this many one-second samples. */
const STABLE_SAMPLES = 10;
/** With it, once RSS moved less than 512 KB over this many full-GC-then-read rounds, one second apart. */
const GC_STABLE_ROUNDS = 3;
/** A wave in which more than this share fails ends the ramp: the limit is reached. */
const STOP_FAILURE_SHARE = 0.5;

// ---------------------------------------------------------------------------------------------------------------
// One ramp: open N idle connections in waves, measuring each handshake, and the server's memory around it

type Closable = { close: () => void; connected: () => boolean };
type Opener = (index: number) => Promise<Closable>;

/** One memory reading: /proc (KiB) and, with the inspector, the child's own process.memoryUsage() after full GCs (KiB). */
type Reading = Memory & { heapUsedKb: number; heapTotalKb: number; externalKb: number; waitedMs: number; steady: boolean };
const NO_READING: Reading = { rssKb: NaN, anonKb: NaN, hwmKb: NaN, heapUsedKb: NaN, heapTotalKb: NaN, externalKb: NaN, waitedMs: 0, steady: false };
/** The memory fields a per-socket cost is computed for. */
const FIELDS = ['rssKb', 'anonKb', 'heapUsedKb', 'externalKb'] as const;
type Field = (typeof FIELDS)[number];
type PerSocket = Record<Field, { average: number; marginal: number }>;

type RampResult = {
  requested: number;
  target: number;
  connected: number;
  stillConnected: number;
  seconds: number;
  perSecond: number;
  handshake: { p50: number; p99: number; max: number };
  failures: number;
  failureReasons: string[];
  stoppedEarly: string | null;
  before: Reading;
  /** The readings at 1/4, 2/4, 3/4 and all of the sockets. */
  checkpoints: (Reading & { sockets: number })[];
  after: Reading;
  /**
   * KB per socket of each field: average = (after − before) ÷ sockets, everything the ramp added (one-time growth
   * included); marginal = the least-squares slope over the checkpoints, the cost of one more socket.
   */
  perSocket: PerSocket;
  /** With --heap-diff: what the heap holds more at the first checkpoint than before, per socket, and what dropping some references would free. */
  heap: (ReturnType<typeof heapGrowth> & { whatIf: (WhatIf & { bytes: number })[] }) | null;
  /** With --cpu-prof: the server's CPU profile while it accepted the first N/4. */
  cpuProfile: string | null;
  serverFds: number | null;
  benchRssMb: number;
  cpu: Cpu;
  loopDelayP99: number;
};

/**
 * References whose cost per socket --heap-diff measures in the snapshot with sockets open: the bytes of JS heap that
 * would no longer be reachable without them (HeapGraph.freedBy). The hub's own ones are 0 on the other servers.
 */
type WhatIf = { what: string; cuts: string };
const HUB_EVENTS = ['attendance:check', 'board:join', 'board:leave', 'assistant:ask'];
const WHAT_IFS: WhatIf[] = [
  {
    what: 'the first HTTP request of each connection, kept by engine.io (its Socket.request, and the WebSocketResponse that a close listener on the net.Socket keeps)',
    cuts: 'Socket.request+WebSocketResponse.req',
  },
  { what: 'the handshake object of the Socket.IO socket (headers, query, auth, time strings)', cuts: 'Socket[nsp].handshake' },
  { what: 'the token string in handshake.auth', cuts: 'Object.token' },
  {
    what: "the hub's four request listeners (registerHandlers: listener and handler closures, their contexts, a default `opts` object per listener, the two TokenBuckets, ctxFor)",
    cuts: HUB_EVENTS.map((e) => `Object[attendance:check].${e}`).join('+'),
  },
  { what: "the hub's two `disconnect` listeners (gauge.dec, clearTimeout of the token timer), not the timer itself", cuts: 'Object[attendance:check].disconnect' },
  { what: 'coalesceWrites (the `upgrade` listener kept on a websocket-only connection, the patch closure and the patched send)', cuts: 'Object.upgrade+WebSocket[socket].send' },
  { what: 'socket.data (the identity the auth middleware stores)', cuts: 'Socket[nsp].data' },
  { what: 'the prom-client label child kept for gauge.dec (each labels() call builds an object of five bound functions)', cuts: 'system / Context.gauge' },
  {
    what: "the token-expiry timer with the connection handler's closures: the two `disconnect` listeners and the gauge label child they hold",
    cuts: 'Timeout._idleNext+Timeout._idlePrev+TimersList._idleNext+TimersList._idlePrev+Object[attendance:check].disconnect',
  },
];

/** Least-squares slope of y over x. */
function slope(points: number[][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx > 0 ? points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx : NaN;
}

/** How the server process ended, or null while it runs. */
const exitOf = (server: ServerProcess) =>
  server.child.exitCode !== null ? `exited with code ${server.child.exitCode}` : server.child.signalCode !== null ? `was killed by ${server.child.signalCode}` : null;

/** Two CPU readings of `a` and `b` seconds as one, weighted by their durations. */
function weighCpu(x: Cpu | null, a: number, y: Cpu, b: number): Cpu {
  if (!x || a <= 0) return y;
  const mix = (p: number | null, q: number | null) => (p == null || q == null ? null : (p * a + q * b) / (a + b));
  return { hub: mix(x.hub, y.hub), bench: mix(x.bench, y.bench)!, postgres: mix(x.postgres, y.postgres)!, redis: mix(x.redis, y.redis)!, machine: mix(x.machine, y.machine) };
}

/**
 * Memory of the server after its sockets settled. With the inspector: full GCs, a second's pause (the sweeper hands
 * pages back), a reading; repeated until RSS moved less than 512 KB over the last rounds (and --quiet passed). Without
 * it: the lowest RSS of a quiet period.
 */
async function readMemory(server: ServerProcess, inspector: Inspector | null): Promise<Reading> {
  const started = performance.now();
  if (!inspector) {
    const m = await quietMemory(server.pid, { minMs: QUIET_S * 1000, maxMs: 90_000, stableSamples: STABLE_SAMPLES, extraMs: 10_000 });
    return { ...m, heapUsedKb: NaN, heapTotalKb: NaN, externalKb: NaN };
  }
  const rounds: Reading[] = [];
  for (;;) {
    await inspector.collectGarbage();
    await sleep(1000);
    const usage = await inspector.memoryUsage();
    const m = procMemory(server.pid);
    if (!m) throw new Error(`process ${server.pid} is gone`);
    const waitedMs = performance.now() - started;
    const last = [...rounds.slice(-(GC_STABLE_ROUNDS - 1)), { ...m } as Reading];
    const steady = last.length === GC_STABLE_ROUNDS && Math.max(...last.map((r) => r.rssKb)) - Math.min(...last.map((r) => r.rssKb)) <= 512;
    rounds.push({ ...m, heapUsedKb: usage.heapUsed / 1024, heapTotalKb: usage.heapTotal / 1024, externalKb: usage.external / 1024, waitedMs, steady });
    if ((steady && waitedMs >= QUIET_S * 1000) || waitedMs > 90_000) return rounds[rounds.length - 1];
  }
}

const describe = (r: Reading) =>
  `RSS ${int(r.rssKb)} KB, RssAnon ${int(r.anonKb)} KB${Number.isFinite(r.heapUsedKb) ? `, JS heap used ${int(r.heapUsedKb)} KB, external ${int(r.externalKb)} KB` : ''}${r.steady ? '' : ' (not steady)'}`;

async function ramp(label: string, server: ServerProcess, target: number, open: Opener): Promise<RampResult> {
  const inspector = GC ? await connectInspector(label, server) : null;
  const held: Closable[] = [];
  const closeAll = onCleanup(`${label} sockets`, async () => {
    for (const s of held) s.close();
    held.length = 0;
  });
  try {
    // Warm-up: one wave opened and closed, so code paths, pools and caches the first connections create are not
    // counted as per-socket memory.
    if (WARMUP_SOCKETS > 0) {
      progress(`${label}: warm-up: opening and closing ${WARMUP_SOCKETS} connections`);
      const warm = await Promise.allSettled(Array.from({ length: WARMUP_SOCKETS }, (_, i) => open(i)));
      for (const r of warm) if (r.status === 'fulfilled') r.value.close();
      const failed = warm.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      if (failed.length) progress(`${label}: ${failed.length} warm-up connections failed; the first: ${failed[0].reason?.message ?? failed[0].reason}`);
    }
    progress(`${label}: ${inspector ? 'full GCs until RSS is steady' : `waiting for a quiet server (RSS steady for ${STABLE_SAMPLES} s after at least ${QUIET_S} s, then 10 s more)`}`);
    const before = await readMemory(server, inspector);
    progress(`${label}: before: ${describe(before)}`);
    let heapBefore: HeapSummary | null = null;
    if (inspector && HEAP_DIFF) {
      progress(`${label}: heap snapshot before`);
      heapBefore = (await inspector.heapSnapshot(snapshotFile(label, 0))).summary();
    }
    let heap: RampResult['heap'] = null;
    let cpuProfile: string | null = null;

    const handshakes: number[] = [];
    const reasons = new Map<string, number>();
    let failures = 0;
    let stoppedEarly: string | null = null;
    // One histogram per segment (one disabled over a quiet period would count that period as a delay); the worst p99.
    let loopDelayP99 = NaN;
    let seconds = 0;
    let cpuWeighted: Cpu | null = null;
    let lastReport = performance.now();
    const stops = [...new Set(CHECKPOINTS.map((f) => Math.ceil(target * f)))].filter((n) => n > 0);
    const checkpoints: RampResult['checkpoints'] = [];
    let after: Reading = { ...before };
    // Segments 0 → N/4 → N/2 → 3N/4 → N, each followed by a quiet reading: the slope over the readings is the marginal
    // cost of a socket, without the one-time growth of the first segment, and steadier than any two readings.
    for (const [k, to] of stops.entries()) {
      const from = k ? stops[k - 1] : 0;
      if (to <= from || stoppedEarly || isFinishing()) continue;
      const segmentDelay = monitorEventLoopDelay({ resolution: 10 });
      segmentDelay.enable();
      const profiling = Boolean(inspector && CPU_DIR && k === 0);
      if (profiling) {
        await inspector!.send('Profiler.enable');
        await inspector!.send('Profiler.start');
      }
      const mark = cpuMark(server.pid);
      const started = performance.now();
      for (let i = from; i < to && !isFinishing(); i += WAVE) {
        const size = Math.min(WAVE, to - i);
        const results = await Promise.allSettled(
          Array.from({ length: size }, async (_, k) => {
            const t0 = performance.now();
            const socket = await open(i + k);
            handshakes.push(performance.now() - t0);
            held.push(socket);
          }),
        );
        const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
        failures += failed.length;
        for (const f of failed) {
          const reason = String(f.reason?.message ?? f.reason).split('\n')[0].slice(0, 200);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
        if (performance.now() - lastReport > 2000 || i + size >= to) {
          lastReport = performance.now();
          progress(`${label}: ${int(held.length)} / ${int(target)} connected (${int(failures)} failed), server fds ${openFds(server.pid) ?? '?'}`);
        }
        const gone = exitOf(server);
        if (gone) {
          stoppedEarly = `the server process ${gone}`;
          progress(`${label}: stopping the ramp: ${stoppedEarly}`);
          break;
        }
        if (failed.length > STOP_FAILURE_SHARE * size) {
          stoppedEarly = `a wave of ${size} had ${failed.length} failures (${[...reasons.keys()].slice(0, 2).join('; ')})`;
          progress(`${label}: stopping the ramp: ${stoppedEarly}`);
          break;
        }
      }
      const secs = (performance.now() - started) / 1000;
      segmentDelay.disable();
      if (profiling) {
        const { profile } = await inspector!.send<{ profile: unknown }>('Profiler.stop');
        await inspector!.send('Profiler.disable');
        cpuProfile = join(CPU_DIR!, `${label.replace(/\W+/g, '-')}-accept.cpuprofile`);
        writeFileSync(cpuProfile, JSON.stringify(profile));
        progress(`${label}: CPU profile of accepting ${int(to - from)} connections in ${cpuProfile}`);
      }
      if (segmentDelay.count) loopDelayP99 = Math.max(Number.isFinite(loopDelayP99) ? loopDelayP99 : 0, segmentDelay.percentile(99) / 1e6);
      cpuWeighted = weighCpu(cpuWeighted, seconds, cpuSince(mark, server.pid), secs);
      seconds += secs;
      progress(`${label}: ${int(held.length)} connected after ${seconds.toFixed(1)} s of connecting; reading memory`);
      if (exitOf(server)) {
        after = NO_READING;
        break;
      }
      // Let the last handshakes and their log lines finish before the collections.
      await sleep(2000);
      const reading = await readMemory(server, inspector);
      progress(`${label}: with ${int(held.length)} sockets: ${describe(reading)}`);
      checkpoints.push({ ...reading, sockets: held.length });
      after = reading;
      if (inspector && heapBefore && !heap && held.length) {
        progress(`${label}: heap snapshot with ${int(held.length)} sockets`);
        const graph = await inspector.heapSnapshot(snapshotFile(label, held.length));
        heap = { ...heapGrowth(heapBefore, graph.summary(), held.length), whatIf: WHAT_IFS.map((w) => ({ ...w, bytes: graph.freedBy(w.cuts) / held.length })) };
        heapBefore = null;
      }
    }
    const connected = held.length;
    const stillConnected = held.filter((s) => s.connected()).length;
    if (stillConnected < connected) progress(`${label}: only ${int(stillConnected)} of ${int(connected)} still connected`);
    const sorted = Float64Array.from(handshakes).sort();
    const perSocket = Object.fromEntries(
      FIELDS.map((f) => [
        f,
        {
          average: connected ? (after[f] - before[f]) / connected : NaN,
          marginal: checkpoints.length >= 2 ? slope(checkpoints.map((c) => [c.sockets, c[f]])) : NaN,
        },
      ]),
    ) as PerSocket;
    return {
      requested: SOCKETS,
      target,
      connected,
      stillConnected,
      seconds,
      perSecond: connected / seconds,
      handshake: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : NaN },
      failures,
      failureReasons: [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n}× ${r}`),
      stoppedEarly,
      before,
      checkpoints,
      after,
      perSocket,
      heap,
      cpuProfile,
      serverFds: openFds(server.pid),
      benchRssMb: (procMemory(process.pid)?.rssKb ?? NaN) / 1024,
      cpu: cpuWeighted!,
      loopDelayP99,
    };
  } finally {
    progress(`${label}: closing ${int(held.length)} connections`);
    await closeAll();
    inspector?.close();
    // Let the server see the closes before it is stopped or the next ramp starts.
    await sleep(2000);
  }
}

const snapshotFile = (label: string, sockets: number) => (HEAP_DIR ? join(HEAP_DIR, `${label.replace(/\W+/g, '-')}-${sockets}.heapsnapshot`) : undefined);

async function connectInspector(label: string, server: ServerProcess): Promise<Inspector> {
  if (!server.inspectorUrl) throw new Error(`${label}: the server printed no inspector URL (started without --inspect?)`);
  return Inspector.connect(server.inspectorUrl);
}

// ---------------------------------------------------------------------------------------------------------------
// The hub and the plain ws server

type HubResult = RampResult & { tokens: string; disturbed: string | null };

async function runHub(target: number): Promise<HubResult> {
  const label = 'hub';
  const started = await startPostgresHub(label, { pgUrl: PG_URL, redisUrl: REDIS_URL, employees: SEED_EMPLOYEES, days: 1, nodeArgs: SERVER_NODE_ARGS });
  try {
    const base = started.hub.url;
    const adminToken = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    const tokens = [adminToken];
    const kinds = new Map<string, number>([['admin', 1]]);
    const people = (await listEmployees(base, adminToken)).filter((e) => e.active && e.email !== ADMIN_EMAIL).sort((a, b) => a.employee_id - b.employee_id);
    for (const e of people) {
      if (tokens.length >= TOKENS) break;
      try {
        tokens.push(await login(base, e.email, SEEDED_PASSWORD));
        kinds.set(e.access, (kinds.get(e.access) ?? 0) + 1);
      } catch (error) {
        progress(`${label}: could not sign in as ${e.email}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    const tokenText = `${tokens.length} user tokens (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}) in turn`;
    progress(`${label}: ${tokenText}; hub open-files limit ${fdLimits(started.hub.pid)?.soft ?? '?'}`);
    const open: Opener = async (i) => {
      const socket: Client = await openSocket(base, tokens[i % tokens.length], CONNECT_TIMEOUT_MS);
      return { close: () => socket.close(), connected: () => socket.connected };
    };
    const ids = await serviceIds(PG_URL, REDIS_URL);
    const result = await ramp(label, started.hub, target, open);
    const disturbed = disturbance(ids, await serviceIds(PG_URL, REDIS_URL));
    if (disturbed) progress(`${label}: ${disturbed}`);
    if (started.hub.errorLines.length) progress(`${label}: the hub logged ${started.hub.errorLines.length} errors; the first: ${started.hub.errorLines[0].slice(0, 1000)}`);
    return { ...result, tokens: tokenText, disturbed };
  } finally {
    await started.stop();
  }
}

/** The bare Socket.IO server of bench/ws-server.ts (no auth, no handlers, no adapter), with socket.io-client clients. */
async function runSio(target: number): Promise<RampResult> {
  const label = 'bare Socket.IO';
  const server = await startWsServer(`${label} server`, ['--mode', 'sio-idle'], { nodeArgs: SERVER_NODE_ARGS });
  progress(`${label}: server ready on port ${server.port} (pid ${server.pid})`);
  try {
    return await ramp(label, server, target, async () => {
      const socket = await openSocket(server.url, 'unused', CONNECT_TIMEOUT_MS);
      return { close: () => socket.close(), connected: () => socket.connected };
    });
  } finally {
    progress(`${label}: stopping the server`);
    await server.stop();
  }
}

async function runWs(target: number): Promise<RampResult> {
  const label = 'plain ws';
  const server = await startWsServer(`${label} server`, ['--mode', 'idle'], { nodeArgs: SERVER_NODE_ARGS });
  progress(`${label}: server ready on port ${server.port} (pid ${server.pid}); open-files limit ${fdLimits(server.pid)?.soft ?? '?'}`);
  try {
    const url = `ws://127.0.0.1:${server.port}/idle`;
    return await ramp(label, server, target, async () => {
      const ws = await openWs(url, CONNECT_TIMEOUT_MS);
      return { close: () => ws.close(), connected: () => ws.readyState === WebSocket.OPEN };
    });
  } finally {
    progress(`${label}: stopping the server`);
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The report

/** The server's CPU time per accepted connection while connecting, in ms (robust to other work on the machine). */
const cpuPerConnection = (r: RampResult) => (r.cpu.hub != null && r.connected > 0 ? ((r.cpu.hub / 100) * r.seconds * 1000) / r.connected : NaN);

type Row = { key: 'hub' | 'sio' | 'ws'; result: RampResult | HubResult | Error };
const NAMES = {
  hub: 'Check-in Hub (Socket.IO, PostgreSQL + Redis)',
  sio: 'bare Socket.IO server (framework only: no auth, no handlers, no Redis)',
  ws: 'plain `ws` server (baseline)',
};
const kb = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');

function report(factLines: string[], rows: Row[], limitText: string, target: number) {
  const out: string[] = [];
  out.push('## Check-in Hub idle connections benchmark', '', ...factLines, `- open files: ${limitText}`, '');
  out.push(
    `Run: ${int(SOCKETS)} idle connections requested${target < SOCKETS ? ` (capped at ${int(target)} by the open-files limit)` : ''}, opened ${WAVE} at a time (a wave settles before the next), websocket transport only, 127.0.0.1 only. ` +
      `Handshake = from creating the client to its \`connect\` (Socket.IO: TCP + upgrade + engine.io open + the auth middleware's token check + namespace connect) or \`open\` (ws), in ms; it includes the wait behind the rest of its wave. ` +
      `Server CPU per connection = the server process's CPU time while connecting ÷ connections (hardly depends on how busy the machine is, unlike the rates). ` +
      (GC
        ? `Memory after full garbage collections in the server (through its inspector, repeated until RSS moved less than 512 KB over ${GC_STABLE_ROUNDS} rounds a second apart, at least ${QUIET_S} s): JS heap used and external memory from process.memoryUsage() in the server, RSS and RssAnon (its anonymous part: V8 heap + malloc) from /proc/<pid>/status; `
        : `Memory from /proc/<server pid>/status (VmRSS; RssAnon = its anonymous part, V8 heap + malloc), each reading the lowest of a quiet period (RSS within 512 KB for ${STABLE_SAMPLES} s after at least ${QUIET_S} s, then 10 s more; no forced GC, so garbage not yet collected counts); `) +
      `before (after a warm-up wave of ${WARMUP_SOCKETS} was opened and closed), then at N/4, N/2, 3N/4 and N sockets. Average = (N − before) ÷ N; marginal = the least-squares slope over the four readings with sockets open, the cost of one more socket once the heap has grown. ` +
      `Ratios in () are against the plain ws server of the same run.`,
    '',
  );
  out.push(
    '| server | connected / requested | accept time s | connections/s | handshake p50 | handshake p99 | max | server CPU ms per connection | **KB per socket: RSS** average / marginal | RssAnon average / marginal | JS heap used average / marginal | external average / marginal | RSS before → N/4 → N/2 → 3N/4 → N, MB | CPU while connecting |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const wsRow = rows.find((r) => r.key === 'ws')?.result;
  const base = wsRow && !(wsRow instanceof Error) ? wsRow : null;
  for (const { key, result: r } of rows) {
    const name = NAMES[key];
    if (r instanceof Error) {
      out.push(`| ${name} | failed: ${cell(r.message.split('\n')[0])} | | | | | | | | | | | | |`);
      continue;
    }
    const vs = (a: number, b: number | undefined) => (base && key !== 'ws' ? ` (${ratio(a, b ?? NaN)})` : '');
    const pair = (f: Field) => `${kb(r.perSocket[f].average)} / ${kb(r.perSocket[f].marginal)}${vs(r.perSocket[f].average, base?.perSocket[f].average)}`;
    const mb = (n: number) => (Number.isFinite(n) ? (n / 1024).toFixed(1) : '—');
    out.push(
      `| ${name} | ${int(r.connected)} / ${int(r.requested)}${r.stillConnected < r.connected ? ` (${int(r.stillConnected)} still open at the end)` : ''} | ${r.seconds.toFixed(1)} | ${int(r.perSecond)}${vs(r.perSecond, base?.perSecond)} | ` +
        `${ms(r.handshake.p50)} | ${ms(r.handshake.p99)}${vs(r.handshake.p99, base?.handshake.p99)} | ${ms(r.handshake.max)} | ` +
        `${ms(cpuPerConnection(r))}${base ? vs(cpuPerConnection(r), cpuPerConnection(base)) : ''} | **${pair('rssKb')}** | ${pair('anonKb')} | ${pair('heapUsedKb')} | ${pair('externalKb')} | ` +
        `${[r.before, ...r.checkpoints].map((m) => mb(m.rssKb)).join(' → ')} | ${cpuCell(r.cpu)} |`,
    );
  }
  out.push('', 'Verdict (target: under 30 KB per idle socket):');
  const hubRow = rows.find((r) => r.key === 'hub')?.result;
  const sioRow = rows.find((r) => r.key === 'sio')?.result;
  const sio = sioRow && !(sioRow instanceof Error) ? sioRow : null;
  if (!hubRow) out.push('- no verdict: the hub was not run (--servers).');
  else if (hubRow instanceof Error) out.push('- no verdict: the hub run failed.');
  else {
    const hub = hubRow as HubResult;
    const rss = hub.perSocket.rssKb;
    const heap = hub.perSocket.heapUsedKb;
    out.push(
      `- hub: ${kb(rss.average)} KB RSS per idle socket on average (${rss.average < 30 ? 'under' : 'NOT under'} 30 KB), ${kb(rss.marginal)} KB marginal` +
        (Number.isFinite(heap.average) ? `; of which JS heap ${kb(heap.average)} KB (${kb(heap.marginal)} marginal) and external ${kb(hub.perSocket.externalKb.average)} KB` : '') +
        (base ? `; ${ratio(rss.average, base.perSocket.rssKb.average)} the plain ws server's ${kb(base.perSocket.rssKb.average)} KB; accepts at ${ratio(hub.perSecond, base.perSecond)} the plain ws rate, ${ratio(cpuPerConnection(hub), cpuPerConnection(base))} its CPU per connection` : '') +
        (sio
          ? `; the bare Socket.IO server takes ${kb(sio.perSocket.rssKb.average)} KB RSS${Number.isFinite(sio.perSocket.heapUsedKb.average) ? ` (${kb(sio.perSocket.heapUsedKb.average)} KB JS heap)` : ''}, so about ${kb(rss.average - sio.perSocket.rssKb.average)} KB RSS${Number.isFinite(heap.average) ? ` and ${kb(heap.average - sio.perSocket.heapUsedKb.average)} KB of JS heap` : ''} per socket are the hub's own (auth identity, handlers, rate-limit buckets, token timer, rooms, connection-state recovery, Redis streams adapter)`
          : '') +
        `${hub.disturbed ? ` (**caution**: ${hub.disturbed})` : ''}; ${int(hub.connected)} of ${int(hub.requested)} sockets reached${hub.stoppedEarly ? ` (stopped: ${hub.stoppedEarly})` : hub.connected < hub.requested ? ` (${int(hub.failures)} failed: ${hub.failureReasons.slice(0, 3).join('; ')})` : ''}.`,
    );
  }
  for (const { key, result: r } of rows) {
    if (r instanceof Error || !r.heap) continue;
    const at = r.checkpoints[0]?.sockets ?? 0;
    out.push(
      '',
      `What grew in the JS heap of the ${NAMES[key]} per socket, from a heap snapshot before and one with ${int(at)} sockets (self sizes; "A ← B.c" = an A first held by property c of a B): ` +
        `${kb(r.heap.perSocket / 1024)} KB and ${r.heap.objectsPerSocket.toFixed(0)} objects per socket in all.`,
      '',
      '| kind of object | per socket | bytes per socket |',
      '|---|---:|---:|',
      ...r.heap.rows.slice(0, 30).map((g) => `| ${cell(g.key.slice(0, 160))} | ${g.count.toFixed(2)} | ${int(g.bytes)} |`),
      '',
      `What the JS heap of the ${NAMES[key]} would lose per socket without these references (bytes no longer reachable in the snapshot with ${int(at)} sockets):`,
      '',
      '| without | bytes per socket |',
      '|---|---:|',
      ...r.heap.whatIf.filter((w) => w.bytes >= 1).map((w) => `| ${cell(w.what)} | ${int(w.bytes)} |`),
    );
  }
  for (const { key, result: r } of rows) {
    if (r instanceof Error || !r.cpuProfile) continue;
    out.push('', `Where the ${NAMES[key]} spent its CPU while accepting the first N/4 (${r.cpuProfile}):`, '', '```', ...summariseProfile(r.cpuProfile, { top: 20 }), '```');
  }
  out.push('', 'Notes:');
  for (const { key, result: r } of rows) {
    const name = NAMES[key];
    if (r instanceof Error) {
      out.push(`- ${name}: failed: ${cell(r.message.split('\n').slice(0, 3).join(' '))}`);
      continue;
    }
    const waits = [r.before, ...r.checkpoints].map((m) => `${(m.waitedMs / 1000).toFixed(0)} s${m.steady ? '' : ' (not steady)'}`);
    const series = (f: Field) => [r.before, ...r.checkpoints].map((m) => (m[f] / 1024).toFixed(1)).join(' → ');
    out.push(
      `- ${name}: ${'tokens' in r ? `${r.tokens}; ` : ''}failures ${int(r.failures)}${r.failureReasons.length ? ` (${r.failureReasons.slice(0, 3).join('; ')})` : ''}; ` +
        `server fds at the end ${r.serverFds ?? '?'}; RssAnon ${series('anonKb')} MB${GC ? `; JS heap used ${series('heapUsedKb')} MB; external ${series('externalKb')} MB` : ''}; ` +
        `peak RSS ${(r.after.hwmKb / 1024).toFixed(1)} MB; reading waits ${waits.join(' / ')}; ` +
        `this process's RSS with every client open ${r.benchRssMb.toFixed(0)} MB; its event-loop delay p99 while connecting (worst segment) ${ms(r.loopDelayP99)} ms.`,
    );
  }
  out.push(
    '- RSS per socket counts everything the server keeps per connection (kernel socket buffers are not in RSS): for the hub, the engine.io and Socket.IO sockets, the `ws` connection and its net.Socket, the handshake (request headers, auth), the first HTTP request (engine.io keeps it), handler closures and rate-limit buckets, the token-expiry timer, rooms, the connection-state-recovery id; heap grown for the connection burst and not given back counts too (that is the gap between average and marginal). ' +
      (GC
        ? 'The readings follow full GCs, so garbage does not count: a server under load carries garbage on top (without forced GCs, runs of this script saw the same hub move by 100 MB within one quiet period). The inspector costs each server the same constant memory, which the per-socket figures subtract out.'
        : 'No GC was forced (--no-gc): a reading depends on when V8 last collected (runs of this script saw a hub with 10,000 idle sockets go from 501 to 387 MB within one quiet period). Treat the KB per socket as ± several KB.'),
    '- Node raises its own soft open-files limit to the hard limit at start, and children inherit it; the hard limit can only be raised with CAP_SYS_RESOURCE outside a container that forbids it. The heartbeat keeps running (Socket.IO pings every 25 s; the plain ws server sends nothing). Every client lives in this one Node process.',
  );
  if (hubRow && !(hubRow instanceof Error)) {
    const h = hubRow as HubResult;
    out.push(
      '',
      ...summaryLines([
        {
          benchmark: `idle authenticated sockets, ${int(h.connected)} connected`,
          hub: `${kb(h.perSocket.rssKb.average)} KB RSS per socket (JS heap ${kb(h.perSocket.heapUsedKb.average)} KB); accepted in ${h.seconds.toFixed(1)} s (${int(h.perSecond)}/s)`,
          baseline: base ? `plain ws: ${kb(base.perSocket.rssKb.average)} KB; ${base.seconds.toFixed(1)} s` : '—',
          ratio: `${base ? `${ratio(h.perSocket.rssKb.average, base.perSocket.rssKb.average)} memory; ` : ''}target < 30 KB ${h.perSocket.rssKb.average < 30 ? '✓' : '✗'}`,
        },
      ]),
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main: bounded overall, cleans up on every path

const budgetMs = (900 + SERVERS.length * (Math.ceil(SOCKETS / WAVE) * (CONNECT_TIMEOUT_MS / 1000 + 5) + 300)) * 1000;
await runMain(budgetMs, async () => {
  let ok = true;
  // Here: one fd per client socket (and a few of our own); in the server, one per accepted socket.
  const margin = 256;
  const limits = raiseFdLimit(SOCKETS + margin);
  const limitText = limits ? `soft ${limits.soft}, hard ${limits.hard} (this process; the servers inherit it)` : 'unknown';
  let target = SOCKETS;
  if (limits && Number.isFinite(limits.soft) && limits.soft < SOCKETS + margin) {
    target = Math.max(1, limits.soft - margin);
    progress(`the open-files limit (${limits.soft}, hard ${limits.hard}) cannot hold ${SOCKETS} sockets in one process: opening ${target}`);
  }
  const factLines = await machineFacts(PG_URL, REDIS_URL);
  progress(`${os.availableParallelism()} cores, Node ${process.version}; the servers, PostgreSQL, Redis and this load generator share them; ${limitText}`);

  const runs = { hub: runHub, sio: runSio, ws: runWs };
  const rows: Row[] = [];
  for (const key of SERVERS) {
    if (isFinishing()) break;
    try {
      rows.push({ key, result: await runs[key](target) });
    } catch (error) {
      ok = false;
      rows.push({ key, result: error as Error });
      progress(`${NAMES[key]} failed: ${(error as Error).stack ?? error}`);
    }
  }
  if (!isFinishing()) process.stdout.write(`${report(factLines, rows, limitText, target)}\n`);
  return ok;
});
