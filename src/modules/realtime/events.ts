/**
 * The socket contract as clients use it (`io<ServerToClient, ClientToServer>(url, { auth: { token } })`): the
 * interfaces live in src/infra/socket-contract.ts and every module adds its own events there (attendance, boards,
 * summaries, assistant); this file adds the session's.
 */
import type { Access } from '../../infra/context.ts';

export type { Ack, ClientToServer, ErrorAck, ServerToClient } from '../../infra/socket-contract.ts';

export type SessionEndReason = 'token_expired' | 'deactivated' | 'revoked' | 'access_changed' | 'too_many_connections';

export type SocketIdentity =
  | { kind: 'user'; employee_id: number; access: Access; team_id: number | null; name: string; exp: number; ver: number }
  | { kind: 'kiosk'; kiosk_id: number; name: string; team_id: number | null };

export type SocketData = { who: SocketIdentity };

/** Between hub instances (through the Socket.IO adapter): each instance delivers to its own sockets. */
export interface InterServer {
  /**
   * Deliveries made on another instance (numbered changes, notices) as JSON: the adapter's own encoding (msgpack in
   * JavaScript) costs several times more for objects this size than JSON.stringify and JSON.parse.
   */
  deliveries: (json: string) => void;
}

declare module '../../infra/socket-contract.ts' {
  interface ServerToClient {
    /** Sent just before the server closes the socket (token expired, user deactivated, tokens or kiosk revoked, too many sockets). */
    'session:ended': (info: { reason: SessionEndReason }) => void;
  }
}
