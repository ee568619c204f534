// Socket clients: socket.io-client, a light wire-protocol client for load generators, plain ws, and the plain ws
// baseline server as a child process.
import WebSocket from 'ws';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../src/modules/realtime/events.ts';
import { startServer, type ServerProcess } from './process.ts';
import { checkNotFinishing, withTimeout } from './run.ts';

export type Client = Socket<ServerToClient, ClientToServer>;

/**
 * A Socket.IO client with no reconnection (websocket transport unless told otherwise); resolves once connected,
 * rejects with the connect_error's message (bounded). `token` goes as given: tests send wrong ones on purpose.
 */
export function openSocket(url: string, token: unknown, opts: { timeoutMs?: number; transports?: string[] } = {}): Promise<Client> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const socket: Client = connect(url, {
    auth: token === undefined ? {} : { token },
    transports: opts.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: Math.max(1000, timeoutMs - 5000),
  });
  return withTimeout(
    new Promise<Client>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (error) => reject(error));
    }),
    timeoutMs,
    'socket connect',
  ).catch((error) => {
    socket.close();
    throw error;
  });
}

/**
 * The time of the punch a board change or an ack reports: a check-out's is the last out; a check-in's, the start of
 * the last stay (the record's own check_in_time is the day's first, and a day has as many stays as its punches make).
 */
export function punchTimeOf(action: string, record: { check_in_time: string | null; check_out_time: string | null; intervals?: { check_in_time: string }[] }) {
  if (action === 'check_out') return record.check_out_time;
  return record.intervals?.length ? record.intervals[record.intervals.length - 1].check_in_time : record.check_in_time;
}

/** The part of a Socket.IO client these loops use; socket.io-client's Socket fits it, and so does RawSocket. */
export type BenchSocket = {
  readonly connected: boolean;
  emitWithAck(event: string, payload: unknown, timeoutMs: number): Promise<any>;
  /** `frameBytes`: the size of the frame it came in (the wire client only). */
  on(event: string, listener: (payload: any, frameBytes: number) => void): void;
  close(): void;
};

/**
 * A Socket.IO client in forty lines: the Engine.IO 4 / Socket.IO 5 wire protocol over a bare `ws` WebSocket.
 * CONNECT with `auth: { token }`, events `42[...]` (one JSON.parse each), acknowledgements by id, pings answered.
 * Kiosks and boards are separate devices in real life; in a benchmark they share the machine with the hub, and
 * socket.io-client costs several times more per message, so this keeps the load generator's share small.
 */
export function openWireSocket(base: string, token: string, timeoutMs = 10_000): Promise<BenchSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false, handshakeTimeout: timeoutMs - 1000 });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const listeners = new Map<string, ((payload: any, frameBytes: number) => void)[]>();
  let nextId = 0;
  let connected = false;
  const socket: BenchSocket = {
    get connected() {
      return connected && ws.readyState === WebSocket.OPEN;
    },
    emitWithAck(event, payload, timeoutMs) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => pending.delete(id) && reject(new Error('ack timeout')), timeoutMs);
        pending.set(id, { resolve, reject, timer });
        ws.send(`42${id}${JSON.stringify([event, payload])}`);
      });
    },
    on(event, listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    },
    close() {
      if (ws.readyState === WebSocket.OPEN) ws.send('41');
      ws.close();
    },
  };
  return withTimeout(
    new Promise<BenchSocket>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('close', () => {
        connected = false;
        for (const [id, p] of pending) {
          clearTimeout(p.timer);
          pending.delete(id);
          p.reject(new Error('disconnected'));
        }
        reject(new Error('closed before connecting'));
      });
      ws.on('message', (data) => {
        const frame = String(data);
        if (frame.startsWith('43')) {
          const start = frame.indexOf('[');
          const id = Number(frame.slice(2, start));
          const p = pending.get(id);
          if (!p) return;
          pending.delete(id);
          clearTimeout(p.timer);
          p.resolve((JSON.parse(frame.slice(start)) as unknown[])[0]);
        } else if (frame.startsWith('42')) {
          const [event, payload] = JSON.parse(frame.slice(2)) as [string, unknown];
          for (const listener of listeners.get(event) ?? []) listener(payload, Buffer.byteLength(frame));
        } else if (frame === '2') ws.send('3');
        else if (frame.startsWith('0')) ws.send(`40${JSON.stringify({ token })}`);
        else if (frame.startsWith('40')) {
          connected = true;
          resolve(socket);
        } else if (frame.startsWith('44')) reject(new Error(`connect refused: ${frame.slice(2)}`));
      });
    }),
    timeoutMs,
    'socket connect (wire protocol)',
  ).catch((error) => {
    ws.terminate();
    throw error;
  });
}

// The plain `ws` baseline server (bench/ws-server.ts) as a child process

export function startWsServer(label: string, scriptArgs: string[], opts: { nodeArgs?: string[] } = {}): Promise<ServerProcess> {
  return startServer(process.env, label, {
    script: 'bench/ws-server.ts',
    scriptArgs,
    nodeArgs: opts.nodeArgs,
    timeoutMs: 30_000,
    // It holds no state worth a graceful stop; after an overloaded run it may be busy with its backlog for long.
    stopGraceMs: 3000,
    isReady: (entry: { ready?: boolean; port?: number }) => (entry.ready && typeof entry.port === 'number' ? entry.port : null),
  });
}

/** A plain `ws` client (no compression) once open (bounded); its errors after that are ignored. */
export function openWs(url: string, timeoutMs = 30_000): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: Math.max(1000, timeoutMs - 1000) });
  ws.on('error', () => undefined);
  return withTimeout(
    new Promise<WebSocket>((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
    }),
    timeoutMs,
    'websocket open',
  ).catch((error) => {
    ws.terminate();
    throw error;
  });
}

/** Runs `task` over `items` in waves of `size` (each wave settles before the next starts). */
export async function inWaves<T, R>(items: T[], size: number, task: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = [];
  for (let i = 0; i < items.length; i += size) {
    checkNotFinishing();
    out.push(...(await Promise.allSettled(items.slice(i, i + size).map((item, k) => task(item, i + k)))));
  }
  return out;
}
