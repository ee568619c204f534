import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Server, type Socket } from 'socket.io';
import type { Config } from '../../config.ts';
import type { Bus, DomainEvents } from '../../infra/bus.ts';
import type { Em, Orm } from '../../infra/db.ts';
import type { Logger } from '../../infra/logger.ts';
import { metrics } from '../../infra/metrics.ts';
import type { Redis } from '../../infra/redis.ts';
import { authenticate } from '../auth/index.ts';
import { canWatchBoard } from '../auth/policy.ts';
import { authenticateKiosk, KIOSK_TOKEN_PREFIX } from '../kiosks/index.ts';
import type { ChangeDelivery, ClientToServer, InterServer, ServerToClient, SessionEndReason, SocketData, SocketIdentity } from './events.ts';
import type { Budgets } from '../../budgets.ts';
import { clientAddressResolver } from '../../infra/client-address.ts';
import { createConnectionRegistry } from './connections.ts';
import { registerHandlers } from './handlers.ts';
import type { Jobs } from '../../infra/jobs/types.ts';
import { createSequencer, type Sequencer } from '../../infra/sequencer.ts';

export type HubSocket = Socket<ClientToServer, ServerToClient, InterServer, SocketData>;
export type HubServer = Server<ClientToServer, ServerToClient, InterServer, SocketData>;

export type RealtimeDeps = {
  config: Config;
  orm: Orm;
  log: Logger;
  bus: Bus;
  /** Set in scale-out mode: broadcasts, revocations and sequence numbers then cross instances. */
  redis?: Redis | null;
  /** Prefix for every Redis key this server uses (tests give each server set its own). */
  keyPrefix?: string;
  /** The per-team change counters (shared with the jobs, which number their own changes). */
  sequencer?: Sequencer;
  /** Finished jobs' socket deliveries arrive here; each instance delivers to its own sockets. */
  jobs?: Jobs;
  budgets: Budgets;
  /** Where open sockets are counted per user and kiosk (Redis in scale-out: every instance counts together). */
  registry?: Redis | null;
};

const room = {
  team: (id: number) => `team:${id}`,
  user: (id: number) => `user:${id}`,
  kiosk: (id: number) => `kiosk:${id}`,
  kiosks: 'kiosks',
  admins: 'admins',
};
export { room };

/** Is this browser origin allowed to open a socket? Same-origin pages always are; others must be in CORS_ORIGINS. */
function originAllowed(origin: string | undefined, host: string | undefined, allowed: string[]): boolean {
  if (!origin) return true; // not a browser (kiosk apps, servers, tests)
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

type WsTransport = { name: string; send(packets: unknown[]): void; socket?: { _socket?: { cork(): void; uncork(): void } } };
const coalesced = new WeakSet<object>();

/**
 * Lets the frames of one Engine.IO flush leave in one write. Engine.IO hands a WebSocket all the packets that queued
 * while its previous write was in flight, but `ws` writes each frame on its own: a board receiving a batch of
 * changes cost one system call per change. Corking the TCP socket around the flush makes it one. (`ws` keeps its
 * socket in `_socket`; without it, nothing changes.)
 */
function coalesceWrites(socket: HubSocket) {
  const patch = () => {
    const transport = socket.conn.transport as unknown as WsTransport;
    const raw = transport.name === 'websocket' ? transport.socket?._socket : undefined;
    if (!raw || coalesced.has(transport)) return;
    coalesced.add(transport);
    const send = transport.send.bind(transport);
    transport.send = (packets) => {
      if (packets.length < 2) return send(packets);
      raw.cork();
      try {
        send(packets);
      } finally {
        raw.uncork();
      }
    };
  };
  patch();
  // Only a connection that started on long-polling can still upgrade.
  if ((socket.conn.transport as unknown as WsTransport).name !== 'websocket') socket.conn.once('upgrade', patch);
}

const ownerOf = (who: SocketIdentity) => (who.kind === 'user' ? `user:${who.employee_id}` : `kiosk:${who.kiosk_id}`);

/** May a socket of this identity be in this room? */
function mayStayIn(who: SocketIdentity, name: string): boolean {
  const [kind, id] = name.split(':');
  if (who.kind === 'kiosk') return (kind === 'kiosk' && Number(id) === who.kiosk_id) || name === room.kiosks;
  if (kind === 'user') return Number(id) === who.employee_id;
  if (kind === 'team') return canWatchBoard(who, Number(id));
  if (name === room.admins) return who.access === 'admin';
  return false;
}

async function identify(deps: RealtimeDeps, em: Em, token: unknown): Promise<SocketIdentity | null> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return null;
  if (token.startsWith(KIOSK_TOKEN_PREFIX)) {
    const kiosk = await authenticateKiosk(em, token);
    return kiosk ? { kind: 'kiosk', ...kiosk } : null;
  }
  const user = await authenticate(em, deps.config, token);
  return user ? { kind: 'user', ...user } : null;
}

/**
 * Attaches Socket.IO to the HTTP server: handshake auth, rooms, the request handlers, and the broadcasts of
 * domain events to the rooms allowed to see them.
 * @example const realtime = await createSocketServer(httpServer, { config, orm, log, bus, redis });
 */
export function createSocketServer(http: HttpServer, deps: RealtimeDeps) {
  const { config, log, bus } = deps;
  const prefix = deps.keyPrefix ?? 'checkin:';
  const clientAddress = clientAddressResolver(config.trustProxy);
  const connections = createConnectionRegistry(deps.registry ?? null, prefix, config.socket.maxPerUser);
  const io: HubServer = new Server(http, {
    maxHttpBufferSize: config.socket.maxPayloadBytes,
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
    cors: { origin: config.corsOrigins.length ? config.corsOrigins : false, credentials: false },
    // Called for handshakes only (not for every poll of an open session): the origin, then the address's budget.
    allowRequest: (req, callback) => {
      if (!originAllowed(req.headers.origin, req.headers.host, config.corsOrigins)) return callback('origin not allowed', false);
      const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
      deps.budgets.handshakes.take(address).then(
        (wait) => callback(wait ? 'too many connections from this address; retry later' : null, wait === 0),
        (error) => {
          log.warn({ err: error }, 'handshake budget unavailable');
          callback(null, true);
        },
      );
    },
    ...(deps.redis
      ? {
          adapter: createAdapter(deps.redis, {
            streamName: `${prefix}socket.io`,
            channelPrefix: `${prefix}socket.io`,
            sessionKeyPrefix: `${prefix}sio:session:`,
            onlyPlaintext: true,
          }),
        }
      : {}),
  });
  const sequencer: Sequencer = deps.sequencer ?? createSequencer(deps.redis ?? null, prefix);
  const handlerDeps = { ...deps, sequencer, io };
  const gauges = { user: metrics().socketsConnected.labels('user'), kiosk: metrics().socketsConnected.labels('kiosk') };

  io.use(async (socket, next) => {
    try {
      // Plain SQL only: the root entity manager, no fork per handshake.
      const who = await identify(deps, deps.orm.em as Em, socket.handshake.auth?.token);
      if (!who) return next(new Error('unauthorized'));
      socket.data.who = who;
      next();
    } catch (error) {
      log.warn({ err: { message: (error as Error).message } }, 'socket authentication failed');
      next(new Error('unauthorized'));
    }
  });

  io.on('connection', (socket: HubSocket) => {
    coalesceWrites(socket);
    // What an idle socket keeps costs memory times ten thousand: the token (checked already; a recovering client
    // sends it again) and Engine.IO's copy of the first HTTP request (the handshake holds what we use of it).
    delete (socket.handshake.auth as { token?: unknown }).token;
    (socket.conn as unknown as { request: unknown }).request = null;
    const who = socket.data.who;
    gauges[who.kind].inc();
    socket.once('disconnect', onDisconnect);
    // One person (or kiosk) holds at most SOCKET_MAX_PER_USER sockets: a new one closes the oldest.
    const owner = ownerOf(who);
    connections.add(owner, socket.id).then(
      (excess) => {
        for (const id of excess.filter((x) => x !== socket.id)) {
          io.to(id).emit('session:ended', { reason: 'too_many_connections' });
          io.in(id).disconnectSockets(true);
        }
      },
      (error) => log.warn({ err: error }, 'socket count unavailable'),
    );
    // A recovered connection gets back the rooms it had: each is checked again against what the socket's identity
    // (read afresh at this handshake) may see now. A manager moved to another team, or demoted, while away must not
    // go on hearing the old team's board.
    if (socket.recovered) for (const name of socket.rooms) if (name !== socket.id && !mayStayIn(who, name)) void socket.leave(name);
    if (who.kind === 'user') {
      void socket.join(who.access === 'admin' ? [room.user(who.employee_id), room.admins] : room.user(who.employee_id));
    } else {
      void socket.join([room.kiosk(who.kiosk_id), room.kiosks]);
    }
    registerHandlers(socket, handlerDeps);
  });
  function onDisconnect(this: HubSocket) {
    gauges[this.data.who.kind].dec();
    connections.remove(ownerOf(this.data.who), this.id).catch(() => undefined);
  }
  // A socket lives no longer than its token: one sweep a second over the sockets rather than a timer each.
  const expiry = setInterval(() => {
    const now = Date.now() / 1000;
    for (const socket of io.of('/').sockets.values()) {
      const who = socket.data.who;
      if (who?.kind === 'user' && who.exp <= now) endSession(socket, 'token_expired');
    }
  }, 1000);
  expiry.unref();

  function endSession(socket: HubSocket, reason: SessionEndReason) {
    socket.emit('session:ended', { reason });
    socket.disconnect(true);
  }

  // Every committed change goes to the team's boards and to the employee's own sockets, once per socket.
  // Changes are numbered per team and sent in order from this instance. Those that arrive while the previous group
  // is being numbered wait and go together: one counter step per team in one round trip for the whole group (a
  // batch of punches is hundreds of changes over several teams), not one round trip each.
  // Each instance delivers a group to its own sockets and hands it to the other instances as one message (one
  // Redis publish, rather than one stream entry per change that every instance then reads and decodes).
  // A board that misses a group (a reconnect, an instance restart) sees the gap in `seq` and takes a fresh snapshot.
  type Change = DomainEvents['attendance.changed'][0];
  const waiting: Change[] = [];
  let sending: Promise<void> | null = null;
  const deliver = (deliveries: ChangeDelivery[]) => {
    for (const { rooms, change } of deliveries) io.local.to(rooms).emit('attendance:changed', change);
  };
  const sendWaiting = async () => {
    while (waiting.length) {
      const byTeam = new Map<string, Change[]>();
      for (const change of waiting.splice(0)) {
        const key = change.team_id == null ? 'none' : String(change.team_id);
        const list = byTeam.get(key);
        if (list) list.push(change);
        else byTeam.set(key, [change]);
      }
      const teams = [...byTeam];
      const lasts = await Promise.all(teams.map(([key, changes]) => sequencer.reserve(key, changes.length)));
      const deliveries = teams.flatMap(([, changes], t) =>
        changes.map((change, i): ChangeDelivery => {
          const rooms = [room.user(change.employee.employee_id)];
          if (change.team_id != null) rooms.push(room.team(change.team_id));
          return { rooms, change: { ...change, seq: lasts[t] - changes.length + 1 + i } as ChangeDelivery['change'] };
        }),
      );
      deliver(deliveries);
      if (deps.redis && otherInstances() > 0) io.serverSideEmit('attendance:changes', JSON.stringify(deliveries));
    }
  };
  // The cluster adapter counts the other instances it has heard from (heartbeats, every 5 s; a new instance
  // announces itself at start). Alone, a group has nobody to go to. Unknown (another adapter): assume company.
  const otherInstances = () => (io.of('/').adapter as unknown as { nodesMap?: Map<string, number> }).nodesMap?.size ?? 1;
  const startSending = () => {
    sending ??= sendWaiting()
      .catch((error) => log.error({ err: error }, 'broadcast failed'))
      .finally(() => {
        sending = null;
        if (waiting.length) startSending(); // arrived after the last look
      });
  };
  io.on('attendance:changes', (json) => {
    try {
      deliver(JSON.parse(json) as ChangeDelivery[]);
    } catch (error) {
      log.warn({ err: error }, 'a group of changes from another instance could not be read');
    }
  });
  const offChanged = bus.subscribe('attendance.changed', (change) => {
    waiting.push(change);
    startSending();
  });

  // Results of jobs (run by a worker process, or in this process) reach this instance's own sockets only:
  // every instance hears every result, so each socket gets it exactly once.
  const offDeliveries = deps.jobs?.onDeliveries((deliveries) => {
    const local = io.local as unknown as { to(rooms: string[]): { emit(event: string, payload: unknown): void } };
    for (const d of deliveries) local.to(d.rooms).emit(d.event, d.payload);
  });

  const offRevoked = bus.subscribe('kiosk.revoked', ({ kiosk_id }) => {
    io.to(room.kiosk(kiosk_id)).emit('session:ended', { reason: 'revoked' });
    io.in(room.kiosk(kiosk_id)).disconnectSockets(true);
  });
  // Tokens revoked (a new password, another access level, deactivation, deletion, POST /token/revoke): the person's
  // sockets close at once on every instance; the sweep below catches any the message missed.
  const offTokens = bus.subscribe('tokens.revoked', ({ employee_id, reason }) => {
    io.to(room.user(employee_id)).emit('session:ended', { reason });
    io.in(room.user(employee_id)).disconnectSockets(true);
  });

  // Deactivated or deleted users, and revoked kiosks, lose their open sockets within one sweep.
  const sweep = setInterval(() => void revalidate().catch((error) => log.warn({ err: error }, 'socket sweep failed')), config.socket.revalidateSeconds * 1000);
  sweep.unref();

  async function revalidate() {
    const sockets = [...io.of('/').sockets.values()];
    const userIds = [...new Set(sockets.flatMap((s) => (s.data.who?.kind === 'user' ? [s.data.who.employee_id] : [])))];
    const kioskIds = [...new Set(sockets.flatMap((s) => (s.data.who?.kind === 'kiosk' ? [s.data.who.kiosk_id] : [])))];
    const em = deps.orm.em.fork() as Em;
    const activeUsers = new Map<number, { team_id: number | null; access: string; token_version: number }>();
    if (userIds.length) {
      const rows = await em.execute<{ employee_id: number; team_id: number | null; access: string; token_version: number }[]>(
        `select employee_id, team_id, access, token_version from employees where active and employee_id in (${userIds.map(() => '?').join(',')})`,
        userIds,
      );
      for (const r of rows) {
        activeUsers.set(Number(r.employee_id), { team_id: r.team_id == null ? null : Number(r.team_id), access: r.access, token_version: Number(r.token_version) });
      }
    }
    const liveKiosks = new Set<number>();
    if (kioskIds.length) {
      const rows = await em.execute<{ kiosk_id: number }[]>(
        `select kiosk_id from kiosks where revoked_at is null and kiosk_id in (${kioskIds.map(() => '?').join(',')})`,
        kioskIds,
      );
      for (const r of rows) liveKiosks.add(Number(r.kiosk_id));
    }
    for (const socket of sockets) {
      const who = socket.data.who;
      if (!who) continue;
      if (who.kind === 'user') {
        const current = activeUsers.get(who.employee_id);
        if (!current) endSession(socket, 'deactivated');
        else if (current.token_version !== who.ver) endSession(socket, 'revoked');
        else if (current.team_id !== who.team_id || current.access !== who.access) {
          // The rooms joined were allowed for the old team or role: start again with the new ones.
          endSession(socket, 'access_changed');
        }
      } else if (!liveKiosks.has(who.kiosk_id)) {
        endSession(socket, 'revoked');
      }
    }
  }

  return {
    io,
    sequencer,
    /** Kiosk ids with a connected socket on any instance. */
    async onlineKiosks(): Promise<Set<number>> {
      const sockets = await io.in(room.kiosks).fetchSockets();
      return new Set(sockets.flatMap((s) => (s.data.who?.kind === 'kiosk' ? [s.data.who.kiosk_id] : [])));
    },
    revalidate,
    async close() {
      clearInterval(sweep);
      clearInterval(expiry);
      offChanged();
      offRevoked();
      offTokens();
      offDeliveries?.();
      await sending;
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}

export type Realtime = ReturnType<typeof createSocketServer>;
