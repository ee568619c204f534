// The plain `ws` baseline of bench/fanout.ts and bench/connections.ts, run as a child process (the same layout as the
// hub: server in a child, clients in the benchmark process). No Socket.IO, no database, no Redis: the floor that the
// hub is compared with.
//
//   node bench/ws-server.ts --mode fanout --payload-bytes 600
//     /watch: a watcher; it receives every broadcast.
//     /kiosk: a punching client; each text message "<id>" is answered by one broadcast to every watcher of a JSON
//             message {"id":<id>,"pad":"…"} of exactly --payload-bytes bytes, then by "<id>" back to that client (its ack).
//   node bench/ws-server.ts --mode idle
//     Accepts connections and holds them; sends nothing.
//
// Prints {"ready":true,"port":…} on stdout once listening on 127.0.0.1 (port 0: any free one); SIGTERM or SIGINT close
// every connection and end the process.
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
if (mode !== 'idle' && mode !== 'fanout') {
  console.error('--mode must be idle or fanout');
  process.exit(2);
}
const payloadBytes = Number(args['payload-bytes']);
if (!Number.isInteger(payloadBytes) || payloadBytes < 16 || payloadBytes > 1_000_000) {
  console.error('--payload-bytes must be a whole number from 16 to 1,000,000');
  process.exit(2);
}

const watchers = new Set<WebSocket>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(args.port), perMessageDeflate: false, maxPayload: 64 * 1024 });

/** A JSON message of exactly `payloadBytes` bytes (ASCII) carrying `id`. */
function payloadFor(id: string): string {
  const bare = `{"id":${Number(id)},"pad":""}`;
  return `{"id":${Number(id)},"pad":"${'x'.repeat(Math.max(0, payloadBytes - bare.length))}"}`;
}

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
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ ready: true, port, mode, payloadBytes })}\n`);
});
wss.on('error', (error) => {
  process.stdout.write(`${JSON.stringify({ level: 60, msg: error.message })}\n`);
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
