// Real servers on random ports and real socket.io-client connections.
import { io as connect, type Socket } from 'socket.io-client';
import { createLogger } from '../src/infra/logger.ts';
import { start, type Hub } from '../src/main.ts';
import type { ClientToServer, ServerToClient } from '../src/modules/realtime/events.ts';
import { testConfig, uid } from './utils.ts';

export type Client = Socket<ServerToClient, ClientToServer>;

/** Starts the whole hub (HTTP + Socket.IO) on a random port against the test database. */
export async function startServer(env: Record<string, string> = {}): Promise<Hub & { url: string }> {
  const config = testConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_PREFIX: `test:${uid()}:`, JOB_SCHEDULES: 'false', ...env });
  const hub = await start(config, { log: createLogger('silent') });
  return { ...hub, url: `http://127.0.0.1:${hub.port}` };
}

/** Opens a socket and waits for it to connect (or rejects with the connect_error message). */
export function openSocket(url: string, token: unknown, opts: { transports?: string[] } = {}): Promise<Client> {
  const socket: Client = connect(url, {
    auth: token === undefined ? {} : { token },
    transports: opts.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** The connect_error message a token gets, or 'connected' if it was let in. */
export async function connectError(url: string, token: unknown): Promise<string> {
  try {
    const socket = await openSocket(url, token);
    socket.close();
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  }
}

/** Resolves with the next `event` on the socket, or rejects after `ms`. */
export function nextEvent<T = any>(socket: Client, event: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    socket.once(event as never, ((payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    }) as never);
  });
}

/** Collects every `event` the socket receives, for "received nothing" checks. */
export function collect<T = any>(socket: Client, event: string): T[] {
  const seen: T[] = [];
  socket.on(event as never, ((payload: T) => seen.push(payload)) as never);
  return seen;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** JSON over real HTTP to a running server. */
export async function http(url: string, method: string, path: string, opts: { token?: string; json?: unknown } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
