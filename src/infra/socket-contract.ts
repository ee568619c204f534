/**
 * The socket contract, for the server and for clients (`io<ServerToClient, ClientToServer>(url, { auth: { token } })`).
 * Requests are `domain:verb` with an acknowledgement; broadcasts are `domain:changed`. Each module adds its own
 * events to these interfaces where it owns them (`declare module '…/infra/socket-contract.ts' { interface
 * ClientToServer { … } }`), so the socket server and the broadcasts are typed without knowing any module.
 */
export interface ClientToServer {}
export interface ServerToClient {}

export type ErrorAck = { ok: false; error: { code: string; message: string; retry_after?: number } };
export type Ack<T> = ({ ok: true } & T) | ErrorAck;

/** The payload of a server-to-client event. */
export type PayloadOf<E extends keyof ServerToClient> = ServerToClient[E] extends (payload: infer P) => void ? P : never;

/** One message for sockets: the rooms it goes to, the event and its payload. */
export type Delivery = { [E in keyof ServerToClient]: { rooms: string[]; event: E; payload: PayloadOf<E> } }[keyof ServerToClient];

/** A delivery of one event (what a module builds). */
export const delivery = <E extends keyof ServerToClient>(rooms: string[], event: E, payload: PayloadOf<E>) => ({ rooms, event, payload }) as Delivery;
