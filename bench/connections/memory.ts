// What a server holds: memory readings after full GCs (through its inspector) or after a quiet period, the cost per
// socket they give, and, with --heap-diff, the references whose cost per socket a heap snapshot measures.
import { join } from 'node:path';
import { Inspector, int, type Memory, procMemory, quietMemory, type ServerProcess, sleep } from '../../harness/index.ts';
import { GC_STABLE_ROUNDS, HEAP_DIR, QUIET_S, STABLE_SAMPLES } from './options.ts';

/** One memory reading: /proc (KiB) and, with the inspector, the child's own process.memoryUsage() after full GCs (KiB). */
export type Reading = Memory & { heapUsedKb: number; heapTotalKb: number; externalKb: number; waitedMs: number; steady: boolean };
export const NO_READING: Reading = { rssKb: NaN, anonKb: NaN, hwmKb: NaN, heapUsedKb: NaN, heapTotalKb: NaN, externalKb: NaN, waitedMs: 0, steady: false };
/** The memory fields a per-socket cost is computed for. */
export const FIELDS = ['rssKb', 'anonKb', 'heapUsedKb', 'externalKb'] as const;
export type Field = (typeof FIELDS)[number];
export type PerSocket = Record<Field, { average: number; marginal: number }>;

export async function connectInspector(label: string, server: ServerProcess): Promise<Inspector> {
  if (!server.inspectorUrl) throw new Error(`${label}: the server printed no inspector URL (started without --inspect?)`);
  return Inspector.connect(server.inspectorUrl);
}

/**
 * Memory of the server after its sockets settled. With the inspector: full GCs, a second's pause (the sweeper hands
 * pages back), a reading; repeated until RSS moved less than 512 KB over the last rounds (and --quiet passed). Without
 * it: the lowest RSS of a quiet period.
 */
export async function readMemory(server: ServerProcess, inspector: Inspector | null): Promise<Reading> {
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

export const describe = (r: Reading) =>
  `RSS ${int(r.rssKb)} KB, RssAnon ${int(r.anonKb)} KB${Number.isFinite(r.heapUsedKb) ? `, JS heap used ${int(r.heapUsedKb)} KB, external ${int(r.externalKb)} KB` : ''}${r.steady ? '' : ' (not steady)'}`;

/** Least-squares slope of y over x. */
function slope(points: number[][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx > 0 ? points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx : NaN;
}

/**
 * KB per socket of each field: average = (after − before) ÷ sockets, everything the ramp added (one-time growth
 * included); marginal = the least-squares slope over the checkpoints, the cost of one more socket.
 */
export function perSocketCost(before: Reading, after: Reading, checkpoints: (Reading & { sockets: number })[], connected: number): PerSocket {
  return Object.fromEntries(
    FIELDS.map((f) => [
      f,
      {
        average: connected ? (after[f] - before[f]) / connected : NaN,
        marginal: checkpoints.length >= 2 ? slope(checkpoints.map((c) => [c.sockets, c[f]])) : NaN,
      },
    ]),
  ) as PerSocket;
}

// --heap-diff

/** Where a snapshot is written too (--heap-dir), or undefined. */
export const snapshotFile = (label: string, sockets: number) => (HEAP_DIR ? join(HEAP_DIR, `${label.replace(/\W+/g, '-')}-${sockets}.heapsnapshot`) : undefined);

/**
 * References whose cost per socket --heap-diff measures in the snapshot with sockets open: the bytes of JS heap that
 * would no longer be reachable without them (HeapGraph.freedBy). The hub's own ones are 0 on the other servers.
 */
export type WhatIf = { what: string; cuts: string };
const HUB_EVENTS = ['attendance:check', 'board:join', 'board:leave', 'assistant:ask'];
export const WHAT_IFS: WhatIf[] = [
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
