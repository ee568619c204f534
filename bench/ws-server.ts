// The baselines of bench/fanout.ts and bench/connections.ts, run as a child process (the same layout as the hub:
// server in a child, clients in the benchmark process). No database, no Redis, no auth: the floor the hub is compared with.
//
//   node bench/ws-server.ts --mode fanout --payload-bytes 600
//     A plain `ws` server. /watch: a watcher; it receives every broadcast. /kiosk: a punching client; each text message
//     "<id>" is answered by one broadcast to every watcher of a JSON message {"id":<id>,"pad":"…"} of exactly
//     --payload-bytes bytes, then by "<id>" back to that client (its ack).
//   node bench/ws-server.ts --mode idle
//     A plain `ws` server that accepts connections and holds them; sends nothing.
//   node bench/ws-server.ts --mode sio-idle
//     A bare Socket.IO server (default options, no auth, no handlers, no adapter) on a node:http server: what the
//     framework alone costs per idle connection, between the plain ws server and the hub.
//
// Prints {"ready":true,"port":…} on stdout once listening on 127.0.0.1 (port 0: any free one); SIGTERM or SIGINT close
// every connection and end the process.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'idle' },
    'payload-bytes': { type: 'string', default: '600' },
    port: { type: 'string', default: '0' },
  },
});
const mode = args.mode;
if (mode !== 'idle' && mode !== 'fanout' && mode !== 'sio-idle') {
  console.error('--mode must be idle, fanout or sio-idle');
  process.exit(2);
}
const payloadBytes = Number(args['payload-bytes']);
if (!Number.isInteger(payloadBytes) || payloadBytes < 16 || payloadBytes > 1_000_000) {
  console.error('--payload-bytes must be a whole number from 16 to 1,000,000');
  process.exit(2);
}

const ready = (port: number) => process.stdout.write(`${JSON.stringify({ ready: true, port, mode, payloadBytes })}\n`);
const fatal = (error: Error) => {
  process.stdout.write(`${JSON.stringify({ level: 60, msg: error.message })}\n`);
  process.exit(1);
};
let stopping = false;
const onStop = (close: (done: () => void) => void) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      close(() => process.exit(0));
      setTimeout(() => process.exit(0), 5000).unref();
    });
  }
};

if (mode === 'sio-idle') {
  // Loaded only in this mode, so the plain ws modes do not carry Socket.IO's code in their memory.
  const { Server } = await import('socket.io');
  const http = createServer();
  const io = new Server(http);
  http.on('error', fatal);
  http.listen(Number(args.port), '127.0.0.1', () => {
    const address = http.address();
    ready(typeof address === 'object' && address ? address.port : 0);
  });
  onStop((done) => {
    io.disconnectSockets(true);
    io.close(() => done());
  });
} else {
  const watchers = new Set<WebSocket>();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(args.port), perMessageDeflate: false, maxPayload: 64 * 1024 });

  /** A JSON message of exactly `payloadBytes` bytes (ASCII) carrying `id`. */
  const payloadFor = (id: string) => {
    const bare = `{"id":${Number(id)},"pad":""}`;
    return `{"id":${Number(id)},"pad":"${'x'.repeat(Math.max(0, payloadBytes - bare.length))}"}`;
  };

  wss.on('connection', (ws, req) => {
    ws.on('error', () => undefined);
    if (mode === 'idle') return;
    if (req.url?.startsWith('/watch')) {
      watchers.add(ws);
      ws.once('close', () => watchers.delete(ws));
    } else if (req.url?.startsWith('/kiosk')) {
      ws.on('message', (data) => {
        const id = String(data);
        const message = payloadFor(id);
        for (const w of watchers) w.send(message);
        ws.send(id);
      });
    } else {
      ws.close(1008, 'unknown path');
    }
  });
  wss.once('listening', () => {
    const address = wss.address();
    ready(typeof address === 'object' && address ? address.port : 0);
  });
  wss.on('error', fatal);
  onStop((done) => {
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => done());
  });
}
