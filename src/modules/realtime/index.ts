export { createSocketServer, type HubServer, type Realtime, type RealtimeDeps } from './socket-server.ts';
export { errorAck, type HubSocket, type SocketDeps, type SocketHandlers, type SocketKit } from './socket-kit.ts';
export type { SessionEndReason, SocketIdentity } from './events.ts';
export { createConnectionRegistry, type ConnectionRegistry } from './connections.ts';
