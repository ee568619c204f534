// Real servers on random ports and real socket.io-client connections.
import { Writable } from 'node:stream';
import type { ToolCallLLM } from '@llamaindex/core/llms';
import { openSocket, request, sleep, waitFor, type Client } from '../harness/index.ts';
import { createLogger } from '../src/infra/logger.ts';
import { start, type Hub } from '../src/main.ts';
import { afterAll, beforeAll } from 'vitest';
import { createSoloDatabase, createTestHub, testConfig, uid, type TestHub } from './utils.ts';

export type { Client };

/** Starts the whole hub (HTTP + Socket.IO) on a random port against the test database; its errors are kept in `errors`. */
export async function startServer(env: Record<string, string> = {}, opts: { llm?: ToolCallLLM } = {}): Promise<Hub & { url: string; errors: string[] }> {
  const config = testConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_PREFIX: `test:${uid()}:`, JOB_SCHEDULES: 'false', ...env });
  const errors: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      errors.push(String(chunk));
      done();
    },
  });
  const hub = await start(config, { log: createLogger('error', sink), llm: opts.llm });
  return { ...hub, url: `http://127.0.0.1:${hub.port}`, errors };
}

export { openSocket, sleep, waitFor };

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

/** JSON over real HTTP to a running server: its status and body. */
export async function http(url: string, method: string, path: string, opts: { token?: string; json?: unknown } = {}) {
  const res = await request(url, method, path, opts);
  return { status: res.status, body: res.body };
}

export type TestServer = Awaited<ReturnType<typeof startServer>>;

/**
 * The pair most test files want: a test hub (direct database access, fixtures) and a whole server on a random port,
 * started before the file's tests and stopped after them; `ready` hands both over.
 * @example let hub: TestHub; let server: TestServer; withHubAndServer({}, (h, s) => ((hub = h), (server = s)));
 */
export function withHubAndServer(serverEnv: Record<string, string>, ready: (hub: TestHub, server: TestServer) => void, opts: { soloDatabase?: string } = {}) {
  let hub: TestHub | undefined;
  let server: TestServer | undefined;
  let solo: Awaited<ReturnType<typeof createSoloDatabase>> | undefined;
  beforeAll(async () => {
    // A database of its own, for tests that org-wide events of other test files would disturb.
    if (opts.soloDatabase) solo = await createSoloDatabase(opts.soloDatabase);
    const db: Record<string, string> = solo ? { DATABASE_URL: solo.url } : {};
    hub = await createTestHub(db);
    server = await startServer({ ...serverEnv, ...db });
    ready(hub, server);
  }, 60_000);
  afterAll(async () => {
    await server?.stop('test');
    await hub?.close();
    await solo?.drop();
  });
}
