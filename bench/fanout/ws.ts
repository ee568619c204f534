// The plain ws baseline: the same open loop against bench/ws-server.ts (--mode fanout), which answers each kiosk
// message by broadcasting a message of the hub's frame size to every watcher, then an ack.
import type WebSocket from 'ws';
import { inWaves, onCleanup, openWs, progress, type ServerProcess } from '../../harness/index.ts';
import { drive, type FanoutResult, type Pending, summarize, Tally } from './loop.ts';
import { KIOSKS, RATE, SECONDS, WARMUP, WATCHERS, WAVE } from './options.ts';

/** One measured baseline run on a running server: connects the watchers and kiosks, sends in the open loop, closes them. */
export async function wsRun(server: ServerProcess, payloadBytes: number, round: number): Promise<FanoutResult> {
  const label = 'plain ws';
  const sockets: WebSocket[] = [];
  const closeSockets = onCleanup(`${label} sockets`, async () => {
    for (const s of sockets) s.terminate();
    sockets.length = 0;
  });
  const errorsBefore = server.errorLines.length;
  try {
    const tally = new Tally();
    const ws = `ws://127.0.0.1:${server.port}`;
    progress(`${label}: connecting ${WATCHERS} watchers, ${WAVE} at a time`);
    const connectStarted = performance.now();
    const results = await inWaves(Array.from({ length: WATCHERS }, (_, i) => i), WAVE, async () => {
      const socket = await openWs(`${ws}/watch`);
      sockets.push(socket);
      socket.on('message', (data) => {
        const now = performance.now();
        const { id } = JSON.parse(String(data)) as { id: number };
        tally.delivered(String(id), now);
      });
    });
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const failures = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    const watching = results.length - failures.length;
    if (failures.length) progress(`${label}: ${failures.length} watchers failed to connect; the first: ${failures[0].reason?.message ?? failures[0].reason}`);
    if (!watching) throw new Error(`no watcher could connect: ${failures[0]?.reason?.message ?? 'unknown'}`);
    const kiosks = await Promise.all(Array.from({ length: KIOSKS }, () => openWs(`${ws}/kiosk`)));
    sockets.push(...kiosks);
    for (const k of kiosks) {
      k.on('message', (data) => {
        const p = tally.pending.get(String(data));
        if (p) tally.acked(p);
      });
    }
    progress(`${label}: round ${round}: ${RATE} messages/s for ${WARMUP} s warm-up + ${SECONDS} s measured`);
    // Ids are unique over the rounds, so a straggler of an earlier round never matches.
    const offset = round * 10_000_000;
    const d = await drive(label, tally, server.pid, watching, (n, measured) => {
      const p: Pending = { t0: performance.now(), measured, received: 0, acked: false };
      tally.pending.set(String(offset + n), p);
      kiosks[n % kiosks.length].send(String(offset + n));
    });
    return summarize(tally, d, {
      watchers: watching,
      kiosks: KIOSKS,
      payloadBytes,
      serverErrorLogs: server.errorLines.length - errorsBefore,
      connectSeconds,
      disturbed: null,
      notes: [],
    });
  } finally {
    await closeSockets();
  }
}
