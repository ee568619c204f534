// The servers under test, each started, ramped and stopped: the hub, a bare Socket.IO server and a plain ws server.
import WebSocket from 'ws';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  type Client,
  disturbance,
  fdLimits,
  listEmployees,
  login,
  openSocket,
  openWs,
  progress,
  SEEDED_PASSWORD,
  serviceIds,
  startPostgresHub,
  startWsServer,
} from '../../harness/index.ts';
import { CONNECT_TIMEOUT_MS, PG_URL, REDIS_URL, SEED_EMPLOYEES, SERVER_NODE_ARGS, type ServerKey, TOKENS } from './options.ts';
import { type Opener, ramp, type RampResult } from './ramp.ts';

/** The servers' names in the report (and in the failure of a run). */
export const NAMES: Record<ServerKey, string> = {
  hub: 'Check-in Hub (Socket.IO, PostgreSQL + Redis)',
  sio: 'bare Socket.IO server (framework only: no auth, no handlers, no Redis)',
  ws: 'plain `ws` server (baseline)',
};

export type HubResult = RampResult & { tokens: string; disturbed: string | null };

/** The hub on a scratch PostgreSQL database (seeded small) and Redis; its clients take --tokens user tokens in turn. */
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
      const socket: Client = await openSocket(base, tokens[i % tokens.length], { timeoutMs: CONNECT_TIMEOUT_MS });
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
      const socket = await openSocket(server.url, 'unused', { timeoutMs: CONNECT_TIMEOUT_MS });
      return { close: () => socket.close(), connected: () => socket.connected };
    });
  } finally {
    progress(`${label}: stopping the server`);
    await server.stop();
  }
}

/** The plain ws server of bench/ws-server.ts (--mode idle), with plain ws clients: the baseline. */
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

/** One ramp of `target` sockets on each kind of server. */
export const RUNS: Record<ServerKey, (target: number) => Promise<RampResult | HubResult>> = { hub: runHub, sio: runSio, ws: runWs };
