import type { Socket } from 'socket.io';

/**
 * Workarounds for Socket.IO and ws costs that the hub's benchmarks measured. Each says what it saves; none changes
 * what a client sees.
 */

type WsTransport = { name: string; send(packets: unknown[]): void; socket?: { _socket?: { cork(): void; uncork(): void } } };
const coalesced = new WeakSet<object>();

/**
 * Lets the frames of one Engine.IO flush leave in one write. Engine.IO hands a WebSocket all the packets that queued
 * while its previous write was in flight, but `ws` writes each frame on its own: a board receiving a batch of
 * changes cost one system call per change. Corking the TCP socket around the flush makes it one (bench:fanout:
 * 17 µs → 9.5 µs of hub CPU per delivered message at 100,000 messages/s). `ws` keeps its socket in `_socket`;
 * without it, nothing changes.
 */
export function coalesceWrites(socket: Socket) {
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

/**
 * What an idle socket keeps costs memory times ten thousand: the token (checked already; a recovering client sends it
 * again) and Engine.IO's copy of the first HTTP request (the handshake holds what the hub uses of it). Dropping both
 * took bench:connections from 17.6 to 15.8 KB per idle authenticated socket at 10,000.
 */
export function dropHandshakeRequest(socket: Socket) {
  delete (socket.handshake.auth as { token?: unknown }).token;
  (socket.conn as unknown as { request: unknown }).request = null;
}
