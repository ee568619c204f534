import type { Server as HttpServer } from 'node:http';
import { createAdapter as createClusterAdapter } from '@socket.io/cluster-adapter';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Server } from 'socket.io';
import { createBroadcaster, rooms } from '../../infra/broadcast.ts';
import { clientAddressResolver } from '../../infra/client-address.ts';
import { metrics } from '../../infra/metrics.ts';
import type { Redis } from '../../infra/redis.ts';
import type { Sequencer } from '../../infra/sequencer.ts';
import type { Delivery } from '../../infra/socket-contract.ts';
import { createConnectionRegistry } from './connections.ts';
import type { ClientToServer, InterServer, ServerToClient, SessionEndReason, SocketData, SocketIdentity } from './events.ts';
import { socketKit, type HubSocket, type SocketDeps, type SocketHandlers } from './socket-kit.ts';
import { coalesceWrites, dropHandshakeRequest } from '../../infra/socket-tuning.ts';
import { canWatchBoard, isAdmin } from '../auth/index.ts';

export type HubServer = Server<ClientToServer, ServerToClient, InterServer, SocketData>;

export type RealtimeDeps = Omit<SocketDeps, 'broadcast'> & {
  /** Set in scale-out mode: the Socket.IO adapter's connection (broadcasts and revocations cross instances). */
  redis?: Redis | null;
  /**
   * Set for one of several API processes of one machine without Redis: broadcasts and revocations cross the processes
   * through @socket.io/cluster-adapter (its primary relays them).
   */
  clustered?: boolean;
  /**
   * Where open sockets are counted per user and kiosk (Redis in scale-out, the primary for the API processes of one
   * machine: every process counts together).
   */
  registry?: Redis | 'primary' | null;
  /** Prefix for every Redis key this server uses (tests give each server set its own). */
  keyPrefix: string;
  /** The per-team change counters (shared with the jobs, which number their own changes). */
  sequencer: Sequencer;
  /** Who a handshake token belongs to (a user or a kiosk), or null. */
  identify: (token: unknown) => Promise<SocketIdentity | null>;
  /** The current rights of the people with open sockets (active ones only), for the sweep. */
  currentUsers: (ids: number[]) => Promise<Map<number, { team_id: number | null; access: string; token_version: number }>>;
  /** Which of these kiosks are not revoked. */
  liveKiosks: (ids: number[]) => Promise<Set<number>>;
  /** Every module's request handlers. */
  handlers: SocketHandlers[];
};

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

const ownerOf = (who: SocketIdentity) => (who.kind === 'user' ? `user:${who.employee_id}` : `kiosk:${who.kiosk_id}`);

/** The rooms a socket of this identity is in from the start. */
const ownRooms = (who: SocketIdentity) =>
  who.kind === 'kiosk' ? [rooms.kiosk(who.kiosk_id), rooms.kiosks] : isAdmin(who) ? [rooms.user(who.employee_id), rooms.admins] : [rooms.user(who.employee_id)];

/** May a socket of this identity be in this room (its own rooms, or a board it may watch)? */
function mayStayIn(who: SocketIdentity, name: string, mayWatch: (teamId: number) => boolean): boolean {
  if (ownRooms(who).includes(name)) return true;
  return who.kind === 'user' && name.startsWith('team:') && mayWatch(Number(name.slice(5)));
}

/**
 * Attaches Socket.IO to the HTTP server: handshake auth, each identity's rooms, every module's request handlers,
 * the sweeps that close sockets whose rights ended, and the transport of broadcasts (this instance's sockets, and one
 * message to the other instances).
 * @example const realtime = createSocketServer(httpServer, deps);
 */
export function createSocketServer(http: HttpServer, deps: RealtimeDeps) {
  const { config, log, bus } = deps;
  const clientAddress = clientAddressResolver(config.trustProxy);
  const connections = createConnectionRegistry(deps.registry ?? null, deps.keyPrefix, config.socket.maxPerUser);
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
            streamName: `${deps.keyPrefix}socket.io`,
            channelPrefix: `${deps.keyPrefix}socket.io`,
            sessionKeyPrefix: `${deps.keyPrefix}sio:session:`,
            onlyPlaintext: true,
          }),
        }
      : deps.clustered
        ? { adapter: createClusterAdapter() }
        : {}),
  });

  /**
   * Deliveries to this instance's own sockets. A delivery's event and payload match (src/infra/socket-contract.ts
   * builds them together); the emitter's types cannot follow a union of events, hence the one loosened call.
   */
  const deliverLocally = (deliveries: Delivery[]) => {
    for (const d of deliveries) (io.local.to(d.rooms).emit as (event: string, payload: unknown) => boolean)(d.event, d.payload);
  };
  // The adapter counts the other instances it has heard from (heartbeats, every 5 s; a new instance announces itself
  // at start). Alone, a group of deliveries has nobody to go to. Unknown (another adapter): assume company.
  const otherInstances = () => (io.of('/').adapter as unknown as { nodesMap?: Map<string, number> }).nodesMap?.size ?? 1;
  const broadcast = createBroadcaster({
    sequencer: deps.sequencer,
    transport: (deliveries) => {
      deliverLocally(deliveries);
      if ((deps.redis || deps.clustered) && otherInstances() > 0) io.serverSideEmit('deliveries', JSON.stringify(deliveries));
    },
    onError: (error) => log.error({ err: error }, 'broadcast failed'),
  });
  io.on('deliveries', (json) => {
    try {
      deliverLocally(JSON.parse(json) as Delivery[]);
    } catch (error) {
      log.warn({ err: error }, 'deliveries from another instance could not be read');
    }
  });
  // Results of jobs (run by a worker process, or in this process) reach this instance's own sockets only: every
  // instance hears every result, so each socket gets it exactly once. The API processes of one machine without Redis
  // run their jobs themselves: a process passes its results on to the others.
  const offDeliveries = deps.jobs?.onDeliveries(
    deps.clustered
      ? (deliveries) => {
          deliverLocally(deliveries);
          if (otherInstances() > 0) io.serverSideEmit('deliveries', JSON.stringify(deliveries));
        }
      : deliverLocally,
  );

  const socketDeps: SocketDeps = { ...deps, broadcast };
  const gauges = { user: metrics().socketsConnected.labels('user'), kiosk: metrics().socketsConnected.labels('kiosk') };

  io.use(async (socket, next) => {
    try {
      const who = await deps.identify(socket.handshake.auth?.token);
      if (!who) return next(new Error('unauthorized'));
      socket.data.who = who;
      next();
    } catch (error) {
      log.warn({ err: error }, 'socket authentication failed');
      next(new Error('unauthorized'));
    }
  });

  io.on('connection', (socket: HubSocket) => {
    coalesceWrites(socket);
    dropHandshakeRequest(socket);
    const who = socket.data.who;
    gauges[who.kind].inc();
    socket.once('disconnect', onDisconnect);
    // One person (or kiosk) holds at most SOCKET_MAX_PER_USER sockets: a new one closes the oldest.
    connections.add(ownerOf(who), socket.id).then(
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
    if (socket.recovered) {
      const mayWatch = (teamId: number) => who.kind === 'user' && canWatchBoard(who, teamId);
      for (const name of socket.rooms) if (name !== socket.id && !mayStayIn(who, name, mayWatch)) void socket.leave(name);
    }
    void socket.join(ownRooms(who));
    const kit = socketKit(socket, socketDeps);
    for (const register of deps.handlers) register(kit);
  });
  function onDisconnect(this: HubSocket) {
    gauges[this.data.who.kind].dec();
    connections.remove(ownerOf(this.data.who), this.id).catch(() => undefined);
  }

  function endSession(socket: HubSocket, reason: SessionEndReason) {
    socket.emit('session:ended', { reason });
    socket.disconnect(true);
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

  const offRevoked = bus.subscribe('kiosk.revoked', ({ kiosk_id }) => {
    io.to(rooms.kiosk(kiosk_id)).emit('session:ended', { reason: 'revoked' });
    io.in(rooms.kiosk(kiosk_id)).disconnectSockets(true);
  });
  // Tokens revoked (a new password, another access level, deactivation, deletion, POST /token/revoke): the person's
  // sockets close at once on every instance; the sweep below catches any the message missed.
  const offTokens = bus.subscribe('tokens.revoked', ({ employee_id, reason }) => {
    io.to(rooms.user(employee_id)).emit('session:ended', { reason });
    io.in(rooms.user(employee_id)).disconnectSockets(true);
  });

  // Deactivated or deleted users, changed rights, and revoked kiosks lose their open sockets within one sweep.
  const sweep = setInterval(() => void revalidate().catch((error) => log.warn({ err: error }, 'socket sweep failed')), config.socket.revalidateSeconds * 1000);
  sweep.unref();

  async function revalidate() {
    const sockets = [...io.of('/').sockets.values()];
    const userIds = [...new Set(sockets.flatMap((s) => (s.data.who?.kind === 'user' ? [s.data.who.employee_id] : [])))];
    const kioskIds = [...new Set(sockets.flatMap((s) => (s.data.who?.kind === 'kiosk' ? [s.data.who.kiosk_id] : [])))];
    const [users, kiosks] = await Promise.all([deps.currentUsers(userIds), deps.liveKiosks(kioskIds)]);
    for (const socket of sockets) {
      const who = socket.data.who;
      if (!who) continue;
      if (who.kind === 'kiosk') {
        if (!kiosks.has(who.kiosk_id)) endSession(socket, 'revoked');
        continue;
      }
      const current = users.get(who.employee_id);
      if (!current) endSession(socket, 'deactivated');
      else if (current.token_version !== who.ver) endSession(socket, 'revoked');
      // The rooms joined were allowed for the old team or role: start again with the new ones.
      else if (current.team_id !== who.team_id || current.access !== who.access) endSession(socket, 'access_changed');
    }
  }

  return {
    io,
    broadcast,
    /** Kiosk ids with a connected socket on any instance. */
    async onlineKiosks(): Promise<Set<number>> {
      const sockets = await io.in(rooms.kiosks).fetchSockets();
      return new Set(sockets.flatMap((s) => (s.data.who?.kind === 'kiosk' ? [s.data.who.kiosk_id] : [])));
    },
    revalidate,
    async close() {
      clearInterval(sweep);
      clearInterval(expiry);
      offRevoked();
      offTokens();
      offDeliveries?.();
      await broadcast.flushed();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}

export type Realtime = ReturnType<typeof createSocketServer>;
