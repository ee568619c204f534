// npm run bench:connections [-- --sockets 10000 --wave 500 --tokens 20 --quiet 20]
//
// Idle connections: how fast one hub process accepts N authenticated Socket.IO connections (websocket transport only,
// `auth: { token }` checked in the handshake), and how much memory each idle socket costs it.
//   - The hub runs as a child process on a scratch PostgreSQL database seeded small (db:seed, dropped afterwards) and
//     Redis (unique key prefix, deleted afterwards).
//   - This process opens the sockets in waves of --wave at a time (each wave settles before the next: no SYN flood),
//     on loopback only, with --tokens different user tokens (the admin and seeded employees) in turn.
//   - Memory from /proc/<pid>/status only (VmRSS, RssAnon), never from inside the server: read after a warm-up wave was
//     opened and closed and the process went quiet (RSS steady), then with N/4, N/2, 3N/4 and N sockets open, each time
//     after a quiet period. KB per socket: average = (N − before) ÷ N; marginal = the slope over the four readings with
//     sockets open. Target: under 30 KB.
// Baseline, in the same run and layout: the same number of idle connections from plain `ws` clients to a plain `ws`
// server child process (bench/ws-server.ts --mode idle): KB per connection and accept rate, and the hub's ÷ ws ratios.
// Between the two (--no-sio to skip): socket.io-client clients to a bare Socket.IO server (--mode sio-idle), to tell
// the framework's own cost per socket from the hub's.
// Progress on stderr; the result (machine facts, one Markdown table, notes) on stdout. It measures, it does not assert.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import {
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
  options: {
    sockets: { type: 'string', default: '10000' },
    wave: { type: 'string', default: '500' },
    tokens: { type: 'string', default: '20' },
    quiet: { type: 'string', default: '20' },
    'warmup-sockets': { type: 'string', default: '200' },
    employees: { type: 'string', default: '200' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'no-sio': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.error(
    'npm run bench:connections -- [--sockets 10000] [--wave 500] [--tokens 20] [--quiet 20]  (minimum quiet seconds before a memory reading)\n' +
      '                             [--warmup-sockets 200] [--employees 200] [--pg-url postgres://…/postgres] [--redis-url redis://…  ("" for none)]\n' +
      '                             [--no-sio]  (skip the middle row: a bare Socket.IO server, what the framework alone costs)',
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
const CONNECT_TIMEOUT_MS = 60_000;
/** Where the ramp pauses for a quiet memory reading, as shares of the sockets. */
const CHECKPOINTS = [0.25, 0.5, 0.75, 1];
/** A memory reading is taken once RSS moved less than 512 KB over this many one-second samples (and --quiet passed). */
const STABLE_SAMPLES = 10;
/** A wave in which more than this share fails ends the ramp: the limit is reached. */
const STOP_FAILURE_SHARE = 0.5;

// ---------------------------------------------------------------------------------------------------------------
// One ramp: open N idle connections in waves, measuring each handshake, and the server's memory around it

type Closable = { close: () => void; connected: () => boolean };
type Opener = (index: number) => Promise<Closable>;

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
  before: Memory & { waitedMs: number; steady: boolean };
  /** The quiet readings at 1/4, 2/4, 3/4 and all of the sockets. */
  checkpoints: (Memory & { waitedMs: number; steady: boolean; sockets: number })[];
  after: Memory & { waitedMs: number; steady: boolean };
  /** (after − before) ÷ sockets: everything the ramp added, one-time growth included. */
  kbPerSocketRss: number;
  kbPerSocketAnon: number;
  /** The least-squares slope of memory over the checkpoints: the cost of one more socket, one-time growth left out. */
  marginalKbRss: number;
  marginalKbAnon: number;
  serverFds: number | null;
  benchRssMb: number;
  cpu: Cpu;
  loopDelayP99: number;
};

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

async function ramp(label: string, server: ServerProcess, target: number, open: Opener): Promise<RampResult> {
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
    progress(`${label}: waiting for a quiet server (RSS steady for ${STABLE_SAMPLES} s after at least ${QUIET_S} s, then 10 s more)`);
    const before = await quietMemory(server.pid, { minMs: QUIET_S * 1000, maxMs: 90_000, stableSamples: STABLE_SAMPLES, extraMs: 10_000 });
    progress(`${label}: before: RSS ${int(before.rssKb)} KB, RssAnon ${int(before.anonKb)} KB${before.steady ? '' : ' (not steady)'}`);

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
    let after: Memory & { waitedMs: number; steady: boolean } = { ...before };
    // Segments 0 → N/4 → N/2 → 3N/4 → N, each followed by a quiet reading: the slope over the readings is the marginal
    // cost of a socket, without the one-time growth of the first segment, and steadier than any two readings.
    for (const [k, to] of stops.entries()) {
      const from = k ? stops[k - 1] : 0;
      if (to <= from || stoppedEarly || isFinishing()) continue;
      const segmentDelay = monitorEventLoopDelay({ resolution: 10 });
      segmentDelay.enable();
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
      if (segmentDelay.count) loopDelayP99 = Math.max(Number.isFinite(loopDelayP99) ? loopDelayP99 : 0, segmentDelay.percentile(99) / 1e6);
      cpuWeighted = weighCpu(cpuWeighted, seconds, cpuSince(mark, server.pid), secs);
      seconds += secs;
      progress(`${label}: ${int(held.length)} connected after ${seconds.toFixed(1)} s of connecting; waiting for a quiet server`);
      if (exitOf(server)) {
        after = { rssKb: NaN, anonKb: NaN, hwmKb: NaN, waitedMs: 0, steady: false };
        break;
      }
      const reading = await quietMemory(server.pid, { minMs: QUIET_S * 1000, maxMs: 90_000, stableSamples: STABLE_SAMPLES, extraMs: 10_000 });
      progress(`${label}: with ${int(held.length)} sockets: RSS ${int(reading.rssKb)} KB, RssAnon ${int(reading.anonKb)} KB${reading.steady ? '' : ' (not steady)'}`);
      checkpoints.push({ ...reading, sockets: held.length });
      after = reading;
    }
    const connected = held.length;
    const stillConnected = held.filter((s) => s.connected()).length;
    if (stillConnected < connected) progress(`${label}: only ${int(stillConnected)} of ${int(connected)} still connected`);
    const sorted = Float64Array.from(handshakes).sort();
    const marginal = checkpoints.length >= 2 ? { rss: slope(checkpoints.map((c) => [c.sockets, c.rssKb])), anon: slope(checkpoints.map((c) => [c.sockets, c.anonKb])) } : null;
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
      kbPerSocketRss: connected ? (after.rssKb - before.rssKb) / connected : NaN,
      kbPerSocketAnon: connected ? (after.anonKb - before.anonKb) / connected : NaN,
      marginalKbRss: marginal?.rss ?? NaN,
      marginalKbAnon: marginal?.anon ?? NaN,
      serverFds: openFds(server.pid),
      benchRssMb: (procMemory(process.pid)?.rssKb ?? NaN) / 1024,
      cpu: cpuWeighted!,
      loopDelayP99,
    };
  } finally {
    progress(`${label}: closing ${int(held.length)} connections`);
    await closeAll();
    // Let the server see the closes before it is stopped or the next ramp starts.
    await sleep(2000);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The hub and the plain ws server

type HubResult = RampResult & { tokens: string; disturbed: string | null };

async function runHub(target: number): Promise<HubResult> {
  const label = 'hub';
  const started = await startPostgresHub(label, { pgUrl: PG_URL, redisUrl: REDIS_URL, employees: SEED_EMPLOYEES, days: 1 });
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
  const server = await startWsServer(`${label} server`, ['--mode', 'sio-idle']);
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
  const server = await startWsServer(`${label} server`, ['--mode', 'idle']);
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

function report(factLines: string[], hub: HubResult | Error, sio: RampResult | Error | null, ws: RampResult | Error, limitText: string, target: number) {
  const out: string[] = [];
  out.push('## Check-in Hub idle connections benchmark', '', ...factLines, `- open files: ${limitText}`, '');
  out.push(
    `Run: ${int(SOCKETS)} idle connections requested${target < SOCKETS ? ` (capped at ${int(target)} by the open-files limit)` : ''}, opened ${WAVE} at a time (a wave settles before the next), websocket transport only, 127.0.0.1 only. ` +
      `Handshake = from creating the client to its \`connect\` (Socket.IO: TCP + upgrade + engine.io open + the auth middleware's token check + namespace connect) or \`open\` (ws), in ms; it includes the wait behind the rest of its wave. ` +
      `Server CPU per connection = the server process's CPU time while connecting ÷ connections (hardly depends on how busy the machine is, unlike the rates). ` +
      `Memory from /proc/<server pid>/status (VmRSS; RssAnon = its anonymous part, V8 heap + malloc), each reading the lowest of a quiet period (RSS within 512 KB for ${STABLE_SAMPLES} s after at least ${QUIET_S} s, then 10 s more): ` +
      `before (after a warm-up wave of ${WARMUP_SOCKETS} was opened and closed), then at N/4, N/2, 3N/4 and N sockets. Average = (N − before) ÷ N; marginal = the least-squares slope over the four readings with sockets open, the cost of one more socket once the heap has grown (GC timing moves single readings by tens of MB). ` +
      `Ratios in () are the hub ÷ the plain ws server of the same run.`,
    '',
  );
  out.push(
    '| server | connected / requested | accept time s | connections/s | handshake p50 | handshake p99 | max | server CPU ms per connection | RSS before → N/4 → N/2 → 3N/4 → N, MB | **KB per socket, average (RSS)** | KB per socket, marginal (RSS) | KB per socket, average (RssAnon) | CPU while connecting |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const wsR = ws instanceof Error ? null : ws;
  const line = (name: string, r: RampResult | Error, base: RampResult | null) => {
    if (r instanceof Error) return `| ${name} | failed: ${cell(r.message.split('\n')[0])} | | | | | | | | | | | |`;
    const vs = (a: number, b: number | undefined) => (base ? ` (${ratio(a, b ?? NaN)})` : '');
    const mb = (kb: number | undefined) => (kb == null ? '—' : (kb / 1024).toFixed(1));
    return (
      `| ${name} | ${int(r.connected)} / ${int(r.requested)}${r.stillConnected < r.connected ? ` (${int(r.stillConnected)} still open at the end)` : ''} | ${r.seconds.toFixed(1)} | ${int(r.perSecond)}${vs(r.perSecond, base?.perSecond)} | ` +
      `${ms(r.handshake.p50)} | ${ms(r.handshake.p99)}${vs(r.handshake.p99, base?.handshake.p99)} | ${ms(r.handshake.max)} | ` +
      `${ms(cpuPerConnection(r))}${base ? vs(cpuPerConnection(r), cpuPerConnection(base)) : ''} | ${[r.before, ...r.checkpoints].map((m) => mb(m.rssKb)).join(' → ')} | ` +
      `**${r.kbPerSocketRss.toFixed(1)}**${vs(r.kbPerSocketRss, base?.kbPerSocketRss)} | ${Number.isFinite(r.marginalKbRss) ? r.marginalKbRss.toFixed(1) : '—'}${vs(r.marginalKbRss, base?.marginalKbRss)} | ` +
      `${r.kbPerSocketAnon.toFixed(1)}${vs(r.kbPerSocketAnon, base?.kbPerSocketAnon)} | ${cpuCell(r.cpu)} |`
    );
  };
  out.push(line('Check-in Hub (Socket.IO, PostgreSQL + Redis)', hub, wsR));
  if (sio) out.push(line('bare Socket.IO server (framework only: no auth, no handlers, no Redis)', sio, wsR));
  out.push(line('plain `ws` server (baseline)', ws, null));
  out.push('', 'Verdict (target: under 30 KB per idle socket):');
  if (hub instanceof Error) out.push('- no verdict: the hub run failed.');
  else {
    out.push(
      `- hub: ${hub.kbPerSocketRss.toFixed(1)} KB RSS per idle socket on average (${hub.kbPerSocketRss < 30 ? 'under' : 'NOT under'} 30 KB), ${Number.isFinite(hub.marginalKbRss) ? `${hub.marginalKbRss.toFixed(1)} KB marginal` : 'no marginal reading'}` +
        (wsR ? `; ${ratio(hub.kbPerSocketRss, wsR.kbPerSocketRss)} the plain ws server's ${wsR.kbPerSocketRss.toFixed(1)} KB; accepts at ${ratio(hub.perSecond, wsR.perSecond)} the plain ws rate, ${ratio(cpuPerConnection(hub), cpuPerConnection(wsR))} its CPU per connection` : '') +
        (sio && !(sio instanceof Error) ? `; the bare Socket.IO server takes ${sio.kbPerSocketRss.toFixed(1)} KB on average (${Number.isFinite(sio.marginalKbRss) ? sio.marginalKbRss.toFixed(1) : '—'} marginal), so about ${Math.max(0, hub.marginalKbRss - sio.marginalKbRss).toFixed(0)} KB of the hub's marginal cost is its own (auth identity, handlers, rate-limit buckets, token timer, rooms, Redis streams adapter)` : '') +
        `${hub.disturbed ? ` (**caution**: ${hub.disturbed})` : ''}; ${int(hub.connected)} of ${int(hub.requested)} sockets reached${hub.stoppedEarly ? ` (stopped: ${hub.stoppedEarly})` : hub.connected < hub.requested ? ` (${int(hub.failures)} failed: ${hub.failureReasons.slice(0, 3).join('; ')})` : ''}.`,
    );
  }
  out.push('', 'Notes:');
  for (const [name, r] of [['hub', hub], ...(sio ? [['bare Socket.IO', sio] as const] : []), ['plain ws', ws]] as const) {
    if (r instanceof Error) {
      out.push(`- ${name}: failed: ${cell(r.message.split('\n').slice(0, 3).join(' '))}`);
      continue;
    }
    const waits = [r.before, ...r.checkpoints].map((m) => `${(m.waitedMs / 1000).toFixed(0)} s${m.steady ? '' : ' (not steady)'}`);
    out.push(
      `- ${name}: ${'tokens' in r ? `${r.tokens}; ` : ''}failures ${int(r.failures)}${r.failureReasons.length ? ` (${r.failureReasons.slice(0, 3).join('; ')})` : ''}; ` +
        `server fds at the end ${r.serverFds ?? '?'}; RssAnon ${[r.before, ...r.checkpoints].map((m) => (m.anonKb / 1024).toFixed(1)).join(' → ')} MB (marginal ${Number.isFinite(r.marginalKbAnon) ? r.marginalKbAnon.toFixed(1) : '—'} KB per socket); ` +
        `peak RSS ${(r.after.hwmKb / 1024).toFixed(1)} MB; quiet waits ${waits.join(' / ')}; ` +
        `this process's RSS with every client open ${r.benchRssMb.toFixed(0)} MB; its event-loop delay p99 while connecting (worst segment) ${ms(r.loopDelayP99)} ms.`,
    );
  }
  out.push(
    '- RSS per socket counts everything the server keeps per connection (kernel socket buffers are not in RSS): for the hub, the engine.io and Socket.IO sockets, the `ws` connection, the handshake (request headers, auth), handler closures and rate-limit buckets, the token-expiry timer, rooms, the connection-state-recovery id; garbage not yet collected at the reading, and heap grown for the connection burst and not given back, count too (that is the gap between average and marginal). A server cannot be made to collect garbage from outside, so a reading depends on when V8 last did: in runs of this script a hub with 10,000 idle sockets and nothing else changing went from 501 to 387 MB within one quiet period. Treat the KB per socket as ± several KB, and compare rows measured in the same run.',
    '- Node raises its own soft open-files limit to the hard limit at start, and children inherit it; the hard limit can only be raised with CAP_SYS_RESOURCE outside a container that forbids it. The heartbeat keeps running (Socket.IO pings every 25 s; the plain ws server sends nothing). Every client lives in this one Node process.',
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main: bounded overall, cleans up on every path

const budgetMs = (900 + 3 * (Math.ceil(SOCKETS / WAVE) * (CONNECT_TIMEOUT_MS / 1000 + 5) + 240)) * 1000;
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

  let hub: HubResult | Error;
  try {
    hub = await runHub(target);
  } catch (error) {
    ok = false;
    hub = error as Error;
    progress(`hub failed: ${(error as Error).stack ?? error}`);
  }
  let sio: RampResult | Error | null = null;
  if (!isFinishing() && !args['no-sio']) {
    try {
      sio = await runSio(target);
    } catch (error) {
      ok = false;
      sio = error as Error;
      progress(`bare Socket.IO failed: ${(error as Error).stack ?? error}`);
    }
  }
  let ws: RampResult | Error = new Error('not run');
  if (!isFinishing()) {
    try {
      ws = await runWs(target);
    } catch (error) {
      ok = false;
      ws = error as Error;
      progress(`plain ws failed: ${(error as Error).stack ?? error}`);
    }
  }
  if (!isFinishing()) process.stdout.write(`${report(factLines, hub, sio, ws, limitText, target)}\n`);
  return ok;
});
