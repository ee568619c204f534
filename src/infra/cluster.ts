/**
 * The API processes of one machine (`API_PROCESSES`, node:cluster): the primary accepts every connection on the one
 * port and hands it to a process; the processes share through the primary what separate instances share through
 * Redis when there is no Redis (counters, the sockets per owner, announcements).
 *
 * Connections, not requests, are handed over: a keep-alive client stays on one process, and the primary never reads
 * more than the first chunk of a connection. A Socket.IO session that polls must reach the process that holds it:
 * its processes tell the primary the ids of their polling sessions, and a connection whose first request names one
 * (`sid=`) goes to that process. Every response to a polling request closes its connection, so the next poll opens a
 * new one and is routed again; a poll that arrives on a keep-alive connection routed here for earlier requests, for a
 * session held elsewhere, is answered 307 to itself (and its connection closed): sent again, it is routed right.
 * (This is @socket.io/sticky's routing; that package also closes every other keep-alive connection and relays each
 * connection whose first request has a body through the primary, which a REST API cannot afford, hence this small
 * version of it.)
 */
import cluster, { type Worker } from 'node:cluster';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';

/** This process's place among the API processes (0 … API_PROCESSES − 1), or null when it is not one of them. */
export function processIndex(): number | null {
  const index = process.env.HUB_PROCESS_INDEX;
  return cluster.isWorker && index !== undefined && /^\d+$/.test(index) ? Number(index) : null;
}

type Message =
  | { hub: 'connection'; head: string }
  | { hub: 'ready' }
  | { hub: 'session'; sid: string }
  | { hub: 'session:end'; sid: string }
  | { hub: 'call'; id: number; op: string; args: unknown[] }
  | { hub: 'reply'; id: number; result?: unknown; error?: string }
  | { hub: 'publish'; channel: string; message: string };

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null && typeof (m as { hub?: unknown }).hub === 'string';
const send = (message: Message, handle?: Socket, callback?: (error: Error | null) => void) =>
  process.send!(message, handle, { keepOpen: false }, callback);

const SID = /[?&]sid=([\w-]{20})(?:[&\s]|$)/;
const NOT_READY = 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\nRetry-After: 1\r\nContent-Length: 24\r\n\r\n{"detail":"starting up"}';

// ---------------------------------------------------------------------------------------------------------------- primary

/**
 * Hands each connection of `server` to a ready process: the one holding the polling session its first request names,
 * else the next in turn. With none ready, answers 503 and closes.
 */
export function balanceConnections(server: NetServer) {
  const ready = new Set<Worker>();
  const live = () => [...ready].filter((w) => w.isConnected());
  const sessions = new Map<string, Worker>();
  let turn = 0;
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.hub === 'ready') ready.add(worker);
    else if (message.hub === 'session') sessions.set(message.sid, worker);
    else if (message.hub === 'session:end' && sessions.get(message.sid) === worker) sessions.delete(message.sid);
  });
  cluster.on('exit', (worker) => {
    ready.delete(worker);
    for (const [sid, owner] of sessions) if (owner === worker) sessions.delete(sid);
  });
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      // Nothing more is read here: the rest of the stream is the process's to read, from the kernel.
      socket.pause();
      (socket as unknown as { _handle?: { readStop?: () => void } })._handle?.readStop?.();
      const candidates = live();
      if (candidates.length === 0) return void socket.end(NOT_READY);
      const head = chunk.subarray(0, 2048).toString('latin1');
      const sid = SID.exec(head.split('\r\n', 1)[0]!)?.[1];
      const owner = sid ? sessions.get(sid) : undefined;
      const target = owner && candidates.includes(owner) ? owner : candidates[turn++ % candidates.length]!;
      target.send({ hub: 'connection', head: chunk.toString('base64') } satisfies Message, socket, { keepOpen: false }, (error) => {
        if (error) socket.destroy();
      });
    });
  });
  return { readyCount: () => live().length };
}

const served: Record<string, (...args: never[]) => unknown> = {};
let serving = false;

/** Answers the processes' calls (`op` → handler; added to those given before) and relays what one publishes to the others. */
export function serveCalls(handlers: Record<string, (...args: never[]) => unknown>) {
  Object.assign(served, handlers);
  if (serving) return;
  serving = true;
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.hub === 'publish') {
      for (const other of Object.values(cluster.workers ?? {})) if (other && other !== worker && other.isConnected()) other.send(message);
      return;
    }
    if (message.hub !== 'call') return;
    const handler = served[message.op];
    const reply = (body: { result?: unknown; error?: string }) => worker.isConnected() && worker.send({ hub: 'reply', id: message.id, ...body } satisfies Message);
    if (!handler) return void reply({ error: `unknown call ${message.op}` });
    Promise.resolve()
      .then(() => (handler as (...args: unknown[]) => unknown)(...message.args))
      .then((result) => reply({ result }), (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }));
  });
}

// ---------------------------------------------------------------------------------------------------------------- API process

const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextCall = 0;
let listening = false;
const channels = new Map<string, Set<(message: string) => void>>();

function listen() {
  if (listening) return;
  listening = true;
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.hub === 'reply') {
      const call = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error !== undefined) call?.reject(new Error(message.error));
      else call?.resolve(message.result);
    } else if (message.hub === 'publish') {
      for (const listener of channels.get(message.channel) ?? []) listener(message.message);
    }
  });
  // Without its primary this process cannot be reached: calls in flight fail instead of hanging.
  process.once('disconnect', () => {
    for (const call of waiting.values()) call.reject(new Error('the primary process is gone'));
    waiting.clear();
  });
}

/** Calls `op` in the primary. */
export function callPrimary<T>(op: string, ...args: unknown[]): Promise<T> {
  listen();
  if (!process.connected) return Promise.reject(new Error('the primary process is gone'));
  const id = ++nextCall;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
    send({ hub: 'call', id, op, args }, undefined, (error) => {
      if (!error) return;
      waiting.delete(id);
      reject(error);
    });
  });
}

/** A channel between the API processes of this machine: what one publishes, every other one hears. */
export function clusterChannel(name: string) {
  listen();
  const listeners = new Set<(message: string) => void>();
  return {
    publish(message: string) {
      if (process.connected) send({ hub: 'publish', channel: name, message });
    },
    subscribe(listener: (message: string) => void) {
      listeners.add(listener);
      channels.set(name, listeners);
    },
    async close() {
      listeners.clear();
      channels.delete(name);
    },
  };
}

/**
 * Takes the connections the primary hands to this process: each enters `server` as if accepted here, its first chunk
 * (already read by the primary) put back in front. Polling sessions are announced so that their next requests come
 * here, and every response to a polling request closes its connection (the next poll is routed afresh).
 */
export function takeConnections(server: HttpServer, engine: Engine) {
  listen();
  // Requests seen per connection: the primary routed a connection by its first request only.
  const seen = new WeakMap<Socket, number>();
  process.on('message', (message: unknown, handle?: Socket) => {
    if (!isMessage(message) || message.hub !== 'connection' || !handle) return;
    server.emit('connection', handle);
    handle.unshift(Buffer.from(message.head, 'base64'));
  });
  // In front of Socket.IO's own handler (which wraps the others the same way).
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const count = (seen.get(req.socket) ?? 0) + 1;
    seen.set(req.socket, count);
    if (url.startsWith('/socket.io/') && url.includes('transport=polling')) {
      res.setHeader('Connection', 'close');
      // A poll for a session held elsewhere, on a keep-alive connection that came here for an earlier request: sent
      // again, on a new connection, it is routed to the session's process.
      const sid = SID.exec(url)?.[1];
      if (count > 1 && sid && !Object.hasOwn(sessionsOf(engine), sid)) {
        res.writeHead(307, { Location: url, 'Cache-Control': 'no-store', 'Content-Length': '0' }).end();
        return;
      }
    }
    for (const handler of handlers) handler.call(server, req, res);
  });
  engine.on('connection', (socket) => {
    if (socket.transport.name !== 'polling') return;
    send({ hub: 'session', sid: socket.id });
    socket.once('close', () => process.connected && send({ hub: 'session:end', sid: socket.id }));
  });
  return {
    /** Tells the primary that connections may come. */
    ready: () => send({ hub: 'ready' }),
  };
}

type EngineSocket = { id: string; transport: { name: string }; once(event: 'close', listener: () => void): void };
/** Engine.IO's server: its sessions (`clients`, not in its public types) and their start. */
type Engine = { on(event: 'connection', listener: (socket: EngineSocket) => void): void };
const sessionsOf = (engine: Engine) => (engine as unknown as { clients: Record<string, unknown> }).clients;
